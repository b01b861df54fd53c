//! Timestamps as text (`now`, a grant's `at`, a window's `from` and `until`, an expected
//! window's `until`): the language jiff's `Timestamp::from_str` reads, read by hand.
//!
//! jiff's own parser is not used because of what it costs the browser module: its
//! Temporal parsers, and, once one of its errors is shown, the `Display` of every jiff
//! error kind with all their messages (docs/simulator.md, "Size"). The language stays
//! exactly jiff's, so that no input reads differently (tested against jiff,
//! `timestamp_tests.rs`): RFC 3339 and the ISO 8601 forms around it that Temporal
//! accepts, which are
//!
//! - a date `YYYY-MM-DD` or `YYYYMMDD`, the year also `±YYYYYY` (not `-000000`);
//! - `T`, `t` or a space, then a time `hh`, `hh:mm`, `hh:mm:ss` or `hhmm`, `hhmmss`, the
//!   seconds with up to nine fractional digits after `.` or `,`; a leap second `:60`
//!   reads as `:59`;
//! - an offset, required: `Z`, `z`, or `±hh`, `±hh:mm`, `±hh:mm:ss` (or without colons)
//!   up to `±25:59:59`, the seconds with a fraction that rounds to the nearest second;
//! - RFC 9557 annotations, checked and ignored: a first `[time zone]` (a name or a
//!   `±hh:mm` offset) and `[key=value]` ones, none of the latter marked critical (`[!…]`).
//!
//! The instant itself is built by jiff's civil arithmetic from the parsed integers.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::Offset;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use std::fmt;

/// Why a text is not a timestamp: what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTimestamp {
    text: String,
    /// Byte offset into `text` of the part that is wrong (always after ASCII only).
    at: usize,
    why: &'static str,
}

impl fmt::Display for BadTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let column = self
            .text
            .get(..self.at)
            .map_or(self.at, |s| s.chars().count())
            + 1;
        write!(
            f,
            "invalid timestamp `{}`: {} (character {column}); expected an RFC 3339 time such as 2026-11-21T09:00:00Z",
            self.text, self.why
        )
    }
}

impl std::error::Error for BadTimestamp {}

/// Reads a timestamp as jiff's `Timestamp::from_str` would, with a message of our own.
pub fn parse(text: &str) -> Result<Timestamp, BadTimestamp> {
    let mut c = Cursor {
        bytes: text.as_bytes(),
        pos: 0,
    };
    read(&mut c).map_err(|Fail { at, why }| BadTimestamp {
        text: text.to_owned(),
        at,
        why,
    })
}

/// A failure inside the parser, before it is given its text.
struct Fail {
    at: usize,
    why: &'static str,
}

type Read<T> = Result<T, Fail>;

/// The parts of a timestamp, as read.
struct Civil {
    year: i16,
    month: i8,
    day: i8,
    hour: i8,
    minute: i8,
    second: i8,
    nanosecond: i32,
}

fn read(c: &mut Cursor<'_>) -> Read<Timestamp> {
    let (year, month, day, date_at) = date(c)?;
    if !c.eat_any(b"Tt ") {
        return Err(c.fail("expected `T` and a time after the date"));
    }
    let (hour, minute, second, nanosecond) = time(c)?;
    let offset_at = c.pos;
    let offset = offset(c)?;
    annotations(c)?;
    if c.peek().is_some() {
        return Err(c.fail("unexpected text after the timestamp"));
    }
    let civil = Civil {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanosecond,
    };
    instant(&civil, offset, date_at, offset_at)
}

/// The instant of a civil time at an offset, by jiff's arithmetic.
fn instant(
    civil: &Civil,
    offset_seconds: i32,
    date_at: usize,
    offset_at: usize,
) -> Read<Timestamp> {
    let fail = |at, why| Fail { at, why };
    let date = Date::new(civil.year, civil.month, civil.day)
        .map_err(|_| fail(date_at, "no such day in that month"))?;
    let time = Time::new(civil.hour, civil.minute, civil.second, civil.nanosecond)
        .map_err(|_| fail(date_at, "no such time of day"))?;
    let offset = Offset::from_seconds(offset_seconds)
        .map_err(|_| fail(offset_at, "the offset is beyond ±25:59:59"))?;
    offset
        .to_timestamp(DateTime::from_parts(date, time))
        .map_err(|_| {
            fail(
                date_at,
                "the time is outside the supported range (years -9999 to 9999)",
            )
        })
}

