//! The informational `signoff/policy` check on a pull request that changes the policy
//! file: annotations when the new file is invalid, the decisions it would flip when it is
//! valid, and never a change to the gating `signoff` status (base branch's policy).

use super::harness::{Harness, sha};
use serde_json::Value;

const PATH: &str = ".github/signoff.yml";
const ONE: &str = "version: 1\npolicies:\n  one:\n    requires:\n      - any: 1\napply:\n  - policies: [one]\n    to: pull_request\n";

async fn app_harness() -> Harness {
    Harness::app(|_| {}).await
}

/// Pull request `number` by erin whose head changes the policy file to `text`.
async fn propose_policy(h: &Harness, number: u64, text: &str) -> String {
    let head = sha(u32::try_from(number).unwrap());
    h.fake.repo(super::harness::REPO, |r| {
        r.files.insert((head.clone(), PATH.into()), text.into());
    });
    h.open_pr(number, "erin", &head, &[PATH, "README.md"]).await;
    h.settle().await;
    head
}

fn named(h: &Harness, head: &str, name: &str) -> Vec<Value> {
    h.fake
        .check_runs_on(head)
        .into_iter()
        .filter(|r| r["name"] == name)
        .collect()
}

#[tokio::test]
async fn a_pull_request_loosening_the_policy_shows_the_decisions_it_would_flip() {
    let h = app_harness().await;
    // History under two approvals: #1 and #2 wait with one approval each.
    for n in [1, 2] {
        h.open_pr(n, "erin", &sha(u32::try_from(n).unwrap()), &["src/lib.rs"])
            .await;
        h.review(n, "alice", "APPROVED").await;
        h.settle().await;
        assert_eq!(h.status(&sha(u32::try_from(n).unwrap())).0, "pending");
    }
    let before = h.audit().await.len();
    let head = propose_policy(&h, 3, ONE).await;
    let checks = named(&h, &head, "signoff/policy");
    assert_eq!(checks.len(), 1, "{checks:?}");
    let check = &checks[0];
    assert_eq!(check["conclusion"], "success");
    let decided = before + 1; // #3's own decision is recorded before the check
    assert_eq!(
        check["output"]["title"],
        format!(
            "This change would alter 2 of the last {decided} decisions in this repository (30 days)"
        )
    );
    let details = check["output"]["summary"].as_str().unwrap();
    for target in ["#1", "#2"] {
        assert!(
            details
                .lines()
                .any(|l| l.contains(&format!("| \\{target} |"))
                    && l.contains("pending → **approved**")),
            "{target} flips: {details}"
        );
    }
    assert!(
        !details.contains("alice, bob, carol"),
        "no directory: {details}"
    );
    // The gate keeps the base branch's policy: #3 still needs two approvals.
    assert_eq!(h.status(&head).0, "pending");
    h.review(3, "alice", "APPROVED").await;
    h.settle().await;
    assert_eq!(
        h.status(&head).0,
        "pending",
        "one approval is not enough yet"
    );
    let gate = named(&h, &head, "signoff");
    assert_eq!(gate.last().unwrap()["status"], "in_progress");
    // One policy check per head, not one per event.
    assert_eq!(named(&h, &head, "signoff/policy").len(), 1);
}

#[tokio::test]
async fn a_pull_request_breaking_the_policy_gets_annotations_at_line_and_column() {
    let h = app_harness().await;
    let broken = "version: 1\npolicies:\n  two:\n    requires: 3\napply: []\n";
    let expected = signoff::PolicySet::parse(broken, PATH).unwrap_err();
    let head = propose_policy(&h, 1, broken).await;
    let checks = named(&h, &head, "signoff/policy");
    assert_eq!(checks.len(), 1, "{checks:?}");
    let check = &checks[0];
    assert_eq!(check["conclusion"], "failure");
    let annotations = check["output"]["annotations"].as_array().unwrap();
    assert_eq!(annotations.len(), expected.len(), "{annotations:?}");
    let a = &annotations[0];
    assert_eq!(
        (
            a["path"].as_str(),
            a["start_line"].as_u64(),
            a["start_column"].as_u64()
        ),
        (Some(PATH), Some(4), Some(u64::from(expected[0].span.col)))
    );
    assert_eq!(expected[0].span.col, 15, "`3` on line 4");
    assert_eq!(a["annotation_level"], "failure");
    assert!(
        check["output"]["title"]
            .as_str()
            .unwrap()
            .contains("line 4, column 15"),
        "{check}"
    );
    // The gate is untouched: the base policy decides, not the broken head file.
    let (state, description) = h.status(&head);
    assert_eq!(state, "pending");
    assert!(!description.contains("Invalid policy"), "{description}");
}

#[tokio::test]
async fn more_than_fifty_annotations_go_in_batches_of_fifty() {
    let h = app_harness().await;
    let mut broken =
        "version: 1\npolicies:\n  two:\n    requires:\n      - any: 2\napply:\n".to_owned();
    for i in 0..60 {
        broken.push_str(&format!("  - policies: [nope{i}]\n    to: pull_request\n"));
    }
    let head = propose_policy(&h, 1, &broken).await;
    let check = named(&h, &head, "signoff/policy").pop().unwrap();
    let annotations = check["output"]["annotations"].as_array().unwrap();
    assert_eq!(annotations.len(), 60);
    // Annotation i is about line 7 + 2i (the fake refuses more than 50 a request).
    assert_eq!(annotations[59]["start_line"], 7 + 2 * 59);
    let writes = h.fake.count(|r| {
        r.path.contains("/check-runs")
            && r.method != "GET"
            && r.body
                .as_ref()
                .is_some_and(|b| b["output"]["annotations"].is_array())
    });
    assert_eq!(writes, 2, "one create with 50, one update with 10");
}

#[tokio::test]
async fn without_check_runs_the_policy_check_is_a_commit_status_and_the_gate_is_unchanged() {
    let h = Harness::new().await;
    let head = propose_policy(&h, 1, "version: 1\npolicies: 3\n").await;
    let (state, description) = h.status_of(&head, "signoff/policy");
    assert_eq!(state, "failure");
    assert!(description.contains("line 2, column"), "{description}");
    assert_eq!(h.status(&head).0, "pending");
}

#[tokio::test]
async fn a_pull_request_not_touching_the_policy_gets_no_policy_check() {
    let h = app_harness().await;
    h.open_and_approve(1).await;
    assert!(named(&h, &sha(1), "signoff/policy").is_empty());
    assert_eq!(h.status(&sha(1)).0, "success");
}
