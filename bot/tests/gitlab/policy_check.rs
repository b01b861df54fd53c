//! The `signoff/policy` check on a merge request that changes `.gitlab/signoff.yml`:
//! GitLab has no check runs, so it is a commit status and a note on the merge request
//! (diagnostics at line:column, or the decisions the change would flip). The gating
//! `signoff` status keeps the target branch's policy.

use crate::harness::{Harness, POLICY, PROJECT};

const ONE: &str = "version: 1\npolicies:\n  one:\n    requires:\n      - any: 1\napply:\n  - policies: [one]\n    to: pull_request\n";

/// Merge request `iid` by erin whose head changes the policy file to `text`.
async fn propose_policy(h: &Harness, iid: u64, head: &str, text: &str) {
    h.fake.commit_file(PROJECT, head, POLICY, text);
    h.fake
        .open_mr(PROJECT, iid, "erin", head, &[POLICY, "README.md"]);
    let d = h.delivery();
    h.deliver(crate::hooks::merge_request(
        &h.fake, PROJECT, iid, "open", "erin", None, &d,
    ))
    .await;
    h.settle().await;
}

fn bot_notes(h: &Harness, iid: u64) -> Vec<String> {
    h.fake.with(|s| {
        s.projects[&PROJECT].merge_requests[&iid]
            .notes
            .iter()
            .filter(|n| n["author"]["username"] == "signoff-bot")
            .map(|n| n["body"].as_str().unwrap().to_owned())
            .collect()
    })
}

#[tokio::test]
async fn a_merge_request_loosening_the_policy_shows_the_decisions_it_would_flip() {
    let h = Harness::new().await;
    for (iid, head) in [
        (1, "00000000000000000000000000000000000000b1"),
        (2, "00000000000000000000000000000000000000b2"),
    ] {
        h.open_mr(iid, "erin", head).await;
        h.approve(iid, "alice").await;
        h.settle().await;
        assert_eq!(h.status_named(head, "signoff").unwrap().0, "pending");
    }
    let head = "00000000000000000000000000000000000000b3";
    propose_policy(&h, 3, head, ONE).await;
    let (state, description) = h.status_named(head, "signoff/policy").unwrap();
    assert_eq!(state, "success");
    assert!(
        description.starts_with("This change would alter 2 of the last "),
        "{description}"
    );
    let notes = bot_notes(&h, 3);
    assert_eq!(notes.len(), 1, "{notes:?}");
    // Merge requests are written `!N` (escaped for Markdown).
    for target in ["\\!1", "\\!2"] {
        assert!(
            notes[0]
                .lines()
                .any(|l| l.contains(target) && l.contains("pending → **approved**")),
            "{target} flips: {}",
            notes[0]
        );
    }
    // The gate keeps the target branch's policy: one approval is not enough.
    h.approve(3, "alice").await;
    h.settle().await;
    assert_eq!(h.status_named(head, "signoff").unwrap().0, "pending");
    assert_eq!(bot_notes(&h, 3).len(), 1, "one note per head");
}

#[tokio::test]
async fn a_merge_request_breaking_the_policy_gets_a_note_at_line_and_column() {
    let h = Harness::new().await;
    let broken = "version: 1\npolicies:\n  two:\n    requires: 3\napply: []\n";
    let expected = signoff::PolicySet::parse(broken, POLICY).unwrap_err();
    let head = "00000000000000000000000000000000000000c1";
    propose_policy(&h, 1, head, broken).await;
    let (state, description) = h.status_named(head, "signoff/policy").unwrap();
    assert_eq!(state, "failed");
    assert!(description.contains("line 4, column 15"), "{description}");
    let notes = bot_notes(&h, 1);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains(&format!("`{POLICY}:4:{}`", expected[0].span.col)),
        "{}",
        notes[0]
    );
    // The gate is untouched: the target branch's policy decides.
    let (gate, text) = h.status_named(head, "signoff").unwrap();
    assert_eq!(gate, "pending");
    assert!(!text.contains("Invalid policy"), "{text}");
}
