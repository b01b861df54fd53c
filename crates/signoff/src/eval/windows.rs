//! SPEC §4 step 2: blackout and maintenance windows, absolute or weekly in local time.

use super::context::Context;
use super::criteria::{Values, criteria_match};
use crate::compile::{CompiledWindow, Schedule};
use crate::decision::WindowHit;
use crate::model::Request;
use crate::model::policy::WindowKind;
use jiff::civil::{Date, Time};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{SignedDuration, Span, Timestamp};

/// An occurrence of a window: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Occurrence {
    start: Timestamp,
    end: Timestamp,
}

/// The window that blocks this request at `now`, if any.
pub(crate) fn blocking(
    context: &Context<'_>,
    request: &Request,
    values: &Values<'_>,
    now: Timestamp,
) -> Option<WindowHit> {
    let applies = |w: &CompiledWindow| w.to == request.kind && criteria_match(&w.criteria, values);
    let allowed = |w: &CompiledWindow| {
        w.allow_users.contains(&request.requester)
            || w.allow_groups
                .iter()
                .any(|g| context.in_group(&request.requester, g))
    };
    // One pass, in file order, with no list: a blackout that blocks decides at once (every
    // blackout before any maintenance window); maintenance windows only need to be known
    // to apply, and whether one is open or lets the requester through.
    let mut maintenance = false;
    let mut let_through = false;
    for (i, w) in context.policy.windows.iter().enumerate() {
        let span = || context.zone_span(i, &w.schedule, now);
        match w.kind {
            WindowKind::Blackout => {
                if applies(w) {
                    if let Some(open) = open_at(&w.schedule, now, span()) {
                        if !allowed(w) {
                            return Some(WindowHit {
                                name: w.name.clone(),
                                kind: w.kind,
                                until: Some(open.end),
                            });
                        }
                    }
                }
            }
            WindowKind::Maintenance => {
                if applies(w) {
                    maintenance = true;
                    let_through =
                        let_through || open_at(&w.schedule, now, span()).is_some() || allowed(w);
                }
            }
        }
    }
    if !maintenance || let_through {
        return None;
    }
    // Blocked until the earliest next opening; the first window in file order wins ties.
    let mut best: Option<(&CompiledWindow, Option<Timestamp>)> = None;
    for w in context
        .policy
        .windows
        .iter()
        .filter(|w| w.kind == WindowKind::Maintenance && applies(w))
    {
        let next = next_start(&w.schedule, now);
        let better = match (&best, next) {
            (None, _) => true,
            (Some((_, None)), Some(_)) => true,
            (Some((_, Some(b))), Some(n)) => n < *b,
            _ => false,
        };
        if better {
            best = Some((w, next));
        }
    }
    best.map(|(w, until)| WindowHit {
        name: w.name.clone(),
        kind: w.kind,
        until,
    })
}

/// The occurrence open at `now`, if any.
///
/// A weekly window's starts only grow from date to date (a later local time is never an
/// earlier instant: the first instant showing it, or the jump over it), so the search
/// stops at the first start after `now`, and an occurrence's end is converted only when
/// its start has come. Yesterday's occurrence of a window that ends the day it starts
/// ended by today's local midnight, so at or before `now`: only an overnight window needs
/// it.
///
/// `span`, when given, covers `now` in the schedule's zone.
fn open_at(schedule: &Schedule, now: Timestamp, span: Option<ZoneSpan>) -> Option<Occurrence> {
    let Schedule::Weekly {
        days,
        from,
        until,
        tz,
    } = schedule
    else {
        return occurrences_near(schedule, now).find(|o| o.start <= now && now < o.end);
    };
    // Within a kept span, local times convert by arithmetic (about a third of the cost);
    // when one falls near the span's edges, or with no span, the search runs through jiff.
    if let Some(span) = span {
        let exact = search_week(days, *from, *until, now, span.offset, |day, time| {
            span.instant(day, time).map(Some).ok_or(NotExact)
        });
        if let Ok(found) = exact {
            return found;
        }
    }
    let through_jiff = search_week(days, *from, *until, now, tz.to_offset(now), |day, time| {
        Ok::<_, NotExact>(add_days(EPOCH, day).and_then(|date| local_instant(date, time, tz)))
    });
    through_jiff.ok().flatten()
}

/// A local time that plain arithmetic cannot convert exactly.
struct NotExact;

