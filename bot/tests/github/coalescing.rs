//! Deliveries of one change that queued up while its previous evaluation ran (or while
//! the workers were busy) are evaluated once, with every fact they carry recorded first:
//! a push's head and time, a command comment deleted by someone else. The forge is
//! re-read at that evaluation, so a revoke or a push is never lost to coalescing.

use super::harness::{Harness, REPO, sha};
use signoff_bot::event::{ForgeKind, Repo};

/// How many times the bot read pull request `number` (once per evaluation).
fn evaluations(h: &Harness, number: u64) -> usize {
    let path = format!("/repos/{REPO}/pulls/{number}");
    h.fake
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.split('?').next() == Some(path.as_str()))
        .count()
}

/// Deliveries accepted while no worker runs, then the workers start.
async fn queued(deliver: impl AsyncFnOnce(&Harness)) -> Harness {
    let mut h = Harness::with(|c| c.workers = 0).await;
    deliver(&h).await;
    assert_eq!(evaluations(&h, 7), 0, "nothing evaluated yet");
    h.stop_bot().await;
    h.config.workers = 2;
    h.start_bot().await;
    h.settle().await;
    h
}

#[tokio::test]
async fn queued_deliveries_of_one_change_are_evaluated_once() {
    let h = queued(async |h| {
        h.open_pr(7, "erin", &sha(7), &["src/lib.rs"]).await;
        h.review(7, "alice", "APPROVED").await;
        h.comment(7, "dave", "Looks fine to me.").await;
        h.review_with_body(7, "carol", "COMMENTED", "One question.")
            .await;
        h.review(7, "bob", "APPROVED").await;
    })
    .await;
    assert_eq!(h.status(&sha(7)).0, "success", "{:?}", h.status(&sha(7)));
    assert_eq!(evaluations(&h, 7), 1, "five deliveries, one evaluation");
    let counts = h.bot().app.store.counts().await.unwrap();
    assert_eq!((counts.done, counts.queued, counts.running), (5, 0, 0));
}

/// A push queued behind approvals: its head is recorded with the push's own time before
/// the one evaluation, so approvals given on the old head stay stale.
#[tokio::test]
async fn a_coalesced_push_is_recorded_and_older_approvals_stay_stale() {
    let h = queued(async |h| {
        h.open_pr(7, "erin", &sha(7), &["src/lib.rs"]).await;
        h.comment(7, "alice", "/approve").await;
        h.comment(7, "bob", "/approve").await;
        h.advance(1);
        h.push(7, &sha(8), "erin").await;
    })
    .await;
    // The push's time as the webhook said it (the pull request's `updated_at`).
    let push_time: jiff::Timestamp = h
        .fake
        .repo(REPO, |r| r.pulls[&7].updated_at.clone())
        .parse()
        .unwrap();
    assert_ne!(h.status(&sha(8)).0, "success", "{:?}", h.status(&sha(8)));
    assert_eq!(evaluations(&h, 7), 1);
    let heads = h
        .bot()
        .app
        .store
        .heads(ForgeKind::GitHub, &Repo::new("acme", "app"), 7)
        .await
        .unwrap();
    let pushed = heads
        .iter()
        .find(|s| s.sha == sha(8))
        .expect("push recorded");
    assert_eq!(
        pushed.since,
        push_time.as_millisecond(),
        "the push's own time, not the evaluation's: {heads:?}"
    );
}

/// The deletion of an approval comment by someone else is known only from its webhook:
/// coalesced with later deliveries, it is still recorded and still fails the gate.
#[tokio::test]
async fn a_coalesced_deletion_by_someone_else_still_fails_the_gate() {
    let h = queued(async |h| {
        h.open_pr(7, "erin", &sha(7), &["src/lib.rs"]).await;
        let id = h.comment(7, "alice", "/approve").await;
        h.review(7, "bob", "APPROVED").await;
        h.delete_comment(7, id, "carol").await;
        h.review(7, "dave", "APPROVED").await;
        h.comment(7, "dave", "Thanks.").await;
    })
    .await;
    assert_eq!(
        h.status(&sha(7)),
        (
            "failure".into(),
            "Approval comment by alice was deleted by carol".into()
        )
    );
    assert_eq!(evaluations(&h, 7), 1);
}

/// A dismissal queued after the approvals it revokes is seen by the one evaluation.
#[tokio::test]
async fn a_coalesced_dismissal_revokes() {
    let h = queued(async |h| {
        h.open_pr(7, "erin", &sha(7), &["src/lib.rs"]).await;
        h.review(7, "alice", "APPROVED").await;
        h.review(7, "bob", "APPROVED").await;
        h.dismiss_review(7, "alice").await;
    })
    .await;
    assert_ne!(h.status(&sha(7)).0, "success", "{:?}", h.status(&sha(7)));
    assert_eq!(evaluations(&h, 7), 1);
}
