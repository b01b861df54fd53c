//! Crash test: `signoff serve` replicas as real processes on one database, fed a stream
//! of signed deliveries over many pull requests against the fake GitHub, while `kill -9`
//! hits a replica at random moments and each killed replica is restarted on the same
//! database. Afterwards every acknowledged delivery must be processed (state `done` in
//! the queue), none processed twice (taken again although no killed worker held it),
//! and every pull request must show the status its final state deserves.
//!
//! - `crash_sqlite`: one replica on SQLite (SQLite is for one process).
//! - `crash_postgres`: three replicas on PostgreSQL (`SIGNOFF_TEST_POSTGRES`; required
//!   when `CI=true`, skipped with a message otherwise).
//!
//! Knobs: `CRASH_DELIVERIES` (2000), `CRASH_PULLS` (200), `CRASH_KILLS` (20).
// The whole binary is test code, where clippy.toml allows unwrap, expect, panic and indexing.
#![cfg(test)]

#[path = "common/mod.rs"]
mod common;
#[path = "github/fake.rs"]
#[allow(dead_code, reason = "shared with the scenario tests")]
mod fake;
#[path = "github/harness.rs"]
#[allow(dead_code, reason = "shared with the scenario tests")]
mod harness;

use common::cli;
use harness::{Harness, SECRET, sha};
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Workers per replica process (each kill interrupts at most this many deliveries).
const WORKERS: usize = 2;

