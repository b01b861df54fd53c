//! Found in the review of the day's GitHub-side changes (issues 7 and 11): each test
//! failed on the code before its fix.

use super::harness::{Harness, sha};

const ONE_WITH_VETO: &str = "version: 1\npolicies:\n  one:\n    requires: [ { any: 1 } ]\napply:\n  - policies: [one]\n    to: pull_request\noptions:\n  commands: { reject: [\"/veto\"] }\n";

/// The command words a comment is filtered by were the last evaluated pull request's
/// (one per repository), so a revoke in another base branch's words was dropped unseen.
#[tokio::test]
async fn a_revoke_in_one_base_branchs_command_words_is_not_skipped_after_another_branchs_evaluation()
 {
    let h = Harness::new().await;
    h.set_policy("release", ONE_WITH_VETO);
    h.open_pr_from(1, "erin", &sha(1), "fix-1", "release").await;
    h.review(1, "alice", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
    // A pull request into main (default words) is evaluated last.
    h.open_pr(2, "erin", &sha(2), &["src/lib.rs"]).await;
    h.settle().await;
    h.comment(1, "bob", "/veto").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        ("failure".into(), "Rejected by bob".into()),
        "/veto is the release branch's reject word"
    );
}