/// `YYYY-MM-DD` or `YYYYMMDD` (the year also `±YYYYYY`): year, month, day, where it began.
fn date(c: &mut Cursor<'_>) -> Read<(i16, i8, i8, usize)> {
    let start = c.pos;
    let year = year(c)?;
    // A `-` after the year means the extended form: then one must follow the month too.
    let extended = c.peek() == Some(b'-');
    date_separator(c, extended)?;
    let month = c.number(
        2,
        "expected a two-digit month",
        1,
        12,
        "the month must be 01 to 12",
    )?;
    date_separator(c, extended)?;
    let day = c.number(
        2,
        "expected a two-digit day",
        1,
        31,
        "the day must be 01 to 31",
    )?;
    Ok((year, to_i8(month), to_i8(day), start))
}

fn year(c: &mut Cursor<'_>) -> Read<i16> {
    let negative = match c.peek() {
        Some(b'+') => false,
        Some(b'-') => true,
        _ => {
            let year = c.number(
                4,
                "expected a four-digit year",
                0,
                9999,
                "the year must be 0000 to 9999",
            )?;
            return Ok(to_i16(year));
        }
    };
    c.pos += 1;
    let at = c.pos;
    let year = c.number(
        6,
        "expected six digits after the year's sign",
        0,
        9999,
        "the year must be -9999 to 9999",
    )?;
    if negative && year == 0 {
        return Err(Fail {
            at,
            why: "the year -000000 is not allowed (write +000000)",
        });
    }
    let year = to_i16(year);
    Ok(if negative { -year } else { year })
}

fn date_separator(c: &mut Cursor<'_>, extended: bool) -> Read<()> {
    match (extended, c.peek() == Some(b'-')) {
        (true, true) => {
            c.pos += 1;
            Ok(())
        }
        (true, false) => Err(c.fail("expected `-` between the parts of the date")),
        (false, true) => Err(c.fail("unexpected `-`: the date began without separators")),
        (false, false) => Ok(()),
    }
}

/// `hh`, `hh:mm`, `hh:mm:ss[.f]` or `hhmm`, `hhmmss[.f]`: hour, minute, second, nanosecond.
fn time(c: &mut Cursor<'_>) -> Read<(i8, i8, i8, i32)> {
    let hour = c.number(
        2,
        "expected a two-digit hour",
        0,
        23,
        "the hour must be 00 to 23",
    )?;
    let extended = c.peek() == Some(b':');
    if !c.next_part(extended) {
        return Ok((to_i8(hour), 0, 0, 0));
    }
    let minute = c.number(
        2,
        "expected two-digit minutes",
        0,
        59,
        "the minutes must be 00 to 59",
    )?;
    if !c.next_part(extended) {
        return Ok((to_i8(hour), to_i8(minute), 0, 0));
    }
    let second = c.number(
        2,
        "expected two-digit seconds",
        0,
        60,
        "the seconds must be 00 to 60",
    )?;
    // A leap second reads as the second before it, as jiff reads it.
    let second = second.min(59);
    let nanosecond = fraction(c)?.unwrap_or(0);
    Ok((
        to_i8(hour),
        to_i8(minute),
        to_i8(second),
        to_i32(nanosecond),
    ))
}

/// An optional fraction of a second after `.` or `,`: one to nine digits, as nanoseconds.
/// A tenth digit is left unread (and then rejected as text after the timestamp).
fn fraction(c: &mut Cursor<'_>) -> Read<Option<u32>> {
    if !c.eat_any(b".,") {
        return Ok(None);
    }
    let mut value = 0;
    let mut digits = 0;
    while digits < 9 {
        let Some(digit) = c.peek().filter(u8::is_ascii_digit) else {
            break;
        };
        value = value * 10 + u32::from(digit - b'0');
        digits += 1;
        c.pos += 1;
    }
    if digits == 0 {
        return Err(c.fail("expected digits after the decimal separator"));
    }
    Ok(Some(value * 10u32.pow(9 - digits)))
}

