//! Benchmarks, ignored by default; run in release (see docs/bot.md):
//!
//! ```text
//! cargo test --release -p signoff-bot --test bench -- --ignored --nocapture --test-threads 1
//! ```
//!
//! - `ingest`: signed deliveries to `POST /webhooks/github` on loopback, 32 connections,
//!   workers off: deliveries per second and acknowledgement latency; SQLite, or
//!   PostgreSQL with `SIGNOFF_TEST_POSTGRES`; `BENCH_REPLICAS` bots on the database.
//! - `replay`: pull requests driven through their life (open, reviews, comments, a push)
//!   against the fake GitHub with the workers on: API calls per event.
//! - `ingest_gitlab`: the same for GitLab deliveries (token and signature) to one bot.
//! - `replay_gitlab`: the same life for merge requests against the fake GitLab.
//! - `latency`: pushes at a steady rate (`BENCH_RATE` per second for `BENCH_SECS`, over
//!   `BENCH_PULLS` pull requests) against the fake GitHub with the workers on: time from
//!   sending the delivery to the status on the new head at the fake (p50/p99), and API
//!   calls per event; `BENCH_REPLICAS` bots on the database (PostgreSQL with
//!   `SIGNOFF_TEST_POSTGRES`), deliveries sent to the first, work taken by any.
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

/// The GitLab suite's fake, deliveries and harness.
#[allow(dead_code, reason = "shared with the scenario tests")]
mod gitlab {
    #[path = "fake.rs"]
    pub mod fake;
    #[path = "harness.rs"]
    pub mod harness;
    #[path = "hooks.rs"]
    pub mod hooks;
}

