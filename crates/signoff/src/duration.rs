//! Durations as text (a rule's `within`, `max_age`, …): the language jiff's
//! `Span::from_str` reads, read by hand straight into a `SignedDuration` with days of 24
//! hours and weeks of 7 days; years and months, which have no fixed length, are refused
//! unless zero.
//!
//! jiff's own parser is not used because of what it costs the browser module: its
//! "friendly" and ISO 8601 `Span` parsers and the `Span` building behind them, about
//! 12 KB gzipped (docs/simulator.md, "Size"). The language stays exactly jiff's, so that
//! no input reads differently (tested against jiff, `duration_tests.rs`):
//!
//! - after an optional `+` or `-`, a text starting with `P` or `p` is ISO 8601: date
//!   units `Y`, `M`, `W`, `D`, then optionally `T` and time units `H`, `M`, `S` (either
//!   case), at least one unit in all and one after `T`, the last time unit with a fraction
//!   of up to nine digits after `.` or `,`;
//! - anything else is jiff's "friendly" format: units such as `2h`, `2 hours`,
//!   `1 wk, 3 days` (every spelling jiff has, see `designator`), with optional whitespace
//!   between a number and its unit and between units, a comma (followed by whitespace)
//!   after a unit, a fraction on the last unit if it is hours or smaller (not
//!   nanoseconds), an `hh:mm:ss[.fff]` last, and a sign either before or as ` ago` after;
//! - units largest first, each at most once.
//!
//! One difference, beyond about 19,998 years: jiff holds each unit of a `Span` within a
//! limit (`LIMITS`), and when hours or a smaller unit is written past its limit it spills
//! the excess into smaller units and may still accept the text (`175307617h`). This
//! reader refuses every text with a unit past its limit, so it refuses some durations
//! longer than 631,107,417,600 seconds that jiff accepts, and never accepts one that jiff
//! refuses (tested).

use jiff::SignedDuration;

/// The units, largest first, as indices into `Units::values`.
const YEAR: usize = 0;
const MONTH: usize = 1;
const WEEK: usize = 2;
const DAY: usize = 3;
const HOUR: usize = 4;
const MINUTE: usize = 5;
const SECOND: usize = 6;
const MILLI: usize = 7;
const MICRO: usize = 8;
const NANO: usize = 9;

/// The largest value jiff's `Span` holds in each unit (the same for negative values):
/// 19,998 years and its equivalent in each smaller unit, nanoseconds being bounded by
/// `i64` instead.
const LIMITS: [u64; 10] = [
    19_998,
    239_976,
    1_043_497,
    7_304_484,
    175_307_616,
    10_518_456_960,
    631_107_417_600,
    631_107_417_600_000,
    631_107_417_600_000_000,
    i64::MAX as u64,
];

/// Reads a duration as `text.parse::<jiff::Span>()` followed by a conversion with 24-hour
/// days would; `None` for anything either would refuse (and for units past jiff's
/// limits, see the module's documentation).
pub fn parse(text: &str) -> Option<SignedDuration> {
    let mut c = Cursor {
        rest: text.as_bytes(),
    };
    let mut units = Units::default();
    let negative = c.sign();
    let iso = match c.rest.first() {
        Some(b'P' | b'p') => true,
        Some(_) => false,
        None => return None,
    };
    let negative = if iso {
        iso8601(&mut c, &mut units)?;
        negative == Some(true)
    } else {
        friendly(&mut c, &mut units, negative)?
    };
    if !c.rest.is_empty() {
        return None;
    }
    units.total(negative)
}

/// ISO 8601, from the `P`: `P1W`, `PT72H`, `P7DT1H30M`, `PT1.5H`.
fn iso8601(c: &mut Cursor<'_>, units: &mut Units) -> Option<()> {
    c.rest = c.rest.get(1..)?;
    while let Some(value) = c.number()? {
        let unit = match c.next()?.to_ascii_uppercase() {
            b'Y' => YEAR,
            b'M' => MONTH,
            b'W' => WEEK,
            b'D' => DAY,
            _ => return None,
        };
        units.set(unit, value)?;
    }
    if c.eat(b'T') || c.eat(b't') {
        while let Some(value) = c.number()? {
            let fraction = c.fraction()?;
            let unit = match c.next()?.to_ascii_uppercase() {
                b'H' => HOUR,
                b'M' => MINUTE,
                b'S' => SECOND,
                _ => return None,
            };
            units.set(unit, value)?;
            if let Some(fraction) = fraction {
                units.set_fraction(fraction)?;
                break;
            }
        }
        // `T` must be followed by at least one time unit.
        if units.smallest.is_none_or(|smallest| smallest < HOUR) {
            return None;
        }
    }
    Some(())
}

