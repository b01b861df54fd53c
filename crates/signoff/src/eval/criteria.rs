//! Match criteria of bindings and windows against a request's attributes.

use super::context::same_bytes;
use crate::compile::{Attribute, CompiledCriteria};
use crate::glob::{Case, Glob};
use crate::model::Attributes;

/// A criterion's glob, with a shortcut for the common glob that is plain text
/// (`production`, `main`): a string comparison instead of running the glob's automaton,
/// which was a third of an evaluation's time on the reference workload.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    glob: Glob,
    literal: Option<Literal>,
}

#[derive(Debug, Clone)]
enum Literal {
    /// Matches exactly this text.
    Exact(String),
    /// Matches text whose characters, each lowercased, are these (as the glob compares).
    Folded(String),
    /// `text*`: the text, then anything (in path mode, anything without a `/`).
    Prefix { text: String, path: bool },
    /// `text*` compared case-insensitively: `text` is lowercased.
    FoldedPrefix { text: String, path: bool },
    /// ASCII text and `?`s (`prod-??-?`): a value of the same length whose bytes equal
    /// the text's, anything (in path mode, anything but `/`) where the text has a `?`.
    /// `fold`: compared case-insensitively (the text is lowercased).
    Fixed {
        text: String,
        path: bool,
        fold: bool,
    },
}

/// Characters with a meaning in a glob; text without them only matches itself.
const GLOB_SYNTAX: &[char] = &['*', '?', '[', ']', '\\', '{', '}'];

impl Pattern {
    /// `path`: the glob was parsed with path rules (`*` stops at `/`).
    pub fn new(glob: Glob, case: Case, path: bool) -> Pattern {
        let source = glob.as_str();
        let fold = |text: &str| {
            text.chars()
                .flat_map(char::to_lowercase)
                .collect::<String>()
        };
        let literal = if !source.contains(GLOB_SYNTAX) {
            match case {
                Case::Sensitive => Some(Literal::Exact(source.to_owned())),
                Case::Insensitive => Some(Literal::Folded(fold(source))),
            }
        } else {
            // The other common shapes: `prod-*`, plain text and one final star; and
            // `prod-??-?`, plain ASCII text with single-character wildcards.
            let fixed = source.is_ascii()
                && !source.contains(|c: char| c != '?' && GLOB_SYNTAX.contains(&c));
            if fixed {
                let text = match case {
                    Case::Sensitive => source.to_owned(),
                    Case::Insensitive => source.to_ascii_lowercase(),
                };
                let fold = case == Case::Insensitive;
                return Pattern {
                    glob,
                    literal: Some(Literal::Fixed { text, path, fold }),
                };
            }
            match source.strip_suffix('*') {
                Some(text) if !text.contains(GLOB_SYNTAX) => match case {
                    Case::Sensitive => Some(Literal::Prefix {
                        text: text.to_owned(),
                        path,
                    }),
                    Case::Insensitive => Some(Literal::FoldedPrefix {
                        text: fold(text),
                        path,
                    }),
                },
                _ => None,
            }
        };
        Pattern { glob, literal }
    }

    /// Answered by comparing text (on ASCII values), without the glob's automaton.
    pub fn is_plain(&self) -> bool {
        self.literal.is_some()
    }

