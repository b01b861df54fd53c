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
