//! Pull-request gates end to end.

use super::harness::{Harness, REPO, TWO_APPROVALS, sha};
use base64::Engine;

#[tokio::test]
async fn opened_is_pending_then_two_approvals_succeed() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        ("pending".into(), "Pending: 2 more from anyone".into())
    );
    h.review(1, "alice", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "pending");
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(state, "success", "{description}");
    let status = h.fake.status(&sha(1), "signoff").unwrap();
    let url = status["target_url"].as_str().unwrap();
    assert!(
        url.starts_with(&h.base()) && url.contains("/details/"),
        "{url}"
    );
}

#[tokio::test]
async fn a_push_makes_approvals_stale() {
    let h = Harness::new().await;
    h.open_and_approve(1).await;
    assert_eq!(h.status(&sha(1)).0, "success");
    h.push(1, &sha(2), "erin").await;
    h.settle().await;
    assert_eq!(h.status(&sha(2)).0, "pending");
    h.review(1, "carol", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(2)).0, "pending", "one fresh approval of two");
}

#[tokio::test]
async fn approve_comments_count_and_bind_to_the_head_of_their_time() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.comment(1, "alice", "Looks good.\n/approve").await;
    h.comment(1, "bob", "I'd /approve this").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        ("pending".into(), "Pending: 1 more from anyone".into())
    );
    h.comment(1, "bob", "/LGTM").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
    h.push(1, &sha(2), "erin").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(2)).0,
        "pending",
        "comments from before the push are stale"
    );
}

#[tokio::test]
async fn self_approval_and_outsiders_are_ignored_with_reasons() {
    let h = Harness::new().await;
    h.open_pr(1, "alice", &sha(1), &["src/lib.rs"]).await;
    h.comment(1, "alice", "/approve").await;
    h.review(1, "rita", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        ("pending".into(), "Pending: 1 more from anyone".into())
    );
    let status = h.fake.status(&sha(1), "signoff").unwrap();
    let url = status["target_url"].as_str().unwrap();
    let (code, page) = h.get(url.strip_prefix(&h.base()).unwrap()).await;
    assert_eq!(code, 200);
    if let Ok(path) = std::env::var("SIGNOFF_DUMP_DETAILS") {
        std::fs::write(path, &page).unwrap();
    }
    assert!(
        page.contains("<b>alice</b>") && page.contains("self_approval"),
        "{page}"
    );
    assert!(
        page.contains("<b>rita</b>") && page.contains("not_approver"),
        "{page}"
    );
    assert!(page.contains("Open in simulator"), "{page}");
    // The simulator link carries the exact case; evaluating it gives the same decision.
    let fragment = page
        .split("#case=")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let case = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(fragment)
        .unwrap();
    let case: serde_json::Value = serde_json::from_slice(&case).unwrap();
    let policy = signoff::PolicySet::parse(case["policy"].as_str().unwrap(), "p").unwrap();
    let mut input = case.clone();
    for k in ["name", "policy"] {
        input.as_object_mut().unwrap().remove(k);
    }
    let input: signoff::Input = serde_json::from_value(input).unwrap();
    let decision = signoff::evaluate(&policy, &input);
    assert_eq!(decision.summary, "Pending: 1 more from anyone");
    // The same signature on another id gives nothing.
    let path = url.strip_prefix(&h.base()).unwrap();
    let parts: Vec<&str> = path.split('/').collect();
    let id: i64 = parts[2].parse().unwrap();
    let forged = format!("/details/{}/{}", id + 1, parts[3]);
    assert_eq!(h.get(&forged).await.0, 404);
}

#[tokio::test]
async fn changes_requested_rejects_and_dismissal_revokes() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
    h.review(1, "carol", "CHANGES_REQUESTED").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        ("failure".into(), "Rejected by carol".into())
    );
    h.dismiss_review(1, "carol").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
}

#[tokio::test]
async fn invalid_policy_fails_with_line_and_column() {
    let h = Harness::new().await;
    h.set_policy("main", "version: 1\npolicies:\n  two:\n    requires:\n      - any: 2\n        cuont: 3\napply: []\n");
    h.open_and_approve(1).await;
    h.assert_failure(&sha(1), "Invalid policy: .github/signoff.yml:6:9: error:");
}

#[tokio::test]
async fn a_policy_changed_in_the_pull_request_is_not_used() {
    let h = Harness::new().await;
    let permissive = "version: 1\npolicies: {}\napply: []\n";
    h.set_policy("change-1", permissive);
    h.open_pr(1, "erin", &sha(1), &[".github/signoff.yml"])
        .await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)).0,
        "pending",
        "the base branch's policy applies"
    );
    let reads: Vec<String> = h
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/contents/"))
        .map(|r| r.path)
        .collect();
    // The head's file is read only by the informational `signoff/policy` check.
    let head_read = format!("?ref={}", sha(1));
    assert!(
        reads.iter().any(|p| p.ends_with("?ref=refs/heads/main"))
            && reads
                .iter()
                .all(|p| p.ends_with("?ref=refs/heads/main") || p.ends_with(&head_read)),
        "{reads:?}"
    );
}

#[tokio::test]
async fn an_approval_comment_edited_by_someone_else_fails_naming_them() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    let id = h.comment(1, "alice", "/approve").await;
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
    h.edit_comment(1, id, "dave", "/approve\nand more").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        (
            "failure".into(),
            "Approval comment by alice was edited by dave".into()
        )
    );
    // Its author editing it is fine; a new push starts afresh.
    h.push(1, &sha(2), "erin").await;
    h.settle().await;
    assert_eq!(h.status(&sha(2)).0, "pending");
}