/// Day 0 of the day numbers below.
const EPOCH: Date = Date::constant(1970, 1, 1);

/// Seconds in a day of local time.
const DAY: i64 = 86_400;

/// [`open_at`]'s search over day numbers (days since 1970-01-01 on the zone's clocks,
/// `offset` being the zone's at `now`). `instant` gives a day's local time as an instant:
/// `Ok(None)` when it has none (past the calendar's ends), an error when it cannot tell,
/// which ends the search.
fn search_week<E>(
    days: &[bool; 7],
    from: Time,
    until: Time,
    now: Timestamp,
    offset: Offset,
    mut instant: impl FnMut(i64, Time) -> Result<Option<Timestamp>, E>,
) -> Result<Option<Occurrence>, E> {
    // Whole seconds, rounded down (jiff rounds a negative timestamp's toward zero).
    let now_second = now.as_second() - i64::from(now.subsec_nanosecond() < 0);
    let today = (now_second + i64::from(offset.seconds())).div_euclid(DAY);
    let overnight = until <= from;
    let first: i64 = if overnight { -1 } else { 0 };
    for day in (first..=8).map(|d| today + d) {
        // Day 0, 1970-01-01, was a Thursday: 3 counting from Monday.
        let weekday = usize::try_from((day + 3).rem_euclid(7)).unwrap_or(0);
        if !days.get(weekday).copied().unwrap_or(false) {
            continue;
        }
        let Some(start) = instant(day, from)? else {
            continue;
        };
        if start > now {
            return Ok(None);
        }
        let Some(end) = instant(if overnight { day + 1 } else { day }, until)? else {
            continue;
        };
        if start < end && now < end {
            return Ok(Some(Occurrence { start, end }));
        }
    }
    Ok(None)
}

/// The first start strictly after `now`.
fn next_start(schedule: &Schedule, now: Timestamp) -> Option<Timestamp> {
    occurrences_near(schedule, now)
        .map(|o| o.start)
        .filter(|s| *s > now)
        .min()
}

/// The first instant strictly after `now` at which an occurrence opens or closes.
pub(crate) fn next_boundary(schedule: &Schedule, now: Timestamp) -> Option<Timestamp> {
    occurrences_near(schedule, now)
        .flat_map(|o| [o.start, o.end])
        .filter(|t| *t > now)
        .min()
}

/// Every occurrence that could be open at `now` or be the next to open: for a weekly
/// window, those starting from the day before `now` (overnight windows) to eight days on,
/// in date order. Lazy: `open_at` stops converting local times at the first open one.
fn occurrences_near(schedule: &Schedule, now: Timestamp) -> impl Iterator<Item = Occurrence> + '_ {
    let (absolute, weekly) = match schedule {
        Schedule::Absolute { from, until } => (
            Some(Occurrence {
                start: *from,
                end: *until,
            }),
            None,
        ),
        Schedule::Weekly {
            days,
            from,
            until,
            tz,
        } => {
            let today = local_date(tz, now);
            let occurrences = (-1..=8)
                .filter_map(move |offset: i64| add_days(today, offset))
                .filter(move |date| days.get(weekday(*date)).copied().unwrap_or(false))
                .filter_map(move |date| {
                    let end_date = if until > from {
                        date
                    } else {
                        date.tomorrow().ok()?
                    };
                    let start = local_instant(date, *from, tz)?;
                    let end = local_instant(end_date, *until, tz)?;
                    (start < end).then_some(Occurrence { start, end })
                });
            (None, Some(occurrences))
        }
    };
    absolute.into_iter().chain(weekly.into_iter().flatten())
}

/// A zone's offset and the instants `[from, until)` between two transitions over which it
/// holds. jiff works out the zone's rules again on every conversion, most of a window's
/// cost; finding the span costs more than the three conversions of one call, so the
/// context keeps the first one it finds per window ([`Context::zone_span`]) and every
/// later call whose `now` lies inside it converts by plain arithmetic, as a bulk replay on
/// one context does.
///
/// A local time whose reading with this offset lands inside the span, at least
/// [`ZoneSpan::MAX_SHIFT`] after its start, shows that local time and no earlier instant
/// does (any other offset differs by less than the margin and held only before `from`);
/// anything else goes to jiff, which keeps gaps, folds and far dates exact.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ZoneSpan {
    offset: Offset,
    from: Timestamp,
    /// `from + MAX_SHIFT`: the first instant a cached conversion may give.
    exact_from: Timestamp,
    until: Timestamp,
}

