//! What a deployment gate trusts (issue 7, items 5, 15, 18): the forge's record of the
//! deployment and its run, not the payload; the person who triggered the run; the
//! commits shipped since the environment's last successful deployment.

use super::fake::Pull;
use super::harness::{Harness, REPO, sha};
use serde_json::json;

const PROD: &str = "version: 1\npolicies:\n  prod:\n    requires: [ { any: 2 } ]\napply:\n  - policies: [prod]\n    to: deployment\n    where: { environment: production }\n";

fn never_approved(h: &Harness, run: u64) {
    let all = h.gate_answers(run);
    assert!(!all.is_empty(), "the gate was answered");
    assert!(
        all.iter().all(|a| a["state"] != "approved"),
        "approved: {all:?}"
    );
}

/// Contributors may not approve; the default branch holds c1 (alice), c2 (bob) and c3
/// (carol), oldest first.
fn three_commits_by_three_people(h: &Harness) {
    h.set_policy(
        "main",
        &format!("{PROD}options: {{ contributors_can_approve: false }}\n"),
    );
    h.fake.repo(REPO, |r| {
        r.history = vec![
            (sha(0xc1), "alice".into()),
            (sha(0xc2), "bob".into()),
            (sha(0xc3), "carol".into()),
        ];
    });
}

/// Dave's run `run` deploys `revision` to production (created by Actions, as GitHub
/// does); `reviewers` approve it as required reviewers.
async fn deploy_with_reviews(h: &Harness, run: u64, revision: &str, reviewers: &[&str]) {
    h.register_run(run, "production", revision, "dave", &[]);
    h.send_deployment_request(run, "production", revision, "github-actions[bot]", &[])
        .await;
    for who in reviewers {
        h.deployment_review(run, "production", who, true).await;
    }
    h.settle().await;
}

/// Frank (a writer) and `reviewer` approve run 51 shipping `revision` through the bot;
/// GitHub then records deployment 510 as successful.
async fn shipped_through_the_bot(h: &Harness, revision: &str, reviewer: &str) {
    h.fake.repo(REPO, |r| {
        r.collaborators.insert("frank".into(), "write".into())
    });
    deploy_with_reviews(h, 51, revision, &[reviewer, "frank"]).await;
    assert_eq!(h.gate_answers(51).last().unwrap()["state"], "approved");
    h.fake.repo(REPO, |r| {
        let shipped = r.deployments.iter_mut().find(|d| d["id"] == 510).unwrap();
        shipped["statuses"] = json!([ { "id": 5100, "state": "success", "environment": "production", "created_at": "2026-01-01T00:00:00Z" } ]);
    });
}

#[tokio::test]
async fn old_environment_comments_on_a_pull_request_never_seen_are_stale() {
    let h = Harness::new().await;
    h.set_policy("main", PROD);
    let long_ago = (h.now() - jiff::SignedDuration::from_hours(1)).to_string();
    // A pull request the bot never heard of, with old `/approve production` comments.
    h.fake.repo(REPO, |r| {
        let comments = ["alice", "bob"]
            .iter()
            .enumerate()
            .map(|(i, who)| {
                json!({ "id": 500 + i, "node_id": format!("IC_{}", 500 + i), "user": { "login": who, "id": 1, "type": "User" },
                        "body": "/approve production", "created_at": long_ago, "updated_at": long_ago, "author_association": "MEMBER" })
            })
            .collect();
        r.pulls.insert(
            5,
            Pull {
                author: "erin".into(),
                head_sha: sha(5),
                head_ref: "change-5".into(),
                base_ref: "main".into(),
                open: true,
                updated_at: long_ago.clone(),
                comments,
                ..Pull::default()
            },
        );
    });
    h.request_deployment(50, "production", &sha(5), "erin", &[5])
        .await;
    h.settle().await;
    never_approved(&h, 50);
}

#[tokio::test]
async fn the_person_who_triggered_the_run_cannot_approve_their_own_deployment() {
    let h = Harness::new().await;
    h.set_policy("main", PROD);
    h.fake.repo(REPO, |r| {
        r.collaborators.insert("erin".into(), "write".into())
    });
    h.register_run(51, "production", &sha(51), "erin", &[]);
    // As GitHub sends it: the deployment was created by Actions.
    h.send_deployment_request(51, "production", &sha(51), "github-actions[bot]", &[])
        .await;
    h.deployment_review(51, "production", "erin", true).await;
    h.deployment_review(51, "production", "alice", true).await;
    h.settle().await;
    never_approved(&h, 51);
    let entries = h.audit().await;
    assert!(
        entries
            .last()
            .unwrap()
            .ignored
            .contains("\"self_approval\""),
        "{:?}",
        entries.last()
    );
}