/// The offset after the time, in seconds east of UTC: `Z`, `z` or `±hh[:mm[:ss[.f]]]`
/// (also without colons), a fraction of a second rounding to the nearest second.
fn offset(c: &mut Cursor<'_>) -> Read<i32> {
    if c.eat_any(b"Zz") {
        return Ok(0);
    }
    let Some(sign) = offset_sign(c) else {
        return Err(c.fail("expected an offset after the time, such as `Z` or `+01:00`"));
    };
    let hours = offset_hours(c)?;
    let extended = c.peek() == Some(b':');
    if !c.next_part(extended) {
        return Ok(sign * hours);
    }
    let minutes = offset_minutes(c)?;
    if !c.next_part(extended) {
        return Ok(sign * (hours + minutes));
    }
    let seconds = c.number(
        2,
        "expected two-digit offset seconds",
        0,
        59,
        "the offset seconds must be 00 to 59",
    )?;
    let round_up = fraction(c)?.is_some_and(|n| n >= 500_000_000);
    Ok(sign * (hours + minutes + to_i32(seconds) + i32::from(round_up)))
}

fn offset_sign(c: &mut Cursor<'_>) -> Option<i32> {
    let sign = match c.peek()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    c.pos += 1;
    Some(sign)
}

/// An offset's hours, in seconds.
fn offset_hours(c: &mut Cursor<'_>) -> Read<i32> {
    let hours = c.number(
        2,
        "expected two-digit offset hours",
        0,
        25,
        "the offset hours must be 00 to 25",
    )?;
    Ok(to_i32(hours) * 3600)
}

/// An offset's minutes, in seconds.
fn offset_minutes(c: &mut Cursor<'_>) -> Read<i32> {
    let minutes = c.number(
        2,
        "expected two-digit offset minutes",
        0,
        59,
        "the offset minutes must be 00 to 59",
    )?;
    Ok(to_i32(minutes) * 60)
}

/// RFC 9557 annotations after the offset: at most one time zone first, then any
/// non-critical `[key=value-value…]`. Only their syntax is checked, as jiff checks it
/// when reading a timestamp (the time zone is not looked up).
fn annotations(c: &mut Cursor<'_>) -> Read<()> {
    if c.peek() != Some(b'[') {
        return Ok(());
    }
    time_zone_annotation(c)?;
    while c.peek() == Some(b'[') {
        key_value_annotation(c)?;
    }
    Ok(())
}

/// `[name/name…]` or `[±hh[:mm]]`, either with a `!` after the bracket. A name followed
/// by `=` is a key: then nothing is read and the annotation is a key-value one.
fn time_zone_annotation(c: &mut Cursor<'_>) -> Read<()> {
    let start = c.pos;
    c.pos += 1;
    c.eat_any(b"!");
    if offset_sign(c).is_some() {
        offset_hours(c)?;
        let extended = c.peek() == Some(b':');
        if c.next_part(extended) {
            offset_minutes(c)?;
            if c.peek() == Some(b':') {
                return Err(c.fail("an offset annotation has no seconds"));
            }
        }
        return close(c);
    }
    zone_name_part(c)?;
    if c.peek() == Some(b'=') {
        c.pos = start;
        return Ok(());
    }
    while c.eat_any(b"/") {
        zone_name_part(c)?;
    }
    close(c)
}

