//! The hand-written duration reader against jiff's `Span::from_str` followed by a
//! conversion with 24-hour days: the same strings accepted, each as the same duration,
//! over the forms of the docs and the repository, every one-character mutation of them
//! and generated strings. The one allowed difference is past jiff's unit limits, over
//! about 19,998 years (see the module's documentation).

use super::parse;
use crate::test_rng::Rng;
use jiff::SignedDuration;
use std::time::Duration;

/// A span of weeks, days and smaller units as a duration, days being 24 hours; `None`
/// with years or months, which have no fixed length: what the compiler did with jiff's
/// `Span` before this reader, kept here as the reference (and checked against jiff's own
/// `Span::to_duration` below).
fn duration_of(span: &jiff::Span) -> Option<SignedDuration> {
    if span.get_years() != 0 || span.get_months() != 0 {
        return None;
    }
    let seconds = [
        (i64::from(span.get_weeks()), 7 * 86_400),
        (i64::from(span.get_days()), 86_400),
        (i64::from(span.get_hours()), 3_600),
        (span.get_minutes(), 60),
        (span.get_seconds(), 1),
    ]
    .into_iter()
    .try_fold(0i64, |sum, (count, unit)| {
        sum.checked_add(count.checked_mul(unit)?)
    })?;
    SignedDuration::from_secs(seconds)
        .checked_add(SignedDuration::from_millis(span.get_milliseconds()))?
        .checked_add(SignedDuration::from_micros(span.get_microseconds()))?
        .checked_add(SignedDuration::from_nanos(span.get_nanoseconds()))
}

fn jiffs(text: &str) -> Option<SignedDuration> {
    text.parse::<jiff::Span>()
        .ok()
        .and_then(|span| duration_of(&span))
}

/// The longest duration jiff holds in one unit; only past it may the readers differ.
const LIMIT: Duration = Duration::from_secs(631_107_417_600);

/// Both readers agree on `text`: both refuse it, or both read the same duration, or it
/// is longer than any one unit holds and only jiff, spilling units, accepts it.
fn agree(text: &str) -> bool {
    let ours = parse(text);
    let theirs = jiffs(text);
    if ours != theirs {
        assert!(
            ours.is_none() && theirs.is_some_and(|d| d.unsigned_abs() > LIMIT),
            "{text:?}: ours {ours:?}, jiff's {theirs:?}"
        );
    }
    theirs.is_some()
}

/// Accepted forms the mutations start from: those of the docs and examples, and every
/// part of the language at least once.
const GOOD: &[&str] = &[
    "72h",
    "7d",
    "1h30m",
    "90m",
    "24h",
    "1 day",
    "2 hours 30 minutes",
    "PT72H",
    "P1W",
    "1.5h",
    "01:30:00",
    "-1h",
    "1h ago",
    "0s",
    "P0D",
    "2 days, 3 hours",
    "1w 2d 3h 4m 5s 6ms 7us 8ns",
    "1 wk, 4 days ago",
    "P7DT1H30M",
    "pt1.5h",
    "-P1DT2H",
    "+1,5 hours",
    "1d 01:30:00.5",
    "3 µs",
    "1.25 msecs",
    "2 nanoseconds",
    "PT0.000000001S",
    "1hr 1min 1.1sec",
    "0y 0mo 1h",
    "P0Y0M1W1DT1H1M1.5S",
    "175307616h",
    "10518456960m",
    "631107417600s",
    "631107417600000ms",
    "631107417600000000us",
    "9223372036854775807ns",
    "1043497w",
    "7304484d",
];

#[test]
fn the_good_forms_read_as_jiff_reads_them() {
    for text in GOOD {
        assert!(agree(text), "{text:?} should be a duration");
        assert!(parse(text).is_some(), "{text:?}");
    }
    assert_eq!(parse("72h"), Some(SignedDuration::from_hours(72)));
    assert_eq!(parse("P1W"), Some(SignedDuration::from_hours(168)));
    assert_eq!(parse("1h ago"), Some(SignedDuration::from_hours(-1)));
    assert_eq!(parse("1.5h"), Some(SignedDuration::from_mins(90)));
    // Whitespace after the last unit is eaten looking for `ago` (the compiler trims anyway).
    assert!(agree("1h "));
}

