//! Reads a case's `expect:` from the located YAML tree, by hand, with the messages and
//! positions of the serde derive of [`Expect`] (kept, and compared with in the tests
//! below): the derive's `visit_map` alone was 25 KB of the browser's wasm module before
//! `wasm-opt` (docs/simulator.md, "Size"). The decision's own types (`Outcome`, `Ignored`,
//! `Exemption`, `WindowKind`) are still read by their derives, which are small.

use super::{Expect, RequirementExpect, WindowExpect};
use crate::model::read_input::timestamp;
use crate::yaml::read::{self, boolean, fields, list, map_entries, option, string, strings};
use crate::yaml::{self, DeError, Node};
use std::collections::BTreeMap;

/// `expect:`; `None` for null.
pub(crate) fn expect(node: &Node<'_>) -> Result<Option<Expect>, DeError> {
    option(node, expect_fields)
}

fn expect_fields(node: &Node<'_>) -> Result<Expect, DeError> {
    const FIELDS: &[&str] = &[
        "decision",
        "summary",
        "ignored",
        "requirements",
        "rejected_by",
        "exempt",
        "window",
    ];
    let mut e = Expect::default();
    fields(node, "struct Expect", FIELDS, &mut |field, value| {
        match field {
            0 => e.decision = yaml::from_node(value)?,
            1 => e.summary = option(value, string)?,
            2 => e.ignored = list(value, yaml::from_node)?,
            3 => e.requirements = requirements(value)?,
            4 => e.rejected_by = option(value, strings)?,
            5 => e.exempt = Some(yaml::from_node(value)?),
            _ => e.window = Some(option(value, window)?),
        }
        Ok(())
    })?;
    Ok(e)
}

fn requirements(node: &Node<'_>) -> Result<BTreeMap<String, RequirementExpect>, DeError> {
    let mut out = BTreeMap::new();
    for (key, value) in map_entries(node)? {
        let path = string(key).map_err(|e| read::located(e, key))?;
        let value = requirement(value).map_err(|e| read::located(e, value))?;
        out.insert(path, value);
    }
    Ok(out)
}

fn requirement(node: &Node<'_>) -> Result<RequirementExpect, DeError> {
    const FIELDS: &[&str] = &[
        "need",
        "have",
        "approved_by",
        "candidates",
        "candidates_more",
        "satisfied",
        "unsatisfiable",
    ];
    let mut r = RequirementExpect::default();
    fields(
        node,
        "struct RequirementExpect",
        FIELDS,
        &mut |field, value| {
            match field {
                0 => r.need = option(value, read::u32)?,
                1 => r.have = option(value, read::u32)?,
                2 => r.approved_by = option(value, strings)?,
                3 => r.candidates = option(value, strings)?,
                4 => r.candidates_more = option(value, read::u32)?,
                5 => r.satisfied = option(value, boolean)?,
                _ => r.unsatisfiable = option(value, boolean)?,
            }
            Ok(())
        },
    )?;
    Ok(r)
}

fn window(node: &Node<'_>) -> Result<WindowExpect, DeError> {
    const FIELDS: &[&str] = &["name", "kind", "until"];
    let mut w = WindowExpect::default();
    fields(node, "struct WindowExpect", FIELDS, &mut |field, value| {
        match field {
            0 => w.name = option(value, string)?,
            1 => w.kind = yaml::from_node(value)?,
            _ => w.until = option(value, timestamp)?,
        }
        Ok(())
    })?;
    Ok(w)
}

/// The reader against the derive: the same value or the same error, on every case's
/// `expect:` in the repository, on mutations of a few dozen, and on edge cases.
#[cfg(test)]
mod tests {
    use super::{Expect, expect};
    use crate::model::read_policy_tests::{corpus, mutations, owned};
    use crate::yaml::{self, Node};

    fn agree(node: &Node<'_>, what: &dyn Fn() -> String) -> bool {
        let theirs = yaml::from_node::<Option<Expect>>(node);
        assert_eq!(expect(node), theirs, "{}", what());
        theirs.is_ok()
    }

    fn expects() -> Vec<(String, Node<'static>)> {
        let mut out = Vec::new();
        for (name, text) in corpus() {
            let Ok(root) = yaml::load(&text) else {
                continue;
            };
            for (key, value) in yaml::entries(&root).into_iter().flatten() {
                if yaml::key_str(key) == Some("expect") {
                    out.push((name.clone(), owned(value.clone())));
                }
            }
        }
        out
    }

    #[test]
    fn reads_every_expect_of_the_repository_as_the_derive_did() {
        let mut read = 0;
        for (name, node) in expects() {
            if agree(&node, &|| name.clone()) {
                read += 1;
            }
        }
        assert!(read > 250, "only {read} expectations read");
    }

    #[test]
    fn reads_mutations_of_some_expects_as_the_derive_did() {
        let mut checked = 0;
        for (name, node) in expects().into_iter().step_by(8) {
            checked += mutations(&node, &name, &|tree, what| {
                agree(tree, what);
            });
        }
        assert!(checked > 5_000, "only {checked} mutations checked");
    }

    #[test]
    fn reads_edge_cases_as_the_derive_did() {
        let texts = [
            "~",
            "{}",
            "[]",
            "{decision: maybe}",
            "{decision: ~, exempt: ~, window: ~}",
            "{exempt: {reason: super_admin}, window: {name: w, kind: blackout, until: 2026-11-21T09:00:00Z}}",
            "{window: {kind: other}}",
            "{window: {until: soon}}",
            "{requirements: {p/0: {need: -1}}}",
            "{requirements: {p/0: {need: 1.5, have: x}}}",
            "{requirements: {1: {satisfied: yes}}}",
            "{requirements: {p/0: {}, !x p/0: {need: 2}}}",
            "{ignored: [{by: a, reason: nope}]}",
            "{ignored: {}}",
            "{rejected_by: [a, 1, true]}",
            "{summary: [a]}",
            "{decisions: approved}",
            "{decision: approved, !x decision: pending}",
        ];
        for text in texts {
            let node = yaml::load(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            agree(&node, &|| text.to_owned());
        }
    }
}
