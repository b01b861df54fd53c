#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `Context::changes_after`: the instant the bot re-evaluates a gate at though no one
//! acted. Property: from `now` to just before that instant the decision (its whole JSON)
//! does not change, so the gate never shows an answer time has taken back; with no such
//! instant it does not change for weeks. Random weekly windows (around both daylight
//! saving transitions of Europe/Berlin and New York, spring-forward times included),
//! absolute windows, windows for another kind of request or letting the requester
//! through, `expires_after`, and grants on both sides of `now`.
//! `outcome_changes_after` is the first of those instants where the outcome differs: the
//! outcome holds until then and differs there.

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use signoff::{Action, Context, Directory, Grant, Kind, PolicySet, Request, Role, User};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256)
}

#[derive(Debug, Clone)]
struct Window {
    blackout: bool,
    /// Weekly (days bitmask, from, until, zone) or absolute (minutes from the base).
    weekly: Option<(u8, &'static str, &'static str, &'static str)>,
    absolute: (i64, i64),
    reach: Reach,
}

/// Whom a window holds back: its boundaries matter only when it applies to the request
/// and does not let the requester through.
#[derive(Debug, Clone, Copy)]
enum Reach {
    TheRequest,
    /// `to: pull_request`: never the deployment evaluated.
    AnotherKind,
    /// `allow` names the requester.
    NotTheRequester,
}

#[derive(Debug, Clone)]
struct Case {
    windows: Vec<Window>,
    expires_after: Option<&'static str>,
    /// Minutes from `now`.
    grants: Vec<(usize, i64, bool)>,
    base: &'static str,
    /// Minutes from the base.
    now: i64,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const TIMES: [&str; 9] = [
    "00:00", "01:30", "02:00", "02:30", "03:00", "09:00", "16:00", "23:30", "24:00",
];

fn window_strategy() -> impl Strategy<Value = Window> {
    (
        any::<bool>(),
        prop_oneof![
            3 => (1u8..128, 0..TIMES.len(), 0..TIMES.len(), prop_oneof![Just("Europe/Berlin"), Just("America/New_York"), Just("UTC")])
                // The same start and end is refused (`invalid_window`).
                .prop_filter("an empty window", |(_, f, u, _)| f != u)
                .prop_map(|(d, f, u, z)| Some((d, TIMES[f], TIMES[u], z))),
            1 => Just(None),
        ],
        (-3000i64..3000, 1i64..3000),
        prop_oneof![
            4 => Just(Reach::TheRequest),
            1 => Just(Reach::AnotherKind),
            1 => Just(Reach::NotTheRequester),
        ],
    )
        .prop_map(|(blackout, weekly, (from, len), reach)| Window {
            blackout,
            weekly,
            absolute: (from, from + len),
            reach,
        })
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(window_strategy(), 0..=3),
        prop_oneof![
            Just(None),
            Just(Some("20m")),
            Just(Some("1h")),
            Just(Some("3d"))
        ],
        proptest::collection::vec((0usize..4, -5000i64..300, any::<bool>()), 0..=5),
        // Days before the spring-forward and fall-back nights of both zones.
        prop_oneof![
            Just("2026-03-27T12:00:00Z"),
            Just("2026-03-06T12:00:00Z"),
            Just("2026-10-23T12:00:00Z"),
            Just("2026-10-30T12:00:00Z")
        ],
        0i64..(4 * 24 * 60),
    )
        .prop_map(|(windows, expires_after, grants, base, now)| Case {
            windows,
            expires_after,
            grants,
            base,
            now,
        })
}

fn at(base: Timestamp, minutes: i64) -> Timestamp {
    base.checked_add(SignedDuration::from_mins(minutes))
        .unwrap()
}

impl Case {
    fn base(&self) -> Timestamp {
        self.base.parse().unwrap()
    }

    fn now(&self) -> Timestamp {
        at(self.base(), self.now)
    }

    fn policy(&self) -> String {
        let mut text = String::from(
            "version: 1\npolicies:\n  two:\n    requires: [ { any: 2 } ]\napply:\n  - policies: [two]\n    to: deployment\n",
        );
        if let Some(e) = self.expires_after {
            text.push_str(&format!("options:\n  expires_after: {e}\n"));
        }
        if !self.windows.is_empty() {
            text.push_str("windows:\n");
        }
        for (i, w) in self.windows.iter().enumerate() {
            let kind = if w.blackout {
                "blackout"
            } else {
                "maintenance"
            };
            let to = match w.reach {
                Reach::AnotherKind => "pull_request",
                Reach::TheRequest | Reach::NotTheRequester => "deployment",
            };
            text.push_str(&format!("  - name: w{i}\n    kind: {kind}\n    to: {to}\n"));
            if let Reach::NotTheRequester = w.reach {
                text.push_str("    allow: { users: [requester] }\n");
            }
            match w.weekly {
                Some((days, from, until, zone)) => {
                    let days: Vec<&str> = DAYS
                        .iter()
                        .enumerate()
                        .filter(|(d, _)| days & (1 << d) != 0)
                        .map(|(_, n)| *n)
                        .collect();
                    text.push_str(&format!(
                        "    weekly: {{ days: [{}], from: \"{from}\", until: \"{until}\", timezone: {zone} }}\n",
                        days.join(", ")
                    ));
                }
                None => text.push_str(&format!(
                    "    from: {}\n    until: {}\n",
                    at(self.base(), w.absolute.0),
                    at(self.base(), w.absolute.1)
                )),
            }
        }
        text
    }