/// jiff's "friendly" format: `72h`, `1h30m`, `2 days, 3 hours`, `1.5h`, `01:30:00`,
/// `1h ago`. Answers whether the duration is negative.
fn friendly(c: &mut Cursor<'_>, units: &mut Units, prefix: Option<bool>) -> Option<bool> {
    let mut value = c.number()??;
    // A comma after a unit must be followed by another unit.
    let mut dangling_comma = false;
    loop {
        if c.eat(b':') {
            hms(c, units, value)?;
            break;
        }
        let fraction = c.fraction()?;
        c.skip_whitespace();
        let unit = c.designator()?;
        if c.eat(b',') {
            if !is_whitespace(c.next()?) {
                return None;
            }
            dangling_comma = true;
        }
        units.set(unit, value)?;
        if let Some(fraction) = fraction {
            units.set_fraction(fraction)?;
            break;
        }
        // Whitespace is only eaten here if a number follows it.
        let before = c.rest;
        c.skip_whitespace();
        match c.number()? {
            Some(next) => {
                value = next;
                dangling_comma = false;
            }
            None => {
                c.rest = before;
                break;
            }
        }
    }
    if dangling_comma {
        return None;
    }
    let ago = c.rest.first().is_some_and(|&b| is_whitespace(b)) && {
        c.skip_whitespace();
        c.eat_all(b"ago")
    };
    match (prefix, ago) {
        (Some(_), true) => None,
        (prefix, ago) => Some(ago || prefix == Some(true)),
    }
}

/// `hh:mm:ss[.fff]` after the hours and their colon, the last units of a duration.
fn hms(c: &mut Cursor<'_>, units: &mut Units, hours: u64) -> Option<()> {
    let minutes = c.number()??;
    if !c.eat(b':') {
        return None;
    }
    let seconds = c.number()??;
    let fraction = c.fraction()?;
    units.set(HOUR, hours)?;
    units.set(MINUTE, minutes)?;
    units.set(SECOND, seconds)?;
    match fraction {
        Some(fraction) => units.set_fraction(fraction),
        None => Some(()),
    }
}

/// Whitespace as jiff's friendly format knows it (ASCII, without vertical tab).
fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0C')
}

/// The unit designators of the friendly format, each spelling jiff knows.
const DESIGNATORS: &[(&str, usize)] = &[
    ("years", YEAR),
    ("year", YEAR),
    ("yrs", YEAR),
    ("yr", YEAR),
    ("y", YEAR),
    ("months", MONTH),
    ("month", MONTH),
    ("mos", MONTH),
    ("mo", MONTH),
    ("weeks", WEEK),
    ("week", WEEK),
    ("wks", WEEK),
    ("wk", WEEK),
    ("w", WEEK),
    ("days", DAY),
    ("day", DAY),
    ("d", DAY),
    ("hours", HOUR),
    ("hour", HOUR),
    ("hrs", HOUR),
    ("hr", HOUR),
    ("h", HOUR),
    ("minutes", MINUTE),
    ("minute", MINUTE),
    ("mins", MINUTE),
    ("min", MINUTE),
    ("m", MINUTE),
    ("seconds", SECOND),
    ("second", SECOND),
    ("secs", SECOND),
    ("sec", SECOND),
    ("s", SECOND),
    ("milliseconds", MILLI),
    ("millisecond", MILLI),
    ("millis", MILLI),
    ("milli", MILLI),
    ("msecs", MILLI),
    ("msec", MILLI),
    ("ms", MILLI),
    ("microseconds", MICRO),
    ("microsecond", MICRO),
    ("micros", MICRO),
    ("micro", MICRO),
    ("usecs", MICRO),
    ("usec", MICRO),
    ("us", MICRO),
    ("µsecs", MICRO),
    ("µsec", MICRO),
    ("µs", MICRO),
    ("nanoseconds", NANO),
    ("nanosecond", NANO),
    ("nanos", NANO),
    ("nano", NANO),
    ("nsecs", NANO),
    ("nsec", NANO),
    ("ns", NANO),
];

/// The units read so far.
#[derive(Default)]
struct Units {
    values: [u64; 10],
    /// The smallest unit set so far: each unit must be smaller than the one before.
    smallest: Option<usize>,
    /// Billionths of the smallest unit, which then is the last.
    fraction: Option<u32>,
}

impl Units {
    fn set(&mut self, unit: usize, value: u64) -> Option<()> {
        if self.smallest.is_some_and(|smallest| smallest >= unit) {
            return None;
        }
        *self.values.get_mut(unit)? = value;
        self.smallest = Some(unit);
        Some(())
    }

