#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Inputs that once crashed the core, each a located error now.

/// `- - - - … x`: saphyr's loader recursed once per level and a 2 KB text overflowed the
/// stack, aborting the whole process (CLI, bot or browser tab) instead of an error.
#[test]
fn deeply_nested_lists_are_a_located_error() {
    for n in [65usize, 1_000, 50_000] {
        let text = format!("{}x\n", "- ".repeat(n));
        let errors = signoff::PolicySet::parse(&text, "deep.yml").unwrap_err();
        assert_eq!(errors[0].code, "syntax", "{errors:?}");
        assert!(errors[0].message.contains("nest"), "{errors:?}");
        assert!(errors[0].span.line >= 1);
        let errors = signoff::evaluate_case(&text, "deep.yml").unwrap_err();
        assert_eq!(errors[0].code, "syntax");
        let lint = signoff::lint(&text, "deep.yml", None);
        assert_eq!(lint[0].code, "syntax");
    }
}

/// The same through requirements, where serde and the compiler recurse too.
#[test]
fn deeply_nested_requirements_are_a_located_error() {
    let mut text = String::from("version: 1\npolicies:\n  p:\n    requires:\n");
    for i in 0..2_000 {
        text.push_str(&" ".repeat(6 + 2 * i));
        text.push_str("- any_of:\n");
    }
    let errors = signoff::PolicySet::parse(&text, "deep.yml").unwrap_err();
    assert_eq!(errors[0].code, "syntax", "{errors:?}");
    assert_eq!(errors[0].span.line, 35, "{errors:?}");
}

/// Nested anchors build a deep tree from shallow text: each alias counts as deep as the
/// node it repeats.
#[test]
fn aliases_cannot_build_deep_nesting() {
    let mut text = String::from("a0: &a0 [[[[[[[[[[x]]]]]]]]]]\n");
    for i in 1..40 {
        text.push_str(&format!("a{i}: &a{i} [[[[[[[[[[*a{}]]]]]]]]]]\n", i - 1));
    }
    let errors = signoff::PolicySet::parse(&text, "alias.yml").unwrap_err();
    assert_eq!(errors[0].code, "syntax", "{errors:?}");
    assert!(errors[0].message.contains("nest"), "{errors:?}");
}

/// Legitimate nesting well inside the limit still works: any_of 29 deep, the most that fits in 64 levels.
#[test]
fn nesting_inside_the_limit_still_parses() {
    let mut text = String::from("version: 1\npolicies:\n  p:\n    requires:\n");
    let depth = 29;
    for i in 0..depth {
        let pad = " ".repeat(6 + 2 * i);
        text.push_str(&format!("{pad}- any: 1\n{pad}- any_of:\n"));
    }
    text.push_str(&format!(
        "{}- any: 1\n{}- any: 2\n",
        " ".repeat(6 + 2 * depth),
        " ".repeat(6 + 2 * depth)
    ));
    text.push_str("apply:\n  - { policies: [p], to: deployment }\n");
    signoff::PolicySet::parse(&text, "ok.yml").unwrap();
}

/// `distinct_approvers: true` with `any: N` and N approvers: the matcher walked a chain of
/// N holders for every new approver, one nested call per holder (O(N³) steps, N deep):
/// 800 approvers took 2 s in release, 3,200 about two minutes, and a larger directory
/// overflowed the stack.
#[test]
fn distinct_approvers_with_thousands_of_approvals_is_quick() {
    let n = 1_500;
    let mut text = format!(
        "policy:\n  version: 1\n  policies:\n    p:\n      distinct_approvers: true\n      requires:\n        - any: {n}\n        - group: g\n  apply:\n    - {{ policies: [p], to: deployment }}\ndirectory:\n  users:\n"
    );
    for i in 0..n {
        let groups = if i % 100 == 0 { "[g]" } else { "[]" };
        text.push_str(&format!(
            "    u{i:05}: {{ roles: [deployment-approver], groups: {groups} }}\n"
        ));
    }
    text.push_str(
        "request: { kind: deployment, requester: dave }\nnow: 2026-11-21T09:00:00Z\ngrants:\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "  - {{ by: u{i:05}, action: approve, at: 2026-11-20T10:00:00Z }}\n"
        ));
    }
    let start = std::time::Instant::now();
    let decision = signoff::evaluate_case(&text, "many.yml").unwrap();
    assert!(
        start.elapsed() < std::time::Duration::from_secs(60),
        "took {:?}",
        start.elapsed()
    );
    // One person cannot fill both: 1,500 slots plus one group slot need 1,501 people.
    assert_eq!(decision.decision, signoff::Outcome::Pending);
    assert_eq!(
        decision.policies[0].requirements[0].have + decision.policies[0].requirements[1].have,
        1_500
    );
}

/// Globs against attacker-chosen values (a fork names its branch and its paths): the
/// backtracking matcher tried every way to split the value among the stars, so four
/// stars against a 255-character branch took 8 s and five over two minutes. These
/// return at once now; each answer is checked, so a wrong fast matcher fails too.
#[test]
fn many_stars_against_a_long_value_are_matched_in_linear_time() {
    use signoff::glob::Glob;
    let value = "a".repeat(255);
    for stars in [4usize, 8, 32] {
        let pattern = format!("{}b", "*a".repeat(stars));
        let glob = Glob::new(&pattern, false).unwrap();
        assert!(!glob.matches(&value), "{pattern}");
        assert!(glob.matches(&format!("{value}b")), "{pattern}");
        let path_glob = Glob::new(&pattern, true).unwrap();
        assert!(!path_glob.matches(&value), "{pattern}");
    }
    // Path mode: `**` segments between starred segments, against a long path of `a/`.
    let path = "a/".repeat(127);
    let glob = Glob::new(&format!("{}b", "**/*a*/".repeat(8)), true).unwrap();
    assert!(!glob.matches(&path));
    assert!(glob.matches(&format!("{path}b")));
}
