//! Deployment protection rules end to end.

use super::harness::{Harness, REPO, sha};

const PROD: &str = "version: 1\npolicies:\n  prod:\n    requires: [ { any: 2 } ]\napply:\n  - policies: [prod]\n    to: deployment\n    where: { environment: production }\n";

#[tokio::test]
async fn approved_after_environment_reviews_meet_the_policy() {
    let h = Harness::new().await;
    h.set_policy("main", PROD);
    h.request_deployment(42, "production", &sha(9), "erin", &[])
        .await;
    h.settle().await;
    let first = h.gate_answers(42);
    assert_eq!(first.len(), 1);
    assert!(
        first[0]["state"].is_null() && first[0]["comment"].as_str().unwrap().contains("Pending"),
        "{first:?}"
    );
    assert_eq!(h.status_of(&sha(9), "signoff/production").0, "pending");
    h.deployment_review(42, "production", "alice", true).await;
    h.settle().await;
    h.deployment_review(42, "production", "bob", true).await;
    h.settle().await;
    let all = h.gate_answers(42);
    assert_eq!(all.last().unwrap()["state"], "approved", "{all:?}");
    assert_eq!(all.last().unwrap()["environment_name"], "production");
    assert_eq!(h.status_of(&sha(9), "signoff/production").0, "success");
    // Answered gates are not answered again.
    h.deployment_review(42, "production", "carol", true).await;
    h.settle().await;
    assert_eq!(h.gate_answers(42).len(), all.len());
    let callbacks: Vec<String> = h
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.contains("deployment_protection_rule"))
        .map(|r| r.path)
        .collect();
    assert!(
        callbacks
            .iter()
            .all(|p| p == "/repos/acme/app/actions/runs/42/deployment_protection_rule"),
        "{callbacks:?}"
    );
}

#[tokio::test]
async fn approve_environment_comments_on_the_pull_request_count() {
    let h = Harness::new().await;
    h.set_policy("main", PROD);
    h.open_pr(5, "erin", &sha(5), &["src/lib.rs"]).await;
    h.settle().await;
    h.request_deployment(43, "production", &sha(5), "erin", &[5])
        .await;
    h.comment(5, "alice", "/approve production").await;
    h.comment(5, "bob", "/approve staging").await;
    h.settle().await;
    assert!(h.gate_answers(43).iter().all(|a| a["state"].is_null()));
    h.comment(5, "carol", "/approve Production").await;
    h.settle().await;
    assert_eq!(h.gate_answers(43).last().unwrap()["state"], "approved");
}

#[tokio::test]
async fn a_rejecting_review_rejects_and_no_policy_approves() {
    let h = Harness::new().await;
    h.set_policy("main", PROD);
    h.request_deployment(44, "production", &sha(4), "erin", &[])
        .await;
    h.deployment_review(44, "production", "alice", false).await;
    h.settle().await;
    assert_eq!(h.gate_answers(44).last().unwrap()["state"], "rejected");
    h.request_deployment(45, "staging", &sha(4), "erin", &[])
        .await;
    h.settle().await;
    assert_eq!(
        h.gate_answers(45).last().unwrap()["state"],
        "approved",
        "no policy applies to staging"
    );
}

#[tokio::test]
async fn pending_gates_survive_a_restart() {
    let mut h = Harness::new().await;
    h.set_policy("main", PROD);
    h.request_deployment(46, "production", &sha(6), "erin", &[])
        .await;
    h.deployment_review(46, "production", "alice", true).await;
    h.settle().await;
    h.stop_bot().await;
    h.start_bot().await;
    h.deployment_review(46, "production", "bob", true).await;
    h.settle().await;
    assert_eq!(h.gate_answers(46).last().unwrap()["state"], "approved");
    let _ = REPO;
}

#[tokio::test]
async fn a_gate_held_by_a_blackout_moves_when_it_ends() {
    let h = Harness::with(|c| c.queue.recheck_secs = 1).await;
    let now = jiff::Timestamp::now();
    let from = now - jiff::SignedDuration::from_mins(1);
    let until = now + jiff::SignedDuration::from_millis(1500);
    h.set_policy(
        "main",
        &format!("version: 1\npolicies: {{}}\napply: []\nwindows:\n  - name: freeze\n    kind: blackout\n    to: deployment\n    from: {from}\n    until: {until}\n"),
    );
    h.request_deployment(47, "production", &sha(7), "erin", &[])
        .await;
    h.settle().await;
    let first = h.gate_answers(47);
    assert!(first[0]["state"].is_null(), "held, not rejected: {first:?}");
    assert!(
        first[0]["comment"].as_str().unwrap().starts_with("blocked"),
        "{first:?}"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while h.gate_answers(47).last().unwrap()["state"] != "approved" {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            h.gate_answers(47)
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_broken_forge_keeps_the_deployment_waiting_with_the_reason() {
    let h = Harness::new().await;
    h.fake.with(|s| s.broken.push(("/contents/".into(), 503)));
    h.request_deployment(48, "production", &sha(8), "erin", &[])
        .await;
    h.settle_allowing_failures().await;
    let all = h.gate_answers(48);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(
        all[0]["state"].is_null(),
        "never approved nor rejected on an error: {all:?}"
    );
    assert!(
        all[0]["comment"]
            .as_str()
            .unwrap()
            .contains("could not evaluate"),
        "{all:?}"
    );
}

/// One event asks the forge each question once: a comment on a pull request with a
/// pending deployment gate evaluates both gates, which share the pull request, its
/// activity, the edit history, the policy, the people and the commit's statuses.
#[tokio::test]
async fn one_event_reads_each_answer_once() {
    let h = Harness::new().await;
    h.set_policy(
        "main",
        &format!("{PROD}  - policies: [prod]\n    to: pull_request\n"),
    );
    h.open_pr(5, "erin", &sha(5), &["src/lib.rs"]).await;
    h.settle().await;
    h.request_deployment(43, "production", &sha(5), "erin", &[5])
        .await;
    h.settle().await;
    let before = h.fake.requests().len();
    h.comment(5, "alice", "/approve production").await;
    h.settle().await;
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for r in &h.fake.requests()[before..] {
        if r.method == "GET" || r.path == "/graphql" {
            *seen.entry(format!("{} {}", r.method, r.path)).or_default() += 1;
        }
    }
    let repeated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "asked more than once in one event: {repeated:?}"
    );
    assert!(
        seen.contains_key("GET /repos/acme/app/actions/runs/43"),
        "{seen:?}"
    );
}
