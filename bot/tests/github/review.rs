//! Found in the attacker review of the merged bot: each test failed on the code before
//! its fix.

use super::harness::{Harness, REPO, sha};

/// Two approvals for pull requests into `main` that touch `secrets/`; nothing else.
const MAIN_SECRETS: &str = "version: 1\npolicies:\n  sec:\n    requires: [ { any: 2 } ]\napply:\n  - policies: [sec]\n    to: pull_request\n    where: { branch: main, paths: [\"secrets/**\"] }\n";

/// A pull request whose evaluation fails (here: more files than GitHub lists) gets a
/// failure status; a second pull request from the same head into a branch the policy
/// does not cover must not replace it with its own `not_required` success.
#[tokio::test]
async fn a_pull_request_that_cannot_be_evaluated_keeps_its_shared_head_failing() {
    let h = Harness::new().await;
    h.set_policy("main", MAIN_SECRETS);
    h.set_policy("scratch", MAIN_SECRETS);
    let mut files: Vec<String> = (0..3_000).map(|i| format!("pad/{i}.txt")).collect();
    files.push("secrets/key.pem".into());
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    h.open_pr(1, "erin", &sha(1), &files).await;
    h.settle_allowing_failures().await;
    assert_eq!(h.status(&sha(1)).0, "failure", "{:?}", h.status(&sha(1)));
    // The same head into a branch no policy covers.
    h.open_pr_from(2, "erin", &sha(1), "change-1", "scratch")
        .await;
    h.settle_allowing_failures().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(
        state, "failure",
        "#2's not_required must not hide #1's failure: {description}"
    );
}

/// GitHub's changed files of a pull request depend on its base: retargeting a pull
/// request from a branch that already holds its `secrets/` change to `main` makes that
/// change part of it. The files read for the old base must not decide for the new one.
#[tokio::test]
async fn retargeting_a_pull_request_reads_its_files_against_the_new_base() {
    let h = Harness::new().await;
    h.set_policy("main", MAIN_SECRETS);
    h.set_policy("dev", MAIN_SECRETS);
    // Into `dev`, which already holds the change: no file of it is new there.
    h.open_pr_from(1, "erin", &sha(1), "feature", "dev").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success", "{:?}", h.status(&sha(1)));
    // Retargeted to `main`, the same head now changes `secrets/`.
    h.fake.repo(REPO, |r| {
        r.pulls.get_mut(&1).unwrap().files = vec!["secrets/key.pem".to_owned()];
    });
    h.change_base(1, "main").await;
    h.settle().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(
        state, "pending",
        "the files against `main` include secrets/: {description}"
    );
}

/// Someone else taking the `/reject` out of a review that only comments leaves no
/// command in the edit history to check: the edit webhook must fail the gate, as it
/// does for comments.
#[tokio::test]
async fn a_reject_taken_out_of_a_review_body_by_someone_else_fails_the_gate() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
    h.review_with_body(1, "carol", "COMMENTED", "/reject").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "failure", "{:?}", h.status(&sha(1)));
    h.edit_review(1, "carol", "mallory", "looks fine").await;
    // Any later evaluation (here a label) must still see the tampering.
    h.label(1, "ready").await;
    h.settle().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(
        state, "failure",
        "carol's rejection was erased: {description}"
    );
    assert!(description.contains("mallory"), "{description}");
}

/// An approver taking the `/approve` out of their own review body withdraws it: the
/// edit is evaluated even though the new body holds no command.
#[tokio::test]
async fn an_approve_taken_out_of_a_review_body_no_longer_counts() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review(1, "alice", "APPROVED").await;
    h.review_with_body(1, "carol", "COMMENTED", "/approve")
        .await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success", "{:?}", h.status(&sha(1)));
    h.edit_review(1, "carol", "carol", "wait, not yet").await;
    h.settle().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(
        state, "pending",
        "carol withdrew her approval: {description}"
    );
}

/// One approval for deployments to production.
const PROD_ONE: &str = "version: 1\npolicies:\n  prod:\n    requires: [ { any: 1 } ]\napply:\n  - policies: [prod]\n    to: deployment\n    where: { environment: production }\n";

/// Someone else deleting a `/reject production` comment fails the pull request's gate;
/// the deployment gate, reading the same comments, must not approve as if the rejection
/// had never been written.
#[tokio::test]
async fn a_deployment_is_not_approved_after_someone_else_deletes_a_rejection() {
    let h = Harness::new().await;
    h.set_policy("main", PROD_ONE);
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    let reject = h.comment(1, "carol", "/reject production").await;
    h.comment(1, "alice", "/approve production").await;
    h.settle().await;
    h.delete_comment(1, reject, "mallory").await;
    h.settle().await;
    h.request_deployment(60, "production", &sha(1), "erin", &[1])
        .await;
    h.settle().await;
    let all: Vec<serde_json::Value> = h.fake.with(|s| {
        s.gate_answers
            .iter()
            .filter(|(_, r, _)| *r == 60)
            .map(|(_, _, b)| b.clone())
            .collect()
    });
    assert!(!all.is_empty(), "the gate was answered");
    assert!(
        all.iter().all(|a| a["state"] != "approved"),
        "approved although carol's rejection was deleted by mallory: {all:?}"
    );
}

/// A `/reject` whose evaluation never succeeds because GitHub keeps failing (so the
/// pull request itself cannot be read) must not leave the earlier success standing:
/// the head the bot last answered for gets the failure.
#[tokio::test]
async fn a_rejection_lost_to_an_outage_does_not_leave_the_old_success() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success", "{:?}", h.status(&sha(1)));
    h.fake.with(|s| s.broken.push(("/pulls/1".into(), 500)));
    h.comment(1, "carol", "/reject").await;
    h.settle_allowing_failures().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(
        state, "failure",
        "the rejection was never seen: {description}"
    );
    assert!(
        description.starts_with("signoff could not evaluate"),
        "{description}"
    );
}

/// With `invalidate_on_push: false` approvals outlive a push, so the failure for a
/// command comment deleted by someone else must outlive it too: otherwise deleting a
/// `/reject` and pushing erases the rejection.
#[tokio::test]
async fn a_deleted_rejection_is_not_forgotten_at_the_next_push_when_approvals_carry_over() {
    let h = Harness::new().await;
    h.set_policy(
        "main",
        "version: 1\npolicies: { two: { requires: [ { any: 2 } ] } }\napply: [ { policies: [two], to: pull_request } ]\noptions: { invalidate_on_push: false }\n",
    );
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
    let reject = h.comment(1, "carol", "/reject").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "failure", "{:?}", h.status(&sha(1)));
    h.delete_comment(1, reject, "mallory").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "failure", "{:?}", h.status(&sha(1)));
    h.advance(1);
    h.push(1, &sha(2), "erin").await;
    h.settle().await;
    let (state, description) = h.status(&sha(2));
    assert_eq!(
        state, "failure",
        "carol's deleted rejection was forgotten at the push: {description}"
    );
}
