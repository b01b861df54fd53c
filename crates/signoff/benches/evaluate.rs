//! Benchmarks (issue 2, item 10) on the reference workload of `workload/`: 2,000 users,
//! 50 groups, 20 policies, 40 bindings, 30 grants.
//!
//! - `evaluate/compiled`: a [`signoff::Context`] built once, `context.evaluate` per
//!   iteration (target: median ≤ 5 µs);
//! - `evaluate/with_directory_index`: `Context::new` and `evaluate` every time;
//! - `parse_compile/300_lines`: `PolicySet::parse` of the ~300-line policy file;
//! - `rego/regorus`: the same decision rules written in Rego (`rego/signoff.rego`),
//!   evaluated by the `regorus` crate on the same inputs (target: ≥ 100× slower).
//!
//! Before measuring, every variant of the workload is evaluated by both engines and
//! their decisions must agree, so the comparison is of equal work. After measuring, the
//! ratios are computed from criterion's medians of this run.
//!
//! `cargo bench -p signoff --bench evaluate`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod workload;

use criterion::Criterion;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

const REGO: &str = include_str!("rego/signoff.rego");
const REGO_RULE: &str = "data.signoff.decision";

fn rego_engine(w: &workload::Workload) -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("signoff.rego".to_owned(), REGO.to_owned())
        .expect("the Rego policy loads");
    let data = serde_json::to_string(&workload::rego_data(w)).expect("data serialises");
    engine
        .add_data(regorus::Value::from_json_str(&data).expect("data parses"))
        .expect("data loads");
    engine
}

fn rego_value(input: &signoff::Input) -> regorus::Value {
    let text = serde_json::to_string(&workload::rego_input(input)).expect("input serialises");
    regorus::Value::from_json_str(&text).expect("input parses")
}

fn rego_decide(engine: &mut regorus::Engine, input: &regorus::Value) -> regorus::Value {
    engine.set_input(input.clone());
    engine
        .eval_rule(REGO_RULE.to_owned())
        .expect("the Rego rules evaluate")
}

/// Both engines must reach the same decision, on the same effective and satisfied
/// policies and the same rejecters, for every variant of the workload.
fn check_agreement(w: &workload::Workload, engine: &mut regorus::Engine) {
    for (name, input) in workload::variants(w) {
        let ours = signoff::evaluate(&w.policy, &input);
        let rego = rego_decide(engine, &rego_value(&input));
        let rego: serde_json::Value =
            serde_json::from_str(&rego.to_json_str().expect("JSON")).expect("JSON");
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        };
        let outcome = workload::outcome_str(ours.decision);
        assert_eq!(
            rego["decision"].as_str(),
            Some(outcome),
            "variant {name}: Rego decides {rego}"
        );
        // Policies are evaluated only when a decision needs them.
        if !matches!(outcome, "blocked" | "not_required") {
            let mut effective: Vec<String> = ours.policies.iter().map(|p| p.name.clone()).collect();
            effective.sort();
            assert_eq!(
                strings(&rego["effective"]),
                effective,
                "variant {name}: effective policies"
            );
            let mut satisfied: Vec<String> = ours
                .policies
                .iter()
                .filter(|p| p.satisfied)
                .map(|p| p.name.clone())
                .collect();
            satisfied.sort();
            assert_eq!(
                strings(&rego["satisfied"]),
                satisfied,
                "variant {name}: satisfied policies"
            );
            assert_eq!(
                strings(&rego["rejected_by"]),
                ours.rejected_by
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>(),
                "variant {name}: rejected_by"
            );
        }
        println!("agreement: {name:<13} {outcome}");
    }
}

fn benches(c: &mut Criterion, w: &workload::Workload, engine: &mut regorus::Engine) {
    let input = &w.input;
    let context = signoff::Context::new(&w.policy, &input.directory);

    let mut group = c.benchmark_group("evaluate");
    group.bench_function("compiled", |b| {
        b.iter(|| {
            context.evaluate(
                black_box(&input.request),
                black_box(&input.grants),
                black_box(input.now),
            )
        })
    });
    group.bench_function("with_directory_index", |b| {
        b.iter(|| signoff::evaluate(black_box(&w.policy), black_box(input)))
    });
    group.finish();

    let mut group = c.benchmark_group("parse_compile");
    group.bench_function("300_lines", |b| {
        b.iter(|| {
            signoff::PolicySet::parse(black_box(&w.policy_text), "signoff.yml").expect("compiles")
        })
    });
    group.finish();

    let value = rego_value(input);
    let mut group = c.benchmark_group("rego");
    group.sample_size(20);
    group.bench_function("regorus", |b| {
        b.iter(|| rego_decide(engine, black_box(&value)))
    });
    group.finish();
}

/// Where criterion writes its results, found as criterion finds it.
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion")
}

/// The median of this run, in nanoseconds, if the benchmark ran.
fn median_ns(id: &str) -> Option<f64> {
    let path = criterion_home().join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

fn show(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn report(started: std::time::SystemTime) {
    // Only results written by this run count.
    let fresh = |id: &str| {
        let path = criterion_home().join(id).join("new/estimates.json");
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
        (modified >= started).then(|| median_ns(id)).flatten()
    };
    let ids = [
        "evaluate/compiled",
        "evaluate/with_directory_index",
        "parse_compile/300_lines",
        "rego/regorus",
    ];
    let medians: Vec<(&str, Option<f64>)> = ids.iter().map(|id| (*id, fresh(id))).collect();
    if medians.iter().all(|(_, m)| m.is_none()) {
        return;
    }
    println!("\nmedians of this run:");
    for (id, m) in &medians {
        if let Some(ns) = m {
            println!("  {id:<30} {}", show(*ns));
        }
    }
    let get = |id: &str| medians.iter().find(|(i, _)| *i == id).and_then(|(_, m)| *m);
    if let Some(compiled) = get("evaluate/compiled") {
        let verdict = if compiled <= 5_000.0 {
            "meets"
        } else {
            "misses"
        };
        println!("  evaluate/compiled {verdict} the 5 µs target");
    }
    if let Some(rego) = get("rego/regorus") {
        for id in ["evaluate/compiled", "evaluate/with_directory_index"] {
            if let Some(ours) = get(id) {
                println!("  rego/regorus / {id}: {:.0}×", rego / ours);
            }
        }
    }
}

/// `evaluate/compiled` alone, `n` times, decision dropped each time as in the bench:
/// `valgrind --tool=callgrind --toggle-collect='*profile_evaluate*'` counts just this.
#[inline(never)]
fn profile_evaluate(w: &workload::Workload, n: u32) {
    let context = signoff::Context::new(&w.policy, &w.input.directory);
    for _ in 0..n {
        drop(black_box(context.evaluate(
            black_box(&w.input.request),
            black_box(&w.input.grants),
            black_box(w.input.now),
        )));
    }
}

fn main() {
    let started = std::time::SystemTime::now() - Duration::from_secs(1);
    let w = workload::generate();
    // For instruction counts under callgrind, which timings on a shared machine cannot
    // give: SIGNOFF_PROFILE_ITERATIONS=N runs `evaluate/compiled` N times and nothing else.
    if let Some(n) = std::env::var("SIGNOFF_PROFILE_ITERATIONS")
        .ok()
        .and_then(|n| n.parse::<u32>().ok())
    {
        profile_evaluate(&w, n);
        return;
    }
    let mut engine = rego_engine(&w);
    check_agreement(&w, &mut engine);
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, &w, &mut engine);
    c.final_summary();
    report(started);
}