#[test]
fn years_months_and_malformed_texts_are_refused_by_both() {
    for text in [
        "",
        "+",
        "-",
        "P",
        "PT",
        "P1DT",
        "1y",
        "1mo",
        "P1Y",
        "P1M",
        "1",
        "h",
        "1h,",
        "1h, ",
        "1.5h, 2m",
        "1h1h",
        "1m1h",
        "-1h ago",
        "+1h ago",
        "1hago",
        "1h agoo",
        "1.h",
        "1.5d",
        "1.5ns",
        "1.1234567891s",
        "1:30",
        "1h 1:00:00",
        "PT1.5H30M",
        "P1.5D",
        "1 ago",
        "1h,2m",
        "00000000000000000000001h",
        "18446744073709551616ns",
        "9223372036854775808ns",
        "-9223372036854775808ns",
        "1043498w",
        "7304485d",
        "19999y",
        "0x1h",
        " 1h",
    ] {
        assert!(!agree(text), "{text:?} should not be a duration");
        assert_eq!(parse(text), None, "{text:?}");
    }
}

/// Past a unit's limit jiff may still accept hours or smaller units by spilling them;
/// this reader refuses them, the one documented difference.
#[test]
fn past_the_limits_only_jiff_spills() {
    for text in [
        "175307617h",
        "10518456961m",
        "631107417601s",
        "631107417600001ms",
    ] {
        assert_eq!(parse(text), None, "{text:?}");
        assert!(
            jiffs(text).is_some_and(|d| d.unsigned_abs() > LIMIT),
            "{text:?}"
        );
    }
}

/// The characters a mutation puts in: every one the grammar gives a meaning, and some
/// it does not.
const ALPHABET: &[char] = &[
    '0', '1', '5', '9', '.', ',', ':', ' ', '\t', '\u{b}', '-', '+', 'P', 'p', 'T', 't', 'Y', 'M',
    'W', 'D', 'H', 'S', 'y', 'm', 'w', 'd', 'h', 's', 'o', 'n', 'u', 'µ', 'a', 'g', 'e', 'r', 'i',
    'c', 'k', 'x', 'é',
];

/// Every one-character deletion, insertion and replacement of `text`.
fn mutations(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    for i in 0..=chars.len() {
        if i < chars.len() {
            let mut v = chars.clone();
            v.remove(i);
            out.push(v.into_iter().collect());
        }
        for &c in ALPHABET {
            let mut v = chars.clone();
            v.insert(i, c);
            out.push(v.into_iter().collect());
            if i < chars.len() {
                let mut v = chars.clone();
                v[i] = c;
                out.push(v.into_iter().collect());
            }
        }
    }
    out
}

#[test]
fn every_mutation_of_the_good_forms_reads_as_jiff_reads_it() {
    let (mut accepted, mut all) = (0, 0);
    for text in GOOD {
        for mutation in mutations(text) {
            all += 1;
            if agree(&mutation) {
                accepted += 1;
            }
        }
    }
    assert!(
        accepted > 2_500 && all - accepted > 25_000,
        "{accepted} of {all}"
    );
}

/// Spellings of each unit, largest first, friendly and ISO 8601.
const UNITS: &[(&[&str], &str)] = &[
    (&["y", "yr", "yrs", "year", "years"], "Y"),
    (&["mo", "mos", "month", "months"], "M"),
    (&["w", "wk", "wks", "week", "weeks"], "W"),
    (&["d", "day", "days"], "D"),
    (&["h", "hr", "hrs", "hour", "hours"], "H"),
    (&["m", "min", "mins", "minute", "minutes"], "M"),
    (&["s", "sec", "secs", "second", "seconds"], "S"),
    (
        &[
            "ms",
            "msec",
            "msecs",
            "milli",
            "millis",
            "millisecond",
            "milliseconds",
        ],
        "",
    ),
    (
        &[
            "us",
            "µs",
            "usec",
            "µsecs",
            "micro",
            "micros",
            "microsecond",
            "microseconds",
        ],
        "",
    ),
    (
        &[
            "ns",
            "nsec",
            "nsecs",
            "nano",
            "nanos",
            "nanosecond",
            "nanoseconds",
        ],
        "",
    ),
];

/// A number: small, around a unit's limit, or any size.
fn number(rng: &mut Rng) -> String {
    match rng.next() % 8 {
        0 => "0".to_owned(),
        1 => rng
            .pick(&["19998", "175307616", "631107417600", "9223372036854775807"])
            .to_owned(),
        2 => (rng.next() >> (rng.next() % 64)).to_string(),
        3 => format!("0{}", rng.next() % 100),
        _ => (rng.next() % 1000).to_string(),
    }
}