impl ZoneSpan {
    /// More than any two offsets can differ (jiff's offsets stay within ±26 hours).
    const MAX_SHIFT: SignedDuration = SignedDuration::from_hours(72);

    /// The span around `now`; `None` if it cannot be told apart (a transition exactly at
    /// `now` that `preceding` leaves out).
    pub(crate) fn at(tz: &TimeZone, now: Timestamp) -> Option<ZoneSpan> {
        let offset = tz.to_offset(now);
        // The last transition at or before `now`, trusted only if it brought this offset;
        // no transition at all means the offset held since the start of time.
        let from = match tz.preceding(now).next() {
            None => Timestamp::MIN,
            Some(t) if t.offset() == offset => t.timestamp(),
            Some(_) => return None,
        };
        let until = tz
            .following(now)
            .next()
            .map_or(Timestamp::MAX, |t| t.timestamp());
        let exact_from = from.checked_add(Self::MAX_SHIFT).unwrap_or(Timestamp::MAX);
        Some(ZoneSpan {
            offset,
            from,
            exact_from,
            until,
        })
    }

    pub(crate) fn covers(&self, now: Timestamp) -> bool {
        self.from <= now && now < self.until
    }

    /// Day `day`'s local time `time` (see [`search_week`]) as an instant, by plain
    /// arithmetic; `None` when that is not exact (outside the span's exact part), and
    /// [`local_instant`] must tell. `24:00` (kept as `Time::MAX`) is the next midnight.
    fn instant(&self, day: i64, time: Time) -> Option<Timestamp> {
        let (second, nanosecond) = if time == Time::MAX {
            (DAY, 0)
        } else {
            let second = i64::from(time.hour()) * 3600
                + i64::from(time.minute()) * 60
                + i64::from(time.second());
            (second, time.subsec_nanosecond())
        };
        let local = day.checked_mul(DAY)?.checked_add(second)?;
        let t = Timestamp::new(
            local.checked_sub(i64::from(self.offset.seconds()))?,
            nanosecond,
        )
        .ok()?;
        (self.exact_from <= t && t < self.until).then_some(t)
    }
}

/// A window's local time on a date as an instant. `24:00` (kept as [`Time::MAX`]) is the
/// next midnight. A time skipped by a spring-forward gap is the first valid instant after
/// it, the moment of the jump, for `from` and `until` alike: the window then covers exactly
/// the instants whose local clock reads inside it. A time repeated by a fall-back fold is
/// the earlier instant.
fn local_instant(date: Date, time: Time, tz: &TimeZone) -> Option<Timestamp> {
    let (date, time) = if time == Time::MAX {
        (date.tomorrow().ok()?, Time::midnight())
    } else {
        (date, time)
    };
    let local = date.to_datetime(time);
    let ambiguous = tz.to_ambiguous_timestamp(local);
    match ambiguous.offset() {
        AmbiguousOffset::Gap { after, .. } => {
            // Read with the offset after the jump, the local time lies before the jump;
            // the next transition is the jump itself.
            let before_jump = after.to_timestamp(local).ok()?;
            tz.following(before_jump)
                .next()
                .map(|transition| transition.timestamp())
        }
        AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => {
            ambiguous.earlier().ok()
        }
    }
}

/// `date` moved by `offset` days, `None` past the calendar's ends. Through
/// `Span::try_days`, not `ToSpan::days`: the latter `expect`s, and a panic message that
/// can format a jiff error links the `Display` of every jiff error, with all their
/// messages, into the browser module (docs/simulator.md, "Size").
fn add_days(date: Date, offset: i64) -> Option<Date> {
    let days = Span::new().try_days(offset).ok()?;
    date.checked_add(days).ok()
}

/// The date on the zone's clocks at `now`: the offset there and plain arithmetic, not a
/// `Zoned` (which clones the zone and works out the whole civil time).
fn local_date(tz: &TimeZone, now: Timestamp) -> Date {
    tz.to_offset(now).to_datetime(now).date()
}

