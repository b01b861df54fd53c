//! Bad policies get located, coded errors; good ones compile; warnings do not block.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use signoff::{Diagnostic, PolicySet, Severity};

fn errors(text: &str) -> Vec<Diagnostic> {
    match PolicySet::parse(text, "signoff.yml") {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(d) => d,
    }
}

/// `(line, col, code)` of each diagnostic, for compact assertions.
fn located(diagnostics: &[Diagnostic]) -> Vec<(u32, u32, &str)> {
    diagnostics
        .iter()
        .map(|d| (d.span.line, d.span.col, d.code.as_str()))
        .collect()
}

const GOOD_TAIL: &str = "apply:\n  - policies: [p]\n    to: deployment\n";

#[test]
fn a_typo_in_a_field_name_is_an_error_at_the_key_with_a_suggestion() {
    let d = errors("version: 1\npolicies:\n  p:\n    requres:\n      - any: 2\n");
    assert_eq!(located(&d), vec![(4, 5, "unknown_field")]);
    assert!(
        d[0].message.contains("did you mean `requires`"),
        "{}",
        d[0].message
    );
    assert_eq!(d[0].to_string().split(": ").next(), Some("signoff.yml:4:5"));
}

#[test]
fn wrong_types_and_missing_fields_are_located() {
    let d = errors("version: 1\npolicies:\n  p:\n    requires: yes\n");
    assert_eq!(located(&d), vec![(4, 15, "invalid_type")]);
    let d = errors("version: 1\npolicies:\n  p:\n    description: x\n");
    assert_eq!(d[0].code, "missing_field");
    assert!(d[0].message.contains("requires"));
    let d = errors("policies: {}\n");
    assert_eq!(d[0].code, "missing_field");
}

#[test]
fn meaning_errors_are_all_reported_at_their_nodes() {
    let text = "version: 1\npolicies:\n  p:\n    requires:\n      - any: 0\n      - group: qa\n        count: \"150%\"\n      - { group: x, users: [a] }\napply:\n  - policies: [p, missing]\n    to: deployment\n    where:\n      paths: [\"a**\"]\n      cluster: \"[abc\"\n";
    let d = errors(text);
    assert_eq!(
        located(&d),
        vec![
            (5, 14, "invalid_count"),
            (7, 16, "invalid_count"),
            (8, 9, "invalid_requirement"),
            (10, 19, "unknown_policy"),
            (13, 15, "invalid_glob"),
            (14, 16, "invalid_glob"),
        ]
    );
}

#[test]
fn windows_reject_bad_times_zones_and_order() {
    let base = format!(
        "version: 1\npolicies:\n  p:\n    requires: [ {{ any: 1 }} ]\n{GOOD_TAIL}windows:\n"
    );
    let bad_zone = format!(
        "{base}  - name: w\n    kind: maintenance\n    to: deployment\n    weekly: {{ days: [mon], from: \"09:00\", until: \"16:00\", timezone: Europe/Berlinn }}\n"
    );
    let d = errors(&bad_zone);
    assert_eq!(d[0].code, "invalid_window");
    assert!(d[0].message.contains("Europe/Berlinn"));
    assert_eq!(d[0].span.line, 12);
    let backwards = format!(
        "{base}  - name: w\n    kind: blackout\n    to: deployment\n    from: 2026-12-20T00:00:00Z\n    until: 2026-12-01T00:00:00Z\n"
    );
    assert_eq!(
        located(&errors(&backwards)),
        vec![(13, 12, "invalid_window")]
    );
    let bad_time = format!(
        "{base}  - name: w\n    kind: blackout\n    to: deployment\n    from: 2026-12-32T00:00:00Z\n    until: 2027-01-01T00:00:00Z\n"
    );
    assert_eq!(
        located(&errors(&bad_time)),
        vec![(12, 11, "invalid_window")]
    );
}

#[test]
fn durations_versions_and_empty_files() {
    let d = errors(&format!(
        "version: 1\npolicies:\n  p:\n    requires: [ {{ any: 1 }} ]\n{GOOD_TAIL}options:\n  expires_after: 3 parsecs\n"
    ));
    assert_eq!(located(&d), vec![(9, 18, "invalid_duration")]);
    assert_eq!(errors("version: 2\n")[0].code, "unsupported_version");
    assert_eq!(errors("")[0].code, "syntax");
    assert_eq!(errors("version: 1\nversion: 1\n")[0].code, "syntax");
    assert_eq!(errors("version: [1\n")[0].code, "syntax");
}

