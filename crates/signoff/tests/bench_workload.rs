//! Keeps `tests/bench/reference-case.yml` (the benchmarks' reference workload, which the
//! browser benchmark reuses) in step with its generator in `benches/workload`.
//! Regenerate with `SIGNOFF_BLESS=1 cargo test -p signoff --test bench_workload`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../benches/workload/mod.rs"]
mod workload;

use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/bench/reference-case.yml")
}

#[test]
fn reference_case_is_up_to_date() {
    let generated = workload::generate().case_text;
    let path = committed_path();
    if std::env::var_os("SIGNOFF_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date with benches/workload; regenerate it with \
         SIGNOFF_BLESS=1 cargo test -p signoff --test bench_workload",
        path.display()
    );
}

#[test]
fn generation_is_deterministic_and_the_right_size() {
    let a = workload::generate();
    let b = workload::generate();
    assert_eq!(a.case_text, b.case_text);
    let lines = a.policy_text.lines().count();
    assert!((280..=340).contains(&lines), "policy has {lines} lines");
    assert_eq!(a.input.directory.users.len(), workload::USERS);
    assert_eq!(a.input.grants.len(), workload::GRANTS);
    let mut groups = std::collections::BTreeSet::new();
    for user in a.input.directory.users.values() {
        groups.extend(user.groups.iter().cloned());
    }
    groups.extend(a.input.directory.groups.keys().cloned());
    assert_eq!(groups.len(), workload::GROUPS);
    assert_eq!(a.policy.policy_names().count(), workload::POLICIES);
}

#[test]
fn the_case_file_evaluates_to_its_expected_decision() {
    let w = workload::generate();
    let case = signoff::parse_case(&w.case_text, "reference-case.yml").unwrap();
    let decision = signoff::evaluate(&case.policy, &case.input);
    let failures = signoff::check(case.expect.as_ref().unwrap(), &decision);
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn the_variants_reach_every_decision() {
    let w = workload::generate();
    let outcomes: Vec<&str> = workload::variants(&w)
        .iter()
        .map(|(_, input)| workload::outcome_str(signoff::evaluate(&w.policy, input).decision))
        .collect();
    for wanted in [
        "pending",
        "approved",
        "rejected",
        "blocked",
        "exempt",
        "not_required",
    ] {
        assert!(
            outcomes.contains(&wanted),
            "no variant is {wanted}: {outcomes:?}"
        );
    }
}

fn decisions_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/bench/reference-decisions.txt")
}

/// The full decision of every benchmark variant, byte for byte: speed work on the
/// evaluator must not change a character of it. Regenerate (after a change the documents
/// ask for) with `SIGNOFF_BLESS=1 cargo test -p signoff --test bench_workload`.
#[test]
fn variant_decisions_are_unchanged() {
    let w = workload::generate();
    let context = signoff::Context::new(&w.policy, &w.input.directory);
    let mut generated = String::new();
    for (name, input) in workload::variants(&w) {
        let decision = context.evaluate(&input.request, &input.grants, input.now);
        generated.push_str(&format!("== {name}\n{}", decision.to_json()));
    }
    let path = decisions_path();
    if std::env::var_os("SIGNOFF_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let first_difference = committed
        .lines()
        .zip(generated.lines())
        .position(|(a, b)| a != b);
    assert!(
        committed == generated,
        "{} differs from the evaluator's output (first at line {:?}); regenerate it with \
         SIGNOFF_BLESS=1 cargo test -p signoff --test bench_workload if the change is meant",
        path.display(),
        first_difference.map(|l| l + 1)
    );
}
