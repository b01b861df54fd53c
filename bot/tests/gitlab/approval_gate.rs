//! `[gitlab] approve_merge_requests`: the bot user approves a merge request whose head
//! shows success (for an approval rule requiring it) and takes the approval back for
//! anything else; its own approval is never a grant.

use crate::fake::BOT_USER;
use crate::harness::{Harness, PROJECT};
use crate::hooks;

const HEAD: &str = "00000000000000000000000000000000000000a1";
const NEW_HEAD: &str = "00000000000000000000000000000000000000b2";
const ONE_APPROVAL: &str = "version: 1\npolicies:\n  one:\n    requires:\n      - any: 1\napply:\n  - policies: [one]\n    to: pull_request\n";

async fn approving() -> Harness {
    Harness::with(|c| c.gitlab.approve_merge_requests = true).await
}

fn shown(h: &Harness, sha: &str) -> String {
    h.status_named(sha, "signoff")
        .map(|s| s.0)
        .unwrap_or_default()
}

/// erin's merge request 1 at `HEAD`, approved by alice and bob: the policy's two.
async fn approved_mr(h: &Harness) {
    h.open_mr(1, "erin", HEAD).await;
    h.approve(1, "alice").await;
    h.approve(1, "bob").await;
    h.settle().await;
    assert_eq!(shown(h, HEAD), "success");
}

#[tokio::test]
async fn approvals_complete_the_bot_approves_the_head_it_evaluated() {
    let h = approving().await;
    h.open_mr(1, "erin", HEAD).await;
    h.approve(1, "alice").await;
    h.settle().await;
    assert_eq!(shown(&h, HEAD), "pending");
    assert!(!h.fake.approved_by_bot(PROJECT, 1), "one of two approvals");
    h.approve(1, "bob").await;
    h.settle().await;
    assert_eq!(shown(&h, HEAD), "success");
    assert!(h.fake.approved_by_bot(PROJECT, 1));
    let asked: Vec<_> = h
        .fake
        .approve_requests()
        .into_iter()
        .map(|r| (r.raw_path, r.body.unwrap_or_default()["sha"].clone()))
        .collect();
    assert_eq!(
        asked,
        [(
            "/api/v4/projects/org%2Fteam%2Fservice/merge_requests/1/approve".to_owned(),
            serde_json::json!(HEAD)
        )]
    );
}

#[tokio::test]
async fn a_push_takes_the_bots_approval_back_where_gitlab_keeps_approvals() {
    let h = approving().await;
    h.fake.with(|s| s.approval_rules.keep_on_push = true);
    approved_mr(&h).await;
    assert!(h.fake.approved_by_bot(PROJECT, 1));
    h.push(1, NEW_HEAD).await;
    h.settle().await;
    // alice's and bob's approvals were given on the old head: they are stale.
    assert_eq!(shown(&h, NEW_HEAD), "pending");
    assert!(!h.fake.approved_by_bot(PROJECT, 1), "taken back");
    assert!(!h.fake.unapprove_requests().is_empty());
}

#[tokio::test]
async fn after_a_push_gitlab_resets_the_approval_and_the_bot_gives_none() {
    let h = approving().await;
    approved_mr(&h).await;
    let approvals_asked = h.fake.approve_requests().len();
    h.push(1, NEW_HEAD).await;
    h.settle().await;
    assert_eq!(shown(&h, NEW_HEAD), "pending");
    assert!(!h.fake.approved_by_bot(PROJECT, 1));
    assert_eq!(
        h.fake.approve_requests().len(),
        approvals_asked,
        "none for the new head"
    );
}

#[tokio::test]
async fn a_reject_note_after_success_takes_the_approval_back() {
    let h = approving().await;
    approved_mr(&h).await;
    h.note(1, "carol", "Not like this.\n/reject").await;
    h.settle().await;
    assert_eq!(shown(&h, HEAD), "failed");
    assert!(!h.fake.approved_by_bot(PROJECT, 1));
}

#[tokio::test]
async fn a_head_that_moved_before_the_approval_is_not_approved_and_nothing_loops() {
    let h = approving().await;
    h.open_mr(1, "erin", HEAD).await;
    h.approve(1, "alice").await;
    h.settle().await;
    // The source branch gets a new commit between the evaluation and the approval.
    h.fake
        .with(|s| s.approval_rules.push_before_next_approval = Some(NEW_HEAD.to_owned()));
    h.approve(1, "bob").await;
    h.settle().await;
    assert!(!h.fake.approved_by_bot(PROJECT, 1), "GitLab answered 409");
    assert_eq!(h.fake.approve_requests().len(), 1, "not retried");
    // The push's own event: the new head is evaluated, its approvals reset.
    let d = h.delivery();
    h.deliver(hooks::merge_request(
        &h.fake,
        PROJECT,
        1,
        "update",
        "erin",
        Some(HEAD),
        &d,
    ))
    .await;
    h.settle().await;
    assert_eq!(shown(&h, NEW_HEAD), "pending");
    assert!(!h.fake.approved_by_bot(PROJECT, 1));
    assert_eq!(h.fake.approve_requests().len(), 1);
}