#[tokio::test]
async fn contributors_are_the_authors_of_commits_shipped_since_the_last_successful_deployment() {
    let h = Harness::new().await;
    three_commits_by_three_people(&h);
    // The bot approves run 51 shipping c1 (alice's commit); GitHub records it shipped.
    shipped_through_the_bot(&h, &sha(0xc1), "bob").await;
    h.fake.repo(REPO, |r| {
        r.deployments
            .push(deployment_with_status(2, sha(0xc2), "failure"))
    });
    deploy_with_reviews(&h, 52, &sha(0xc3), &["alice", "bob"]).await;
    never_approved(&h, 52);
    let entries = h.audit().await;
    let last = entries.last().unwrap();
    assert!(
        last.ignored.contains("\"bob\"") && last.ignored.contains("\"contributor\""),
        "bob wrote a commit not yet deployed: {last:?}"
    );
    h.deployment_review(52, "production", "frank", true).await;
    h.settle().await;
    assert_eq!(
        h.gate_answers(52).last().unwrap()["state"],
        "approved",
        "alice's commit shipped before: she may approve"
    );
}

#[tokio::test]
async fn the_gate_reads_the_deployment_and_its_pull_requests_from_the_forge() {
    let h = Harness::new().await;
    h.set_policy("main", PROD);
    h.open_pr(5, "erin", &sha(5), &["src/lib.rs"]).await;
    h.comment(5, "alice", "/approve production").await;
    h.comment(5, "bob", "/approve production").await;
    h.settle().await;
    // The run deploys sha 6 and belongs to no pull request; the payload says otherwise.
    h.register_run(53, "production", &sha(6), "erin", &[]);
    h.send_deployment_request(53, "production", &sha(5), "erin", &[5])
        .await;
    h.settle().await;
    never_approved(&h, 53);
    assert_eq!(h.status_of(&sha(6), "signoff/production").0, "pending");
    assert!(h.fake.status(&sha(5), "signoff/production").is_none());
}

/// A deployment to `environment` of `sha` with one status, as anyone with
/// `deployments: write` can create it (no workflow run, no gate).
fn deployment_with_status(id: u64, sha: String, state: &str) -> serde_json::Value {
    json!({ "id": id, "sha": sha, "ref": "main", "task": "deploy", "environment": "production",
            "creator": { "login": "mallory", "id": 66, "type": "User" },
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "statuses": [ { "id": id * 2, "state": state, "environment": "production", "created_at": "2026-01-01T00:00:00Z" } ] })
}

#[tokio::test]
async fn a_deployment_faked_as_successful_is_not_the_base_of_contributors() {
    let h = Harness::new().await;
    three_commits_by_three_people(&h);
    // Someone with deployments:write records c2 as shipped; the bot never approved it.
    h.fake.repo(REPO, |r| {
        r.deployments
            .push(deployment_with_status(3, sha(0xc2), "success"))
    });
    deploy_with_reviews(&h, 54, &sha(0xc3), &["alice", "bob"]).await;
    never_approved(&h, 54);
    let entries = h.audit().await;
    let last = entries.last().unwrap();
    assert!(
        last.ignored.contains("\"alice\"") && last.ignored.contains("\"bob\""),
        "alice and bob wrote commits no approved deployment shipped: {last:?}"
    );
}

#[tokio::test]
async fn a_later_comment_outranks_an_earlier_environment_review_by_the_same_reviewer() {
    let h = Harness::new().await;
    h.set_policy("main", PROD);
    h.open_pr(5, "erin", &sha(5), &["src/lib.rs"]).await;
    h.settle().await;
    h.request_deployment(60, "production", &sha(5), "erin", &[5])
        .await;
    h.deployment_review(60, "production", "alice", true).await;
    h.settle().await;
    // GitHub's times have one-second resolution: the comment comes in a later second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    h.comment(5, "alice", "/reject production").await;
    h.settle().await;
    h.deployment_review(60, "production", "bob", true).await;
    h.settle().await;
    never_approved(&h, 60);
    let last = h.audit().await.pop().unwrap();
    assert_eq!(last.decision.as_str(), "rejected", "{last:?}");
}

#[tokio::test]
async fn a_base_the_bot_approved_is_found_under_a_hundred_newer_deployments() {
    let h = Harness::new().await;
    three_commits_by_three_people(&h);
    // The bot approves run 51 shipping c2; GitHub records it shipped.
    shipped_through_the_bot(&h, &sha(0xc2), "carol").await;
    h.fake.repo(REPO, |r| {
        // Someone with deployments:write buries it under newer failed deployments.
        for id in 0..120 {
            r.deployments
                .push(deployment_with_status(1_000 + id, sha(0xc2), "failure"));
        }
    });
    deploy_with_reviews(&h, 152, &sha(0xc3), &["alice", "bob"]).await;
    assert_eq!(
        h.gate_answers(152).last().unwrap()["state"],
        "approved",
        "alice's and bob's commits shipped with run 51: they may approve c3"
    );
}