fn weekday(date: Date) -> usize {
    usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{EPOCH, ZoneSpan, local_instant, open_at};
    use crate::compile::Schedule;
    use jiff::civil::{Date, Time};
    use jiff::tz::TimeZone;
    use jiff::{SignedDuration, Timestamp};
    use proptest::prelude::*;

    /// Instants within a few days of the 2026 and 2027 DST transitions of both zones, so
    /// that `now` and the local times fall on both sides of them, in gaps and in folds.
    fn near_transition() -> impl Strategy<Value = Timestamp> {
        let transitions = [
            "2026-03-08T07:00:00Z",
            "2026-03-29T01:00:00Z",
            "2026-10-25T01:00:00Z",
            "2026-11-01T06:00:00Z",
            "2027-03-14T07:00:00Z",
            "2027-10-31T01:00:00Z",
        ];
        (0..transitions.len(), -4 * 86_400i64..4 * 86_400).prop_map(move |(i, secs)| {
            let at: Timestamp = transitions
                .get(i)
                .and_then(|t| t.parse().ok())
                .unwrap_or(Timestamp::UNIX_EPOCH);
            at.checked_add(SignedDuration::from_secs(secs))
                .unwrap_or(at)
        })
    }

    /// Before 1970 a fraction of a second makes jiff's whole seconds round up (toward
    /// zero): the last half second of 1969-12-31, a Wednesday, is still in its window.
    #[test]
    fn a_window_is_open_in_the_last_half_second_before_1970() {
        let tz = TimeZone::UTC;
        let now: Timestamp = "1969-12-31T23:59:59.5Z".parse().unwrap();
        let span = ZoneSpan::at(&tz, now).unwrap();
        let schedule = Schedule::Weekly {
            days: [false, false, true, false, false, false, false],
            from: Time::new(23, 0, 0, 0).unwrap(),
            until: Time::MAX,
            tz,
        };
        let open = open_at(&schedule, now, Some(span));
        assert_eq!(open, open_at(&schedule, now, None));
        assert!(open.is_some(), "open until midnight");
    }

    proptest! {
        #[test]
        fn cached_conversion_agrees_with_jiff(
            zone in prop::sample::select(vec!["Europe/Berlin", "America/New_York"]),
            now in near_transition(),
            days in -3i64..=8,
            minutes in 0i16..=24 * 60,
        ) {
            let tz = TimeZone::get(zone).map_err(|e| TestCaseError::fail(e.to_string()))?;
            // A span found at `now`, as the context would keep it for later calls.
            let Some(span) = ZoneSpan::at(&tz, now) else {
                return Ok(());
            };
            prop_assert!(span.covers(now));
            let today: Date = tz.to_offset(now).to_datetime(now).date();
            let date = today.checked_add(jiff::Span::new().days(days)).unwrap_or(today);
            let time = if minutes == 24 * 60 {
                Time::MAX
            } else {
                Time::new((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?
            };
            // Where arithmetic answers, jiff gives the same instant.
            let day = EPOCH
                .until(date)
                .map_err(|e| TestCaseError::fail(e.to_string()))?
                .get_days();
            if let Some(t) = span.instant(i64::from(day), time) {
                prop_assert_eq!(Some(t), local_instant(date, time, &tz));
            }
        }

        /// A weekly window found open (or not) by arithmetic within a kept span is the one
        /// jiff finds, for any days, start and end (overnight, to `24:00`, with seconds),
        /// around DST transitions and in zones with half-hour shifts or none.
        #[test]
        fn weekly_search_by_arithmetic_agrees_with_jiff(
            zone in prop::sample::select(vec![
                "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
            ]),
            now in near_transition(),
            days in prop::array::uniform7(any::<bool>()),
            from in 0i32..24 * 3600,
            until in prop_oneof![1 => Just(24 * 3600), 3 => 0i32..24 * 3600],
            nanos in prop::sample::select(vec![0i32, 1, 999_999_999]),
        ) {
            let tz = TimeZone::get(zone).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let Some(span) = ZoneSpan::at(&tz, now) else {
                return Ok(());
            };
            let time = |s: i32, n: i32| {
                if s == 24 * 3600 {
                    Ok(Time::MAX)
                } else {
                    Time::new((s / 3600) as i8, (s / 60 % 60) as i8, (s % 60) as i8, n)
                        .map_err(|e| TestCaseError::fail(e.to_string()))
                }
            };
            let schedule = Schedule::Weekly {
                days,
                from: time(from, nanos)?,
                until: time(until, 0)?,
                tz: tz.clone(),
            };
            prop_assert_eq!(open_at(&schedule, now, Some(span)), open_at(&schedule, now, None));
        }
    }
}