use harness::{Harness, SECRET, fixture, sha};
use signoff_bot::forges::github::signature::sign_github;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// How many requests went to each endpoint (`METHOD path`): the path's segments at
/// `varying` positions and those all hex digits (numbers, shas) are written `*`.
fn calls_by_endpoint(
    requests: impl Iterator<Item = (String, String)>,
    varying: &[usize],
) -> std::collections::BTreeMap<String, usize> {
    let mut by_kind = std::collections::BTreeMap::new();
    for (method, path) in requests {
        let kind: String = path
            .split('/')
            .filter(|p| !p.is_empty())
            .enumerate()
            .map(|(i, p)| {
                if varying.contains(&i) || p.chars().all(|c| c.is_ascii_hexdigit()) {
                    "*"
                } else {
                    p
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        *by_kind.entry(format!("{method} {kind}")).or_default() += 1;
    }
    by_kind
}

/// `replicas - 1` more bots on the harness's database, with its configuration.
async fn more_replicas(h: &Harness, replicas: usize) -> Vec<signoff_bot::server::Running> {
    let mut others = Vec::new();
    for _ in 1..replicas {
        others.push(signoff_bot::server::start(h.config.clone()).await.unwrap());
    }
    others
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run in release with --ignored"]
async fn ingest() {
    let total = env_usize("BENCH_DELIVERIES", 20_000);
    let connections = env_usize("BENCH_CONNECTIONS", 32);
    // Several bots on one database (PostgreSQL with SIGNOFF_TEST_POSTGRES), the
    // connections spread over them as a load balancer would.
    let replicas = env_usize("BENCH_REPLICAS", 1).max(1);
    let h = Harness::with(|c| c.workers = 0).await;
    let store = if h.config.database.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let others = more_replicas(&h, replicas).await;
    let urls: Vec<http::Uri> = std::iter::once(h.base())
        .chain(others.iter().map(|r| format!("http://{}", r.addr)))
        .map(|base| format!("{base}/webhooks/github").parse().unwrap())
        .collect();
    let templates = [
        (
            "pull_request_review",
            fixture("pull_request_review.submitted.approved"),
        ),
        ("issue_comment", fixture("issue_comment.created")),
        ("pull_request", fixture("pull_request.synchronize")),
    ];
    let mut bodies = Vec::with_capacity(total);
    for i in 0..total {
        let (event, template) = &templates[i % templates.len()];
        let mut p = template.clone();
        p["repository"]["name"] = serde_json::json!(format!("app{}", i % 50));
        if p.get("issue").is_some() {
            p["issue"]["pull_request"] = serde_json::json!({ "url": "x" });
            p["issue"]["number"] = serde_json::json!(i % 1000);
        }
        let body = serde_json::to_vec(&p).unwrap();
        let sig = sign_github(SECRET, &body);
        bodies.push((*event, format!("bench-{i}"), bytes::Bytes::from(body), sig));
    }
    let avg = bodies.iter().map(|b| b.2.len()).sum::<usize>() / total;
    let requests = bodies
        .into_iter()
        .map(|(event, delivery, body, sig)| {
            let headers = [
                ("x-github-event", event.to_owned()),
                ("x-github-delivery", delivery),
                ("x-github-hook-id", "1".to_owned()),
                ("x-hub-signature-256", sig),
            ];
            (headers.into_iter().collect::<Vec<_>>(), body)
        })
        .collect();
    let (wall, latencies) = send_all(urls, requests, connections).await;
    report_ingest(
        h.bot(),
        &format!("ingest ({store}, {replicas} replica(s)): {total} signed deliveries"),
        avg,
        connections,
        (wall, &latencies),
    )
    .await;
    for r in others {
        r.stop().await;
    }
}

/// Checks that every acknowledged delivery is queued (the workers are off), then prints
/// `what` was sent and how fast: deliveries per second, acknowledgement p50, p99, max.
async fn report_ingest(
    bot: &signoff_bot::server::Running,
    what: &str,
    avg_bytes: usize,
    connections: usize,
    (wall, sorted_latencies): (Duration, &[Duration]),
) {
    let total = sorted_latencies.len();
    let pct = |p: f64| sorted_latencies[((total as f64 * p) as usize).min(total - 1)];
    let stored = bot.app.store.counts().await.unwrap().queued;
    assert_eq!(
        stored as usize, total,
        "every acknowledged delivery is stored"
    );
    println!(
        "{what} (avg {} KB) over {connections} connections in {:.2} s: {:.0} deliveries/s; ack p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        avg_bytes / 1024,
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        pct(1.0).as_secs_f64() * 1e3,
    );
}

/// Sends every request (headers and body) over `connections` keep-alive connections
/// spread over `urls`, each expecting 202; returns the wall time and the sorted
/// acknowledgement latencies.
async fn send_all(
    urls: Vec<http::Uri>,
    requests: Vec<(Vec<(&'static str, String)>, bytes::Bytes)>,
    connections: usize,
) -> (Duration, Vec<Duration>) {
    let total = requests.len();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .pool_max_idle_per_host(connections)
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let requests = Arc::new(requests);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..connections {
        let (client, requests, next, url) = (
            client.clone(),
            Arc::clone(&requests),
            Arc::clone(&next),
            urls[k % urls.len()].clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((headers, body)) = requests.get(i) else {
                    break;
                };
                let mut req =
                    http::Request::post(url.clone()).header("content-type", "application/json");
                for (name, value) in headers {
                    req = req.header(*name, value.as_str());
                }
                let req = req.body(http_body_util::Full::new(body.clone())).unwrap();
                let sent = Instant::now();
                let res = client.request(req).await.unwrap();
                let status = res.status();
                let _ = http_body_util::BodyExt::collect(res.into_body())
                    .await
                    .unwrap();
                latencies.push(sent.elapsed());
                assert!(status.as_u16() == 202, "{status}");
            }
            latencies
        }));
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(total);
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    latencies.sort();
    (wall, latencies)
}

/// GitLab deliveries (the documented Merge Request and Note Hook payloads), each with its
/// token and Standard Webhooks signature, to one bot with workers off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run in release with --ignored"]
async fn ingest_gitlab() {
    let total = env_usize("BENCH_DELIVERIES", 20_000);
    let connections = env_usize("BENCH_CONNECTIONS", 32);
    let h = gitlab::harness::Harness::with(|c| c.workers = 0).await;
    let store = if h.bot().app.config.database.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let project = gitlab::harness::PROJECT;
    h.fake.open_mr(project, 1, "erin", &sha(1), &["src/lib.rs"]);
    let note = h.fake.note(project, 1, "alice", "/approve");
    let mut requests = Vec::with_capacity(total);
    let mut size = 0;
    for i in 0..total {
        let delivery = format!("bench-{i}");
        let hook = if i % 2 == 0 {
            gitlab::hooks::merge_request(&h.fake, project, 1, "update", "erin", None, &delivery)
        } else {
            gitlab::hooks::note(&h.fake, project, 1, note, &delivery)
        };
        size += hook.body.len();
        let headers = hook
            .headers
            .iter()
            .map(|(name, value)| {
                let name: &'static str = match name.as_str() {
                    "x-gitlab-event" => "x-gitlab-event",
                    "x-gitlab-token" => "x-gitlab-token",
                    "idempotency-key" => "idempotency-key",
                    "webhook-id" => "webhook-id",
                    "webhook-timestamp" => "webhook-timestamp",
                    "webhook-signature" => "webhook-signature",
                    other => panic!("unexpected header {other}"),
                };
                (name, value.to_str().unwrap().to_owned())
            })
            .collect();
        requests.push((headers, bytes::Bytes::from(hook.body)));
    }
    let url: http::Uri = format!("http://{}/webhooks/gitlab", h.bot().addr)
        .parse()
        .unwrap();
    let (wall, latencies) = send_all(vec![url], requests, connections).await;
    report_ingest(
        h.bot(),
        &format!("ingest_gitlab ({store}, 1 replica): {total} tokened and signed deliveries"),
        size / total,
        connections,
        (wall, &latencies),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run in release with --ignored"]
async fn replay() {
    // Policy files read on every event (conditionally), then reused for 60 s (the default).
    for policy_ttl in [0, 60] {
        replay_with(policy_ttl).await;
    }
}

async fn replay_with(policy_ttl: u64) {
    let pulls = env_usize("BENCH_PULLS", 40) as u64;
    let h = Harness::with(|c| c.cache.policy_ttl_secs = policy_ttl).await;
    let started = Instant::now();
    for n in 1..=pulls {
        let head = sha(u32::try_from(n).unwrap());
        h.open_pr(n, "erin", &head, &["src/lib.rs", "README.md"])
            .await;
        h.review(n, "alice", "APPROVED").await;
        h.comment(n, "bob", "Nice work, one nit below.").await;
        h.review_with_body(n, "dave", "COMMENTED", "Consider renaming this.")
            .await;
        h.comment(n, "bob", "/approve").await;
        // A push in its own second: a comment in the same second binds to the older head.
        h.advance(1);
        h.push(n, &sha(u32::try_from(n + 100_000).unwrap()), "erin")
            .await;
        h.advance(1);
        h.review(n, "carol", "APPROVED").await;
        h.comment(n, "alice", "/lgtm").await;
        h.settle().await;
        assert_eq!(
            h.status(&sha(u32::try_from(n + 100_000).unwrap())).0,
            "success"
        );
    }
    let wall = started.elapsed();
    let (calls, events) = h.bot().app.store.api_calls().await.unwrap();
    let gh = h.bot().app.github.as_ref().unwrap();
    let not_modified = gh.client.not_modified.load(Ordering::Relaxed);
    let requests = h.fake.requests().len() as i64;
    assert_eq!(requests, calls, "every request counted");
    // `/repos/{owner}/{repo}/...`: the owner and the repository vary.
    let by_kind = calls_by_endpoint(
        h.fake.requests().into_iter().map(|r| {
            let path = r.path.split('?').next().unwrap_or("").to_owned();
            (r.method, path)
        }),
        &[1, 2],
    );
    println!("replay calls by endpoint: {by_kind:?}");
    println!(
        "replay (policy_ttl_secs = {policy_ttl}): {pulls} pull requests, {events} events in {:.2} s: {calls} API calls, {:.2} per event ({:.2} per event charged against the rate limit; {not_modified} answered 304 Not Modified)",
        wall.as_secs_f64(),
        calls as f64 / events as f64,
        (calls - not_modified as i64) as f64 / events as f64,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored"]
async fn replay_gitlab() {
    let merge_requests = env_usize("BENCH_PULLS", 40) as u64;
    // The defaults: members for 300 s, policy files for 60 s.
    let h = gitlab::harness::Harness::with(|c| {
        c.cache.policy_ttl_secs = 60;
        c.cache.ttl_secs = 300;
    })
    .await;
    let started = Instant::now();
    for n in 1..=merge_requests {
        let head = sha(u32::try_from(n).unwrap());
        let pushed = sha(u32::try_from(n + 100_000).unwrap());
        h.open_mr(n, "erin", &head).await;
        h.approve(n, "alice").await;
        h.note(n, "bob", "Nice work, one nit below.").await;
        h.note(n, "bob", "/approve").await;
        h.push(n, &pushed).await;
        h.approve(n, "carol").await;
        h.note(n, "alice", "/lgtm").await;
        h.settle().await;
        assert_eq!(h.status_named(&pushed, "signoff").unwrap().0, "success");
    }
    let wall = started.elapsed();
    let (calls, events) = h.bot().app.store.api_calls().await.unwrap();
    let requests = h.fake.requests().len() as i64;
    assert_eq!(requests, calls, "every request counted");
    // `/api/v4/projects/{id}/...`: the project varies.
    let by_kind = calls_by_endpoint(
        h.fake
            .requests()
            .into_iter()
            .map(|r| (r.method, r.raw_path)),
        &[3],
    );
    println!("replay_gitlab calls by endpoint: {by_kind:?}");
    println!(
        "replay_gitlab (ttl_secs = 300, policy_ttl_secs = 60): {merge_requests} merge requests, {events} events in {:.2} s: {calls} API calls, {:.2} per event",
        wall.as_secs_f64(),
        calls as f64 / events as f64,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run in release with --ignored"]
async fn latency() {
    let rate = env_usize("BENCH_RATE", 20).max(1);
    let secs = env_usize("BENCH_SECS", 10).max(1);
    let pulls = env_usize("BENCH_PULLS", 50).max(1) as u64;
    let replicas = env_usize("BENCH_REPLICAS", 1).max(1);
    // Default settings (policies cached for 60 s), as in production.
    let h = Harness::with(|c| c.cache.policy_ttl_secs = 60).await;
    let store = if h.config.database.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let others = more_replicas(&h, replicas).await;
    for n in 1..=pulls {
        h.open_pr(n, "erin", &sha(u32::try_from(n).unwrap()), &["src/lib.rs"])
            .await;
    }
    h.settle().await;
    let (calls_before, events_before) = h.bot().app.store.api_calls().await.unwrap();
    let total = rate * secs;
    let period = Duration::from_secs(1) / u32::try_from(rate).unwrap();
    let started = tokio::time::Instant::now();
    let mut sent = Vec::with_capacity(total);
    for i in 0..total {
        tokio::time::sleep_until(started + period * u32::try_from(i).unwrap()).await;
        let pull = (i as u64 % pulls) + 1;
        let head = sha(u32::try_from(1_000_000 + i).unwrap());
        let at = jiff::Timestamp::now();
        h.push(pull, &head, "erin").await;
        sent.push((head, at));
    }
    let sending = started.elapsed();
    h.settle().await;
    let posted: std::collections::HashMap<String, jiff::Timestamp> = h
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/repos/acme/app/statuses/"))
        .rev()
        .map(|r| (r.path.rsplit('/').next().unwrap_or("").to_owned(), r.at))
        .collect();
    let mut latencies: Vec<Duration> = sent
        .iter()
        .filter_map(|(head, at)| {
            let shown = posted.get(head)?;
            Some(Duration::try_from(shown.duration_since(*at)).unwrap_or_default())
        })
        .collect();
    let superseded = sent.len() - latencies.len();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let (calls, events) = h.bot().app.store.api_calls().await.unwrap();
    let (calls, events) = (calls - calls_before, events - events_before);
    println!(
        "latency ({store}, {replicas} replica(s)): {total} pushes at {rate}/s over {pulls} pull requests (sent in {:.1} s): delivery to status p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {superseded} superseded by a later push before evaluation; {:.2} API calls per event",
        sending.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        calls as f64 / events.max(1) as f64,
    );
    for r in others {
        r.stop().await;
    }
}
