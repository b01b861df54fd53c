//! Which grants count on a pull request (issue 7, items 3, 4, 9, 10, 12): dismissals,
//! review bodies, push intervals, reasons after commands, each layer's command words,
//! and tampering read from the forge's edit history.

use super::harness::{Harness, REPO, sha};

#[tokio::test]
async fn a_dismissed_review_revokes_its_body_commands_and_only_comment_reviews_hold_commands() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review_with_body(1, "alice", "APPROVED", "/approve").await;
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
    h.dismiss_review(1, "alice").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        ("pending".into(), "Pending: 1 more from anyone".into()),
        "the dismissal revokes the review's body command too"
    );
    h.review_with_body(1, "carol", "CHANGES_REQUESTED", "/approve")
        .await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        ("failure".into(), "Rejected by carol".into()),
        "a change request's body is not a command"
    );
}

#[tokio::test]
async fn a_force_push_away_and_back_does_not_move_comment_approvals_onto_unreviewed_code() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    h.advance(2);
    h.push(1, &sha(2), "erin").await;
    h.settle().await;
    h.advance(2);
    h.push(1, &sha(1), "erin").await;
    h.settle().await;
    h.advance(2);
    h.comment(1, "alice", "/approve").await;
    h.comment(1, "bob", "/approve").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success", "sha 1 was reviewed");
    h.advance(2);
    h.push(1, &sha(2), "erin").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(2)),
        ("pending".into(), "Pending: 2 more from anyone".into()),
        "the approvals were given while sha 1 was the head, not sha 2"
    );
}

#[tokio::test]
async fn a_comment_in_the_same_second_as_a_push_binds_to_the_older_head() {
    let h = Harness::new().await;
    // The push and the comments must share a second even on a loaded machine.
    h.freeze();
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    h.advance(2);
    h.push(1, &sha(2), "erin").await;
    h.comment(1, "alice", "/approve").await;
    h.comment(1, "bob", "/approve").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(2)),
        ("pending".into(), "Pending: 2 more from anyone".into())
    );
}

#[tokio::test]
async fn unapprove_and_reject_followed_by_a_reason_apply_to_the_pull_request() {
    let h = Harness::new().await;
    h.fake
        .repo(REPO, |r| r.environments = vec!["production".into()]);
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.comment(1, "alice", "/approve").await;
    h.comment(1, "bob", "/approve").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
    h.comment(1, "bob", "/unapprove not ready yet").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        ("pending".into(), "Pending: 1 more from anyone".into()),
        "the words after /unapprove are a reason"
    );
    h.comment(1, "carol", "/approve Production").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)).0,
        "pending",
        "production is one of the repository's environments: a deployment grant"
    );
    h.comment(1, "carol", "/reject needs tests").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        ("failure".into(), "Rejected by carol".into())
    );
}

#[tokio::test]
async fn each_policy_layer_reads_grants_with_its_own_command_words() {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org.yml");
    std::fs::write(
        &org,
        "version: 1\npolicies:\n  one:\n    requires: [ { any: 1 } ]\napply:\n  - policies: [one]\n    to: pull_request\n",
    )
    .unwrap();
    let h = Harness::with(|c| c.policy = Some(org)).await;
    h.set_policy(
        "main",
        "version: 1\npolicies:\n  one:\n    requires: [ { any: 1 } ]\napply:\n  - policies: [one]\n    to: pull_request\noptions:\n  commands: { approve: [\"/ship\"] }\n",
    );
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.comment(1, "alice", "/ship").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        ("pending".into(), "Pending: 1 more from anyone".into()),
        "/ship is the repository's word, not the organisation's"
    );
    h.comment(1, "bob", "/approve").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)).0,
        "success",
        "/approve is the organisation's word"
    );
}

/// The page a status links to.
async fn details(h: &Harness, sha: &str) -> String {
    let status = h.fake.status(sha, "signoff").unwrap();
    let url = status["target_url"].as_str().unwrap();
    let (code, page) = h.get(url.strip_prefix(&h.base()).unwrap()).await;
    assert_eq!(code, 200);
    page
}

#[tokio::test]
async fn a_comment_edited_by_someone_else_never_counts_even_without_the_edit_webhook() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    let id = h.comment(1, "alice", "Looks fine to me").await;
    h.settle().await;
    // dave rewrites alice's comment; GitHub's `edited` delivery never arrives.
    let now = h.now().to_string();
    h.fake.repo(REPO, |r| {
        let c = r
            .pulls
            .get_mut(&1)
            .unwrap()
            .comments
            .iter_mut()
            .find(|c| c["id"] == id)
            .unwrap();
        c["body"] = serde_json::json!("/approve");
        c["updated_at"] = serde_json::json!(now);
    });
    h.fake.edited(&format!("IC_{id}"), "dave", &now);
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    let (state, description) = h.status(&sha(1));
    assert_ne!(state, "success", "{description}");
    assert_eq!(description, "Approval comment by alice was edited by dave");
    let page = details(&h, &sha(1)).await;
    assert!(page.contains("edited by dave"), "{page}");
}

#[tokio::test]
async fn a_review_body_edited_by_someone_else_never_counts() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review_with_body(1, "alice", "COMMENTED", "Looks fine")
        .await;
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    h.edit_review(1, "alice", "dave", "/approve").await;
    h.settle().await;
    let (state, description) = h.status(&sha(1));
    assert_ne!(state, "success", "{description}");
    assert!(description.contains("edited by dave"), "{description}");
}

#[tokio::test]
async fn a_comment_binds_to_the_head_of_its_creation_not_of_its_last_edit() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.advance(2);
    let id = h.comment(1, "alice", "/approve").await;
    h.settle().await;
    h.advance(2);
    h.push(1, &sha(2), "erin").await;
    h.advance(2);
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    h.advance(2);
    h.edit_comment(1, id, "alice", "/approve\n(typo fixed)")
        .await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(2)),
        ("pending".into(), "Pending: 1 more from anyone".into()),
        "alice approved sha 1; editing her comment does not move it to sha 2"
    );
}

#[tokio::test]
async fn an_unreadable_edit_history_never_posts_success() {
    let h = Harness::new().await;
    h.fake.with(|s| s.broken.push(("/graphql".into(), 502)));
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.comment(1, "alice", "/approve").await;
    h.comment(1, "bob", "/approve").await;
    h.settle_allowing_failures().await;
    h.assert_failure(&sha(1), "signoff could not evaluate");
}
