#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Replays the committed corpus of nasty inputs in `tests/nasty/` (deep nesting, alias
//! bombs, huge counts, tabs, duplicate keys, empty documents, control and invisible
//! characters, extreme timestamps, …) through everything that reads user text:
//! `PolicySet::parse`, `lint` (with and without a directory), `parse_case` and
//! `evaluate_case`. Nothing may panic, every diagnostic is located (line and column ≥ 1),
//! and each file's first line says what it must give:
//!
//! ```text
//! # expect: ok              -- parses (policy/) or evaluates (case/)
//! # expect: invalid_count   -- fails, with at least one diagnostic of this code
//! ```
//!
//! The same files seed the fuzzers (`crates/signoff/fuzz`, see docs/testing.md); add a
//! file here for every crash a fuzzer finds.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn files(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/nasty")
        .join(kind);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no files in {}", dir.display());
    out
}

fn expectation(text: &str, path: &Path) -> String {
    let first = text.lines().next().unwrap_or("");
    first
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| {
            panic!(
                "{}: first line must be `# expect: ok|<code>`",
                path.display()
            )
        })
        .trim()
        .to_owned()
}

fn directory() -> signoff::Directory {
    serde_json::from_str(
        r#"{ "users": { "a": { "groups": ["qa", "g"], "roles": ["deployment-approver"] },
                        "b": { "roles": ["deployment-approver", "config-approver"] },
                        "root": { "super_admin": true } },
             "groups": { "leads": ["a", "x"] }, "tokens": ["t"] }"#,
    )
    .unwrap()
}

fn input() -> signoff::Input {
    let mut input: signoff::Input = serde_json::from_str(
        r#"{ "request": { "kind": "deployment", "requester": "dave", "revision": "r1",
                          "attributes": { "app": "banking", "paths": ["a/b"] } },
             "grants": [ { "by": "a", "action": "approve", "at": "2026-11-20T10:00:00Z" },
                         { "by": "b", "action": "reject", "at": "2026-11-20T11:00:00Z" } ],
             "now": "2026-11-21T09:00:00Z" }"#,
    )
    .unwrap();
    input.directory = directory();
    input
}

fn check_located(what: &str, diagnostics: &[signoff::Diagnostic], problems: &mut Vec<String>) {
    for d in diagnostics {
        if d.span.line < 1 || d.span.col < 1 {
            problems.push(format!("{what}: unlocated diagnostic {d}"));
        }
    }
}

fn check_expected(
    what: &str,
    want: &str,
    got: Result<(), &[signoff::Diagnostic]>,
    problems: &mut Vec<String>,
) {
    match (want, got) {
        ("ok", Ok(())) => {}
        ("ok", Err(errors)) => {
            let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
            problems.push(format!("{what}: expected ok, got {}", shown.join(" | ")));
        }
        (code, Ok(())) => problems.push(format!("{what}: expected an error `{code}`, got ok")),
        (code, Err(errors)) => {
            if !errors.iter().any(|e| e.code == code) {
                let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
                problems.push(format!(
                    "{what}: expected an error `{code}`, got {}",
                    shown.join(" | ")
                ));
            }
        }
    }
}

/// Runs `body` for every file of `kind`, catching panics so one report names them all.
fn replay(kind: &str, body: fn(&str, &str, &mut Vec<String>)) {
    let mut problems = Vec::new();
    for path in files(kind) {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = format!("{kind}/{}", path.file_name().unwrap().to_string_lossy());
        let want = expectation(&text, &path);
        let mut found = Vec::new();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| body(&text, &want, &mut found))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            found.push(format!("panicked: {message}"));
        }
        problems.extend(found.into_iter().map(|p| format!("{name}: {p}")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn nasty_policies_give_located_errors_not_panics() {
    replay("policy", |text, want, problems| {
        let parsed = signoff::PolicySet::parse(text, "nasty.yml");
        match &parsed {
            Ok(policy) => {
                check_located("warnings", &policy.warnings("nasty.yml"), problems);
                let decision = signoff::evaluate(policy, &input());
                assert!(decision.summary.chars().count() <= 140);
                check_expected("parse", want, Ok(()), problems);
            }
            Err(errors) => {
                check_located("parse", errors, problems);
                check_expected("parse", want, Err(errors), problems);
            }
        }
        let lint = signoff::lint(text, "nasty.yml", None);
        check_located("lint", &lint, problems);
        assert_eq!(
            parsed.is_ok(),
            !lint.iter().any(signoff::Diagnostic::is_error),
            "lint and parse disagree"
        );
        check_located(
            "lint --directory",
            &signoff::lint(text, "nasty.yml", Some(&directory())),
            problems,
        );
        if let Err(errors) = signoff::evaluate_case(text, "nasty.yml") {
            check_located("as a case", &errors, problems);
        }
    });
}

#[test]
fn nasty_cases_give_located_errors_not_panics() {
    replay("case", |text, want, problems| {
        match signoff::evaluate_case(text, "nasty.yml") {
            Ok(decision) => {
                assert!(decision.summary.chars().count() <= 140);
                let back: signoff::Decision = serde_json::from_str(&decision.to_json()).unwrap();
                assert_eq!(back, decision);
                if let Some(expect) = signoff::parse_case(text, "nasty.yml").unwrap().expect {
                    let _ = signoff::check(&expect, &decision);
                }
                check_expected("evaluate_case", want, Ok(()), problems);
            }
            Err(errors) => {
                check_located("evaluate_case", &errors, problems);
                check_expected("evaluate_case", want, Err(&errors), problems);
            }
        }
        check_located("lint", &signoff::lint(text, "nasty.yml", None), problems);
        if let Err(errors) = signoff::PolicySet::parse(text, "nasty.yml") {
            check_located("as a policy", &errors, problems);
        }
    });
}