    fn grants(&self) -> Vec<Grant> {
        self.grants
            .iter()
            .map(|&(user, minutes, approve)| Grant {
                by: format!("u{user}"),
                action: if approve {
                    Action::Approve
                } else {
                    Action::Reject
                },
                revision: None,
                at: at(self.now(), minutes),
                via: None,
            })
            .collect()
    }
}

fn directory() -> Directory {
    Directory {
        users: (0..4)
            .map(|i| {
                (
                    format!("u{i}"),
                    User {
                        groups: Vec::new(),
                        roles: vec![Role::DeploymentApprover],
                        super_admin: false,
                    },
                )
            })
            .collect(),
        groups: Default::default(),
        tokens: Vec::new(),
    }
}

fn request() -> Request {
    Request {
        kind: Kind::Deployment,
        config: None,
        requester: "requester".to_owned(),
        revision: None,
        attributes: Default::default(),
        contributors: Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/changes_after.proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn nothing_changes_before_the_instant_changes_after_names(
        case in case_strategy(),
        fractions in proptest::collection::vec(0.0f64..1.0, 4),
    ) {
        let text = case.policy();
        let set = PolicySet::parse(&text, "policy.yml").unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        let directory = directory();
        let context = Context::new(&set, &directory);
        let (request, grants, now) = (request(), case.grants(), case.now());
        let decided_at = |t: Timestamp| context.evaluate(&request, &grants, t).to_json();
        let before = decided_at(now);
        let next = context.changes_after(&request, &grants, now);
        if let Some(next) = next {
            prop_assert!(next > now);
        }
        // Without an instant, the decision holds for weeks.
        let until = next.unwrap_or_else(|| at(now, 60 * 24 * 40));
        let span = until.duration_since(now).as_nanos();
        let mut probes: Vec<Timestamp> = fractions
            .iter()
            .map(|f| now.checked_add(SignedDuration::from_nanos((span as f64 * f) as i64)).unwrap())
            .collect();
        probes.push(until.checked_sub(SignedDuration::from_nanos(1)).unwrap());
        for t in probes {
            prop_assert_eq!(
                &decided_at(t),
                &before,
                "changed at {} though changes_after named {:?} (now {})\n{}",
                t,
                next,
                now,
                text
            );
        }
    }

    #[test]
    fn the_outcome_holds_until_outcome_changes_after_and_differs_there(
        case in case_strategy(),
        fractions in proptest::collection::vec(0.0f64..1.0, 4),
    ) {
        let text = case.policy();
        let set = PolicySet::parse(&text, "policy.yml").unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        let directory = directory();
        let context = Context::new(&set, &directory);
        let (request, grants, now) = (request(), case.grants(), case.now());
        let outcome_at = |t: Timestamp| context.decide(&request, &grants, t).decision;
        let before = outcome_at(now);
        let next = context.outcome_changes_after(&request, &grants, now);
        let until = next.unwrap_or_else(|| at(now, 60 * 24 * 40));
        let span = until.duration_since(now).as_nanos();
        let mut probes: Vec<Timestamp> = fractions
            .iter()
            .map(|f| now.checked_add(SignedDuration::from_nanos((span as f64 * f) as i64)).unwrap())
            .collect();
        probes.push(until.checked_sub(SignedDuration::from_nanos(1)).unwrap());
        for t in probes {
            prop_assert_eq!(outcome_at(t), before, "changed at {} before {:?} (now {})\n{}", t, next, now, text);
        }
        // It names a change, unless it stopped at the last of the 64 instants it looks at.
        if let Some(next) = next {
            if outcome_at(next) == before {
                let mut last = now;
                for _ in 0..64 {
                    last = context.changes_after(&request, &grants, last).unwrap();
                }
                prop_assert_eq!(next, last, "named {}, nothing changed (now {})\n{}", next, now, text);
            }
        }
    }

    #[test]
    fn outcome_changes_after_steps_through_the_instants_changes_after_names(
        case in case_strategy(),
    ) {
        let text = case.policy();
        let set = PolicySet::parse(&text, "policy.yml").unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        let directory = directory();
        let context = Context::new(&set, &directory);
        let (request, grants, now) = (request(), case.grants(), case.now());
        // The definition: each next instant in turn, at most 64, the first whose outcome
        // differs (or the 64th); none when they run out first.
        let outcome = context.decide(&request, &grants, now).decision;
        let mut want = None;
        let mut last = now;
        for _ in 0..64 {
            match context.changes_after(&request, &grants, last) {
                None => {
                    want = None;
                    break;
                }
                Some(next) => {
                    last = next;
                    want = Some(next);
                    if context.decide(&request, &grants, next).decision != outcome {
                        break;
                    }
                }
            }
        }
        prop_assert_eq!(context.outcome_changes_after(&request, &grants, now), want, "now {}\n{}", now, text);
    }
}
