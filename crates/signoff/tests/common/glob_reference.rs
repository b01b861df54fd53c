//! A reference glob matcher written straight from the documented rules (SPEC §2, README
//! "Match criteria"): naive recursion over the glob's text, exponential but obviously
//! right on small inputs. Shared by the property test and the `glob_match` fuzz target.

/// True when `glob` (already accepted by `Glob::new`) matches the whole of `value`.
pub fn reference(glob: &[char], value: &[char], path: bool) -> bool {
    let stops = |c: &char| path && *c == '/';
    match glob {
        [] => value.is_empty(),
        ['*', '*', rest @ ..] if path => {
            // A whole segment (Glob::new refused any other `**`): zero or more segments.
            let after = rest.strip_prefix(&['/']).unwrap_or(rest);
            if after.is_empty() {
                return true; // a trailing `**` (or `**/`): everything below
            }
            (0..=value.len())
                .any(|i| (i == 0 || value[i - 1] == '/') && reference(after, &value[i..], path))
        }
        ['*', rest @ ..] => (0..=value.len())
            .any(|i| !value[..i].iter().any(stops) && reference(rest, &value[i..], path)),
        ['?', rest @ ..] => match value {
            [c, tail @ ..] => !stops(c) && reference(rest, tail, path),
            [] => false,
        },
        ['[', rest @ ..] => {
            // `!` or `^` negates; a `]` right after them is a member; `x-y` is a range
            // unless `y` is the closing `]`; `\` is an ordinary member inside a class.
            let (negated, mut i) = match rest.first() {
                Some('!' | '^') => (true, 1),
                _ => (false, 0),
            };
            let Some((c, tail)) = value.split_first() else {
                return false;
            };
            let mut inside = false;
            let mut first = true;
            loop {
                let member = rest[i];
                if member == ']' && !first {
                    break;
                }
                first = false;
                if rest.get(i + 1) == Some(&'-') && rest.get(i + 2).is_some_and(|&e| e != ']') {
                    inside |= member <= *c && *c <= rest[i + 2];
                    i += 3;
                } else {
                    inside |= member == *c;
                    i += 1;
                }
            }
            inside != negated && !stops(c) && reference(&rest[i + 1..], tail, path)
        }
        ['\\', escaped, rest @ ..] => {
            value.first() == Some(escaped) && reference(rest, &value[1..], path)
        }
        [c, rest @ ..] => value.first() == Some(c) && reference(rest, &value[1..], path),
    }
}
