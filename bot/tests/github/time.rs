//! Answers time takes back, with no webhook: an approval passing `expires_after`, a
//! blackout window for pull requests opening (and closing again). The bot keeps the
//! instant each answer's outcome changes and evaluates the pull request then.

use crate::common::eventually;
use crate::fake::Failure;
use crate::harness::{Harness, sha};
use signoff_bot::event::Repo;
use signoff_bot::store::now_ms;

const EXPIRING: &str = "version: 1\npolicies:\n  two:\n    requires:\n      - any: 2\napply:\n  - policies: [two]\n    to: pull_request\noptions:\n  expires_after: 1h\n";

/// Pull request 1, approved by alice and bob an hour less `secs` ago under `EXPIRING`
/// (`expires_after: 1h`): the approvals expire `secs` seconds from now, with no event.
async fn approved_expiring_in(h: &Harness, secs: i64) {
    h.set_policy("main", EXPIRING);
    h.freeze();
    h.advance(secs - 3600);
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
}

/// [`approved_expiring_in`], handled: the pull request shows green.
async fn green_expiring_in(h: &Harness, secs: i64) {
    approved_expiring_in(h, secs).await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
}

#[tokio::test]
async fn an_approval_that_expires_takes_the_green_back_with_no_event() {
    let h = Harness::new().await;
    // Everything happened an hour ago, less four seconds: the approvals expire in four.
    green_expiring_in(&h, 4).await;
    eventually("the expired approvals no longer count", || {
        h.status(&sha(1)) == ("pending".into(), "Pending: 2 more from anyone".into())
    })
    .await;
    h.settle().await;
}