    /// A fraction of the unit just set, which must be hours or smaller, not nanoseconds.
    fn set_fraction(&mut self, fraction: u32) -> Option<()> {
        match self.smallest {
            Some(HOUR..=MICRO) => {
                self.fraction = Some(fraction);
                Some(())
            }
            _ => None,
        }
    }

    /// The duration, if there is at least one unit, no year or month but zero ones, and
    /// no unit past its limit.
    fn total(&self, negative: bool) -> Option<SignedDuration> {
        let smallest = self.smallest?;
        let [
            years,
            months,
            weeks,
            days,
            hours,
            minutes,
            seconds,
            millis,
            micros,
            nanos,
        ] = self.values;
        if years != 0 || months != 0 || self.values.iter().zip(LIMITS).any(|(&v, limit)| v > limit)
        {
            return None;
        }
        // Within the limits each product and the sum fit an `i64` many times over.
        let seconds = [
            (weeks, 7 * 86_400),
            (days, 86_400),
            (hours, 3_600),
            (minutes, 60),
            (seconds, 1),
        ]
        .into_iter()
        .try_fold(0i64, |sum, (count, unit)| {
            sum.checked_add(i64::try_from(count).ok()?.checked_mul(unit)?)
        })?;
        let fraction = i64::from(self.fraction.unwrap_or(0));
        // The fraction's nanoseconds, truncated as jiff truncates them.
        let fraction = match smallest {
            HOUR => fraction * 3_600,
            MINUTE => fraction * 60,
            MILLI => fraction / 1_000,
            MICRO => fraction / 1_000_000,
            _ => fraction,
        };
        let total = SignedDuration::from_secs(seconds)
            .checked_add(SignedDuration::from_millis(i64::try_from(millis).ok()?))?
            .checked_add(SignedDuration::from_micros(i64::try_from(micros).ok()?))?
            .checked_add(SignedDuration::from_nanos(i64::try_from(nanos).ok()?))?
            .checked_add(SignedDuration::from_nanos(fraction))?;
        if negative {
            total.checked_neg()
        } else {
            Some(total)
        }
    }
}

/// The text not read yet.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(first)
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.eat_all(&[byte])
    }

    fn eat_all(&mut self, prefix: &[u8]) -> bool {
        match self.rest.strip_prefix(prefix) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    /// A leading `+` or `-`: whether it was `-`.
    fn sign(&mut self) -> Option<bool> {
        if self.eat(b'-') {
            Some(true)
        } else if self.eat(b'+') {
            Some(false)
        } else {
            None
        }
    }

    fn skip_whitespace(&mut self) {
        while self.rest.first().is_some_and(|&b| is_whitespace(b)) {
            self.rest = self.rest.get(1..).unwrap_or_default();
        }
    }

    /// The digits at the cursor: `Some(None)` if there are none, `None` if they are more
    /// than jiff reads (21) or too large for a `u64`.
    fn number(&mut self) -> Option<Option<u64>> {
        let digits = self.digits();
        if digits.is_empty() {
            return Some(None);
        }
        if digits.len() > 21 {
            return None;
        }
        digits
            .iter()
            .try_fold(0u64, |n, &d| {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            })
            .map(Some)
    }

    /// A fraction at the cursor, `.` or `,` then one to nine digits, in billionths:
    /// `Some(None)` if there is none, `None` if it is malformed.
    fn fraction(&mut self) -> Option<Option<u32>> {
        if !(self.eat(b'.') || self.eat(b',')) {
            return Some(None);
        }
        let digits = self.digits();
        if digits.is_empty() || digits.len() > 9 {
            return None;
        }
        let scale = 10u32.pow(9 - u32::try_from(digits.len()).ok()?);
        let n = digits
            .iter()
            .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
        Some(Some(n * scale))
    }

    fn digits(&mut self) -> &'a [u8] {
        let len = self.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let (digits, rest) = self.rest.split_at(len);
        self.rest = rest;
        digits
    }

    /// The longest unit designator at the cursor, as jiff matches them (`1hours`, `1 h`).
    fn designator(&mut self) -> Option<usize> {
        let (label, unit) = DESIGNATORS
            .iter()
            .filter(|(label, _)| self.rest.starts_with(label.as_bytes()))
            .max_by_key(|(label, _)| label.len())?;
        self.rest = self.rest.get(label.len()..)?;
        Some(*unit)
    }
}

#[cfg(test)]
#[path = "duration_tests.rs"]
mod tests;
