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
    for i in 0..500 {
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

/// A 400 KB string repeated by 99,000 aliases: under saphyr's budget of 100,000 alias
/// nodes, yet ~40 GB once expanded, which aborted the bot (and then again on every retry
/// of the delivery). The expansion is bounded by bytes now: a located error, at the alias
/// that crosses the bound, from every entry point (parse, lint, a case's policy).
#[test]
fn aliases_expanding_a_long_string_many_times_are_a_located_error() {
    let mut text = format!("groups:\n  big: &s [\"{}\"]\n", "x".repeat(400_000));
    text.push_str("policies: [");
    text.push_str(&"*s, ".repeat(99_000));
    text.push_str("*s]\n");
    assert!(text.len() < 1024 * 1024, "{}", text.len());
    let errors = signoff::PolicySet::parse(&text, "laughs.yml").unwrap_err();
    assert_eq!(errors[0].code, "syntax", "{errors:?}");
    assert!(errors[0].message.contains("alias"), "{errors:?}");
    assert_eq!(errors[0].span.line, 3, "{errors:?}");
    assert!(errors[0].span.col > 1, "{errors:?}");
    assert_eq!(signoff::lint(&text, "laughs.yml", None)[0].code, "syntax");
    let case = format!(
        "policy: {text:?}\nrequest: {{ kind: deployment, requester: dave }}\nnow: 2026-11-21T09:00:00Z\n"
    );
    let errors = signoff::evaluate_case(&case, "laughs-case.yml").unwrap_err();
    assert_eq!(errors[0].code, "syntax", "{errors:?}");
}

/// Anchors used the way people use them (a list of approvers reused in a few places)
/// still work.
#[test]
fn aliases_within_the_bound_still_parse() {
    let users: Vec<String> = (0..200).map(|i| format!("user-{i:04}")).collect();
    let mut text = format!(
        "version: 1\ngroups:\n  leads: &leads [{}]\npolicies:\n",
        users.join(", ")
    );
    for p in 0..50 {
        text.push_str(&format!(
            "  p{p}: {{ requires: [ {{ users: *leads, count: 2 }} ] }}\n"
        ));
    }
    text.push_str("apply:\n");
    for p in 0..50 {
        text.push_str(&format!("  - {{ policies: [p{p}], to: deployment }}\n"));
    }
    signoff::PolicySet::parse(&text, "anchors.yml").unwrap();
}

/// SPEC §2: a policy file larger than 1 MiB is an error located where the limit is
/// crossed, the same through parse, lint, a case's policy (string or mapping), and so
/// the CLI, the simulator and the bot. One just under the limit still parses.
#[test]
fn a_policy_larger_than_one_mebibyte_is_a_located_error() {
    let limit = 1024 * 1024;
    let head = "version: 1\npolicies: { p: { requires: [ { any: 1 } ] } }\napply: [ { policies: [p], to: deployment } ]\n";
    let line = format!("# {}\n", "padding ".repeat(12));
    let mut text = head.to_owned();
    while text.len() + line.len() <= limit {
        text.push_str(&line);
    }
    signoff::PolicySet::parse(&text, "big.yml").unwrap();
    let lines_before = text.lines().count();
    text.push_str(&line);
    let errors = signoff::PolicySet::parse(&text, "big.yml").unwrap_err();
    assert_eq!(errors[0].code, "too_large", "{errors:?}");
    assert!(errors[0].message.contains("1 MiB"), "{errors:?}");
    assert_eq!(errors[0].span.line as usize, lines_before + 1, "{errors:?}");
    let linted = signoff::lint(&text, "big.yml", None);
    assert_eq!(linted[0].code, "too_large", "{linted:?}");
    assert_eq!(linted[0].span, errors[0].span);

    let rest = "request: { kind: deployment, requester: dave }\nnow: 2026-11-21T09:00:00Z\n";
    let as_string = format!("policy: {text:?}\n{rest}");
    let errors = signoff::evaluate_case(&as_string, "big-case.yml").unwrap_err();
    assert_eq!(errors[0].code, "too_large", "{errors:?}");
    // A mapping in place: measured from the case file's text it spans.
    let groups: String = (0..50_000)
        .map(|i| format!("    g{i:05}: [alice, bob]\n"))
        .collect();
    let as_mapping = format!(
        "policy:\n  version: 1\n  groups:\n{groups}  policies: {{ p: {{ requires: [ {{ any: 1 }} ] }} }}\n  apply: [ {{ policies: [p], to: deployment }} ]\n{rest}"
    );
    assert!(as_mapping.len() > limit);
    let errors = signoff::evaluate_case(&as_mapping, "big-case.yml").unwrap_err();
    assert_eq!(errors[0].code, "too_large", "{errors:?}");
}
