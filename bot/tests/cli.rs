//! The `signoff` command line as a user meets it: exit codes, located messages, closing lines.
// The whole binary is test code, where clippy.toml allows unwrap, expect, panic and indexing.
#![cfg(test)]

#[path = "common/mod.rs"]
mod common;

use common::cli::{signoff_command, text};
use std::path::{Path, PathBuf};
use std::process::Output;

fn signoff(args: &[&str]) -> Output {
    signoff_command().args(args).output().unwrap()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

#[test]
fn lint_reports_located_errors_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "bad.yml",
        "version: 1\npolicies:\n  p:\n    requres: [ { any: 2 } ]\n",
    );
    let out = signoff(&["lint", &file]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&format!("{file}:4:5: error: unknown field `requres`")),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with("[unknown_field]"), "{stdout}");
}

#[test]
fn lint_passes_the_shipped_example_and_speaks_json() {
    let root = repo();
    let policy = root.join("examples/production.yml").display().to_string();
    let directory = root.join("examples/directory.yml").display().to_string();
    let out = signoff(&["lint", &policy, "--directory", &directory]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(text(&out.stdout), "");

    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "warn.yml",
        "version: 1\npolicies:\n  spare:\n    requires: [ { any: 1 } ]\n",
    );
    let out = signoff(&["lint", "--format", "json", &file]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings alone do not fail lint"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["code"], "unused_policy");
    assert_eq!(json[0]["severity"], "warning");
    assert_eq!(json[0]["line"], 3);
}

#[test]
fn eval_prints_the_decision_and_rejects_bad_input_with_exit_2() {
    let case = repo()
        .join("examples/production-pending.yml")
        .display()
        .to_string();
    let out = signoff(&["eval", &case]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["decision"], "pending");
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "decision",
            "summary",
            "policies",
            "rejected_by",
            "ignored",
            "exempt",
            "window"
        ]
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        &dir,
        "case.yml",
        "policy: { version: 1 }\nrequest: { kind: deploy, requester: dave }\nnow: 2026-11-21T09:00:00Z\n",
    );
    let out = signoff(&["eval", &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with(&format!("{bad}:2:")),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());

    let out = signoff(&[
        "eval",
        &dir.path().join("missing.yml").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn test_runs_folders_and_closes_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    let case = |decision: &str| {
        format!(
            "policy:\n  version: 1\n  policies: {{ p: {{ requires: [ {{ any: 1 }} ] }} }}\n  apply: [ {{ policies: [p], to: deployment }} ]\ndirectory:\n  users: {{ alice: {{ roles: [deployment-approver] }} }}\nrequest: {{ kind: deployment, requester: dave }}\ngrants: [ {{ by: alice, action: approve, at: 2026-11-20T10:00:00Z }} ]\nnow: 2026-11-21T09:00:00Z\nexpect: {{ decision: {decision} }}\n"
        )
    };
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    write(&dir, "nested/good.yml", &case("approved"));
    write(&dir, "ignored.txt", "not a case");
    write(&dir, "nested/signoff.yml", "version: 1\npolicies: {}\n");
    let out = signoff(&["test", &dir.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(text(&out.stdout).lines().last(), Some("1 passed, 0 failed"));

    write(&dir, "wrong.yml", &case("pending"));
    write(&dir, "broken.yml", "policy: [\n");
    let out = signoff(&["test", &dir.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("decision: expected pending, got approved"),
        "{stdout}"
    );
    assert!(
        stdout.contains("broken.yml:2:1: error: invalid YAML") || stdout.contains("broken.yml:"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("1 passed, 2 failed"));
}

#[test]
fn the_cli_never_panics_on_garbage() {
    let dir = tempfile::tempdir().unwrap();
    for (i, body) in [
        "",
        "\u{0}",
        "[[[[",
        "version: 1\npolicies: !!binary AAAA\n",
        "- - - -",
        "a: &a [*a]",
    ]
    .iter()
    .enumerate()
    {
        let file = write(&dir, &format!("g{i}.yml"), body);
        for command in ["lint", "eval"] {
            let out = signoff(&[command, &file]);
            let code = out.status.code();
            assert!(
                matches!(code, Some(1 | 2)),
                "{command} {body:?} exited {code:?}: {}",
                text(&out.stderr)
            );
            assert!(
                !text(&out.stderr).contains("panicked"),
                "{command} {body:?} panicked"
            );
        }
    }
}