    /// The lowercased text of a case-insensitive plain-text pattern (`production`): an
    /// ASCII value without uppercase matches it exactly when equal to it.
    pub fn folded_text(&self) -> Option<&str> {
        match &self.literal {
            Some(Literal::Folded(text)) => Some(text),
            _ => None,
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        self.matches_value(value, value.is_ascii())
    }

    /// [`Pattern::matches`] with `ascii`, whether `value` is ASCII, known: criteria find
    /// it once per value, not once per glob (the scan cost more than most comparisons).
    /// Inlined into the criteria loop, where the call and its spills cost as much as most
    /// comparisons (about 400 instructions of `decide` on the reference workload, for
    /// 0.6 KB of the browser module).
    #[inline(always)]
    fn matches_value(&self, value: &str, ascii: bool) -> bool {
        match &self.literal {
            Some(Literal::Exact(text)) => same_bytes(value.as_bytes(), text.as_bytes()),
            // ASCII lowercases to ASCII one for one, and the folded text holds no
            // uppercase: a byte comparison says the same, faster (for 8 to 16 bytes, two
            // words lowercased at once).
            Some(Literal::Folded(text)) if ascii => folded_words(value.as_bytes(), text.as_bytes())
                .unwrap_or_else(|| value.eq_ignore_ascii_case(text)),
            Some(Literal::Folded(text)) => {
                value.chars().flat_map(char::to_lowercase).eq(text.chars())
            }
            Some(Literal::Prefix { text, path }) => {
                value
                    .as_bytes()
                    .get(..text.len())
                    .is_some_and(|head| same_bytes(head, text.as_bytes()))
                    && !(*path && value.get(text.len()..).is_some_and(|r| r.contains('/')))
            }
            // As for `Folded`: ASCII text compared bytewise.
            Some(Literal::FoldedPrefix { text, path }) if ascii => {
                value
                    .get(..text.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(text))
                    && !(*path && value.get(text.len()..).is_some_and(|r| r.contains('/')))
            }
            // ASCII on both sides: one byte is one character, in either case.
            Some(Literal::Fixed { text, path, fold }) if ascii => {
                value.len() == text.len()
                    && value.bytes().zip(text.bytes()).all(|(v, t)| match t {
                        b'?' => !(*path && v == b'/'),
                        _ if *fold => v.to_ascii_lowercase() == t,
                        _ => v == t,
                    })
            }
            Some(Literal::FoldedPrefix { .. } | Literal::Fixed { .. }) | None => {
                self.glob.matches(value)
            }
        }
    }
}

/// For an ASCII value of 8 to 16 bytes, whether it lowercases to `text`: its first and
/// last words (which may overlap) lowercased eight bytes at a time and compared with
/// the text's. `None` for other lengths.
fn folded_words(value: &[u8], text: &[u8]) -> Option<bool> {
    if !(8..=16).contains(&value.len()) {
        return None;
    }
    if value.len() != text.len() {
        return Some(false);
    }
    let word = |chunk: Option<&[u8; 8]>| chunk.map(|c| u64::from_le_bytes(*c));
    let (first, last) = (word(value.first_chunk())?, word(value.last_chunk())?);
    Some(
        Some(ascii_lowercase(first)) == word(text.first_chunk())
            && Some(ascii_lowercase(last)) == word(text.last_chunk()),
    )
}

/// Eight ASCII bytes with `A`–`Z` lowercased: a byte's high bit, after adding 0x3f, says
/// it is at least `A`, after adding 0x25 that it is past `Z`; where only the first holds,
/// 0x20 is set. (No carry crosses bytes: every byte is below 0x80.)
fn ascii_lowercase(word: u64) -> u64 {
    const EACH: u64 = 0x0101_0101_0101_0101;
    let at_least_a = word + 0x3f * EACH;
    let past_z = word + 0x25 * EACH;
    let upper = (at_least_a ^ past_z) & (0x80 * EACH);
    word | (upper >> 2)
}

/// The globs of a binding's environment criterion when each is plain text (see
/// [`Pattern::folded_text`]); `None` when it has none or another glob.
pub(crate) fn plain_environment(criteria: &CompiledCriteria) -> Option<&[Pattern]> {
    let (_, globs) = criteria
        .checks
        .iter()
        .find(|(attribute, _)| *attribute == Attribute::Environment)?;
    globs
        .iter()
        .all(|g| g.folded_text().is_some())
        .then_some(globs.as_slice())
}

/// Whether a binding's environment criterion, if it has one, lets `environment` (one
/// text) through. The text comes as a list so as to go through `any_element_matches`,
/// whose copy of the comparisons the module already holds, rather than link another
/// (0.9 KB).
pub(crate) fn environment_admits(criteria: &CompiledCriteria, environment: &[String]) -> bool {
    criteria
        .checks
        .iter()
        .filter(|(attribute, _)| *attribute == Attribute::Environment)
        .all(|(_, globs)| any_element_matches(globs, environment))
}

/// A request's attributes as criteria read them, made once per request: each
/// single-valued attribute with whether it is ASCII, so that no glob scans it again.
pub(crate) struct Values<'r> {
    /// By [`Attribute::single_index`].
    single: [Option<(&'r str, bool)>; SINGLE],
    labels: &'r [String],
    paths: &'r [String],
}

/// How many attributes hold one value.
const SINGLE: usize = 6;

impl<'r> Values<'r> {
    pub fn of(attributes: &'r Attributes) -> Values<'r> {
        let value = |v: &'r Option<String>| v.as_deref().map(|v| (v, is_ascii(v.as_bytes())));
        Values {
            single: [
                value(&attributes.cluster),
                value(&attributes.app),
                value(&attributes.environment),
                value(&attributes.repo),
                value(&attributes.branch),
                value(&attributes.source_branch),
            ],
            labels: &attributes.labels,
            paths: &attributes.paths,
        }
    }
}

/// `str::is_ascii`, with text of 8 to 16 bytes (most attribute values) tested as two
/// words, which may overlap: the standard library's loop cost several times as much
/// at these lengths.
fn is_ascii(bytes: &[u8]) -> bool {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(first), Some(last)) if bytes.len() <= 16 => {
            (u64::from_ne_bytes(*first) | u64::from_ne_bytes(*last)) & HIGH_BITS == 0
        }
        _ => bytes.is_ascii(),
    }
}

/// All given criteria must match; within one, any glob may match. A missing attribute
/// never matches a criterion that is given; `labels` and `paths` match when any element does.
pub(crate) fn criteria_match(criteria: &CompiledCriteria, values: &Values<'_>) -> bool {
    criteria.checks.iter().all(|(attribute, globs)| {
        match values.single.get(attribute.single_index()) {
            Some(Some((value, ascii))) => globs.iter().any(|g| g.matches_value(value, *ascii)),
            Some(None) => false,
            None => {
                let many = match attribute {
                    Attribute::Labels => values.labels,
                    _ => values.paths,
                };
                any_element_matches(globs, many)
            }
        }
    })
}

/// Whether any glob matches any of `values` (labels, paths). Not inlined: it is the rarer
/// criterion, and kept apart the loop over single values needs fewer registers.
#[inline(never)]
fn any_element_matches(globs: &[Pattern], values: &[String]) -> bool {
    values.iter().any(|v| {
        let ascii = v.is_ascii();
        globs.iter().any(|g| g.matches_value(v, ascii))
    })
}

impl Attribute {
    /// Where a single-valued attribute is in [`Values`] (past the end for the others).
    fn single_index(self) -> usize {
        match self {
            Attribute::Cluster => 0,
            Attribute::App => 1,
            Attribute::Environment => 2,
            Attribute::Repo => 3,
            Attribute::Branch => 4,
            Attribute::SourceBranch => 5,
            Attribute::Labels | Attribute::Paths => SINGLE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time test says what `str::is_ascii` says, at every length up to 40
    /// and with one non-ASCII byte at each position.
    #[test]
    fn ascii_test_agrees_with_the_standard_library() {
        for len in 0..40 {
            let plain = vec![b'a'; len];
            assert!(is_ascii(&plain), "{len}");
            for at in 0..len {
                for high in [0x80, 0xc3, 0xff] {
                    let mut bytes = plain.clone();
                    bytes[at] = high;
                    assert_eq!(is_ascii(&bytes), bytes.is_ascii(), "{len} {at} {high:#x}");
                }
            }
        }
    }

    /// The plain-text shortcut answers exactly as the glob itself, in both cases and
    /// path modes, on Unicode whose lowercase is longer or context-dependent.
    #[test]
    fn plain_text_shortcut_agrees_with_the_glob() {
        let sources = [
            "production",
            "Production",
            "main",
            "ΣΑΣ",
            "İstanbul",
            "a/b",
            "release/1.0",
            "ß",
            "prod eu",
            "\u{212A}elvin",
        ];
        let values = [
            "production",
            "PRODUCTION",
            "Production",
            "productio",
            "production-eu",
            "",
            "main",
            "MAIN",
            "σας",
            "ΣΑΣ",
            "σαΣ",
            "i̇stanbul",
            "istanbul",
            "İSTANBUL",
            "a/b",
            "A/B",
            "a/b/c",
            "release/1.0",
            "release/1x0",
            "ß",
            "SS",
            "ss",
            "ẞ",
            "prod eu",
            "Kelvin",
            "kelvin",
            "\u{212A}ELVIN",
        ];
        shortcut_agrees_with_the_glob(
            &sources,
            &values,
            &[
                (false, Case::Sensitive),
                (false, Case::Insensitive),
                (true, Case::Sensitive),
            ],
        );
    }

    /// Every (path, case) mode a pattern can be compiled in.
    const EVERY_MODE: [(bool, Case); 4] = [
        (false, Case::Sensitive),
        (false, Case::Insensitive),
        (true, Case::Sensitive),
        (true, Case::Insensitive),
    ];

    /// Each source takes a shortcut in each (path, case) mode and answers every value as
    /// its glob does.
    fn shortcut_agrees_with_the_glob(sources: &[&str], values: &[&str], modes: &[(bool, Case)]) {
        for source in sources {
            for &(path, case) in modes {
                let glob = Glob::with_case(source, path, case).unwrap();
                let pattern = Pattern::new(glob.clone(), case, path);
                assert!(pattern.literal.is_some(), "{source} takes the shortcut");
                for value in values {
                    assert_eq!(
                        pattern.matches(value),
                        glob.matches(value),
                        "{source:?} ({case:?}, path {path}) on {value:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn globs_with_syntax_take_no_shortcut() {
        for source in ["prod-*-eu", "[ab]", "x\\*", "**", "a**", "*a", "a?*", "é?"] {
            let glob = Glob::with_case(source, false, Case::Sensitive).unwrap();
            assert!(
                Pattern::new(glob, Case::Sensitive, false).literal.is_none(),
                "{source}"
            );
        }
    }

    /// Eight bytes lowercased at once: every ASCII byte as `to_ascii_lowercase` gives it,
    /// at every position (the bytes around `A` and `Z` included).
    #[test]
    fn words_lowercase_as_bytes_do() {
        for start in (0u8..0x80).step_by(3) {
            let bytes: Vec<u8> = (0..8u8).map(|i| (start + i * 11) % 0x80).collect();
            let word = u64::from_le_bytes(bytes.clone().try_into().unwrap());
            let lowered: Vec<u8> = bytes.iter().map(u8::to_ascii_lowercase).collect();
            assert_eq!(
                ascii_lowercase(word).to_le_bytes().to_vec(),
                lowered,
                "{bytes:?}"
            );
        }
        for b in 0u8..0x80 {
            let word = u64::from_le_bytes([b; 8]);
            assert_eq!(
                ascii_lowercase(word),
                u64::from_le_bytes([b.to_ascii_lowercase(); 8])
            );
        }
    }

    /// Case-insensitive plain text of 8 to 16 bytes, compared two words at a time, answers
    /// as the glob, next to the characters either side of `A`–`Z`.
    #[test]
    fn folded_words_agree_with_the_glob() {
        let sources = [
            "production",
            "env`prod`1",
            "env@prod@1",
            "Staging-EU",
            "abcdefgh",
            "abcdefghijklmnop",
        ];
        let values = [
            "production",
            "PRODUCTION",
            "ProDucTion",
            "productioN",
            "productio",
            "production1",
            "env`prod`1",
            "ENV@PROD@1",
            "env@prod@1",
            "ENV`PROD`1",
            "env[prod{1",
            "staging-eu",
            "STAGING-EU",
            "ABCDEFGH",
            "abcdefgh",
            "ABCDEFGHIJKLMNOP",
            "abcdefghijklmnoP",
            "abcdefghijklmno",
            "Abcdefghijklmnopq",
            "\u{212A}bcdefgh",
        ];
        for source in sources {
            let glob = Glob::with_case(source, false, Case::Insensitive).unwrap();
            let pattern = Pattern::new(glob.clone(), Case::Insensitive, false);
            for value in values {
                assert_eq!(
                    pattern.matches(value),
                    glob.matches(value),
                    "{source} {value}"
                );
            }
        }
    }

    /// ASCII text with `?`s answers exactly as the glob: in both cases, in path mode (`?`
    /// does not match `/`), on values of other lengths and on values outside ASCII (which
    /// the glob answers).
    #[test]
    fn fixed_shortcut_agrees_with_the_glob() {
        let sources = [
            "prod-??-?",
            "Prod-??-?",
            "?",
            "a?c",
            "??",
            "release/?.0",
            "?/?",
        ];
        let values = [
            "prod-eu-1",
            "PROD-EU-1",
            "Prod-Eu-1",
            "prod-eu-12",
            "prod-eu-",
            "prod-e/-1",
            "prod-éu-1",
            "prod-\u{212A}u-1",
            "",
            "a",
            "/",
            "é",
            "abc",
            "aBc",
            "a/c",
            "aéc",
            "ab",
            "release/1.0",
            "release//.0",
            "a/b",
            "ab/",
        ];
        shortcut_agrees_with_the_glob(&sources, &values, &EVERY_MODE);
    }

    /// `text*` answers exactly as the glob: in both cases, in path mode (the star stops
    /// at `/`), on Unicode whose lowercase is longer, and on values shorter than the text.
    #[test]
    fn prefix_shortcut_agrees_with_the_glob() {
        let sources = [
            "prod-*",
            "Prod-*",
            "acme/*",
            "release/*",
            "*",
            "ΣΑ*",
            "İst*",
            "\u{212A}el*",
            "ß*",
        ];
        let values = [
            "prod-eu",
            "PROD-EU",
            "prod-",
            "prod",
            "",
            "prod-eu/1",
            "acme/banking",
            "ACME/banking",
            "acme/a/b",
            "acme",
            "release/1.0",
            "release/1.0/x",
            "σαΣ",
            "ΣΑΣ",
            "i̇stanbul",
            "istanbul",
            "İSTANBUL",
            "kelvin",
            "KELVIN",
            "\u{212A}ELVIN",
            "ß",
            "SS",
            "ssx",
            "ẞx",
        ];
        shortcut_agrees_with_the_glob(&sources, &values, &EVERY_MODE);
    }
}
