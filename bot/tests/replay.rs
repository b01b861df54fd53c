//! `signoff replay` on a seeded SQLite store, as an operator runs it. The records are
//! made by the gate's own code (`gate::verdict::layer` and `combine`), so they hold
//! exactly what the bot stores.
// The whole binary is test code, where clippy.toml allows unwrap, expect, panic and indexing.
#![cfg(test)]

#[path = "replay/seed.rs"]
mod seed;

use seed::{Decision, ONE, TWO, seed};
#[path = "common/mod.rs"]
mod common;

use common::cli::{signoff, text};

struct Seeded {
    dir: tempfile::TempDir,
    database: String,
}

impl Seeded {
    fn new(decisions: &[Decision]) -> Seeded {
        let dir = tempfile::tempdir().unwrap();
        let database = format!("sqlite://{}", dir.path().join("s.db").display());
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(seed(&database, decisions));
        Seeded { dir, database }
    }

    fn policy(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn replay(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = signoff(&self.database, &[&["replay"], args].concat());
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    }
}

/// Under the two-approvals policy: #1 (one approval) waits, #2 (two) is approved.
fn history() -> Vec<Decision> {
    vec![
        Decision::pull_request("acme/app", 1, &["alice"]),
        Decision::pull_request("acme/app", 2, &["alice", "bob"]),
        Decision::pull_request("acme/other", 3, &["alice"]),
    ]
}

#[test]
fn a_looser_policy_shows_the_decisions_it_would_approve() {
    let s = Seeded::new(&history());
    let one = s.policy("one.yml", ONE);
    let (code, out, err) = s.replay(&["--policy", &one]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].contains(" acme/app pull_request #1 ")
            && lines[0].contains("pending → approved: Approved"),
        "{out}"
    );
    assert!(lines[1].contains(" acme/other pull_request #3 "), "{out}");
    assert_eq!(lines[2], "3 replayed, 2 would change: 2 pending→approved");
}

#[test]
fn a_stricter_policy_shows_what_it_would_hold_back_with_the_new_summary() {
    let s = Seeded::new(&history());
    let three = s.policy("three.yml", &TWO.replace("any: 2", "any: 3"));
    let (code, out, err) = s.replay(&["--policy", &three, "--repo", "acme/app"]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].contains("#2") && lines[0].contains("approved → pending: "),
        "{out}"
    );
    assert!(lines[0].contains("1 more"), "the new summary: {out}");
    assert_eq!(lines[1], "2 replayed, 1 would change: 1 approved→pending");
}

#[test]
fn the_same_policy_changes_nothing() {
    let s = Seeded::new(&history());
    let two = s.policy("two.yml", TWO);
    let (code, out, _) = s.replay(&["--policy", &two]);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "3 replayed, 0 would change\n")
    );
}

#[test]
fn an_invalid_policy_exits_2_with_a_located_message() {
    let s = Seeded::new(&history());
    let bad = s.policy(
        "bad.yml",
        "version: 1\npolicies:\n  two:\n    requires: 3\n",
    );
    let (code, out, err) = s.replay(&["--policy", &bad]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.lines()
            .any(|l| l.starts_with(&format!("{bad}:4:")) && l.contains("error")),
        "{err}"
    );
    let (code, _, err) = s.replay(&["--policy", &s.policy("ok.yml", ONE), "--org-policy", &bad]);
    assert_eq!(code, Some(2));
    assert!(err.contains(&format!("{bad}:4:")), "{err}");
}

#[test]
fn records_without_inputs_are_counted_and_named_never_skipped_silently() {
    let mut decisions = history();
    decisions.push(Decision::pull_request("acme/app", 4, &[]).written_before_inputs_were_kept());
    decisions.push(Decision::pull_request("acme/app", 5, &[]).damaged());
    let s = Seeded::new(&decisions);
    let one = s.policy("one.yml", ONE);
    let (code, out, err) = s.replay(&["--policy", &one]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("not replayable: audit #4 acme/app #4: no recorded inputs"),
        "{out}"
    );
    assert!(
        out.contains("not replayable: audit #5 acme/app #5: unreadable record"),
        "{out}"
    );
    assert!(
        out.ends_with("3 replayed, 2 would change: 2 pending→approved, 2 not replayable\n"),
        "{out}"
    );
}

