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

/// Lines GitLab runs as quick actions in a note: a `/` word at the start of a line
/// (after spaces), outside fenced code blocks.
fn quick_actions(note: &str) -> Vec<String> {
    let mut fenced = false;
    let mut found = Vec::new();
    for line in note.lines() {
        let line = line.trim_start();
        if line.starts_with("```") || line.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if !fenced
            && line.starts_with('/')
            && line[1..].starts_with(|c: char| c.is_ascii_alphabetic())
        {
            found.push(line.to_owned());
        }
    }
    found
}

#[tokio::test]
async fn a_policy_file_cannot_make_the_bots_note_run_quick_actions() {
    let h = Harness::new().await;
    // The merge request's own file names a field holding line breaks and quick actions;
    // the diagnostic quotes it, and the bot user (who may approve and merge) writes
    // the note.
    let hostile = "version: 1\npolicies:\n  two:\n    requires: [ { any: 2 } ]\n    \"x\\n/approve\\n/merge\\n  /target_branch other\": 1\napply: []\n";
    let head = "00000000000000000000000000000000000000c7";
    propose_policy(&h, 1, head, hostile).await;
    assert_eq!(h.status_named(head, "signoff/policy").unwrap().0, "failed");
    let notes = bot_notes(&h, 1);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("approve"),
        "the field is still named: {}",
        notes[0]
    );
    assert_eq!(
        quick_actions(&notes[0]),
        Vec::<String>::new(),
        "{}",
        notes[0]
    );
}

#[tokio::test]
async fn a_valid_policy_file_cannot_make_the_bots_note_run_quick_actions() {
    let h = Harness::new().await;
    let head = "00000000000000000000000000000000000000b1";
    h.open_mr(1, "erin", head).await;
    h.approve(1, "alice").await;
    h.settle().await;
    // Names the new file chooses (a policy, a group, a description) hold line breaks
    // and quick actions; the decisions it would flip are listed in the bot's note.
    let hostile = "version: 1\ngroups:\n  \"g\\n/approve\": [alice]\npolicies:\n  \"one\\n/merge\":\n    description: \"d\\n/approve\"\n    requires:\n      - group: \"g\\n/approve\"\napply:\n  - policies: [\"one\\n/merge\"]\n    to: pull_request\n";
    let proposal = "00000000000000000000000000000000000000b9";
    propose_policy(&h, 2, proposal, hostile).await;
    let notes = bot_notes(&h, 2);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(
        quick_actions(&notes[0]),
        Vec::<String>::new(),
        "{}",
        notes[0]
    );
}