#[test]
fn anchors_aliases_and_json_are_accepted() {
    let yaml = "version: 1\npolicies:\n  a: &two\n    requires: [ { any: 2 } ]\n  b: *two\napply:\n  - { policies: [a, b], to: pull_request }\n";
    let set = PolicySet::parse(yaml, "a.yml").unwrap();
    assert_eq!(set.policy_names().collect::<Vec<_>>(), ["a", "b"]);
    let json = r#"{"version": 1, "policies": {"p": {"requires": [{"group": "qa", "count": "50%"}]}}, "apply": [{"policies": ["p"], "to": "config", "config": ["secret"]}]}"#;
    assert!(PolicySet::parse(json, "a.json").is_ok());
}

#[test]
fn unused_policies_warn_without_failing() {
    let text = "version: 1\npolicies:\n  used:\n    requires: [ { any: 1 } ]\n  spare:\n    requires: [ { any: 1 } ]\napply:\n  - { policies: [used], to: deployment }\n";
    let set = PolicySet::parse(text, "p.yml").unwrap();
    let warnings = set.warnings("p.yml");
    assert_eq!(located(&warnings), vec![(5, 3, "unused_policy")]);
    assert_eq!(warnings[0].severity, Severity::Warning);
}

#[test]
fn lint_with_a_directory_finds_unknown_groups_and_unsatisfiable_requirements() {
    let text = "version: 1\npolicies:\n  p:\n    requires:\n      - group: securty\n      - group: qa\n        count: 3\n      - users: [john, ghost]\napply:\n  - { policies: [p], to: deployment }\n";
    let directory: signoff::Directory = signoff::from_yaml_str(
        "users:\n  john: { groups: [qa], roles: [deployment-approver] }\n  jane: { groups: [qa], roles: [deployment-approver] }\n",
        "dir.yml",
    )
    .unwrap();
    let d = signoff::lint(text, "p.yml", Some(&directory));
    let codes: Vec<(u32, &str)> = d.iter().map(|d| (d.span.line, d.code.as_str())).collect();
    assert!(codes.contains(&(5, "unknown_group")), "{codes:?}");
    assert!(codes.contains(&(5, "unsatisfiable")), "{codes:?}");
    assert!(codes.contains(&(6, "unsatisfiable")), "{codes:?}");
    assert!(codes.contains(&(8, "unknown_user")), "{codes:?}");
    assert!(d.iter().all(|d| d.severity == Severity::Warning));
    assert!(signoff::lint(text, "p.yml", None).is_empty());
}

#[test]
fn a_policy_embedded_as_a_string_in_a_case_reports_lines_of_the_case_file() {
    let case = "name: x\npolicy: |\n  version: 1\n  policies:\n    p:\n      requires: [ { any: 0 } ]\nrequest: { kind: deployment, requester: dave }\nnow: 2026-11-21T09:00:00Z\n";
    let d = signoff::parse_case(case, "case.yml").unwrap_err();
    assert_eq!(d[0].code, "invalid_count");
    assert_eq!(
        (d[0].span.line, d[0].span.col),
        (6, 26),
        "points at the 0 of `any: 0`"
    );
    let quoted = "policy: \"{version: 1, policies: {p: {requires: [{any: 0}]}}}\"\nrequest: { kind: deployment, requester: dave }\nnow: 2026-11-21T09:00:00Z\n";
    let d = signoff::parse_case(quoted, "case.yml").unwrap_err();
    assert_eq!((d[0].span.line, d[0].span.col), (1, 55), "{}", d[0]);
}

#[test]
fn case_files_reject_unknown_fields_and_bad_timestamps() {
    let base = "policy: { version: 1 }\nrequest: { kind: deployment, requester: dave }\n";
    let d = signoff::parse_case(
        &format!("{base}now: 2026-11-21T09:00:00Z\ngrant: []\n"),
        "c.yml",
    )
    .unwrap_err();
    assert_eq!((d[0].span.line, d[0].code.as_str()), (4, "unknown_field"));
    let d = signoff::parse_case(&format!("{base}now: yesterday\n"), "c.yml").unwrap_err();
    assert_eq!(d[0].span.line, 3);
    let d = signoff::parse_case(
        &format!(
            "{base}now: 2026-11-21T09:00:00Z\ngrants:\n  - {{ by: a, action: approve, at: soon }}\n"
        ),
        "c.yml",
    )
    .unwrap_err();
    assert_eq!(d[0].span.line, 5);
}
