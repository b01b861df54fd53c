//! Fault test: 30% of GitHub calls fail at random (500, connection reset, an answer
//! slower than the client timeout, 403 rate limit, 429 `Retry-After`). Every pull
//! request must end with the status its final state deserves, or a failure naming the
//! reason after the last attempt; a success the policy does not give is never posted.
//! Knobs: `FAULT_PULLS` (8), `FAULT_RATE` (0.3), `FAULT_SEED` (random, printed).

use super::fake::{Chaos, Failure};
use super::harness::{Harness, sha};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Two approvals: success.
    Approved,
    /// One approval: pending, never success.
    OneApproval,
    /// Two approvals, then changes requested: failure.
    ChangesRequested,
    /// Two approvals, a push, one approval of the new head: pending there, never success.
    PushedAfterApproval,
}

impl Fate {
    fn of(pull: u64) -> Fate {
        match pull % 4 {
            0 => Fate::Approved,
            1 => Fate::OneApproval,
            2 => Fate::ChangesRequested,
            _ => Fate::PushedAfterApproval,
        }
    }
}

fn head(pull: u64) -> String {
    sha(u32::try_from(pull).unwrap())
}

fn pushed(pull: u64) -> String {
    sha(u32::try_from(pull + 1_000_000).unwrap())
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_percent_of_forge_calls_fail_and_no_status_is_wrong() {
    let pulls: u64 = env("FAULT_PULLS", 8);
    let rate: f64 = env("FAULT_RATE", 0.3);
    let seed: u64 = env("FAULT_SEED", fastrand::u64(..));
    let h = Harness::with(|c| {
        c.workers = 4;
        c.github.timeout_secs = 1;
        c.queue.max_attempts = 10;
        c.queue.recheck_secs = 1;
    })
    .await;
    h.fake.with(|s| {
        s.chaos = Some(Chaos {
            rate,
            // Rate limits pause every call for a second or two: fewer of them, so the
            // test stays short.
            kinds: [
                Failure::Server(500),
                Failure::Reset,
                // Longer than the client's one-second timeout.
                Failure::Slow(1_500),
            ]
            .into_iter()
            .cycle()
            .take(9)
            .chain([
                Failure::RateLimit { reset_in_secs: 1 },
                Failure::RetryAfter { secs: 1 },
            ])
            .collect(),
            rng: fastrand::Rng::with_seed(seed),
            injected: Default::default(),
        })
    });
    let started = Instant::now();
    for n in 1..=pulls {
        h.open_pr(n, "erin", &head(n), &["src/lib.rs"]).await;
        h.review(n, "alice", "APPROVED").await;
        match Fate::of(n) {
            Fate::OneApproval => {
                h.comment(n, "dave", "Looks reasonable.").await;
            }
            Fate::Approved => {
                h.comment(n, "bob", "/approve").await;
            }
            Fate::ChangesRequested => {
                h.review(n, "bob", "APPROVED").await;
                h.advance(1);
                h.review(n, "carol", "CHANGES_REQUESTED").await;
            }
            Fate::PushedAfterApproval => {
                h.comment(n, "bob", "/approve").await;
                h.advance(1);
                h.push(n, &pushed(n), "erin").await;
                h.advance(1);
                h.review(n, "carol", "APPROVED").await;
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let c = h.bot().app.store.counts().await.unwrap();
        if c.queued == 0 && c.running == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "work left: {c:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The periodic recheck posts answers no post of which was confirmed: let it run
    // once more, without faults, and settle.
    let injected = h.fake.with(|s| s.chaos.take().unwrap().injected);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    h.settle_allowing_failures().await;

    let statuses = h.fake.statuses();
    let (mut correct, mut failed_with_reason, mut wrong) = (0, 0, Vec::new());
    for n in 1..=pulls {
        let fate = Fate::of(n);
        let (sha, want) = match fate {
            Fate::Approved => (head(n), "success"),
            Fate::OneApproval => (head(n), "pending"),
            Fate::ChangesRequested => (head(n), "failure"),
            Fate::PushedAfterApproval => (pushed(n), "pending"),
        };
        let never_success = matches!(fate, Fate::OneApproval | Fate::PushedAfterApproval);
        if never_success
            && statuses
                .iter()
                .any(|(s, c, v)| *s == sha && c == "signoff" && v["state"] == "success")
        {
            wrong.push(format!("#{n}: a success the policy never gave"));
        }
        let (state, description) = h
            .fake
            .status(&sha, "signoff")
            .map(|v| {
                (
                    v["state"].as_str().unwrap_or("").to_owned(),
                    v["description"].as_str().unwrap_or("").to_owned(),
                )
            })
            .unwrap_or_default();
        if state == want && !description.starts_with("signoff could not evaluate") {
            correct += 1;
        } else if state == "failure" && description.starts_with("signoff could not evaluate: ") {
            failed_with_reason += 1;
        } else {
            wrong.push(format!(
                "#{n} {fate:?}: {state} {description:?}, want {want}"
            ));
        }
    }
    let calls = h.fake.requests().len();
    let dead = h.bot().app.store.failures().await.unwrap().len();
    println!(
        "faults (seed {seed}): {pulls} pull requests, {calls} GitHub calls, faults injected {injected:?} ({} in all, {:.0}%); {dead} dead letters; final statuses: {correct} correct, {failed_with_reason} failure naming the reason, {} wrong; {:.1} s",
        injected.values().sum::<usize>(),
        100.0 * injected.values().sum::<usize>() as f64 / calls as f64,
        wrong.len(),
        started.elapsed().as_secs_f64(),
    );
    assert!(wrong.is_empty(), "seed {seed}: {wrong:#?}");
}