#[tokio::test]
async fn a_blackout_for_pull_requests_turns_a_green_head_failing_and_back_when_it_ends() {
    let h = Harness::new().await;
    let now = jiff::Timestamp::now();
    let from = now + jiff::SignedDuration::from_secs(3);
    let until = now + jiff::SignedDuration::from_secs(6);
    h.set_policy(
        "main",
        &format!(
            "version: 1\npolicies:\n  one:\n    requires:\n      - any: 1\napply:\n  - policies: [one]\n    to: pull_request\nwindows:\n  - name: freeze\n    kind: blackout\n    to: pull_request\n    from: {from}\n    until: {until}\n"
        ),
    );
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review(1, "alice", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
    eventually("the blackout blocks the green head", || {
        let (state, description) = h.status(&sha(1));
        state == "failure" && description.contains("freeze")
    })
    .await;
    eventually("the green comes back when the blackout ends", || {
        h.status(&sha(1)).0 == "success"
    })
    .await;
    h.settle().await;
}

#[tokio::test]
async fn an_answer_time_took_back_is_held_pending_while_github_cannot_be_read() {
    let h = Harness::new().await;
    // Twelve seconds: the rate limit must be set before they expire, on a loaded machine
    // (the whole suite on PostgreSQL) too.
    approved_expiring_in(&h, 12).await;
    h.settle().await;
    // When the approvals expire, GitHub's rate limit keeps the pull request from being
    // read for an hour: the week-old green must not stand meanwhile.
    rate_limited_while_green(&h);
    held_when_due(&h).await;
}

/// GitHub's rate limit keeps pull request 1 from being read for an hour, from its next
/// read on.
fn pull_unreadable_for_an_hour(h: &Harness) {
    h.fake.fail_next_matching(
        "/pulls/1",
        Failure::RateLimit {
            reset_in_secs: 3600,
        },
    );
}

/// [`pull_unreadable_for_an_hour`], set while the head still shows the approvals' green.
fn rate_limited_while_green(h: &Harness) {
    pull_unreadable_for_an_hour(h);
    assert_eq!(
        h.status(&sha(1)).0,
        "success",
        "the approvals expired before GitHub could be made unreadable"
    );
}

/// Waits for the head to show the hold, for the twelve seconds left before the instant
/// and as long again on a loaded machine.
async fn held_when_due(h: &Harness) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(25);
    while h.status(&sha(1)) != ("pending".into(), "Evaluating this pull request".into()) {
        assert!(
            std::time::Instant::now() < deadline,
            "never held: {:?}",
            h.status(&sha(1))
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Whichever posts the hold first (the poller that queued the instant, or the evaluation
/// it queued), a post that fails must not leave the green standing: the store says
/// "pending" from then on, and the next attempt must show it before GitHub is read (and
/// found rate-limited, which stops every call until the reset).
#[tokio::test]
async fn a_hold_whose_post_failed_is_shown_before_github_is_read() {
    let h = Harness::new().await;
    approved_expiring_in(&h, 12).await;
    h.settle().await;
    h.fake
        .fail_next_matching(&format!("/statuses/{}", sha(1)), Failure::Server(502));
    rate_limited_while_green(&h);
    held_when_due(&h).await;
}

/// The instant's evaluation queued behind a label change of the same pull request: the
/// two are handled as one batch, and the label's read of the pull request must not come
/// before the hold. Here the poller's own hold never reached GitHub (the recheck is
/// queued as the poller queues it, with no post), and that read finds the rate limit
/// spent, which stops every call until the reset.
#[tokio::test]
async fn an_answer_due_behind_a_label_change_is_held_before_github_is_read() {
    let mut h = Harness::new().await;
    // Ten seconds: the green must be seen and the workers stopped before they expire.
    green_expiring_in(&h, 10).await;
    h.stop_bot().await;
    h.config.workers = 0;
    h.start_bot().await;
    let store = &h.bot().app.store;
    let due = loop {
        if let Some(due) = store.due_rechecks(now_ms()).await.unwrap().pop() {
            break due;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    h.label(1, "docs").await;
    let recheck = signoff_bot::event::Event::Change {
        repo: due.repo.clone(),
        tenant: due.tenant,
        number: due.number,
        action: "recheck".to_owned(),
        head: None,
    };
    let delivery = signoff_bot::worker::due::delivery_id(&due);
    assert!(
        store
            .enqueue("github", "recheck", &delivery, &recheck, now_ms())
            .await
            .unwrap()
    );
    pull_unreadable_for_an_hour(&h);
    h.stop_bot().await;
    h.config.workers = 2;
    h.start_bot().await;
    eventually("the hold is shown", || {
        h.status(&sha(1)) == ("pending".into(), "Evaluating this pull request".into())
    })
    .await;
}

#[tokio::test]
async fn a_replayed_delivery_under_the_instant_s_id_does_not_keep_the_green() {
    let h = Harness::new().await;
    green_expiring_in(&h, 6).await;
    // The instant is public (the approvals' times plus `expires_after`), and so is the
    // shape of the id the bot queues it under. Whoever captured a signed delivery
    // replays it under that id before the instant, as GitHub's delivery header is not
    // signed.
    let due = h.bot().app.store.due_rechecks(i64::MAX).await.unwrap();
    assert_eq!(due.len(), 1, "{due:?}");
    let id = signoff_bot::worker::due::delivery_id(&due[0]);
    let replayed = h.pull_payload("labeled", 1);
    let (code, text) = h.deliver_as("pull_request", &id, &replayed).await;
    assert_eq!(
        (code, text.as_str()),
        (
            400,
            "X-GitHub-Delivery is not a GUID (letters, digits and hyphens)\n"
        )
    );
    eventually("the expired approvals no longer count", || {
        h.status(&sha(1)) == ("pending".into(), "Pending: 2 more from anyone".into())
    })
    .await;
    h.settle().await;
}

#[tokio::test]
async fn an_instant_written_again_after_its_evaluation_is_evaluated_again() {
    let h = Harness::new().await;
    green_expiring_in(&h, 8).await;
    let store = &h.bot().app.store;
    let repo = Repo::new("acme", "app");
    let green = store
        .change_answers_on("github", &repo, &sha(1))
        .await
        .unwrap()
        .remove(0);
    let due = store.due_rechecks(i64::MAX).await.unwrap().remove(0);
    assert_eq!(Some(due.recheck_at), green.recheck_at);
    eventually("the expired approvals no longer count", || {
        h.status(&sha(1)) == ("pending".into(), "Pending: 2 more from anyone".into())
    })
    .await;
    h.settle().await;
    // A replica whose clock runs behind the one that polled evaluates the queued answer
    // a moment before its instant: the same green, due at the same instant, is written
    // again. It must be evaluated again, not dropped as the delivery already queued.
    store
        .put_change_answer("github", &repo, due.tenant, &green, now_ms())
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let answers = store
            .change_answers_on("github", &repo, &sha(1))
            .await
            .unwrap();
        if answers.iter().all(|a| !a.outcome.allows()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the green written again stands past its instant: {answers:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    h.settle().await;
}

#[tokio::test]
async fn a_green_is_held_at_its_instant_while_an_earlier_delivery_of_the_pull_request_waits_to_be_retried()
 {
    // Retries wait a minute: an earlier delivery of the pull request that failed is still
    // waiting when its approvals expire.
    let h = Harness::with(|c| {
        c.queue.backoff_base_ms = 60_000;
        c.queue.backoff_max_ms = 60_000;
    })
    .await;
    green_expiring_in(&h, 6).await;
    // GitHub answers the pull request's next read with a 502: the label's delivery waits
    // half a minute or more to be tried again, and the change's deliveries queue behind it.
    h.fake.fail_next_matching("/pulls/1", Failure::Server(502));
    h.label(1, "docs").await;
    eventually("the green is taken back at its instant", || {
        h.status(&sha(1)).0 == "pending"
    })
    .await;
}

#[tokio::test]
async fn a_green_answered_before_the_upgrade_is_taken_back_when_its_approvals_expire() {
    let mut h = Harness::new().await;
    green_expiring_in(&h, 8).await;
    // The database as the release before answers kept their instant left it: the same
    // answer, without the columns (and the migrations from there on not yet applied).
    h.stop_bot().await;
    let store = signoff_bot::store::Store::connect(&h.config.database)
        .await
        .unwrap();
    for statement in [
        "DROP INDEX change_answers_recheck",
        "ALTER TABLE change_answers DROP COLUMN recheck_at",
        "ALTER TABLE change_answers DROP COLUMN tenant",
        "DELETE FROM _sqlx_migrations WHERE version >= 20261201000001",
    ] {
        sqlx::query(statement).execute(store.pool()).await.unwrap();
    }
    store.pool().close().await;
    // Upgraded, with no event for the pull request: its approvals expire all the same.
    h.start_bot().await;
    eventually("the expired approvals no longer count", || {
        h.status(&sha(1)) == ("pending".into(), "Pending: 2 more from anyone".into())
    })
    .await;
    h.settle().await;
}

#[tokio::test]
async fn two_replicas_polling_alike_queue_an_answer_due_once() {
    let h = Harness::new().await;
    if !h.config.database.starts_with("postgres") {
        println!("replicas sharing a database: PostgreSQL only (SIGNOFF_TEST_POSTGRES not set)");
        return;
    }
    let other = signoff_bot::server::start(h.config.clone()).await.unwrap();
    green_expiring_in(&h, 4).await;
    eventually("the expired approvals no longer count", || {
        h.status(&sha(1)) == ("pending".into(), "Pending: 2 more from anyone".into())
    })
    .await;
    h.settle().await;
    let rechecks: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE delivery_id LIKE 'recheck:%'")
            .fetch_one(h.bot().app.store.pool())
            .await
            .unwrap();
    assert_eq!(rechecks, 1);
    other.stop().await;
}
