//! Replicas on PostgreSQL wake each other: a delivery accepted by one replica is taken
//! by another's idle worker at once (LISTEN/NOTIFY), not at its next poll.

use super::harness::{Harness, sha};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_delivery_accepted_by_one_replica_wakes_another_at_once() {
    // Polls far apart, so only a wake-up explains a prompt pickup.
    let mut h = Harness::with(|c| {
        c.workers = 0;
        c.queue.poll_ms = 10_000;
    })
    .await;
    if !h.config.database.starts_with("postgres") {
        println!("wake-ups across replicas: PostgreSQL only (SIGNOFF_TEST_POSTGRES not set)");
        return;
    }
    let mut worker = h.config.clone();
    worker.workers = 1;
    let other = signoff_bot::server::start(worker).await.unwrap();
    // The worker replica has gone idle (its first poll found nothing).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = Instant::now();
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    while h.fake.status(&sha(1), "signoff").is_none() {
        assert!(
            sent.elapsed() < Duration::from_secs(3),
            "the other replica waited for its poll"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "wake-up across replicas: delivery to status in {:.0} ms",
        sent.elapsed().as_secs_f64() * 1e3
    );
    other.stop().await;
    h.stop_bot().await;
}
