//! Who may approve a GitLab deployment when contributors may not: the authors of the
//! commits shipped since the last deployment the bot approved (GitHub's twin:
//! `github/deployment_trust.rs`).

use crate::common::scenarios::head;
use crate::gates::bot_answers;
use crate::harness::{Harness, PROJECT};
use serde_json::json;
use std::time::Duration;

const PROD_WITHOUT_CONTRIBUTORS: &str = "version: 1\npolicies:\n  prod:\n    requires: [ { any: 2 } ]\napply:\n  - policies: [prod]\n    to: deployment\n    where: { environment: production }\noptions: { contributors_can_approve: false }\n";

/// Contributors may not approve production deployments; the default branch holds c1
/// (alice), c2 (bob) and c3 (carol), oldest first, each author's public email known.
async fn three_commits_by_three_people() -> Harness {
    let h = Harness::with(|c| c.queue.recheck_secs = 1).await;
    h.set_policy("main", PROD_WITHOUT_CONTRIBUTORS);
    h.fake.with(|s| {
        s.users = ["alice", "bob", "carol"]
            .map(|u| (u.to_owned(), format!("{u}@example.com")))
            .to_vec();
    });
    h.fake.project_mut(PROJECT, |p| {
        p.history = vec![
            (head(0xc1), "alice".into()),
            (head(0xc2), "bob".into()),
            (head(0xc3), "carol".into()),
        ];
    });
    h
}

/// The latest decision on deployment `id`.
async fn latest_audit(h: &Harness, id: u64) -> signoff_bot::store::audit::AuditEntry {
    let suffix = format!("@run{id}");
    let entries = h.audit().await;
    entries
        .into_iter()
        .rev()
        .find(|e| e.target.ends_with(&suffix))
        .unwrap()
}

/// `reviewers` approve deployment `id`; the bot looks again on its timer.
async fn reviewed_by(h: &Harness, id: u64, reviewers: &[&str]) {
    for who in reviewers {
        h.review_deployment(id, who, true);
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    h.settle().await;
}

#[tokio::test]
async fn contributors_are_the_authors_of_commits_shipped_since_the_last_deployment_the_bot_approved()
 {
    let h = three_commits_by_three_people().await;
    h.fake.add_member(PROJECT, "frank", 30);
    // Bob and Frank get c1 (alice's commit) deployed through the bot; it succeeds.
    let first = h.block_deployment("production", &head(0xc1)).await;
    h.settle().await;
    reviewed_by(&h, first, &["bob", "frank"]).await;
    h.eventually("the bot approves the first deployment", |h| {
        !bot_answers(h, first).is_empty()
    })
    .await;
    h.fake.project_mut(PROJECT, |p| {
        p.deployments.get_mut(&first).unwrap()["status"] = json!("success");
    });
    // c3 ships c2 (bob) and c3 (carol): alice may approve it, bob may not.
    let second = h.block_deployment("production", &head(0xc3)).await;
    h.settle().await;
    reviewed_by(&h, second, &["alice", "bob"]).await;
    assert!(
        bot_answers(&h, second).is_empty(),
        "bob wrote a commit not yet deployed"
    );
    let last = latest_audit(&h, second).await;
    assert!(
        last.ignored.contains("\"bob\"") && last.ignored.contains("\"contributor\""),
        "{last:?}"
    );
    assert!(!last.ignored.contains("\"alice\""), "{last:?}");
    h.review_deployment(second, "frank", true);
    h.eventually("the bot approves the second deployment", |h| {
        !bot_answers(h, second).is_empty()
    })
    .await;
    assert_eq!(bot_answers(&h, second)[0]["status"], "approved");
}

#[tokio::test]
async fn a_deployment_marked_successful_by_someone_else_is_not_the_base_of_contributors() {
    let h = three_commits_by_three_people().await;
    // A Developer records c2 as deployed through the API; the bot never approved it.
    let faked = h.fake.block_deployment(PROJECT, "production", &head(0xc2));
    h.fake.project_mut(PROJECT, |p| {
        p.deployments.get_mut(&faked).unwrap()["status"] = json!("success");
    });
    let id = h.block_deployment("production", &head(0xc3)).await;
    h.settle().await;
    reviewed_by(&h, id, &["alice", "bob"]).await;
    assert!(bot_answers(&h, id).is_empty(), "contributors approved");
    let last = latest_audit(&h, id).await;
    assert!(
        last.ignored.contains("\"alice\"") && last.ignored.contains("\"bob\""),
        "alice and bob wrote commits no approved deployment shipped: {last:?}"
    );
}
