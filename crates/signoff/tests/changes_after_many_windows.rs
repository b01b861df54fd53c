#![allow(clippy::unwrap_used)]
//! `Context::outcome_changes_after` on a policy of the largest size read (1 MB): 5000
//! back-to-back one-minute blackout windows the requester is let through, so the outcome
//! never changes and all 64 instants are looked at. Also the program the cost is
//! measured with (docs/security.md, "Third review"):
//! `cargo test -p signoff --release --test changes_after_many_windows --no-run`, then
//! `valgrind --tool=callgrind --toggle-collect='*outcome_changes_after*' <that binary>`.

use signoff::{Context, Directory, Kind, PolicySet, Request};

#[test]
fn with_thousands_of_windows_it_stops_at_the_64th_instant() {
    let mut text = String::from(
        "version: 1\npolicies:\n  one:\n    requires: [ { any: 1 } ]\napply:\n  - policies: [one]\n    to: pull_request\nwindows:\n",
    );
    for i in 0..5000 {
        let (h, m) = ((i / 60) % 24, i % 60);
        let (h2, m2) = if m == 59 {
            ((h + 1) % 24, 0)
        } else {
            (h, m + 1)
        };
        text.push_str(&format!(
            "  - name: w{i}\n    kind: blackout\n    to: pull_request\n    allow: {{ users: [erin] }}\n    weekly: {{ days: [mon, tue, wed, thu, fri, sat, sun], from: \"{h:02}:{m:02}\", until: \"{h2:02}:{m2:02}\", timezone: Europe/Berlin }}\n"
        ));
    }
    assert!(text.len() < 1024 * 1024);
    let set = PolicySet::parse(&text, "policy.yml").unwrap();
    let directory = Directory::default();
    let context = Context::new(&set, &directory);
    let request = Request {
        kind: Kind::PullRequest,
        config: None,
        requester: "erin".into(),
        revision: None,
        attributes: Default::default(),
        contributors: Vec::new(),
    };
    let now: jiff::Timestamp = "2026-12-01T10:00:30Z".parse().unwrap();
    // A boundary every minute from 11:01 in Berlin (10:01Z): the 64th is 11:04Z.
    assert_eq!(
        context.outcome_changes_after(&request, &[], now),
        Some("2026-12-01T11:04:00Z".parse().unwrap())
    );
}
