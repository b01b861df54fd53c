//! The keystroke benchmark, natively: the same session code the wasm build runs, on a
//! workload `web/scripts/bench-node.mjs` writes (policy.yml, directory.json,
//! scenario.json). Prints milliseconds as JSON.
//!
//! cargo run --release -p signoff-wasm --example native_bench -- DIR [ITERATIONS]

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use signoff_wasm::session::{Scenario, Session};
use std::time::Instant;

/// The policy after keystroke `i`, as `typed(policy, i)` in web/src/workload.js.
fn typed(policy: &str, i: usize) -> String {
    format!("{policy}#{}\n", "x".repeat(i % 8))
}

fn stats(mut samples: Vec<f64>) -> String {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((q * samples.len() as f64) as usize).min(samples.len() - 1)];
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    format!(
        "{{\"n\": {}, \"median\": {}, \"p95\": {}, \"mean\": {}, \"min\": {}}}",
        samples.len(),
        round(at(0.5)),
        round(at(0.95)),
        round(mean),
        round(samples[0])
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: native_bench DIR [ITERATIONS]"));
    let iterations: usize = args.next().map_or(300, |n| n.parse().expect("iterations"));
    let warmup = 30;
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect(name);
    let policy = read("policy.yml");
    let directory: signoff::Directory =
        serde_json::from_str(&read("directory.json")).expect("directory");
    let scenario: Scenario =
        signoff::scenario::parse_scenario(&read("scenario.json"), "scenario").expect("scenario");

    let mut session = Session::new();
    let start = Instant::now();
    session.set_directory(directory);
    let directory_ms = start.elapsed().as_secs_f64() * 1000.0;
    session.set_scenario(scenario);
    let mut keystrokes = Vec::new();
    let mut outcome = None;
    for i in 0..warmup + iterations {
        let text = typed(&policy, i);
        let start = Instant::now();
        session.set_policy(&text);
        let decision = session.evaluate();
        let spent = start.elapsed().as_secs_f64() * 1000.0;
        if i >= warmup {
            keystrokes.push(spent);
        }
        outcome = Some(decision.expect("the workload evaluates").decision);
    }
    let mut evaluations = Vec::new();
    for _ in 0..iterations {
        let start = Instant::now();
        let _ = std::hint::black_box(session.evaluate());
        evaluations.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let mut lints = Vec::new();
    for _ in 0..(iterations / 5).max(10) {
        let start = Instant::now();
        let _ = std::hint::black_box(session.lint());
        lints.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "{{\"decision\": \"{}\", \"keystroke\": {}, \"evaluate\": {}, \"lint\": {}, \"directory_ms\": {}}}",
        outcome.map_or("none", |o| o.as_str()),
        stats(keystrokes),
        stats(evaluations),
        stats(lints),
        (directory_ms * 1000.0).round() / 1000.0
    );
}