#[tokio::test]
async fn a_deleted_approval_comment_is_tampering_too() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    let id = h.comment(1, "alice", "/approve").await;
    h.settle().await;
    h.delete_comment(1, id, "carol").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        (
            "failure".into(),
            "Approval comment by alice was deleted by carol".into()
        )
    );
}

/// Pull request 1 approved by alice and bob, then rejected by carol's comment `id`.
async fn approved_then_rejected_by_carol() -> (Harness, u64) {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
    let id = h.comment(1, "carol", "/reject").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "failure");
    (h, id)
}

#[tokio::test]
async fn a_reject_comment_deleted_without_a_webhook_still_blocks() {
    let (h, id) = approved_then_rejected_by_carol().await;
    // A writer deletes carol's comment and GitHub's webhook for it never arrives
    // (GitHub does not retry): the next event shows the comment gone.
    h.fake.repo(REPO, |r| {
        r.pulls
            .get_mut(&1)
            .unwrap()
            .comments
            .retain(|c| c["id"] != id)
    });
    h.review(1, "dave", "APPROVED").await;
    h.settle().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(state, "failure", "{description}");
    assert!(
        description.contains("carol") && description.contains("deleted"),
        "{description}"
    );
}

#[tokio::test]
async fn a_reject_comment_its_author_deleted_is_withdrawn() {
    let (h, id) = approved_then_rejected_by_carol().await;
    h.delete_comment(1, id, "carol").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
}

#[tokio::test]
async fn teams_labels_paths_and_the_organisation_policy() {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org.yml");
    std::fs::write(&org, "version: 1\npolicies:\n  sec:\n    requires: [ { group: acme/security } ]\napply:\n  - policies: [sec]\n    to: pull_request\n    where: { paths: [\"db/**\"] }\n").unwrap();
    let h = Harness::with(|c| c.policy = Some(org)).await;
    h.fake.with(|s| {
        s.teams
            .insert("acme/security".into(), vec!["carol".into(), "sam".into()]);
    });
    h.set_policy("main", "version: 1\npolicies:\n  one:\n    requires: [ { any: 1 } ]\napply:\n  - policies: [one]\n    to: pull_request\n");
    h.open_pr(1, "erin", &sha(1), &["db/migrations/1.sql"])
        .await;
    h.review(1, "alice", "APPROVED").await;
    h.settle().await;
    // The repository's policy is met, the organisation's is not: the worse one shows.
    assert_eq!(
        h.status(&sha(1)),
        (
            "pending".into(),
            "Pending: 1 more from group acme/security".into()
        )
    );
    h.review(1, "carol", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
    // A pull request outside db/ needs only the repository's policy.
    h.open_pr(2, "erin", &sha(20), &["src/lib.rs"]).await;
    h.review(2, "alice", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(20)).0, "success");
}

#[tokio::test]
async fn no_policy_no_status_and_audit_lists_what_was_posted() {
    let h = Harness::new().await;
    h.fake.repo(REPO, |r| r.files.clear());
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    assert!(h.fake.statuses().is_empty());
    h.set_policy("main", TWO_APPROVALS);
    h.review(1, "alice", "APPROVED").await;
    h.settle().await;
    // Settled first: a second delivery handled apart from the first reads the same
    // reviews, so the verdict is the same (a second review would change the decision).
    h.redeliver_review(1, "alice").await;
    h.settle().await;
    assert_eq!(
        h.fake.statuses().len(),
        1,
        "the same verdict is not posted twice"
    );
    let lines = signoff_bot::audit::run(&h.config.database, Some(REPO), Some("1h"), false)
        .await
        .unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("acme/app pull_request #1")
            && lines[0].contains("approvers=[\"alice\"]")
            && lines[0].contains("answer=status:pending"),
        "{}",
        lines[0]
    );
    assert!(
        signoff_bot::audit::run(&h.config.database, Some("other/repo"), None, true)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn contributors_are_ignored_when_the_policy_says_so() {
    let h = Harness::new().await;
    h.set_policy(
        "main",
        "version: 1\npolicies: { two: { requires: [ { any: 2 } ] } }\napply: [ { policies: [two], to: pull_request } ]\noptions: { contributors_can_approve: false }\n",
    );
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.push(1, &sha(2), "alice").await;
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(2)),
        ("pending".into(), "Pending: 1 more from anyone".into())
    );
    let entries = h.audit().await;
    assert!(
        entries.last().unwrap().ignored.contains("\"contributor\""),
        "{:?}",
        entries.last()
    );
}

#[tokio::test]
async fn labels_and_a_new_base_are_read_again() {
    let h = Harness::new().await;
    h.set_policy(
        "main",
        "version: 1\npolicies: { two: { requires: [ { any: 2 } ] } }\napply: [ { policies: [two], to: pull_request, where: { labels: [needs-review] } } ]\n",
    );
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)).0,
        "success",
        "no policy applies without the label"
    );
    h.label(1, "needs-review").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "pending");
    h.set_policy("release", "version: 1\npolicies: { one: { requires: [ { any: 1 } ] } }\napply: [ { policies: [one], to: pull_request } ]\n");
    h.review(1, "alice", "APPROVED").await;
    h.change_base(1, "release").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)).0,
        "success",
        "the new base's policy: one approval"
    );
}
