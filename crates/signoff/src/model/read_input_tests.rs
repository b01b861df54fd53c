//! The hand-written input readers against the serde derives of `input.rs`: the same
//! value or the same error (code, message, position) on every case file's request,
//! directory, grants and `now` in the repository, on mutations of each, and on edge cases.

use super::read_input::{directory, grants, request, timestamp};
use super::read_policy_tests::{corpus, mutations, owned};
use super::{Directory, Grant, Request};
use crate::timestamp::Text;
use crate::yaml::{self, DeError, Node};

/// Which part of a case file a node is, and how both readers read it.
#[derive(Clone, Copy)]
enum Part {
    Request,
    Directory,
    Grants,
    Now,
}

impl Part {
    fn of(key: &str) -> Option<Part> {
        Some(match key {
            "request" => Part::Request,
            "directory" => Part::Directory,
            "grants" => Part::Grants,
            "now" => Part::Now,
            _ => return None,
        })
    }

    fn ours(self, node: &Node<'_>) -> Result<String, DeError> {
        match self {
            Part::Request => request(node).map(|v| format!("{v:?}")),
            Part::Directory => directory(node).map(|v| format!("{v:?}")),
            Part::Grants => grants(node).map(|v| format!("{v:?}")),
            Part::Now => timestamp(node).map(|v| format!("{v:?}")),
        }
    }

    fn derived(self, node: &Node<'_>) -> Result<String, DeError> {
        match self {
            Part::Request => yaml::from_node::<Request>(node).map(|v| format!("{v:?}")),
            Part::Directory => yaml::from_node::<Directory>(node).map(|v| format!("{v:?}")),
            Part::Grants => yaml::from_node::<Option<Vec<Grant>>>(node).map(|v| format!("{v:?}")),
            Part::Now => yaml::from_node::<Text>(node).map(|v| format!("{:?}", v.0)),
        }
    }

    /// Compares both readers; true when the derive read the node.
    fn agree(self, node: &Node<'_>, what: &dyn Fn() -> String) -> bool {
        let theirs = self.derived(node);
        assert_eq!(self.ours(node), theirs, "{}", what());
        theirs.is_ok()
    }
}

/// Each input part of every case file in the repository.
fn parts() -> Vec<(String, Part, Node<'static>)> {
    let mut out = Vec::new();
    for (name, text) in corpus() {
        let Ok(root) = yaml::load(&text) else {
            continue;
        };
        let Some(entries) = yaml::entries(&root) else {
            continue;
        };
        for (key, value) in entries {
            if let Some(part) = yaml::key_str(key).and_then(Part::of) {
                out.push((name.clone(), part, owned(value.clone())));
            }
        }
    }
    out
}

#[test]
fn reads_every_input_of_the_repository_as_the_derives_did() {
    let mut read = 0;
    for (name, part, node) in parts() {
        if part.agree(&node, &|| name.clone()) {
            read += 1;
        }
    }
    assert!(read > 1000, "only {read} inputs read");
}

#[test]
fn reads_every_mutation_of_some_inputs_as_the_derives_did() {
    let mut checked = 0;
    let mut seen = [0; 4];
    for (name, part, node) in parts() {
        // The first dozen small ones of each part are enough: the shapes repeat.
        let count = &mut seen[part as usize];
        if *count >= 12 || format!("{node:?}").len() > 20_000 {
            continue;
        }
        *count += 1;
        checked += mutations(&node, &name, &|tree, what| {
            part.agree(tree, what);
        });
    }
    assert!(checked > 5_000, "only {checked} mutations checked");
}

#[test]
fn reads_edge_cases_as_the_derives_did() {
    let cases: &[(Part, &str)] = &[
        (Part::Now, "2026-11-21T09:00:00Z"),
        (Part::Now, "yesterday"),
        (Part::Now, "5"),
        (Part::Now, "true"),
        (Part::Now, "1.5"),
        (Part::Now, "~"),
        (Part::Now, "[]"),
        (Part::Now, "!!int x"),
        (Part::Now, "2026-11-21T09:00:00+01:00"),
        (Part::Now, "2026-11-21 09:00:00"),
        (
            Part::Request,
            "{kind: config, config: secret, requester: 1}",
        ),
        (Part::Request, "{kind: config, config: other, requester: a}"),
        (Part::Request, "{kind: 5, requester: a}"),
        (Part::Request, "{requester: a}"),
        (Part::Request, "{kind: deployment}"),
        (
            Part::Request,
            "{kind: deployment, requester: a, attributes: ~}",
        ),
        (
            Part::Request,
            "{kind: deployment, requester: a, attributes: {labels: a}}",
        ),
        (
            Part::Request,
            "{kind: deployment, requester: a, !x kind: config}",
        ),
        (
            Part::Request,
            "{kind: deployment, requester: a, requestor: b}",
        ),
        (
            Part::Directory,
            "{users: {1: {}, true: {super_admin: true}}}",
        ),
        (Part::Directory, "{users: {a: {roles: [admin]}}}"),
        (Part::Directory, "{users: {a: {}, !x a: {groups: [g]}}}"),
        (Part::Directory, "{users: {[a]: {}}}"),
        (Part::Directory, "{users: ~}"),
        (Part::Directory, "{groups: {g: [a, 1]}, tokens: [t, false]}"),
        (Part::Directory, "{groups: {g: a}}"),
        (Part::Grants, "~"),
        (Part::Grants, "[]"),
        (Part::Grants, "{}"),
        (
            Part::Grants,
            "[{by: a, action: approve, at: 2026-11-21T09:00:00Z, via: api}]",
        ),
        (
            Part::Grants,
            "[{by: a, action: approve, at: 2026-11-21T09:00:00Z, via: email}]",
        ),
        (
            Part::Grants,
            "[{by: a, action: veto, at: 2026-11-21T09:00:00Z}]",
        ),
        (Part::Grants, "[{by: a, at: 2026-11-21T09:00:00Z}]"),
        (Part::Grants, "[{action: approve}]"),
        (Part::Grants, "[{}]"),
        (Part::Grants, "[~]"),
    ];
    for (part, text) in cases {
        let node = yaml::load(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        part.agree(&node, &|| (*text).to_owned());
    }
}
