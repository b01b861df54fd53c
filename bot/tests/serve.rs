//! `signoff serve` as a process: what its log says while it works. (In a process of its
//! own: tracing's per-callsite interest is global, so capturing the log of one test among
//! many running in parallel threads is racy.)
// The whole binary is test code, where clippy.toml allows unwrap, expect, panic and indexing.
#![cfg(test)]

#[path = "common/mod.rs"]
mod common;

use common::cli;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn wait_for(lines: &mpsc::Receiver<String>, text: &str, seen: &mut Vec<String>) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(text) => return line,
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    panic!("no log line with {text:?}: {seen:#?}");
}

/// Every line a worker logs while handling a delivery carries the delivery's span.
#[test]
fn worker_logs_carry_the_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = cli::signoff_command();
    let mut child = command
        .arg("serve")
        .env("SIGNOFF_LISTEN", "127.0.0.1:0")
        .env(
            "SIGNOFF_DATABASE",
            format!("sqlite://{}", dir.path().join("s.db").display()),
        )
        .env("SIGNOFF_WEB_DIR", dir.path().join("none"))
        .env("SIGNOFF_GITHUB_WEBHOOK_SECRET", "s3cret")
        .env("SIGNOFF_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let listening = wait_for(&lines, "signoff listening", &mut seen);
    let addr = listening.split("addr=").nth(1).unwrap().trim().to_owned();
    let body = br#"{"action":"created","installation":{"id":7}}"#;
    let signature = signoff_bot::forges::github::signature::sign_github("s3cret", body);
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /webhooks/github HTTP/1.1\r\nhost: bot\r\nx-github-event: installation\r\nx-github-delivery: d1\r\nx-hub-signature-256: {signature}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    let handled = wait_for(&lines, "installation) changed", &mut seen);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(handled.contains("delivery{id=1"), "{handled}");
}