/// The two halves share 2 cores: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One `signoff serve` process; killed (SIGKILL) when dropped.
struct Replica {
    child: Child,
    base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_replica(database: &str, github: &str, dir: &Path, incarnation: usize) -> Replica {
    let log = dir.join(format!("replica-{incarnation}.log"));
    let mut command = cli::signoff_command();
    let child = command
        .arg("serve")
        .env("SIGNOFF_LISTEN", "127.0.0.1:0")
        .env("SIGNOFF_DATABASE", database)
        .env("SIGNOFF_WEB_DIR", dir.join("no-web"))
        .env("SIGNOFF_GITHUB_API_URL", github)
        .env("SIGNOFF_GITHUB_TOKEN", "ghp_test_token")
        .env("SIGNOFF_GITHUB_WEBHOOK_SECRET", SECRET)
        .env("SIGNOFF_WORKERS", WORKERS.to_string())
        // A killed replica's deliveries are taken over within two seconds.
        .env("SIGNOFF_QUEUE_LEASE_SECS", "2")
        .env("SIGNOFF_QUEUE_POLL_MS", "20")
        .env("SIGNOFF_QUEUE_MAX_ATTEMPTS", "50")
        .env("SIGNOFF_QUEUE_BACKOFF_BASE_MS", "5")
        .env("SIGNOFF_QUEUE_BACKOFF_MAX_MS", "50")
        .env("SIGNOFF_QUEUE_RECHECK_SECS", "0")
        .env("SIGNOFF_LOG", "warn,signoff_bot::server=info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut replica = Replica {
        child,
        base: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains("signoff listening")) {
            let addr = line.split("addr=").nth(1).unwrap().trim();
            replica.base = format!("http://{addr}");
            return replica;
        }
        if let Some(status) = replica.child.try_wait().unwrap() {
            panic!("replica exited with {status}: {text}");
        }
        assert!(Instant::now() < deadline, "replica did not start: {text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What a pull request's events lead to, so its final status is known.
#[derive(Debug, Clone, Copy)]
enum Fate {
    /// Two approvals: success.
    Approved,
    /// Two approvals, then a push and one approval of the new head: pending.
    PushedAfterApproval,
    /// Two approvals and a change request: failure.
    ChangesRequested,
}

impl Fate {
    fn of(pull: u64) -> Fate {
        match pull % 3 {
            0 => Fate::Approved,
            1 => Fate::PushedAfterApproval,
            _ => Fate::ChangesRequested,
        }
    }

    fn expected(self, pull: u64) -> (String, &'static str) {
        match self {
            Fate::Approved => (head(pull), "success"),
            Fate::PushedAfterApproval => (pushed_head(pull), "pending"),
            Fate::ChangesRequested => (head(pull), "failure"),
        }
    }
}

fn head(pull: u64) -> String {
    sha(u32::try_from(pull).unwrap())
}

fn pushed_head(pull: u64) -> String {
    sha(u32::try_from(pull + 1_000_000).unwrap())
}

#[derive(Debug, Clone)]
enum Step {
    Open,
    Approve(&'static str),
    SlashApprove(&'static str),
    Chatter,
    Push,
    RequestChanges,
}

/// The events of one pull request, in order: its fate's events with plain comments
/// mixed in so it has `events` deliveries in all.
fn steps(pull: u64, events: usize) -> Vec<Step> {
    let mut core = vec![Step::Approve("alice"), Step::SlashApprove("bob")];
    match Fate::of(pull) {
        Fate::Approved => {}
        Fate::PushedAfterApproval => core.extend([Step::Push, Step::Approve("carol")]),
        Fate::ChangesRequested => core.push(Step::RequestChanges),
    }
    let mut all = vec![Step::Open];
    let chatter = events.saturating_sub(core.len() + 1);
    let mut rest: Vec<Step> = core;
    for _ in 0..chatter {
        let at = fastrand::usize(..=rest.len());
        rest.insert(at, Step::Chatter);
    }
    all.extend(rest);
    all
}

async fn play(h: &Harness, pull: u64, step: &Step) {
    match step {
        Step::Open => h.open_pr(pull, "erin", &head(pull), &["src/lib.rs"]).await,
        Step::Approve(who) => h.review(pull, who, "APPROVED").await,
        Step::SlashApprove(who) => {
            h.comment(pull, who, "/approve").await;
        }
        Step::Chatter => {
            h.comment(pull, "dave", "Looks reasonable, one question inline.")
                .await;
        }
        Step::Push => h.push(pull, &pushed_head(pull), "erin").await,
        Step::RequestChanges => h.review(pull, "carol", "CHANGES_REQUESTED").await,
    }
}

#[derive(Debug, Default)]
struct Figures {
    acknowledged: usize,
    processed: usize,
    lost: usize,
    duplicated: usize,
    retaken_after_kill: usize,
    /// The changes those belong to: a worker holds one delivery or one change's batch.
    retaken_changes: usize,
    kills: usize,
    wrong_status: Vec<String>,
}

async fn run(label: &str, h: &Harness, replicas: usize) -> Figures {
    let deliveries = env_usize("CRASH_DELIVERIES", 2000);
    let pulls = env_usize("CRASH_PULLS", 200).max(1) as u64;
    let kills = env_usize("CRASH_KILLS", 20);
    let per_pull = (deliveries / pulls as usize).max(6);
    let dir = tempfile::tempdir().unwrap();
    let database = h.config.database.clone();
    let github = h.fake.url();
    let mut incarnation = 0;
    let mut live: Vec<Replica> = (0..replicas)
        .map(|_| {
            incarnation += 1;
            start_replica(&database, &github, dir.path(), incarnation)
        })
        .collect();

    // Every pull request's events in order; pull requests interleaved at random.
    let mut queues: HashMap<u64, std::collections::VecDeque<Step>> = (1..=pulls)
        .map(|n| (n, steps(n, per_pull).into()))
        .collect();
    let total: usize = queues.values().map(|q| q.len()).sum();
    let mut kill_at: BTreeSet<usize> = BTreeSet::new();
    while kill_at.len() < kills.min(total) {
        kill_at.insert(fastrand::usize(1..total));
    }
    let mut open: Vec<u64> = (1..=pulls).collect();
    let mut interrupted: BTreeSet<String> = BTreeSet::new();
    let mut figures = Figures::default();
    let started = Instant::now();
    for i in 0..total {
        if kill_at.contains(&i) {
            // A random moment: workers are in the middle of the deliveries sent so far.
            tokio::time::sleep(Duration::from_millis(fastrand::u64(0..40))).await;
            let victim = fastrand::usize(..live.len());
            let mut replica = live.swap_remove(victim);
            replica.child.kill().unwrap();
            replica.child.wait().unwrap();
            figures.kills += 1;
            // What the dead process held stays `running` until its lease ends.
            for id in running(h).await {
                interrupted.insert(id);
            }
            incarnation += 1;
            live.push(start_replica(&database, &github, dir.path(), incarnation));
        }
        let at = fastrand::usize(..open.len());
        let pull = open[at];
        let step = queues.get_mut(&pull).unwrap().pop_front().unwrap();
        if queues[&pull].is_empty() {
            open.swap_remove(at);
        }
        *h.target.lock().unwrap() = Some(live[i % live.len()].base.clone());
        play(h, pull, &step).await;
        figures.acknowledged += 1;
    }
    let sent = started.elapsed();

    // Let the replicas finish (a killed replica's leases run out first).
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let c = h.bot().app.store.counts().await.unwrap();
        if c.queued == 0 && c.running == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{label}: work left: {c:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drained = started.elapsed();

    let rows = sqlx::query("SELECT delivery_id, work_key, state, attempts FROM deliveries")
        .fetch_all(h.bot().app.store.pool())
        .await
        .unwrap();
    let mut seen = BTreeSet::new();
    let mut retaken_changes = BTreeSet::new();
    for row in &rows {
        let id: String = row.try_get("delivery_id").unwrap();
        let state: String = row.try_get("state").unwrap();
        let attempts: i64 = row.try_get("attempts").unwrap();
        if !id.starts_with("delivery-") {
            continue;
        }
        seen.insert(id.clone());
        if state == "done" {
            figures.processed += 1;
        }
        if attempts > 1 {
            if interrupted.contains(&id) {
                figures.retaken_after_kill += 1;
                retaken_changes.insert(row.try_get::<String, _>("work_key").unwrap());
            } else {
                figures.duplicated += 1;
            }
        }
    }
    figures.retaken_changes = retaken_changes.len();
    figures.lost = figures.acknowledged - figures.processed;
    assert_eq!(
        seen.len(),
        figures.acknowledged,
        "every acknowledged delivery stored once"
    );

    for pull in 1..=pulls {
        let (sha, want) = Fate::of(pull).expected(pull);
        let got = h.fake.status(&sha, "signoff").map(|s| s["state"].clone());
        if got.as_ref().and_then(|s| s.as_str()) != Some(want) {
            figures
                .wrong_status
                .push(format!("#{pull} {sha}: want {want}, got {got:?}"));
        }
    }
    println!(
        "crash {label}: {replicas} replica(s), {pulls} pull requests: acknowledged {}, processed {}, lost {}, duplicated {}, kills {} (retaken after a kill: {} of {} changes; wrong final statuses: {}); sent in {:.1} s, drained in {:.1} s",
        figures.acknowledged,
        figures.processed,
        figures.lost,
        figures.duplicated,
        figures.kills,
        figures.retaken_after_kill,
        figures.retaken_changes,
        figures.wrong_status.len(),
        sent.as_secs_f64(),
        drained.as_secs_f64(),
    );
    drop(live);
    figures
}

/// Deliveries held by a worker right now (`running`), by delivery id.
async fn running(h: &Harness) -> Vec<String> {
    sqlx::query("SELECT delivery_id FROM deliveries WHERE state = 'running'")
        .fetch_all(h.bot().app.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("delivery_id").unwrap())
        .collect()
}

fn check(label: &str, f: &Figures, kills: usize) {
    assert_eq!(
        f.lost, 0,
        "{label}: acknowledged deliveries not processed: {f:?}"
    );
    assert_eq!(
        f.duplicated, 0,
        "{label}: deliveries taken twice without a kill: {f:?}"
    );
    assert!(
        f.wrong_status.is_empty(),
        "{label}: pull requests with the wrong final status: {:#?}",
        f.wrong_status
    );
    assert_eq!(f.kills, kills, "{label}: every planned kill happened");
    assert!(
        f.retaken_changes <= f.kills * WORKERS,
        "{label}: deliveries of more changes retaken than the killed workers held: {f:?}"
    );
}

/// The in-process bot only reads the database (workers off); the replicas do the work.
async fn harness(database: Option<String>) -> Harness {
    Harness::with(|c| {
        c.workers = 0;
        if let Some(database) = database {
            c.database = database;
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_sqlite() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let file: PathBuf = dir.path().join("crash.db");
    let h = harness(Some(format!("sqlite://{}", file.display()))).await;
    let kills = env_usize("CRASH_KILLS", 20);
    let f = run("sqlite", &h, 1).await;
    check("sqlite", &f, kills);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_postgres() {
    if std::env::var("SIGNOFF_TEST_POSTGRES").is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and no SIGNOFF_TEST_POSTGRES: the crash test needs PostgreSQL (scripts/test.sh starts one)"
        );
        println!(
            "crash postgres: skipped, SIGNOFF_TEST_POSTGRES is not set (only the SQLite half ran; `bash scripts/test.sh` starts a server)"
        );
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let h = harness(None).await;
    let kills = env_usize("CRASH_KILLS", 20);
    let f = run("postgres", &h, 3).await;
    check("postgres", &f, kills);
}
