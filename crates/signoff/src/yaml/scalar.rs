//! YAML 1.2 core-schema scalars, resolved exactly as saphyr's `Scalar` resolves them,
//! except that a float keeps the text it was written as instead of its `f64`.
//!
//! No field of our model is a float: a float only ever appears in an error message
//! ("found floating point `1.5`"). Parsing it into an `f64` (core's `dec2flt`, with 30 KB of
//! power-of-five tables) and printing it back (core's `flt2dec`) cost the browser's module
//! about 45 KB raw for that message alone, so the text is checked against the grammar
//! Rust's `f64` parser accepts and kept as written (docs/simulator.md, "Size").
//!
//! Integers, booleans and nulls go through the same standard-library calls as saphyr's, in
//! the same order, so everything but a float resolves exactly as before.

use saphyr_parser::{ScalarStyle, Tag};
use std::borrow::Cow;
use std::hash::{Hash, Hasher};

/// The resolved value of a scalar node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Scalar<'i> {
    Null,
    Boolean(bool),
    Integer(i64),
    FloatingPoint(Float<'i>),
    String(Cow<'i, str>),
}

/// A float as written (`1.50`, `-.inf`, `1e3`). Two floats are equal when they are the same
/// number written differently (`1.0` and `1.00`, `.nan` and `.NaN`, `0.0` and `-0`), so a
/// duplicated key is found as saphyr found it by `f64` value; see [`Value`] for the limits.
#[derive(Debug, Clone)]
pub(crate) struct Float<'i>(Cow<'i, str>);

impl<'i> Float<'i> {
    /// The float the core schema reads in `text`, or `None` when it reads none: one of the
    /// schema's infinities and not-a-numbers, or a decimal number in the grammar of Rust's
    /// `f64::from_str` (saphyr's test) that has a digit (so not `inf` or `nan`).
    pub(crate) fn new(text: Cow<'i, str>) -> Option<Self> {
        is_float(&text).then_some(Float(text))
    }

    /// The text as written.
    pub(crate) fn text(&self) -> &str {
        &self.0
    }

    /// The same float, owning its text.
    #[cfg(test)]
    pub(crate) fn into_owned(self) -> Float<'static> {
        Float(Cow::Owned(self.0.into_owned()))
    }

    /// What an "expected …, found …" message says of it, as serde's `Unexpected::Float`
    /// says of an `f64` but with the float's own text.
    pub(crate) fn describe(&self) -> String {
        format!("floating point `{}`", self.text())
    }

    fn value(&self) -> Value<'_> {
        special(&self.0)
            .or_else(|| decimal(&self.0))
            .unwrap_or(Value::NotANumber)
    }
}

impl PartialEq for Float<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl Eq for Float<'_> {}

impl Hash for Float<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value().hash(state);
    }
}

/// A float's number, for equality. Decimals are compared exactly, and beyond the `f64`
/// range they are infinities or zero; two different decimals that round to the same
/// `f64` (more than 17 significant digits, or right at the range's ends, 1e308 to 1e309
/// and 1e-324 to 1e-323) compare different, where saphyr's `f64`s compared equal. Only a
/// duplicated key could tell, and no mapping of ours takes float keys.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Value<'a> {
    NotANumber,
    Infinity {
        negative: bool,
    },
    /// `0.0` and `-0.0` are equal, as `f64`s are.
    Zero,
    /// `0.D × 10^exponent`, `D` the significant digits without leading or trailing zeros.
    Finite {
        negative: bool,
        digits: Digits<'a>,
        exponent: i64,
    },
}

/// Significant digits as written, perhaps with the decimal point among them, which
/// equality and hashing skip.
#[derive(Debug)]
struct Digits<'a>(&'a str);

impl Digits<'_> {
    fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.bytes().filter(|b| *b != b'.')
    }
}

impl PartialEq for Digits<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Digits<'_> {}

impl Hash for Digits<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for digit in self.iter() {
            state.write_u8(digit);
        }
    }
}

fn is_float(text: &str) -> bool {
    special(text).is_some() || decimal(text).is_some()
}

/// `0.1 × 10^LARGEST` is past `f64::MAX` (about 1.8 × 10^308): an infinity.
const LARGEST: i64 = 309;
/// `0.9… × 10^SMALLEST` is below half the smallest subnormal (about 2.5 × 10^-324): zero.
const SMALLEST: i64 = -323;

/// The core schema's infinities and not-a-numbers, spelled only as saphyr accepts them.
fn special(text: &str) -> Option<Value<'static>> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            Some(Value::Infinity { negative: false })
        }
        "-.inf" | "-.Inf" | "-.INF" => Some(Value::Infinity { negative: true }),
        ".nan" | ".NaN" | ".NAN" => Some(Value::NotANumber),
        _ => None,
    }
}

/// A decimal number in the grammar of Rust's `f64::from_str`:
/// `[+-]? (D+ | D+ '.' D* | D* '.' D+) ([eE] [+-]? D+)?`, `D` an ASCII digit.
fn decimal(text: &str) -> Option<Value<'_>> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    // Most plain scalars are names: one look at their first character rules them out
    // before the scan for an exponent.
    if !unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (unsigned.get(..at)?, exponent(unsigned.get(at + 1..)?)?),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    Some(number(negative, mantissa, whole.len(), exponent))
}

