//! The queue under poison inputs, long jobs and several processes: dead letters,
//! lease heartbeats, claims shared by replicas.

use super::fake::Pull;
use super::harness::{Harness, REPO, sha};
use signoff_bot::event::{Event, Repo};
use signoff_bot::store::Store;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn review_of(number: u64) -> Event {
    Event::Review {
        repo: Repo::new("acme", "app"),
        tenant: None,
        number,
        commented: None,
        edit: None,
    }
}

pub fn pull(number: u64) -> Pull {
    Pull {
        author: "erin".into(),
        head_sha: sha(u32::try_from(number).unwrap()),
        head_ref: format!("change-{number}"),
        base_ref: "main".into(),
        open: true,
        ..Pull::default()
    }
}

/// A delivery that crashed its worker on every attempt (here: taken and never finished,
/// as a process aborting on it would leave it) is not taken again: it becomes a dead
/// letter with a failure status naming the reason, shows in `/metrics`, in
/// `signoff audit` and `signoff dead-letters`, and can be queued again.
#[tokio::test]
async fn a_delivery_that_keeps_crashing_its_worker_becomes_a_dead_letter() {
    let mut h = Harness::new().await;
    h.fake.repo(REPO, |r| {
        r.pulls.insert(7, pull(7));
    });
    h.stop_bot().await;
    let store = Store::connect(&h.config.database).await.unwrap();
    store
        .enqueue("github", "1", "poison", &review_of(7), 0)
        .await
        .unwrap();
    for attempt in 0..h.config.queue.max_attempts {
        // Taken with a 1 ms lease that nobody renews: the worker "died".
        let at = i64::from(attempt) * 10;
        store.claim(at, 1, 100).await.unwrap().unwrap();
    }
    store.close().await;
    h.start_bot().await;
    h.settle_allowing_failures().await;
    // The sweeper marks the delivery failed before it fails the gate closed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.fake.status(&sha(7), "signoff").is_none() {
        assert!(Instant::now() < deadline, "no failure status");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    h.assert_failure(&sha(7), "dead letter: abandoned after 4 attempts");
    assert_eq!(
        h.fake
            .count(|r| r.method == "GET" && r.path.ends_with("/reviews?per_page=100")),
        0,
        "never evaluated again"
    );
    let (_, metrics) = h.get("/metrics").await;
    assert!(metrics.contains("signoff_dead_letters 1\n"), "{metrics}");
    let audit = signoff_bot::audit::run(&h.config.database, Some(REPO), None, false)
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|l| l.contains("dead-letter acme/app#7") && l.contains("abandoned after 4")),
        "{audit:?}"
    );
    // The operator fixed the cause: queue it again; it is processed normally.
    let id = h.bot().app.store.dead_letters(None).await.unwrap()[0].id;
    let retried = signoff_bot::dead_letters::run(
        &h.config.database,
        signoff_bot::dead_letters::Retry::One(id),
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        retried,
        vec!["queued again: 1 (a running bot processes them shortly)"]
    );
    h.settle().await;
    assert_eq!(h.status(&sha(7)).0, "pending");
    assert!(
        h.bot()
            .app
            .store
            .dead_letters(None)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A job that outlives its lease keeps it (heartbeat): no second worker takes it over
/// and runs it again beside the first.
#[tokio::test]
async fn a_job_longer_than_its_lease_runs_once() {
    let h = Harness::with(|c| c.queue.lease_secs = 2).await;
    h.fake
        .with(|s| s.slow.push(("/repos/acme/app/pulls/1".into(), 4_500)));
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    let reads = h.fake.count(|r| r.path == "/repos/acme/app/pulls/1");
    assert_eq!(reads, 1, "the delivery was taken over while running");
    assert_eq!(h.fake.statuses().len(), 1);
}

/// Two stores on one database (two replicas): every delivery is claimed once, and a
/// change is never held by two workers at a time.
#[tokio::test]
async fn replicas_sharing_a_database_claim_each_delivery_once_one_change_at_a_time() {
    let h = Harness::with(|c| c.workers = 0).await;
    let replicas = [
        Store::connect(&h.config.database).await.unwrap(),
        Store::connect(&h.config.database).await.unwrap(),
    ];
    for i in 0..120u64 {
        replicas[0]
            .enqueue("github", "1", &format!("d{i}"), &review_of(i % 12), 0)
            .await
            .unwrap();
    }
    let busy: Arc<Mutex<HashSet<String>>> = Arc::default();
    let done: Arc<Mutex<HashMap<i64, u32>>> = Arc::default();
    let mut workers = Vec::new();
    for w in 0..6 {
        let store = replicas[w % 2].clone();
        let (busy, done) = (Arc::clone(&busy), Arc::clone(&done));
        workers.push(tokio::spawn(async move {
            let mut idle = 0;
            while idle < 20 {
                let now = signoff_bot::store::now_ms();
                let Some(job) = store.claim(now, 60_000, 8).await.unwrap() else {
                    idle += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    continue;
                };
                idle = 0;
                let event: Event = serde_json::from_str(&job.payload).unwrap();
                let key = event.work_key();
                assert!(busy.lock().unwrap().insert(key.clone()), "{key} held twice");
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                busy.lock().unwrap().remove(&key);
                *done.lock().unwrap().entry(job.id).or_default() += 1;
                let _ = store.finish(&job.lease(), now, 0).await.unwrap();
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let done = done.lock().unwrap();
    assert_eq!(done.len(), 120);
    assert!(done.values().all(|n| *n == 1), "a delivery ran twice");
}

/// SQLite is for one process: a second bot on the same file says so at start.
#[tokio::test]
async fn a_second_process_on_one_sqlite_file_is_told() {
    let h = Harness::new().await;
    assert!(!h.bot().sqlite_shared);
    let mut config = h.config.clone();
    config.workers = 0;
    let second = signoff_bot::server::start(config).await.unwrap();
    // On PostgreSQL, replicas sharing the database is what it is for.
    let sqlite = h.config.database.starts_with("sqlite:");
    assert_eq!(second.sqlite_shared, sqlite);
    second.stop().await;
}

/// On the test's store (SQLite, or PostgreSQL in CI's second pass): handled deliveries
/// are forgotten in batches.
#[tokio::test]
async fn handled_deliveries_are_forgotten_in_batches() {
    let h = Harness::new().await;
    h.open_and_approve(1).await;
    h.settle().await;
    let store = &h.bot().app.store;
    let done = store.counts().await.unwrap().done;
    assert!(done >= 2, "{done}");
    let now = signoff_bot::store::now_ms();
    assert_eq!(
        store.forget_done(0, 1).await.unwrap(),
        0,
        "none handled before 1970"
    );
    assert_eq!(store.forget_done(now + 1, 1).await.unwrap(), 1);
    assert_eq!(
        store.forget_done(now + 1, 1_000).await.unwrap(),
        u64::try_from(done - 1).unwrap()
    );
    assert_eq!(store.counts().await.unwrap().done, 0);
}