/// One part of a time zone name: a letter, `_` or `.`, then also digits, `+` and `-`.
fn zone_name_part(c: &mut Cursor<'_>) -> Read<()> {
    if !c.eat_if(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'.') {
        return Err(c.fail("expected a time zone name in the annotation"));
    }
    while c.eat_if(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-')) {}
    Ok(())
}

/// `[key=value]` or `[key=value-value…]`; a critical one (`[!key=…]`) is refused, since
/// no key is understood.
fn key_value_annotation(c: &mut Cursor<'_>) -> Read<()> {
    let start = c.pos;
    c.pos += 1;
    let critical = c.eat_any(b"!");
    if !c.eat_if(|b| b.is_ascii_lowercase() || b == b'_') {
        return Err(c.fail("expected an annotation key (lower case) after `[`"));
    }
    while c.eat_if(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-')) {}
    if !c.eat_any(b"=") {
        return Err(c.fail("expected `=` after the annotation's key"));
    }
    annotation_value(c)?;
    while c.eat_any(b"-") {
        annotation_value(c)?;
    }
    close(c)?;
    if critical {
        return Err(Fail {
            at: start,
            why: "a critical annotation (`[!…]`) is not supported",
        });
    }
    Ok(())
}

fn annotation_value(c: &mut Cursor<'_>) -> Read<()> {
    if !c.eat_if(|b| b.is_ascii_alphanumeric()) {
        return Err(c.fail("expected a letter or digit in the annotation's value"));
    }
    while c.eat_if(|b| b.is_ascii_alphanumeric()) {}
    Ok(())
}

fn close(c: &mut Cursor<'_>) -> Read<()> {
    if c.eat_any(b"]") {
        Ok(())
    } else {
        Err(c.fail("expected `]` to close the annotation"))
    }
}

/// The parsed numbers are range-checked, so these conversions never saturate.
fn to_i8(n: u32) -> i8 {
    i8::try_from(n).unwrap_or(i8::MAX)
}

fn to_i16(n: u32) -> i16 {
    i16::try_from(n).unwrap_or(i16::MAX)
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A position in the text's bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn fail(&self, why: &'static str) -> Fail {
        Fail { at: self.pos, why }
    }

    /// Steps over the next byte if it passes `test`.
    fn eat_if(&mut self, test: impl Fn(u8) -> bool) -> bool {
        let yes = self.peek().is_some_and(test);
        if yes {
            self.pos += 1;
        }
        yes
    }

    /// Steps over the next byte if it is one of `set`.
    fn eat_any(&mut self, set: &[u8]) -> bool {
        self.eat_if(|b| set.contains(&b))
    }

    /// Whether another two-digit part follows (a time's minutes or seconds, an offset's):
    /// in the extended form after a `:`, which is stepped over; in the basic form when
    /// two digits come next.
    fn next_part(&mut self, extended: bool) -> bool {
        if extended {
            return self.eat_any(b":");
        }
        self.bytes
            .get(self.pos..self.pos + 2)
            .is_some_and(|two| two.iter().all(u8::is_ascii_digit))
    }

    /// Exactly `width` digits in `low..=high`; `what` when they are not digits, `range`
    /// when out of range.
    fn number(
        &mut self,
        width: usize,
        what: &'static str,
        low: u32,
        high: u32,
        range: &'static str,
    ) -> Read<u32> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + width)
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .ok_or_else(|| self.fail(what))?;
        let value = digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
        if !(low..=high).contains(&value) {
            return Err(self.fail(range));
        }
        self.pos += width;
        Ok(value)
    }
}

/// A timestamp read by serde through [`parse`], as jiff's `Deserialize` reads one (from a
/// string, "expected a timestamp string" otherwise) but in our words: for the derives
/// that the CLI and the bot read inputs with, so that they refuse a bad timestamp with
/// the same message as the hand-written readers of the browser module.
pub(crate) struct Text(pub(crate) Timestamp);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor).map(Text)
    }
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
        parse(text).map_err(E::custom)
    }
}

/// For `#[serde(deserialize_with = "crate::timestamp::deserialize")]`.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    Text::deserialize(d).map(|Text(t)| t)
}

/// For an optional timestamp, `#[serde(deserialize_with = "…deserialize_option")]`.
pub(crate) fn deserialize_option<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Timestamp>, D::Error> {
    Option::<Text>::deserialize(d).map(|t| t.map(|Text(t)| t))
}

#[cfg(test)]
#[path = "timestamp_tests.rs"]
mod tests;
