//! Intake hardening: replays, unverified bodies, slow senders, secrets, `/metrics`.

use super::harness::{Harness, REPO, SECRET, fixture, sha};
use serde_json::json;
use signoff_bot::config::{Secret, Secrets};
use signoff_bot::forges::github::signature::sign_github;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends raw bytes and reads the answer to its end (or 10 s); `""` when the server
/// closed the connection without one.
async fn exchange(h: &Harness, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(h.bot().addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    read_all(&mut stream, Duration::from_secs(10)).await
}

async fn read_all(stream: &mut TcpStream, within: Duration) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut out)).await;
    assert!(
        read.is_ok(),
        "no answer within {within:?}: {:?}",
        String::from_utf8_lossy(&out)
    );
    String::from_utf8_lossy(&out).into_owned()
}

fn post(event: &str, delivery: &str, hook: &str, body: &[u8], signature: &str) -> Vec<u8> {
    let mut out = format!(
        "POST /webhooks/github HTTP/1.1\r\nhost: bot\r\ncontent-type: application/json\r\nx-github-event: {event}\r\nx-github-delivery: {delivery}\r\nx-github-hook-id: {hook}\r\nx-hub-signature-256: {signature}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

#[tokio::test]
async fn a_replay_under_another_hook_id_is_a_duplicate() {
    let h = Harness::new().await;
    let body = serde_json::to_vec(&fixture("installation.created")).unwrap();
    let signature = sign_github(SECRET, &body);
    let first = exchange(&h, &post("installation", "d-1", "4242", &body, &signature)).await;
    assert!(first.starts_with("HTTP/1.1 202"), "{first}");
    // The hook id header is not signed: changing it does not make a new delivery.
    let replay = exchange(&h, &post("installation", "d-1", "9999", &body, &signature)).await;
    assert!(
        replay.starts_with("HTTP/1.1 200") && replay.ends_with("duplicate\n"),
        "{replay}"
    );
    h.settle().await;
    assert_eq!(h.bot().app.store.counts().await.unwrap().done, 1);
}

const PROD_ONE: &str = "version: 1\npolicies:\n  prod:\n    requires: [ { any: 1 } ]\napply:\n  - policies: [prod]\n    to: deployment\n    where: { environment: production }\n";

#[tokio::test]
async fn a_replayed_protection_rule_never_reopens_an_answered_gate() {
    let h = Harness::new().await;
    h.set_policy("main", PROD_ONE);
    h.request_deployment(50, "production", &sha(5), "erin", &[])
        .await;
    h.settle().await;
    h.deployment_review(50, "production", "alice", false).await;
    h.settle().await;
    let answers = |h: &Harness| -> Vec<serde_json::Value> {
        h.fake.with(|s| {
            s.gate_answers
                .iter()
                .filter(|(_, run, _)| *run == 50)
                .map(|(_, _, b)| b.clone())
                .collect()
        })
    };
    let before = answers(&h);
    assert_eq!(before.last().unwrap()["state"], "rejected", "{before:?}");
    // The forge now shows an approval; the signed request is replayed (same
    // deployment) under a fresh delivery id.
    h.fake.repo(REPO, |r| {
        r.approvals.insert(
            50,
            vec![json!({
                "environments": [{ "id": 1, "name": "production" }], "state": "approved",
                "user": { "login": "alice", "id": 1, "type": "User" }, "comment": "",
            })],
        );
    });
    h.request_deployment(50, "production", &sha(5), "erin", &[])
        .await;
    h.settle().await;
    assert_eq!(answers(&h), before, "the answered gate was reopened");
    let repo = signoff_bot::event::Repo::new("acme", "app");
    let state = h
        .bot()
        .app
        .store
        .gate_state("github", &repo, 50, "production")
        .await
        .unwrap();
    assert_eq!(state.map(|s| s.as_str()), Some("rejected"));
}

/// Bodies read before their signature is checked share a memory budget: a sender who
/// would exceed it waits, then gets 503; it is never read into memory meanwhile.
#[tokio::test]
async fn unsigned_bodies_cannot_take_more_memory_than_the_budget() {
    let h = Harness::with(|c| {
        c.server.unverified_body_mb = 1;
        c.server.request_timeout_secs = 4;
    })
    .await;
    let big = vec![b' '; 1_000_000];
    let forged = format!("sha256={}", "0".repeat(64));
    // A slow sender holds most of the budget.
    let mut slow = TcpStream::connect(h.bot().addr).await.unwrap();
    let head = post("pull_request", "slow", "1", &big, &forged);
    slow.write_all(&head[..head.len() - big.len() + 10])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // 100 KB more does not fit beside the 977 KiB held.
    let small = vec![b' '; 100_000];
    let started = std::time::Instant::now();
    let second = exchange(&h, &post("pull_request", "second", "1", &small, &forged)).await;
    assert!(second.starts_with("HTTP/1.1 503"), "{second}");
    assert!(
        started.elapsed() >= Duration::from_millis(1_500),
        "answered before waiting"
    );
    // Once the slow sender is gone, the budget is free again.
    drop(slow);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let third = exchange(&h, &post("pull_request", "third", "1", &small, &forged)).await;
    assert!(third.starts_with("HTTP/1.1 401"), "{third}");
}

#[tokio::test]
async fn slow_senders_are_cut_off() {
    let h = Harness::with(|c| c.server.request_timeout_secs = 1).await;
    // Headers, then a body that never finishes: 408.
    let mut stream = TcpStream::connect(h.bot().addr).await.unwrap();
    let body = vec![b' '; 100];
    let request = post("ping", "s1", "1", &body, &sign_github(SECRET, &body));
    stream
        .write_all(&request[..request.len() - 90])
        .await
        .unwrap();
    let answer = read_all(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // Headers that never finish: the connection is closed.
    let mut stream = TcpStream::connect(h.bot().addr).await.unwrap();
    stream
        .write_all(b"POST /webhooks/github HTTP/1.1\r\nhost: bot\r\n")
        .await
        .unwrap();
    let answer = read_all(&mut stream, Duration::from_secs(5)).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token() {
    let h = Harness::with(|c| c.server.metrics_token = Some(Secret::new("m3trics"))).await;
    let get = |auth: &str| {
        format!("GET /metrics HTTP/1.1\r\nhost: bot\r\n{auth}connection: close\r\n\r\n")
            .into_bytes()
    };
    let none = exchange(&h, &get("")).await;
    assert!(none.starts_with("HTTP/1.1 401"), "{none}");
    let wrong = exchange(&h, &get("authorization: Bearer m3tric\r\n")).await;
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    let right = exchange(&h, &get("authorization: Bearer m3trics\r\n")).await;
    assert!(
        right.starts_with("HTTP/1.1 200") && right.contains("signoff_deliveries"),
        "{right}"
    );
}

#[tokio::test]
async fn a_webhook_secret_holding_a_comma_is_one_secret() {
    let h = Harness::with(|c| c.github.webhook_secret = Secrets::new(["new,old"])).await;
    let body = serde_json::to_vec(&fixture("installation.created")).unwrap();
    let whole = exchange(
        &h,
        &post(
            "installation",
            "c1",
            "1",
            &body,
            &sign_github("new,old", &body),
        ),
    )
    .await;
    assert!(whole.starts_with("HTTP/1.1 202"), "{whole}");
    let part = exchange(
        &h,
        &post("installation", "c2", "1", &body, &sign_github("new", &body)),
    )
    .await;
    assert!(part.starts_with("HTTP/1.1 401"), "{part}");
}

#[tokio::test]
async fn a_short_details_key_is_refused_at_start() {
    let h = Harness::new().await;
    let mut config = h.config.clone();
    config.details_key = Some(Secret::new("sixteen-bytes-ok"));
    match signoff_bot::server::start(config).await {
        Ok(_) => panic!("started with a 16-byte details_key"),
        Err(e) => assert!(e.contains("details_key: at least 32 bytes"), "{e}"),
    }
}
