#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The glob matcher against a reference written straight from the documented rules
//! (SPEC §2, README "Match criteria"): a naive recursive matcher over the glob's text,
//! exponential but obviously right on small inputs. Values are either random or built
//! from the glob (each wildcard replaced by text it may or may not cover), so both
//! answers are exercised. `PROPTEST_CASES=20000` runs more.

use proptest::prelude::*;
use signoff::glob::{Case, Glob};

#[path = "common/glob_reference.rs"]
mod glob_reference;
use glob_reference::reference;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(2048)
}

/// Pieces a glob is built from; `**/` and a trailing `**` are whole segments in path mode.
const PIECES: &[&str] = &[
    "a", "b", "/", "*", "?", "[ab]", "[!a]", "[a-c]", "\\*", "**/", "**",
];

/// Text each piece may stand for in a value built from the glob: some of it fits, some
/// deliberately does not (a `/` under `*` in path mode, `b` for `[!b]`...).
fn fillers(piece: &str) -> &'static [&'static str] {
    match piece {
        "a" => &["a", "b"],
        "b" => &["b"],
        "/" => &["/", "a"],
        "*" | "**" => &["", "a", "ab", "a/b", "/"],
        "?" => &["a", "/", ""],
        "[ab]" | "[!a]" | "[a-c]" => &["a", "b", "c", "/"],
        "\\*" => &["*", "a"],
        "**/" => &["", "x/", "x/y/", "x", "/"],
        _ => &[""],
    }
}

fn check(pieces: &[usize], value: &str, path: bool) -> Result<(), TestCaseError> {
    let text: String = pieces.iter().map(|&p| PIECES[p]).collect();
    let Ok(glob) = Glob::new(&text, path) else {
        return Ok(()); // not a glob (`a**`, `***`, empty): the parser says so elsewhere
    };
    let glob_chars: Vec<char> = text.chars().collect();
    let value_chars: Vec<char> = value.chars().collect();
    let expected = reference(&glob_chars, &value_chars, path);
    prop_assert_eq!(
        glob.matches(value),
        expected,
        "glob {:?} (path: {}) against {:?}",
        text,
        path,
        value
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_the_reference_on_random_values(
        pieces in prop::collection::vec(0..PIECES.len(), 1..8),
        value in "[ab/c*]{0,12}",
        path in any::<bool>(),
    ) {
        check(&pieces, &value, path)?;
    }

    #[test]
    fn ignoring_case_is_matching_both_sides_in_lower_case(
        glob in "([aAbB*?/]|\\[[aA]-[bB]\\]|\\[![aA]\\]){1,6}",
        value in "[aAbB/]{0,8}",
        path in any::<bool>(),
    ) {
        let Ok(insensitive) = Glob::with_case(&glob, path, Case::Insensitive) else {
            return Ok(());
        };
        let lower = Glob::new(&glob.to_lowercase(), path).unwrap();
        prop_assert_eq!(insensitive.matches(&value), lower.matches(&value.to_lowercase()));
    }

    #[test]
    fn agrees_with_the_reference_on_values_built_from_the_glob(
        pieces in prop::collection::vec((0..PIECES.len(), any::<prop::sample::Index>()), 1..8),
        path in any::<bool>(),
    ) {
        let value: String = pieces
            .iter()
            .map(|(p, choice)| *choice.get(fillers(PIECES[*p])))
            .collect();
        let pieces: Vec<usize> = pieces.iter().map(|(p, _)| *p).collect();
        check(&pieces, &value, path)?;
    }
}

/// Both sides answer the README's examples as documented, so neither can drift into
/// agreeing on something else.
#[test]
fn matcher_and_reference_agree_on_documented_examples() {
    assert!(Glob::new("**/a*/[!a]?", true).unwrap().matches("x/y/ab/ba"));
    assert!(reference(
        &"**/a*/[!a]?".chars().collect::<Vec<_>>(),
        &"x/y/ab/ba".chars().collect::<Vec<_>>(),
        true
    ));
    assert!(!Glob::new("a*", true).unwrap().matches("a/b"));
    assert!(Glob::new("a*", false).unwrap().matches("a/b"));
}
