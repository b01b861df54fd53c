use super::{Float, Scalar, resolve};
use saphyr::parse_core_schema_fp;
use saphyr_parser::{ScalarStyle, Tag};
use std::borrow::Cow;
use std::hash::{BuildHasher, RandomState};

/// Whether two parsed floats are the same, `NaN` equal to itself as in saphyr's
/// `OrderedFloat` (and `-0.0` to `0.0`, as there too).
fn same_f64(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b || (a.is_nan() && b.is_nan()),
        (None, None) => true,
        _ => false,
    }
}

/// Whether our scalar is saphyr's: the same value, a float being one whose text saphyr
/// reads as the same `f64` (`NaN` equal to itself, as saphyr's `OrderedFloat` has it).
pub(crate) fn agrees(ours: &Scalar<'_>, theirs: &saphyr::Scalar<'_>) -> bool {
    match (ours, theirs) {
        (Scalar::Null, saphyr::Scalar::Null) => true,
        (Scalar::Boolean(a), saphyr::Scalar::Boolean(b)) => a == b,
        (Scalar::Integer(a), saphyr::Scalar::Integer(b)) => a == b,
        (Scalar::String(a), saphyr::Scalar::String(b)) => a == b,
        (Scalar::FloatingPoint(a), saphyr::Scalar::FloatingPoint(b)) => {
            same_f64(parse_core_schema_fp(a.text()), Some(b.into_inner()))
        }
        _ => false,
    }
}

fn check(text: &str, style: ScalarStyle, tag: Option<&Tag>) {
    let ours = resolve(Cow::Borrowed(text), style, tag);
    let owned_tag = tag.map(|t| Cow::Owned(t.clone()));
    let theirs =
        saphyr::Scalar::parse_from_cow_and_metadata(Cow::Borrowed(text), style, owned_tag.as_ref());
    let same = match (&ours, &theirs) {
        (Some(a), Some(b)) => agrees(a, b),
        (None, None) => true,
        _ => false,
    };
    assert!(
        same,
        "{text:?} {style:?} {tag:?}: ours {ours:?}, saphyr's {theirs:?}"
    );
}

fn core(suffix: &str) -> Tag {
    Tag {
        handle: "tag:yaml.org,2002:".to_owned(),
        suffix: suffix.to_owned(),
    }
}

#[test]
fn resolves_every_short_plain_scalar_as_saphyr_does() {
    const CHARS: &[u8] = b"019.eE+-xof";
    let mut texts = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..5 {
        let next: Vec<String> = last
            .iter()
            .flat_map(|t| CHARS.iter().map(move |c| format!("{t}{}", char::from(*c))))
            .collect();
        texts.extend(next.iter().cloned());
        last = next;
    }
    assert!(texts.len() > 170_000);
    for text in &texts {
        check(text, ScalarStyle::Plain, None);
        check(text, ScalarStyle::Plain, Some(&core("float")));
    }
}

/// Every form of the core schema, integers at and past `i64`'s ends, saphyr's lenient
/// prefixes, and texts that look like numbers but are not.
const FORMS: &[&str] = &[
    "",
    "~",
    "null",
    "Null",
    "NULL",
    "nULL",
    "true",
    "True",
    "TRUE",
    "tRUE",
    "false",
    "False",
    "FALSE",
    "fAlse",
    "yes",
    "no",
    "on",
    "off",
    "0",
    "-0",
    "+0",
    "007",
    "12",
    "-12",
    "+12",
    "++1",
    "+-1",
    "-+1",
    "0x1f",
    "0x1F",
    "0X1F",
    "0xg",
    "0x",
    "0x-1",
    "0x+1",
    "0o17",
    "0o8",
    "0o",
    "0o-7",
    "0b101",
    "1_000",
    " 1",
    "1 ",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "+9223372036854775807",
    "+9223372036854775808",
    "0x7fffffffffffffff",
    "0x8000000000000000",
    "0o777777777777777777777",
    "0o1777777777777777777777",
    "99999999999999999999",
    ".inf",
    ".Inf",
    ".INF",
    "+.inf",
    "+.Inf",
    "+.INF",
    "-.inf",
    "-.Inf",
    "-.INF",
    ".iNf",
    "inf",
    "-inf",
    "+inf",
    "infinity",
    "Infinity",
    ".nan",
    ".NaN",
    ".NAN",
    "-.nan",
    "+.nan",
    "nan",
    "NaN",
    "1.5",
    "1.50",
    "-1.5",
    "+1.5",
    ".5",
    "5.",
    "+.5",
    "-.5",
    ".",
    "-.",
    "1e3",
    "1E3",
    "1e+3",
    "1e-3",
    "1.5e3",
    ".5e3",
    "5.e3",
    "1e",
    "1e+",
    "e3",
    ".e3",
    "1.2.3",
    "1e3e3",
    "1e3.5",
    "0.0",
    "-0.0",
    "1e400",
    "-1e400",
    "1e-400",
    "1.7976931348623157e308",
    "1.8e308",
    "4.9e-324",
    "2e-324",
    "1e99999999999999999999",
    "1.5x",
    "x1.5",
    "1,5",
    "١",
    "+é",
    "12:30",
    "2026-11-21",
    "50%",
    "text",
];

