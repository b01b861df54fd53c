//! The hand-written timestamp reader against jiff's `Timestamp::from_str`: the same
//! strings accepted, each as the same instant, over edge cases, generated forms and every
//! one-character mutation of the good ones.

use super::parse;
use jiff::Timestamp;

/// Both readers agree on `text`: both refuse it, or both read the same instant.
fn agree(text: &str) -> bool {
    let ours = parse(text).ok();
    let jiffs = text.parse::<Timestamp>().ok();
    assert_eq!(ours, jiffs, "{text:?}");
    jiffs.is_some()
}

/// Accepted forms the mutations start from: every part of the language at least once.
const GOOD: &[&str] = &[
    "2026-11-21T09:00:00Z",
    "2026-11-21t09:00:00z",
    "2026-11-21 09:00:00Z",
    "2026-11-21T09:00:00.123456789Z",
    "2026-11-21T09:00:00,5+01:00",
    "2026-11-21T09:00Z",
    "2026-11-21T09Z",
    "2026-11-21T09:00:00+05:30",
    "2026-11-21T09:00:00-0530",
    "2026-11-21T09:00:00+05",
    "2026-11-21T09:00:00+05:30:15",
    "2026-11-21T09:00:00-053015.5",
    "20261121T090000Z",
    "20261121T0900+0100",
    "2024-02-29T23:59:60Z",
    "1972-06-30T23:59:60.999999999+00:00",
    "+002026-11-21T09:00:00Z",
    "-000001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-30T21:59:59Z",
    "2026-11-21T09:00:00Z[Europe/Berlin]",
    "2026-11-21T09:00:00+01:00[!Europe/Berlin]",
    "2026-11-21T09:00:00Z[+01:00]",
    "2026-11-21T09:00:00Z[-0130]",
    "2026-11-21T09:00:00Z[u-ca=iso8601]",
    "2026-11-21T09:00:00Z[UTC][u-ca=iso8601-x1][_k=v]",
    "2026-11-21T09:00:00Z[America/Argentina/Buenos_Aires]",
    "2026-11-21T09:00:00Z[Etc/GMT+5]",
    "2026-11-21T09:00:00+25:59:59",
];

#[test]
fn the_good_forms_read_as_jiff_reads_them() {
    for text in GOOD {
        assert!(agree(text), "{text:?} should be a timestamp");
    }
}

/// The characters a mutation puts in: every one the grammar gives a meaning, and some
/// it does not (a non-ASCII letter, a minus sign).
const ALPHABET: &[char] = &[
    '0', '1', '2', '3', '5', '6', '9', '-', '+', ':', '.', ',', 'T', 't', ' ', 'Z', 'z', 'W', '[',
    ']', '!', '=', '/', '_', 'a', 'A', 'é', '\u{2212}',
];

#[test]
fn every_one_character_mutation_reads_as_jiff_reads_it() {
    let mut checked = 0;
    let mut accepted = 0;
    for text in GOOD {
        let chars: Vec<char> = text.chars().collect();
        for i in 0..=chars.len() {
            let mut variants = Vec::new();
            if i < chars.len() {
                let mut deleted = chars.clone();
                deleted.remove(i);
                variants.push(deleted);
            }
            for &c in ALPHABET {
                let mut inserted = chars.clone();
                inserted.insert(i, c);
                variants.push(inserted);
                if i < chars.len() {
                    let mut replaced = chars.clone();
                    replaced[i] = c;
                    variants.push(replaced);
                }
            }
            for variant in variants {
                let text: String = variant.into_iter().collect();
                checked += 1;
                if agree(&text) {
                    accepted += 1;
                }
            }
        }
    }
    assert!(checked > 40_000, "only {checked} mutations");
    // Many mutations stay timestamps (a digit for a digit), so both sides are exercised.
    assert!(accepted > 5_000, "only {accepted} mutations accepted");
}

#[test]
fn offsets_read_as_jiff_reads_them() {
    for sign in ["+", "-", "\u{2212}"] {
        for hours in [0, 1, 9, 12, 23, 24, 25, 26, 99] {
            for minutes in [0, 1, 30, 59, 60] {
                for seconds in [
                    "",
                    ":00",
                    ":59",
                    ":60",
                    ":59.4",
                    ":59.5",
                    ":59,999999999",
                    ":59.",
                ] {
                    let hh = format!("{hours:02}");
                    let mm = format!("{minutes:02}");
                    for offset in [
                        format!("{sign}{hh}"),
                        format!("{sign}{hh}:{mm}{seconds}"),
                        format!("{sign}{hh}{mm}{}", seconds.replace(':', "")),
                        format!("{sign}{hh}:{mm}{}", seconds.replace(':', "")),
                        format!("{sign}{hh}{mm}{seconds}"),
                    ] {
                        agree(&format!("2026-11-21T09:00:00{offset}"));
                        agree(&format!("2026-11-21T09:00:00Z[{offset}]"));
                        agree(&format!("9999-12-31T23:59:59{offset}"));
                        agree(&format!("-009999-01-01T00:00:00{offset}"));
                    }
                }
            }
        }
    }
}

