//! Lists the decision depends on are read whole, or the gate fails closed naming why.

use super::harness::{Harness, REPO, sha};
use serde_json::json;

/// Adds `n` comments without commands to pull request `number` (no webhooks sent).
fn pad_with_comments(h: &Harness, number: u64, n: u64) {
    let at = jiff::Timestamp::now().to_string();
    h.fake.repo(REPO, |r| {
        let comments = &mut r.pulls.get_mut(&number).unwrap().comments;
        for i in 0..n {
            comments.push(json!({
                "id": 100_000 + i, "user": { "login": "mallory", "id": 9, "type": "User" },
                "body": "padding", "created_at": at, "updated_at": at,
            }));
        }
    });
}

/// A `/reject` buried under 3,050 comments (31 pages) still counts.
#[tokio::test]
async fn a_reject_after_thirty_pages_of_comments_still_counts() {
    let h = Harness::new().await;
    h.open_and_approve(1).await;
    assert_eq!(h.status(&sha(1)).0, "success");
    pad_with_comments(&h, 1, 3_050);
    h.comment(1, "carol", "/reject").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "failure", "{:?}", h.status(&sha(1)));
}

const PATHS: &str = "version: 1\npolicies:\n  sec:\n    requires: [ { any: 2 } ]\napply:\n  - policies: [sec]\n    to: pull_request\n    where: { paths: [\"secrets/**\"] }\n";

/// GitHub lists at most 3,000 files of a pull request: a file past them cannot be
/// checked against `paths`, so the gate fails, saying why.
#[tokio::test]
async fn a_pull_request_with_more_files_than_github_lists_fails_closed() {
    let h = Harness::new().await;
    h.set_policy("main", PATHS);
    let mut files: Vec<String> = (0..3_000).map(|i| format!("pad/{i}.txt")).collect();
    files.push("secrets/key.pem".into());
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    h.open_pr(1, "erin", &sha(1), &files).await;
    h.settle_allowing_failures().await;
    h.assert_failure(
        &sha(1),
        "incomplete list: GitHub serves 3000 of the 3001 changed files of #1",
    );
    // Within GitHub's limit the same policy is checked as usual.
    h.open_pr(2, "erin", &sha(2), &files[1..]).await;
    h.settle_allowing_failures().await;
    assert_eq!(h.status(&sha(2)).0, "pending");
}

/// GitHub lists at most 250 commits: a contributor past them could approve their own
/// work, so the gate fails, saying why.
#[tokio::test]
async fn a_pull_request_with_more_commits_than_github_lists_fails_closed() {
    let h = Harness::new().await;
    h.set_policy(
        "main",
        "version: 1\npolicies: { two: { requires: [ { any: 2 } ] } }\napply: [ { policies: [two], to: pull_request } ]\noptions: { contributors_can_approve: false }\n",
    );
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    h.fake.repo(REPO, |r| {
        let authors = &mut r.pulls.get_mut(&1).unwrap().commit_authors;
        authors.extend((0..249).map(|_| "erin".to_owned()));
    });
    // dave's push is the 251st commit.
    h.push(1, &sha(2), "dave").await;
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "dave", "APPROVED").await;
    h.settle_allowing_failures().await;
    h.assert_failure(
        &sha(2),
        "incomplete list: GitHub serves 250 of the 251 commits of #1",
    );
}

/// A list whose first page GitHub answers `304 Not Modified` is still read to its end:
/// the cached page keeps its `Link` to the next one.
#[tokio::test]
async fn a_cached_first_page_still_leads_to_the_rest_of_the_list() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    pad_with_comments(&h, 1, 150);
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
    // The /reject lands on page 2; page 1 is unchanged (304).
    h.comment(1, "carol", "/reject").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "failure", "{:?}", h.status(&sha(1)));
}