#[test]
fn an_invalid_policy_recorded_now_keeps_its_inputs_for_replay() {
    let decisions = vec![
        Decision::pull_request("acme/app", 6, &["alice"]).with_policy("version: 1\npolicies: 3\n"),
    ];
    let s = Seeded::new(&decisions);
    let one = s.policy("one.yml", ONE);
    let (code, out, err) = s.replay(&["--policy", &one]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("#6") && out.contains("error → approved"),
        "{out}"
    );
    assert!(
        out.ends_with("1 replayed, 1 would change: 1 error→approved\n"),
        "{out}"
    );
}

#[test]
fn filters_select_repository_kind_and_time_and_json_is_one_object_a_line() {
    let mut decisions = history();
    decisions.push(Decision::deployment("acme/app", "production", &[]));
    let mut old = Decision::pull_request("acme/app", 7, &["alice"]);
    old.days_ago = 40;
    decisions.push(old);
    let s = Seeded::new(&decisions);
    let one = s.policy("one.yml", ONE);
    let (_, out, _) = s.replay(&["--policy", &one, "--since", "30d"]);
    assert!(
        out.ends_with("4 replayed, 2 would change: 2 pending→approved\n"),
        "{out}"
    );
    let (_, out, _) = s.replay(&["--policy", &one, "--kind", "deployment"]);
    assert_eq!(out, "1 replayed, 0 would change\n");
    let (code, _, err) = s.replay(&["--policy", &one, "--kind", "merge"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, out, err) = s.replay(&["--policy", &one, "--repo", "acme/app", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(
        (
            lines[0]["target"].as_str(),
            lines[0]["before"].as_str(),
            lines[0]["after"].as_str()
        ),
        (Some("#1"), Some("pending"), Some("approved"))
    );
    assert_eq!(lines[2]["replayed"], 4);
    assert_eq!(lines[2]["changed"], 2);
    assert_eq!(lines[2]["transitions"][0]["count"], 2);
}

/// The policy of the bench: a team requirement on some paths, two approvals elsewhere,
/// deployments to production gated too.
const BENCH_POLICY: &str = "version: 1
policies:
  two:
    requires:
      - any: 2
  sre:
    requires:
      - group: acme/sre
  prod:
    requires:
      - any: 1
apply:
  - policies: [two]
    to: pull_request
  - policies: [sre]
    to: pull_request
    where: { paths: [\"deploy/**\", \"src/lib.rs\"] }
  - policies: [prod]
    to: deployment
    where: { environment: production }
";

/// Bench (ignored; run in release): seeds `BENCH_DECISIONS` (default 100,000) recorded
/// decisions into SQLite and times `signoff replay` over all of them end to end (start,
/// read, decode, decide-only evaluation, compare, print). See docs/bot.md. With
/// `BENCH_DATABASE=sqlite://FILE` the seeded store is kept there.
///
/// ```text
/// cargo test --release -p signoff-bot --test replay -- --ignored --nocapture replay_bench
/// ```
#[test]
#[ignore = "benchmark: run in release with --ignored"]
fn replay_bench() {
    let n: usize = std::env::var("BENCH_DECISIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    // BENCH_DATABASE=sqlite://… keeps the seeded store, to try `signoff replay` on it.
    let database = std::env::var("BENCH_DATABASE")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("s.db").display()));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let started = std::time::Instant::now();
    let bytes = rt.block_on(seed::seed_many(&database, n, BENCH_POLICY));
    println!(
        "seeded {n} decisions ({} MB of records) in {:.1} s",
        bytes / 1_000_000,
        started.elapsed().as_secs_f64()
    );
    let candidate = dir.path().join("candidate.yml");
    std::fs::write(&candidate, BENCH_POLICY.replacen("any: 2", "any: 1", 1)).unwrap();
    let candidate = candidate.display().to_string();
    for run in 1..=3 {
        let started = std::time::Instant::now();
        let out = signoff(&database, &["replay", "--policy", &candidate]);
        let secs = started.elapsed().as_secs_f64();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let tally = stdout.lines().last().unwrap_or_default().to_owned();
        println!(
            "run {run}: {secs:.2} s, {:.0} decisions/s; {tally}",
            n as f64 / secs
        );
        assert!(tally.starts_with(&format!("{n} replayed")), "{tally}");
    }
}
