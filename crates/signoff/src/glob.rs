//! Whole-value globs: `*` any run of characters, `?` one, `[abc]`/`[!a-z]` a class; in
//! path mode `*` and `?` stop at `/` and a `**` segment crosses it.
//!
//! Hand-written rather than taken from globset: globset brings regex-automata, which
//! would cost the browser build more than our whole evaluator, and we need only this.
//! Matching takes time linear in the value times the glob (no backtracking), since fork
//! authors choose the branch names and paths it is run against.

/// A parsed glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    source: String,
    tokens: Vec<Token>,
    path: bool,
    case: Case,
}

/// Whether letter case matters when matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Sensitive,
    /// Both sides compared in Unicode lower case: `environment`, which the forges treat
    /// case-insensitively (SPEC §2).
    Insensitive,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    Any,
    Star,
    /// `**` as a whole path segment: any number of segments, including none.
    Globstar,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Glob {
    /// Parses a case-sensitive glob; `path` turns on path rules. Errors say what is
    /// wrong in words.
    pub fn new(source: &str, path: bool) -> Result<Glob, String> {
        Glob::with_case(source, path, Case::Sensitive)
    }

    /// Parses a glob with the given case rule.
    pub fn with_case(source: &str, path: bool, case: Case) -> Result<Glob, String> {
        let literal = |tokens: &mut Vec<Token>, c: char| match case {
            Case::Sensitive => tokens.push(Token::Literal(c)),
            Case::Insensitive => tokens.extend(c.to_lowercase().map(Token::Literal)),
        };
        if source.is_empty() {
            return Err("a glob cannot be empty".to_owned());
        }
        let chars: Vec<char> = source.chars().collect();
        // At most one token per character (lower-casing may add a few): sized once, since a
        // policy's globs are compiled on every parse.
        let mut tokens = Vec::with_capacity(chars.len());
        let mut i = 0;
        while let Some(&c) = chars.get(i) {
            match c {
                '*' if chars.get(i + 1) == Some(&'*') => {
                    let at_start = i == 0 || chars.get(i - 1) == Some(&'/');
                    let after = chars.get(i + 2);
                    if after == Some(&'*') {
                        return Err("`***` is not a glob; use `*` or `**`".to_owned());
                    }
                    if path {
                        if !at_start || !(after.is_none() || after == Some(&'/')) {
                            return Err(
                                "`**` must be a whole path segment, as in `a/**/b`".to_owned()
                            );
                        }
                        tokens.push(Token::Globstar);
                        // `a/**/b` also matches `a/b`: the globstar eats its trailing slash.
                        i += if after == Some(&'/') { 3 } else { 2 };
                    } else {
                        tokens.push(Token::Star);
                        i += 2;
                    }
                }
                '*' => {
                    tokens.push(Token::Star);
                    i += 1;
                }
                '?' => {
                    tokens.push(Token::Any);
                    i += 1;
                }
                '[' => {
                    let (token, next) = parse_class(&chars, i)?;
                    tokens.push(token);
                    i = next;
                }
                '\\' => match chars.get(i + 1) {
                    Some(&escaped) => {
                        literal(&mut tokens, escaped);
                        i += 2;
                    }
                    None => return Err("a glob cannot end with `\\`".to_owned()),
                },
                other => {
                    literal(&mut tokens, other);
                    i += 1;
                }
            }
        }
        Ok(Glob {
            source: source.to_owned(),
            tokens,
            path,
            case,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the glob matches the whole of `value`.
    pub fn matches(&self, value: &str) -> bool {
        let folded;
        let value = match self.case {
            Case::Insensitive if value.chars().any(|c| !is_own_lower_case(c)) => {
                // Character by character, as the glob's letters were lowered.
                folded = value
                    .chars()
                    .flat_map(char::to_lowercase)
                    .collect::<String>();
                folded.as_str()
            }
            _ => value,
        };
        self.matches_lowered(value)
    }

    /// Literal characters at either end are compared directly and the common shapes in
    /// between (`*`, `**`, `**/*`) answered at once; only what remains runs the NFA.
    fn matches_lowered(&self, value: &str) -> bool {
        let mut tokens = self.tokens.as_slice();
        let mut rest = value;
        while let Some((Token::Literal(l), tail)) = tokens.split_first() {
            let mut chars = rest.chars();
            if chars.next() != Some(*l) {
                return false;
            }
            rest = chars.as_str();
            tokens = tail;
        }
        let mut suffix = false;
        while let Some((Token::Literal(l), head)) = tokens.split_last() {
            let mut chars = rest.chars();
            if chars.next_back() != Some(*l) {
                return false;
            }
            rest = chars.as_str();
            tokens = head;
            suffix = true;
        }
        match tokens {
            [] => rest.is_empty(),
            [Token::Star] => !(self.path && rest.contains('/')),
            // Everything below; or, with more glob after it, zero or more whole segments.
            [Token::Globstar] => !suffix || rest.is_empty() || rest.ends_with('/'),
            // The star takes what follows the last `/`.
            [Token::Globstar, Token::Star] => true,
            _ => matches_tokens(tokens, rest, self.path, self.case, !suffix),
        }
    }
}

/// Is `c` its own lower case (so folding leaves it alone)?
fn is_own_lower_case(c: char) -> bool {
    let mut lower = c.to_lowercase();
    lower.len() == 1 && lower.next() == Some(c)
}

fn parse_class(chars: &[char], open: usize) -> Result<(Token, usize), String> {
    let mut i = open + 1;
    let negated = matches!(chars.get(i), Some('!') | Some('^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unclosed `[` in glob".to_owned());
        };
        if c == ']' && !first {
            return Ok((Token::Class { negated, ranges }, i + 1));
        }
        first = false;
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|&e| e != ']') {
            let end = chars.get(i + 2).copied().unwrap_or(c);
            if end < c {
                return Err(format!("empty range `{c}-{end}` in glob"));
            }
            ranges.push((c, end));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
}

/// Simulates the glob as a set of token positions (an NFA) advanced one character at a
/// time: O(value × glob) steps whatever the value, where backtracking took time
/// exponential in the number of stars on values an attacker chooses (branch names, paths).
///
/// State `k <= len` means "tokens before `k` matched"; `len` accepts. A globstar at `k`
/// has a second state `len + 1 + k`, "inside a segment", from which the rest of the glob
/// may not start until the next `/`.
///
/// `ends_glob` says whether the tokens end the whole glob (no literal suffix was cut off),
/// which makes a last globstar "everything below".
fn matches_tokens(tokens: &[Token], value: &str, path: bool, case: Case, ends_glob: bool) -> bool {
    let states = 2 * tokens.len() + 2;
    let words = states.div_ceil(64);
    // Policies' globs are short: two words on the stack hold 63 tokens, so matching
    // allocates only for longer ones.
    if words <= INLINE_WORDS {
        let mut current = [0u64; INLINE_WORDS];
        let mut next = [0u64; INLINE_WORDS];
        simulate(
            tokens,
            value,
            path,
            case,
            ends_glob,
            &mut current,
            &mut next,
        )
    } else {
        simulate(
            tokens,
            value,
            path,
            case,
            ends_glob,
            &mut vec![0; words],
            &mut vec![0; words],
        )
    }
}

const INLINE_WORDS: usize = 2;

fn simulate(
    tokens: &[Token],
    value: &str,
    path: bool,
    case: Case,
    ends_glob: bool,
    current: &mut [u64],
    next: &mut [u64],
) -> bool {
    let accept = tokens.len();
    let mut states = StateSet { words: current };
    enter(tokens, &mut states, 0);
    let mut following = StateSet { words: next };
    for c in value.chars() {
        following.clear();
        let crosses_slash = !(path && c == '/');
        let mut any = false;
        for state in states.iter() {
            any = true;
            if state > accept {
                // Inside a segment after a globstar: a `/` makes the rest possible again.
                let globstar = state - accept - 1;
                if c == '/' {
                    enter(tokens, &mut following, globstar);
                } else {
                    following.insert(state);
                }
                continue;
            }
            let Some(token) = tokens.get(state) else {
                continue;
            };
            match token {
                Token::Literal(l) if *l == c => enter(tokens, &mut following, state + 1),
                Token::Literal(_) => {}
                Token::Any if crosses_slash => enter(tokens, &mut following, state + 1),
                Token::Any => {}
                Token::Class { negated, ranges } => {
                    if in_class(ranges, c, case) != *negated && crosses_slash {
                        enter(tokens, &mut following, state + 1);
                    }
                }
                Token::Star if crosses_slash => enter(tokens, &mut following, state),
                Token::Star => {}
                Token::Globstar => {
                    // A trailing `**` takes everything below; otherwise the rest may start
                    // only right after a `/`.
                    if (ends_glob && state + 1 == accept) || c == '/' {
                        enter(tokens, &mut following, state);
                    } else {
                        following.insert(accept + 1 + state);
                    }
                }
            }
        }
        if !any {
            return false;
        }
        std::mem::swap(&mut states, &mut following);
    }
    states.contains(accept)
}

/// Ignoring case, the value's characters arrive in lower case, so a class such as
/// `[A-Z]` is also tried with the upper-case form.
fn in_class(ranges: &[(char, char)], c: char, case: Case) -> bool {
    let inside = |c: char| ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
    inside(c)
        || (case == Case::Insensitive && {
            let mut upper = c.to_uppercase();
            upper.len() == 1 && upper.next().is_some_and(inside)
        })
}

/// Adds `state` and every state reachable from it without reading a character: a star
/// or globstar may match nothing.
fn enter(tokens: &[Token], states: &mut StateSet<'_>, mut state: usize) {
    loop {
        if states.contains(state) {
            // Already there, and so is everything it reaches.
            return;
        }
        states.insert(state);
        match tokens.get(state) {
            Some(Token::Star | Token::Globstar) => state += 1,
            _ => return,
        }
    }
}

/// A bit set over a borrowed buffer, so the caller chooses stack or heap.
struct StateSet<'a> {
    words: &'a mut [u64],
}

impl StateSet<'_> {
    fn contains(&self, state: usize) -> bool {
        self.words
            .get(state / 64)
            .is_some_and(|w| w & (1 << (state % 64)) != 0)
    }

    fn insert(&mut self, state: usize) {
        if let Some(w) = self.words.get_mut(state / 64) {
            *w |= 1 << (state % 64);
        }
    }

    fn clear(&mut self) {
        self.words.fill(0);
    }

    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(i * 64 + bit)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    fn m(glob: &str, path: bool, value: &str) -> bool {
        Glob::new(glob, path)
            .map(|g| g.matches(value))
            .unwrap_or(false)
    }

    #[test]
    fn star_and_question_match_whole_values() {
        assert!(m("prod-*", false, "prod-eu"));
        assert!(!m("prod-*", false, "preprod-eu"));
        assert!(m("banking-?", false, "banking-1"));
        assert!(!m("banking-?", false, "banking-12"));
        assert!(m("*", false, "a/b"));
    }

    #[test]
    fn path_rules() {
        assert!(m("migrations/**", true, "migrations/2024/01.sql"));
        assert!(m("migrations/**", true, "migrations/x.sql"));
        assert!(!m("migrations/*", true, "migrations/2024/01.sql"));
        assert!(m("**/*.sql", true, "a/b/c.sql"));
        assert!(m("**/*.sql", true, "c.sql"));
        assert!(m("a/**/b", true, "a/b"));
        assert!(m("a/**/b", true, "a/x/y/b"));
        assert!(!m("src/*.rs", true, "src/a/b.rs"));
        assert!(!m("?", true, "/"));
    }

    #[test]
    fn case_insensitive_globs_fold_both_sides() {
        use super::Case;
        let m = |glob: &str, value: &str| {
            Glob::with_case(glob, false, Case::Insensitive)
                .map(|g| g.matches(value))
                .unwrap_or(false)
        };
        assert!(m("production", "Production"));
        assert!(m("PROD-*", "prod-eu"));
        assert!(m("[A-Z]rod", "prod"));
        assert!(m("[a-z]rod", "Prod"));
        assert!(!m("[!p]rod", "Prod"));
        assert!(!m("prod", "staging"));
        // `İ` lowers to two characters; a glob of the same letter still matches it.
        assert!(m("İstanbul", "i̇stanbul"));
        assert!(!Glob::new("production", false).is_ok_and(|g| g.matches("Production")));
    }

    #[test]
    fn classes_and_errors() {
        assert!(m("v[0-9]", false, "v7"));
        assert!(!m("v[!0-9]", false, "v7"));
        assert!(Glob::new("[abc", false).is_err());
        assert!(Glob::new("a**b", true).is_err());
        assert!(Glob::new("", false).is_err());
    }
}