/// An exponent's `[+-]? D+`, saturated far beyond any `f64`'s (which it then is anyway).
fn exponent(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.bytes().fold(0i64, |n, b| {
        n.saturating_mul(10)
            .saturating_add(i64::from(b - b'0'))
            .min(1 << 40)
    });
    Some(if negative { -magnitude } else { magnitude })
}

/// The value of a checked mantissa (digits with perhaps one point after `point` digits)
/// times `10^exponent`.
fn number(negative: bool, mantissa: &str, point: usize, exponent: i64) -> Value<'_> {
    let Some(first) = mantissa.find(|c: char| c.is_ascii_digit() && c != '0') else {
        return Value::Zero;
    };
    let last = mantissa.rfind(|c: char| c.is_ascii_digit() && c != '0');
    let digits = mantissa
        .get(first..=last.unwrap_or(first))
        .unwrap_or_default();
    // The mantissa is `0.D × 10^places`: `places` counts the whole digits from the first
    // significant one, or is minus the fraction's zeros before it (the point is a byte of
    // the mantissa too).
    let places = if first < point {
        offset(point - first)
    } else {
        -offset(first - point - 1)
    };
    finite(negative, digits, exponent.saturating_add(places))
}

fn offset(places: usize) -> i64 {
    i64::try_from(places).unwrap_or(i64::MAX)
}

fn finite<'a>(negative: bool, digits: &'a str, exponent: i64) -> Value<'a> {
    if exponent > LARGEST {
        Value::Infinity { negative }
    } else if exponent < SMALLEST {
        Value::Zero
    } else {
        Value::Finite {
            negative,
            digits: Digits(digits),
            exponent,
        }
    }
}

/// Resolves a scalar's text as saphyr's `Scalar::parse_from_cow_and_metadata` does: a quoted
/// scalar is a string; a core-schema tag (`!!int`) must fit its type, else `None` (a bad
/// value); any other tag, or none, resolves by the core schema, an empty untagged plain
/// scalar being null.
pub(crate) fn resolve<'i>(
    text: Cow<'i, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Option<Scalar<'i>> {
    if style != ScalarStyle::Plain {
        return Some(Scalar::String(text));
    }
    match tag {
        Some(tag) if tag.is_yaml_core_schema() => tagged(text, &tag.suffix),
        Some(_) => Some(untagged(text)),
        None if text.is_empty() => Some(Scalar::Null),
        None => Some(untagged(text)),
    }
}

/// A plain scalar with the core schema's tag `!!suffix`.
fn tagged<'i>(text: Cow<'i, str>, suffix: &str) -> Option<Scalar<'i>> {
    match suffix {
        "bool" => text.parse::<bool>().ok().map(Scalar::Boolean),
        "int" => text.parse::<i64>().ok().map(Scalar::Integer),
        "float" => Float::new(text).map(Scalar::FloatingPoint),
        "null" => matches!(text.as_ref(), "~" | "null").then_some(Scalar::Null),
        "str" => Some(Scalar::String(text)),
        _ => None,
    }
}

/// A plain scalar the core schema resolves on its own, in saphyr's order: `0x`/`0o`/`+`
/// integers (through `from_str_radix` and `parse`, so `0x-1` is -1 and `++1` is 1, as in
/// saphyr), null and booleans, decimal integers, floats, and else a string. An integer
/// past `i64` is a float when it is a decimal number (`9223372036854775808`), else a
/// string (`0x8000000000000000`).
fn untagged(text: Cow<'_, str>) -> Scalar<'_> {
    if let Some(integer) = prefixed_integer(&text) {
        return Scalar::Integer(integer);
    }
    if let Some(word) = word(&text) {
        return word;
    }
    if let Ok(integer) = text.parse::<i64>() {
        return Scalar::Integer(integer);
    }
    if is_float(&text) {
        return Scalar::FloatingPoint(Float(text));
    }
    Scalar::String(text)
}

/// A `0x`, `0o` or `+` integer, read exactly as saphyr reads it.
fn prefixed_integer(text: &str) -> Option<i64> {
    let rest = text.get(2..)?;
    match text.as_bytes() {
        [b'0', b'x', ..] => i64::from_str_radix(rest, 16).ok(),
        [b'0', b'o', ..] => i64::from_str_radix(rest, 8).ok(),
        [b'+', _, ..] => text.get(1..)?.parse::<i64>().ok(),
        _ => None,
    }
}

/// The core schema's null and boolean words.
fn word(text: &str) -> Option<Scalar<'static>> {
    match text {
        "~" | "null" | "Null" | "NULL" => Some(Scalar::Null),
        "true" | "True" | "TRUE" => Some(Scalar::Boolean(true)),
        "false" | "False" | "FALSE" => Some(Scalar::Boolean(false)),
        _ => None,
    }
}

/// The resolver against saphyr's, which it replaces: every string up to five characters
/// over the characters numbers are made of, and the core schema's forms under every tag
/// and style; floats compared by the number their text means.
#[cfg(test)]
pub(crate) mod tests;
