//! What GitLab users read of the bot's decisions: details pages (GitHub's twin:
//! `github/pages.rs`) and statuses naming merge requests.

use crate::common::details::everything_shown;
use crate::harness::{Harness, PROJECT};

const HEAD: &str = "00000000000000000000000000000000000000b7";

/// The details page the latest `signoff` status links to.
pub async fn latest_details_page(h: &Harness) -> String {
    let url = h
        .status_posts()
        .into_iter()
        .filter_map(|b| b["target_url"].as_str().map(str::to_owned))
        .next_back()
        .unwrap();
    let (status, page) = h.get_url(&url).await;
    assert_eq!(status, 200, "{page}");
    page
}

/// GitLab's API does not say whether a group's members may be seen by all, so every
/// policy group is treated as a GitHub secret team is: the page names the group, never
/// a member who took no part.
#[tokio::test]
async fn a_policy_groups_members_are_not_named_on_the_details_page() {
    let h = Harness::new().await;
    h.fake.with(|s| {
        s.groups.insert(
            "org/security".to_owned(),
            vec![("sam-undercover".to_owned(), 30)],
        );
    });
    h.fake.add_member(PROJECT, "sam-undercover", 30);
    h.set_policy(
        "main",
        "version: 1\npolicies:\n  sec:\n    requires: [ { group: org/security } ]\napply:\n  - policies: [sec]\n    to: pull_request\n",
    );
    h.open_mr(1, "erin", HEAD).await;
    h.settle().await;
    let shown = everything_shown(&latest_details_page(&h).await);
    assert!(
        !shown.contains("sam-undercover"),
        "a group's member is named: {shown}"
    );
    assert!(shown.contains("org/security"), "{shown}");
}

/// A head shared by two merge requests shows the least permissive answer and names its
/// merge request as GitLab writes it: `!1`, not `#1` (an issue).
#[tokio::test]
async fn a_status_names_the_deciding_merge_request_as_gitlab_writes_it() {
    let h = Harness::new().await;
    h.open_mr(1, "erin", HEAD).await;
    h.approve(1, "alice").await;
    h.approve(1, "bob").await;
    h.settle().await;
    assert_eq!(h.status_named(HEAD, "signoff").unwrap().0, "success");
    // (GitLab refuses a status in the state the commit already shows, so the head's
    // answer must change for its text to.)
    h.open_mr(2, "dave", HEAD).await;
    h.settle().await;
    let (state, description) = h.status_named(HEAD, "signoff").unwrap();
    assert_eq!(state, "pending");
    assert!(description.starts_with("!2: "), "{description}");
}