#[test]
fn resolves_every_form_under_every_tag_and_style_as_saphyr_does() {
    let tags = [
        None,
        Some(core("str")),
        Some(core("int")),
        Some(core("float")),
        Some(core("bool")),
        Some(core("null")),
        Some(core("map")),
        Some(core("binary")),
        Some(Tag {
            handle: "!".to_owned(),
            suffix: "custom".to_owned(),
        }),
    ];
    let styles = [
        ScalarStyle::Plain,
        ScalarStyle::SingleQuoted,
        ScalarStyle::DoubleQuoted,
        ScalarStyle::Literal,
        ScalarStyle::Folded,
    ];
    for text in FORMS {
        for tag in &tags {
            for style in styles {
                check(text, style, tag.as_ref());
            }
        }
    }
}

fn float(text: &str) -> Float<'_> {
    Float::new(Cow::Borrowed(text)).unwrap()
}

/// Floats that are the same `f64`, and so the same key in a mapping.
const EQUAL: &[&[&str]] = &[
    &[
        "1",
        "1.0",
        "1.00",
        "+1.",
        "1e0",
        "10e-1",
        "0.1e1",
        ".1e1",
        "001.000e+0",
    ],
    &[
        "0.0", "-0.0", "0", "+0.", ".0", "0e99", "-0e-99", "1e-400", "-1e-400",
    ],
    &[
        ".inf",
        ".Inf",
        "+.INF",
        "1e400",
        "1e99999999999999999999",
        "123e309",
    ],
    &["-.inf", "-.INF", "-1e400"],
    &[".nan", ".NaN", ".NAN"],
    &["1.5", "1.50", "15e-1", "0.15e1", "150e-2"],
    &["-1.5", "-1.50", "-15e-1"],
    &["0.001", "1e-3", ".1e-2", "0.0010"],
    &["100", "1e2", "100.0", "0.01e4"],
    &["12.5"],
    &["-12.5"],
    &["1.7976931348623157e308"],
    &["5e-324"],
];

#[test]
fn floats_equal_as_saphyrs_f64s_do_and_hash_alike() {
    let hasher = RandomState::new();
    let all: Vec<(usize, &str)> = EQUAL
        .iter()
        .enumerate()
        .flat_map(|(group, texts)| texts.iter().map(move |t| (group, *t)))
        .collect();
    for &(group_a, a) in &all {
        for &(group_b, b) in &all {
            let theirs = same_f64(parse_core_schema_fp(a), parse_core_schema_fp(b));
            assert_eq!(group_a == group_b, theirs, "saphyr on {a} and {b}");
            assert_eq!(float(a) == float(b), theirs, "{a} and {b}");
            if theirs {
                assert_eq!(
                    hasher.hash_one(float(a)),
                    hasher.hash_one(float(b)),
                    "{a} {b}"
                );
            }
        }
    }
}

/// Where comparing decimals differs from comparing `f64`s: different decimals that round
/// to the same `f64`, within the range's edges. Only a duplicated float key could tell.
#[test]
fn floats_that_only_round_to_the_same_f64_differ() {
    for (a, b) in [
        ("0.1", "0.10000000000000000001"),
        ("1.8e308", ".inf"),
        ("3e-324", "5e-324"),
    ] {
        assert_eq!(parse_core_schema_fp(a), parse_core_schema_fp(b), "{a} {b}");
        assert_ne!(float(a), float(b), "{a} {b}");
    }
}

#[test]
fn a_float_is_described_by_its_text() {
    for text in ["1.5", "1.50", "1e3", "-.inf", ".NaN", "9223372036854775808"] {
        assert_eq!(float(text).describe(), format!("floating point `{text}`"));
    }
    assert!(Float::new(Cow::Borrowed("nan")).is_none());
}
