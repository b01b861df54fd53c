//! Every case file under `tests/conformance/` must meet its `expect` block, and must
//! give the same decision JSON when evaluated twice (no hidden state).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

fn case_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            case_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn corpus_meets_every_expectation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let mut files = Vec::new();
    case_files(&root, &mut files);
    assert!(
        files.len() >= 80,
        "the corpus has {} cases; it must keep at least 80",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let shown = file.strip_prefix(&root).unwrap().display().to_string();
        let text = std::fs::read_to_string(file).unwrap();
        let case = match signoff::parse_case(&text, &shown) {
            Ok(case) => case,
            Err(diagnostics) => {
                failures.push(format!("{shown}: {}", diagnostics[0]));
                continue;
            }
        };
        let expect = case
            .expect
            .as_ref()
            .unwrap_or_else(|| panic!("{shown} has no expect block"));
        assert!(
            expect.decision.is_some(),
            "{shown}: expect must name a decision"
        );
        let decision = signoff::evaluate(&case.policy, &case.input);
        for problem in signoff::check(expect, &decision) {
            failures.push(format!("{shown}: {problem}"));
        }
        let again = signoff::evaluate(&case.policy, &case.input);
        assert_eq!(
            decision.to_json(),
            again.to_json(),
            "{shown}: evaluation is not repeatable"
        );
        assert!(
            decision.summary.chars().count() <= 140,
            "{shown}: summary longer than 140 characters"
        );
        assert!(
            !decision.summary.contains('\n'),
            "{shown}: summary spans lines"
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every reason code of SPEC §4 and every decision appears somewhere in the corpus.
#[test]
fn corpus_covers_every_reason_and_decision() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let mut files = Vec::new();
    case_files(&root, &mut files);
    let mut seen = String::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        if let Ok(decision) = signoff::evaluate_case(&text, "case") {
            seen.push_str(&decision.to_json());
        }
    }
    let reasons = [
        "unknown_user",
        "stale",
        "expired",
        "future",
        "superseded",
        "not_approver",
        "self_approval",
        "contributor",
        "no_matching_requirement",
    ];
    for reason in reasons {
        assert!(
            seen.contains(&format!("\"reason\": \"{reason}\"")),
            "no case shows ignored reason {reason}"
        );
    }
    for decision in [
        "approved",
        "pending",
        "rejected",
        "exempt",
        "blocked",
        "not_required",
    ] {
        assert!(
            seen.contains(&format!("\"decision\": \"{decision}\"")),
            "no case decides {decision}"
        );
    }
    for exempt in ["super_admin", "user", "group", "token"] {
        assert!(
            seen.contains(&format!("\"reason\": \"{exempt}\"")),
            "no case is exempt as {exempt}"
        );
    }
}