fn fraction(rng: &mut Rng) -> String {
    let digits = rng.next() % 11;
    let text: String = (0..digits)
        .map(|_| char::from(b'0' + (rng.next() % 10) as u8))
        .collect();
    format!("{}{text}", rng.pick(&[".", ","]))
}

/// A friendly duration: units in order (sometimes not), spellings, separators, a
/// fraction now and then, signs, `hh:mm:ss`.
fn friendly(rng: &mut Rng) -> String {
    let mut text = rng.pick(&["", "", "", "-", "+"]).to_owned();
    let mut first = true;
    for (i, (names, _)) in UNITS.iter().enumerate() {
        if rng.next() % 3 != 0 {
            continue;
        }
        if !first {
            text.push_str(rng.pick(&["", " ", ", ", ",", "  "]));
        }
        first = false;
        text.push_str(&number(rng));
        if i >= 4 && rng.next() % 6 == 0 {
            text.push_str(&fraction(rng));
        }
        text.push_str(rng.pick(&["", "", " "]));
        text.push_str(rng.pick(names));
    }
    if rng.next() % 6 == 0 {
        text.push_str(&format!(" {}:{}:{}", number(rng), number(rng), number(rng)));
        if rng.next() % 2 == 0 {
            text.push_str(&fraction(rng));
        }
    }
    if rng.next() % 5 == 0 {
        text.push_str(rng.pick(&[" ago", "  ago", "ago", " ago "]));
    }
    text
}

/// An ISO 8601 duration, with the same variations.
fn iso8601(rng: &mut Rng) -> String {
    let mut text = format!("{}{}", rng.pick(&["", "", "-", "+"]), rng.pick(&["P", "p"]));
    for (i, (_, designator)) in UNITS.iter().enumerate().take(7) {
        if i == 4 && rng.next() % 4 != 0 {
            text.push_str(rng.pick(&["T", "t"]));
        }
        if rng.next() % 3 != 0 {
            continue;
        }
        text.push_str(&number(rng));
        if i >= 4 && rng.next() % 5 == 0 {
            text.push_str(&fraction(rng));
        }
        let designator = if rng.next() % 2 == 0 {
            designator.to_lowercase()
        } else {
            (*designator).to_owned()
        };
        text.push_str(&designator);
    }
    text
}

#[test]
fn generated_durations_read_as_jiff_reads_them() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let (mut accepted, mut all) = (0, 0);
    for _ in 0..100_000 {
        let text = if rng.next() % 3 == 0 {
            iso8601(&mut rng)
        } else {
            friendly(&mut rng)
        };
        all += 1;
        if agree(&text) {
            accepted += 1;
        }
    }
    assert!(
        accepted > 15_000 && all - accepted > 50_000,
        "{accepted} of {all}"
    );
}

/// `duration_of` against jiff's `to_duration` with 24-hour days, over every unit,
/// signs, fractions, the ISO 8601 form and mutations of each.
#[test]
fn durations_are_what_jiff_makes_of_them() {
    let good = [
        "72h",
        "7d",
        "1h30m",
        "2w",
        "1y",
        "1mo",
        "-1h",
        "1.5h",
        "90s",
        "1500ms",
        "3us",
        "7ns",
        "1w 2d 3h 4m 5s 6ms 7us 8ns",
        "PT72H",
        "P7D",
        "P1W",
        "P1Y",
        "P1M",
        "PT1.5H",
        "-P1DT2H",
        "P1Y1D",
        "19998w",
        "7304484d",
        "175307616h",
        "10518456960m",
        "631107417600s",
        "631107417600000ms",
        "9223372036854775807ns",
        "1 day",
        "2 days, 3 hours",
        "1h ago",
        "0s",
        "P0D",
    ];
    let mut checked = 0;
    for text in good {
        let chars: Vec<char> = text.chars().collect();
        let mut variants = vec![text.to_owned()];
        for i in 0..chars.len() {
            for c in ['0', '9', 'd', 'h', 'w', 'y', '.', '-', ' ', 'T'] {
                let mut v = chars.clone();
                v[i] = c;
                variants.push(v.into_iter().collect());
            }
        }
        for variant in variants {
            let Ok(span) = variant.parse::<jiff::Span>() else {
                continue;
            };
            let jiffs = span
                .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
                .ok();
            assert_eq!(duration_of(&span), jiffs, "{variant:?}");
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} spans");
}
