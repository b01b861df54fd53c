//! Operating the bot: `/metrics` figures, `/healthz` when the database is gone, the
//! drain deadline on shutdown.

use super::fake::Failure;
use super::harness::{Harness, sha};
use signoff_bot::event::{Event, Repo};
use signoff_bot::store::now_ms;
use std::time::{Duration, Instant};

/// The value of a metric line `name value` (the first whose name matches exactly).
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn metrics_show_the_queue_its_depth_and_its_oldest_delivery() {
    // Workers off: deliveries stay queued.
    let h = Harness::with(|c| c.workers = 0).await;
    let event = Event::Review {
        repo: Repo::new("acme", "app"),
        tenant: None,
        number: 9,
        commented: None,
        edit: None,
    };
    // Received two minutes ago and still waiting.
    assert!(
        h.bot()
            .app
            .store
            .enqueue("github", "1", "old-one", &event, now_ms() - 120_000)
            .await
            .unwrap()
    );
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    let (status, text) = h.get("/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(metric(&text, "signoff_queue_depth"), 2.0, "{text}");
    let age = metric(&text, "signoff_queue_oldest_age_seconds");
    assert!((120.0..600.0).contains(&age), "{text}");
    assert_eq!(metric(&text, "signoff_delivery_attempts"), 0.0);
}

#[tokio::test]
async fn metrics_show_evaluations_forge_calls_and_rate_limit_waits() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    h.fake.fail_next(Failure::RetryAfter { secs: 1 });
    h.review(1, "alice", "APPROVED").await;
    h.settle().await;
    let (_, text) = h.get("/metrics").await;
    assert_eq!(
        metric(&text, "signoff_evaluation_seconds_count"),
        3.0,
        "{text}"
    );
    assert_eq!(
        metric(&text, "signoff_evaluation_seconds_bucket{le=\"+Inf\"}"),
        3.0
    );
    assert!(metric(&text, "signoff_evaluation_seconds_sum") > 0.0);
    let calls = h.fake.requests().len() as f64;
    assert_eq!(
        metric(&text, "signoff_forge_api_calls_total{forge=\"github\"}"),
        calls,
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "signoff_forge_rate_limit_waits_total{forge=\"github\"}"
        ),
        1.0,
        "{text}"
    );
    // The take that waited for the rate limit is given back: one per delivery.
    assert_eq!(metric(&text, "signoff_delivery_attempts"), 2.0, "{text}");
    assert_eq!(h.status(&sha(1)).0, "pending");
}

#[tokio::test]
async fn healthz_says_503_when_this_replica_cannot_reach_the_database() {
    let h = Harness::new().await;
    assert_eq!(h.get("/healthz").await, (200, "ok\n".to_owned()));
    h.bot().app.store.close().await;
    assert_eq!(
        h.get("/healthz").await,
        (503, "database unavailable\n".to_owned())
    );
}

#[tokio::test]
async fn shutdown_gives_up_a_delivery_in_hand_at_the_drain_deadline_and_it_is_taken_over() {
    let mut h = Harness::with(|c| {
        c.server.drain_secs = 1;
        c.queue.lease_secs = 1;
    })
    .await;
    // GitHub takes the request for the pull request and never answers.
    h.fake.with(|s| s.hold.push("/pulls/1".into()));
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.bot().app.store.counts().await.unwrap().running == 0 {
        assert!(Instant::now() < deadline, "the delivery was never taken");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Without a deadline the stop would wait for GitHub forever.
    tokio::time::timeout(Duration::from_secs(15), h.stop_bot())
        .await
        .expect("stop returns once the drain deadline has passed");
    h.fake.with(|s| s.hold.clear());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    h.start_bot().await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "pending");
}