#[tokio::test]
async fn the_bots_own_approval_is_not_a_grant() {
    let h = approving().await;
    h.set_policy("main", ONE_APPROVAL);
    h.open_mr(1, "erin", HEAD).await;
    h.settle().await;
    // The bot user is a Maintainer: were its approval a review, one would be enough.
    h.approve(1, BOT_USER).await;
    h.settle().await;
    assert_eq!(shown(&h, HEAD), "pending");
    assert!(!h.fake.approved_by_bot(PROJECT, 1), "not the head's answer");
    h.approve(1, "alice").await;
    h.settle().await;
    assert_eq!(shown(&h, HEAD), "success");
    assert!(h.fake.approved_by_bot(PROJECT, 1));
}

#[tokio::test]
async fn a_second_merge_request_pending_on_the_same_head_takes_the_first_ones_approval_back() {
    let h = approving().await;
    approved_mr(&h).await;
    assert!(h.fake.approved_by_bot(PROJECT, 1));
    h.open_mr(2, "dave", HEAD).await;
    h.settle().await;
    assert_eq!(shown(&h, HEAD), "pending", "the least permissive: !2's");
    assert!(!h.fake.approved_by_bot(PROJECT, 1));
    assert!(!h.fake.approved_by_bot(PROJECT, 2));
}

#[tokio::test]
async fn with_the_option_off_the_bot_never_approves_or_unapproves() {
    let h = Harness::new().await;
    approved_mr(&h).await;
    h.note(1, "carol", "/reject").await;
    h.push(1, NEW_HEAD).await;
    h.settle().await;
    assert!(!h.fake.approved_by_bot(PROJECT, 1));
    assert!(h.fake.approve_requests().is_empty());
    assert!(h.fake.unapprove_requests().is_empty());
}

#[tokio::test]
async fn a_merge_request_that_cannot_be_read_is_never_approved() {
    let h = approving().await;
    h.fake
        .with(|s| s.approval_rules.refuse_merge_request_reads = true);
    h.open_mr(1, "erin", HEAD).await;
    h.approve(1, "alice").await;
    h.approve(1, "bob").await;
    h.settle_allowing_failures().await;
    assert!(h.fake.approve_requests().is_empty());
    assert!(!h.fake.approved_by_bot(PROJECT, 1));
}

#[tokio::test]
async fn an_error_reading_the_merge_request_takes_an_earlier_approval_back() {
    let h = approving().await;
    approved_mr(&h).await;
    assert!(h.fake.approved_by_bot(PROJECT, 1));
    let approvals_asked = h.fake.approve_requests().len();
    h.fake
        .with(|s| s.approval_rules.refuse_merge_request_reads = true);
    h.note(1, "carol", "/approve").await;
    h.settle_allowing_failures().await;
    assert_eq!(shown(&h, HEAD), "failed", "fails closed");
    assert!(!h.fake.approved_by_bot(PROJECT, 1));
    assert_eq!(h.fake.approve_requests().len(), approvals_asked);
}

/// Among the fake's requests from `before` on, the bot's approval was taken back before
/// the merge request's approvals were read for the new evaluation.
fn taken_back_before_reading_approvals(h: &Harness, before: usize) {
    let since = &h.fake.requests()[before..];
    let position = |wanted: &dyn Fn(&crate::fake::Recorded) -> bool| {
        since.iter().position(wanted).unwrap_or(usize::MAX)
    };
    let taken_back = position(&|r| r.method == "POST" && r.raw_path.ends_with("/unapprove"));
    let read = position(&|r| r.method == "GET" && r.raw_path.ends_with("/approvals"));
    assert!(
        taken_back < read,
        "an approval given before stood while the merge request was evaluated again: {since:?}"
    );
}

#[tokio::test]
async fn a_push_takes_the_approval_back_before_the_new_head_is_read() {
    let h = approving().await;
    h.fake.with(|s| s.approval_rules.keep_on_push = true);
    approved_mr(&h).await;
    let before = h.fake.requests().len();
    h.push(1, NEW_HEAD).await;
    h.settle().await;
    taken_back_before_reading_approvals(&h, before);
}