#[test]
fn fractions_of_every_length_read_as_jiff_reads_them() {
    for separator in [".", ",", ":", ""] {
        for length in 0..=11 {
            let digits: String = "1234567895".chars().cycle().take(length).collect();
            agree(&format!("2026-11-21T09:00:00{separator}{digits}Z"));
            agree(&format!("2026-11-21T09:00:60{separator}{digits}+01:00"));
            agree(&format!("2026-11-21T09:00{separator}{digits}Z"));
            agree(&format!("2026-11-21T09:00:00Z{separator}{digits}"));
            agree(&format!("2026-11-21T09:00:00+01:00:30{separator}{digits}"));
        }
    }
}

#[test]
fn dates_and_times_at_their_limits_read_as_jiff_reads_them() {
    let years = [
        "0000", "0001", "1900", "2000", "2023", "2024", "9999", "+000000", "-000000", "-000001",
        "+002024", "-002024", "+009999", "-009999", "+010000", "-010000", "999", "99999", "+99999",
        "-0001", "02024",
    ];
    let days = [
        "01-01", "02-28", "02-29", "02-30", "04-30", "04-31", "12-31", "12-32", "00-10", "13-01",
        "01-00", "1-01", "01-1",
    ];
    let times = [
        "00:00:00", "23:59:59", "24:00:00", "23:60:00", "23:59:60", "23:59:61", "00", "23", "24",
        "00:00", "0000", "000000", "00:0000", "0000:00", "0", "000", "00000",
    ];
    for year in years {
        for day in days {
            for time in times {
                for separator in ["T", "t", " ", "_", ""] {
                    for offset in ["Z", "+25:59", "-25:59"] {
                        agree(&format!("{year}-{day}{separator}{time}{offset}"));
                        let basic = format!("{year}{}", day.replace('-', ""));
                        agree(&format!(
                            "{basic}{separator}{}{offset}",
                            time.replace(':', "")
                        ));
                    }
                }
            }
        }
    }
}

#[test]
fn generated_strings_read_as_jiff_reads_them() {
    // Pieces of the grammar, put together by a small deterministic generator: forms the
    // lists above do not name, good and bad.
    const PIECES: &[&str] = &[
        "2026",
        "+002026",
        "-",
        "11",
        "21",
        "02",
        "29",
        "T",
        " ",
        "09",
        ":",
        "00",
        "60",
        ".",
        ",",
        "5",
        "123456789",
        "Z",
        "+",
        "01",
        "25",
        "59",
        "[",
        "]",
        "!",
        "Europe/Berlin",
        "u-ca",
        "=",
        "iso8601",
        "/",
        "x",
        "",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..200_000 {
        let mut text = String::from("2026-11-21T");
        let count = next() % 9;
        for _ in 0..count {
            let piece = PIECES[usize::try_from(next() % PIECES.len() as u64).unwrap()];
            text.push_str(piece);
        }
        agree(&text);
    }
}

#[test]
fn a_bad_timestamp_says_what_and_where() {
    let cases = [
        (
            "yesterday",
            "invalid timestamp `yesterday`: expected a four-digit year (character 1)",
        ),
        (
            "2026-13-01T00:00:00Z",
            "invalid timestamp `2026-13-01T00:00:00Z`: the month must be 01 to 12 (character 6)",
        ),
        (
            "2026-02-29T00:00:00Z",
            "invalid timestamp `2026-02-29T00:00:00Z`: no such day in that month (character 1)",
        ),
        (
            "2026-11-21",
            "invalid timestamp `2026-11-21`: expected `T` and a time after the date (character 11)",
        ),
        (
            "2026-11-21T24:00:00Z",
            "invalid timestamp `2026-11-21T24:00:00Z`: the hour must be 00 to 23 (character 12)",
        ),
        (
            "2026-11-21T09:00:00",
            "invalid timestamp `2026-11-21T09:00:00`: expected an offset after the time, such as `Z` or `+01:00` (character 20)",
        ),
        (
            "2026-11-21T09:00:00Z!",
            "invalid timestamp `2026-11-21T09:00:00Z!`: unexpected text after the timestamp (character 21)",
        ),
        (
            "2026-11-21T09:00:00+26:00",
            "invalid timestamp `2026-11-21T09:00:00+26:00`: the offset hours must be 00 to 25 (character 21)",
        ),
        (
            "2026-11-21T09:00:00Z[!u-ca=iso8601]",
            "invalid timestamp `2026-11-21T09:00:00Z[!u-ca=iso8601]`: a critical annotation (`[!…]`) is not supported (character 21)",
        ),
        (
            "ü2026",
            "invalid timestamp `ü2026`: expected a four-digit year (character 1)",
        ),
        (
            "9999-12-31T23:59:59Z",
            "invalid timestamp `9999-12-31T23:59:59Z`: the time is outside the supported range (years -9999 to 9999) (character 1)",
        ),
    ];
    for (text, message) in cases {
        let error = parse(text).unwrap_err().to_string();
        let expected = format!("{message}; expected an RFC 3339 time such as 2026-11-21T09:00:00Z");
        assert_eq!(error, expected, "{text:?}");
    }
}
