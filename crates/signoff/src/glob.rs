//! Whole-value globs: `*` any run of characters, `?` one, `[abc]`/`[!a-z]` a class; in
//! path mode `*` and `?` stop at `/` and a `**` segment crosses it.
//!
//! Hand-written rather than taken from globset: globset brings regex-automata, which
//! would cost the browser build more than our whole evaluator, and we need only this.

/// A parsed glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    source: String,
    tokens: Vec<Token>,
    path: bool,
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
    /// Parses a glob; `path` turns on path rules. Errors say what is wrong in words.
    pub fn new(source: &str, path: bool) -> Result<Glob, String> {
        if source.is_empty() {
            return Err("a glob cannot be empty".to_owned());
        }
        let chars: Vec<char> = source.chars().collect();
        let mut tokens = Vec::new();
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
                        tokens.push(Token::Literal(escaped));
                        i += 2;
                    }
                    None => return Err("a glob cannot end with `\\`".to_owned()),
                },
                other => {
                    tokens.push(Token::Literal(other));
                    i += 1;
                }
            }
        }
        Ok(Glob {
            source: source.to_owned(),
            tokens,
            path,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the glob matches the whole of `value`.
    pub fn matches(&self, value: &str) -> bool {
        match_from(&self.tokens, value, self.path)
    }
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

/// Backtracking match; globs in policies are short, so the simple form is fast enough.
fn match_from(tokens: &[Token], value: &str, path: bool) -> bool {
    let Some((token, rest)) = tokens.split_first() else {
        return value.is_empty();
    };
    // Works on the text itself, a character at a time: matching allocates nothing.
    let mut chars = value.chars();
    let first = chars.next();
    let tail = chars.as_str();
    match token {
        Token::Literal(c) => first == Some(*c) && match_from(rest, tail, path),
        Token::Any => match first {
            Some(c) => !(path && c == '/') && match_from(rest, tail, path),
            None => false,
        },
        Token::Class { negated, ranges } => match first {
            Some(c) => {
                let inside = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                inside != *negated && !(path && c == '/') && match_from(rest, tail, path)
            }
            None => false,
        },
        Token::Star => {
            // Skip no character, then one more at a time; in path mode never past a `/`.
            let mut remaining = value;
            loop {
                if match_from(rest, remaining, path) {
                    return true;
                }
                let mut chars = remaining.chars();
                match chars.next() {
                    Some(c) if !(path && c == '/') => remaining = chars.as_str(),
                    _ => return false,
                }
            }
        }
        Token::Globstar => {
            // Zero segments, or skip up to and including each following `/`; a trailing
            // `**` matches everything below.
            if rest.is_empty() {
                return true;
            }
            if match_from(rest, value, path) {
                return true;
            }
            value
                .match_indices('/')
                .any(|(i, _)| match_from(rest, value.get(i + 1..).unwrap_or(""), path))
        }
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
    fn classes_and_errors() {
        assert!(m("v[0-9]", false, "v7"));
        assert!(!m("v[!0-9]", false, "v7"));
        assert!(Glob::new("[abc", false).is_err());
        assert!(Glob::new("a**b", true).is_err());
        assert!(Glob::new("", false).is_err());
    }
}