#[tokio::test]
async fn an_unapprove_gitlab_refuses_does_not_keep_success_shown() {
    let h = approving().await;
    approved_mr(&h).await;
    assert!(h.fake.approved_by_bot(PROJECT, 1));
    h.fake.with(|s| s.approval_rules.unapprove_down = true);
    h.note(1, "carol", "/reject").await;
    h.settle_allowing_failures().await;
    // The approval could not be taken back (and the work fails, to be retried), but
    // the rejection is shown whatever happened to the approval.
    assert_eq!(shown(&h, HEAD), "failed");
}

#[tokio::test]
async fn a_retarget_takes_the_approval_back_before_the_merge_request_is_read_again() {
    let h = approving().await;
    approved_mr(&h).await;
    let before = h.fake.requests().len();
    // GitLab sends a retarget as `update` without `oldrev`, naming the change.
    h.fake.with(|s| {
        s.projects
            .get_mut(&PROJECT)
            .unwrap()
            .merge_requests
            .get_mut(&1)
            .unwrap()
            .target_branch = "release".to_owned();
    });
    let d = h.delivery();
    let hook = hooks::merge_request(&h.fake, PROJECT, 1, "update", "erin", None, &d);
    let mut v: serde_json::Value = serde_json::from_slice(&hook.body).unwrap();
    v["changes"]["target_branch"] = serde_json::json!({"previous": "main", "current": "release"});
    h.deliver(hooks::signed("Merge Request Hook", &v, &d)).await;
    h.settle().await;
    taken_back_before_reading_approvals(&h, before);
}

#[tokio::test]
async fn no_approval_is_given_where_the_project_lets_it_be_walked_around() {
    for unsafe_setting in [
        |s: &mut crate::fake::FakeState| s.approval_rules.rules_editable = true,
        |s: &mut crate::fake::FakeState| s.approval_rules.no_reset_on_push = true,
    ] {
        let h = approving().await;
        h.fake.with(unsafe_setting);
        approved_mr(&h).await;
        // The answer is the policy's and stands; the approval is withheld.
        assert!(h.fake.approve_requests().is_empty());
        assert!(!h.fake.approved_by_bot(PROJECT, 1));
    }
}

#[tokio::test]
async fn an_approval_that_expires_takes_the_bots_approval_back_with_no_hook() {
    let h = approving().await;
    h.set_policy(
        "main",
        &format!("{ONE_APPROVAL}options:\n  expires_after: 1h\n"),
    );
    h.open_mr(1, "erin", HEAD).await;
    // alice approves an hour ago less four seconds (the fake's clock moves a minute a
    // verb): her approval expires in four, and no hook will say so.
    let now = jiff::Timestamp::now().as_second();
    h.fake.with(|s| s.clock = now - 3596 - 60);
    h.approve(1, "alice").await;
    h.settle().await;
    assert_eq!(shown(&h, HEAD), "success");
    assert!(h.fake.approved_by_bot(PROJECT, 1));
    h.eventually("the expired approval no longer counts", |h| {
        shown(h, HEAD) == "pending" && !h.fake.approved_by_bot(PROJECT, 1)
    })
    .await;
    h.settle().await;
    let last = h.audit().await.pop().unwrap();
    assert_eq!(
        (last.summary.as_str(), last.ignored.as_str()),
        (
            "Pending: 1 more from anyone",
            r#"[{"by":"alice","reason":"expired"}]"#
        )
    );
    assert_eq!(shown(&h, HEAD), "pending");
}

#[tokio::test]
async fn an_expiring_approval_is_taken_back_on_time_while_an_earlier_hook_waits_to_be_retried() {
    // Retries wait half a minute or more: the note's delivery below is still waiting when
    // alice's approval expires, with the merge request's later deliveries behind it.
    let h = Harness::with(|c| {
        c.gitlab.approve_merge_requests = true;
        c.queue.backoff_base_ms = 60_000;
        c.queue.backoff_max_ms = 60_000;
    })
    .await;
    h.set_policy(
        "main",
        &format!("{ONE_APPROVAL}options:\n  expires_after: 1h\n"),
    );
    h.open_mr(1, "erin", HEAD).await;
    let now = jiff::Timestamp::now().as_second();
    h.fake.with(|s| s.clock = now - 3594 - 60);
    h.approve(1, "alice").await;
    h.settle().await;
    assert_eq!(shown(&h, HEAD), "success");
    assert!(h.fake.approved_by_bot(PROJECT, 1));
    // GitLab answers the next request with a 502: the author's note waits to be retried.
    h.fake.fail_next(crate::fake::Failure::Server(502));
    h.note(1, "erin", "/approve").await;
    h.eventually("the expired approval is taken back at its instant", |h| {
        shown(h, HEAD) == "pending" && !h.fake.approved_by_bot(PROJECT, 1)
    })
    .await;
}
