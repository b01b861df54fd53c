//! The hand-written policy reader against the serde derive it replaced (kept for tests
//! only in `policy.rs`): the same value, spans included, or the same error (code, message
//! and position), on every policy of the repository and on systematic mutations of each.

use super::policy::PolicyFile;
use super::read_policy::policy_file;
use crate::yaml::{self, Data, DeError, Float, Node, Scalar};
use saphyr_parser::Tag;
use std::borrow::Cow;
use std::path::{Path, PathBuf};

fn derived(node: &Node<'_>) -> Result<String, DeError> {
    yaml::from_node::<PolicyFile>(node).map(|file| format!("{file:?}"))
}

fn ours(node: &Node<'_>) -> Result<String, DeError> {
    policy_file(node).map(|file| format!("{file:?}"))
}

/// Compares both readers on one tree; true when the derive read a policy.
fn agree(node: &Node<'_>, what: &dyn Fn() -> String) -> bool {
    let theirs = derived(node);
    assert_eq!(ours(node), theirs, "{}", what());
    theirs.is_ok()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

/// Every YAML file of the repository that may hold a policy, with its text.
pub(crate) fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut paths = Vec::new();
    for dir in ["examples", "tests", "crates/signoff/tests"] {
        yaml_files(&root.join(dir), &mut paths);
    }
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?)))
        .collect()
}

/// The policies in a loaded file: a case's `policy:` (a mapping, or a string holding a
/// policy file), else the whole document.
fn policies<'a>(root: &'a Node<'a>) -> Vec<Cow<'a, Node<'a>>> {
    let Some(policy) = yaml::entries(root)
        .and_then(|mut entries| entries.find(|(k, _)| yaml::key_str(k) == Some("policy")))
        .map(|(_, v)| v)
    else {
        return vec![Cow::Borrowed(root)];
    };
    match &yaml::untag(policy).data {
        Data::Value(Scalar::String(text)) => match yaml::load(text) {
            Ok(node) => vec![Cow::Owned(owned(node))],
            Err(_) => Vec::new(),
        },
        _ => vec![Cow::Borrowed(policy)],
    }
}

/// A tree that borrows nothing from the text it was loaded from.
pub(crate) fn owned(node: Node<'_>) -> Node<'static> {
    let data = match node.data {
        Data::Value(scalar) => Data::Value(match scalar {
            Scalar::String(s) => Scalar::String(Cow::Owned(s.into_owned())),
            Scalar::Null => Scalar::Null,
            Scalar::Boolean(b) => Scalar::Boolean(b),
            Scalar::Integer(i) => Scalar::Integer(i),
            Scalar::FloatingPoint(f) => Scalar::FloatingPoint(f.into_owned()),
        }),
        Data::Sequence(items) => Data::Sequence(items.into_iter().map(owned).collect()),
        Data::Mapping(entries) => Data::Mapping(
            entries
                .into_iter()
                .map(|(k, v)| (owned(k), owned(v)))
                .collect(),
        ),
        Data::Tagged(tag, inner) => {
            Data::Tagged(Cow::Owned(tag.into_owned()), Box::new(owned(*inner)))
        }
        Data::BadValue => Data::BadValue,
    };
    Node {
        span: node.span,
        data,
    }
}

fn string(s: &str) -> Data<'static> {
    Data::Value(Scalar::String(Cow::Owned(s.to_owned())))
}

fn float(text: &'static str) -> Data<'static> {
    Data::Value(Scalar::FloatingPoint(
        Float::new(Cow::Borrowed(text)).unwrap(),
    ))
}

fn custom_tag() -> Cow<'static, Tag> {
    Cow::Owned(Tag {
        handle: "!".to_owned(),
        suffix: "custom".to_owned(),
    })
}

/// What any value may be replaced by: every scalar type, both shapes, a bad value.
fn replacements(span: saphyr_parser::Span) -> Vec<Node<'static>> {
    let node = |data| Node { span, data };
    let inner = |data| Node {
        span: saphyr_parser::Span::default(),
        data,
    };
    vec![
        node(Data::Value(Scalar::Null)),
        node(Data::Value(Scalar::Boolean(true))),
        node(Data::Value(Scalar::Integer(5))),
        node(Data::Value(Scalar::Integer(-1))),
        node(Data::Value(Scalar::Integer(i64::MAX))),
        node(float("1.5")),
        node(string("text")),
        node(string("deployment")),
        node(string("50%")),
        node(Data::Sequence(Vec::new())),
        node(Data::Sequence(vec![
            node(string("x")),
            node(Data::Value(Scalar::Integer(7))),
        ])),
        node(Data::Sequence(vec![node(Data::Mapping(Vec::new()))])),
        node(Data::Mapping(Vec::new())),
        node(Data::Mapping(vec![(node(string("a")), node(string("b")))])),
        node(Data::BadValue),
        node(Data::Tagged(custom_tag(), Box::new(inner(string("mon"))))),
    ]
}

/// What a key may be replaced by: an unknown name, a near miss, other scalar types.
fn key_replacements(key: &Node<'_>) -> Vec<Data<'static>> {
    let mut out = vec![
        string("bogus"),
        Data::Value(Scalar::Null),
        Data::Value(Scalar::Integer(1)),
        Data::Value(Scalar::Boolean(false)),
        float("2.5"),
        Data::Sequence(Vec::new()),
        Data::BadValue,
    ];
    if let Some(name) = yaml::key_str(key) {
        out.push(string(&format!("{name}s")));
        out.push(string(name.get(1..).unwrap_or_default()));
    }
    out
}

/// Every node's path from the root, as indices (a mapping's entry counts as its index).
fn paths(node: &Node<'_>, at: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(at.clone());
    match &node.data {
        Data::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(i);
                paths(item, at, out);
                at.pop();
            }
        }
        Data::Mapping(entries) => {
            for (i, (_, value)) in entries.iter().enumerate() {
                at.push(i);
                paths(value, at, out);
                at.pop();
            }
        }
        Data::Tagged(_, inner) => paths(inner, at, out),
        _ => {}
    }
}

fn at_path<'t, 'i>(node: &'t mut Node<'i>, path: &[usize]) -> Option<&'t mut Node<'i>> {
    let Some((first, rest)) = path.split_first() else {
        return Some(node);
    };
    let child = match &mut node.data {
        Data::Sequence(items) => items.get_mut(*first)?,
        Data::Mapping(entries) => &mut entries.get_mut(*first)?.1,
        Data::Tagged(_, inner) => return at_path(inner, path),
        _ => return None,
    };
    at_path(child, rest)
}

/// Compares both readers on the policy and on each mutation of it: every value replaced
/// by every shape, every mapping entry dropped, its key renamed, and its entry repeated
/// under a custom-tagged key (which the loader lets through as a different key).
fn agree_on_mutations(policy: &Node<'static>, name: &str) -> usize {
    mutations(policy, name, &|tree, what| {
        agree(tree, what);
    })
}

/// Hands `check` each mutation of `policy` (see [`agree_on_mutations`]); how many.
pub(crate) fn mutations(
    policy: &Node<'static>,
    name: &str,
    compare: &dyn Fn(&Node<'static>, &dyn Fn() -> String),
) -> usize {
    let mut all = Vec::new();
    paths(policy, &mut Vec::new(), &mut all);
    let mut checked = 0;
    let mut check = |tree: &Node<'static>, what: &dyn Fn() -> String| {
        compare(tree, what);
        checked += 1;
    };
    for path in &all {
        let Some(span) = at_path(&mut policy.clone(), path).map(|n| n.span) else {
            continue;
        };
        for replacement in replacements(span) {
            let mut tree = policy.clone();
            if let Some(node) = at_path(&mut tree, path) {
                *node = replacement.clone();
            }
            check(&tree, &|| {
                format!("{name}: {path:?} replaced by {replacement:?}")
            });
        }
        let mut tagged = policy.clone();
        if let Some(node) = at_path(&mut tagged, path) {
            *node = Node {
                span: node.span,
                data: Data::Tagged(custom_tag(), Box::new(node.clone())),
            };
        }
        check(&tagged, &|| format!("{name}: {path:?} tagged"));
        let mut tree = policy.clone();
        let Some(Data::Mapping(entries)) = at_path(&mut tree, path).map(|n| &n.data) else {
            continue;
        };
        for i in 0..entries.len() {
            let mut dropped = policy.clone();
            if let Some(Data::Mapping(entries)) = at_path(&mut dropped, path).map(|n| &mut n.data) {
                entries.remove(i);
            }
            check(&dropped, &|| format!("{name}: {path:?} without entry {i}"));
            let Some((key, value)) = entries.get(i).cloned() else {
                continue;
            };
            for renamed in key_replacements(&key) {
                let mut tree = policy.clone();
                if let Some(Data::Mapping(entries)) = at_path(&mut tree, path).map(|n| &mut n.data)
                    && let Some(entry) = entries.get_mut(i)
                {
                    entry.0.data = renamed.clone();
                }
                check(&tree, &|| {
                    format!("{name}: {path:?} key {i} renamed {renamed:?}")
                });
            }
            let mut repeated = policy.clone();
            if let Some(Data::Mapping(entries)) = at_path(&mut repeated, path).map(|n| &mut n.data)
            {
                let tagged = Node {
                    span: key.span,
                    data: Data::Tagged(custom_tag(), Box::new(key.clone())),
                };
                entries.push((tagged, value.clone()));
            }
            check(&repeated, &|| {
                format!("{name}: {path:?} entry {i} repeated")
            });
        }
    }
    checked
}

#[test]
fn reads_every_policy_of_the_repository_as_the_derive_did() {
    let (mut read, mut refused) = (0, 0);
    for (name, text) in corpus() {
        let Ok(root) = yaml::load(&text) else {
            continue;
        };
        for policy in policies(&root) {
            if agree(&policy, &|| name.clone()) {
                read += 1;
            } else {
                refused += 1;
            }
        }
    }
    // The corpus holds hundreds of good policies and the nasty ones the derive refused.
    assert!(read > 300, "only {read} policies read");
    assert!(refused > 10, "only {refused} policies refused");
}

#[test]
fn reads_every_mutation_of_the_example_policies_as_the_derive_did() {
    let mut checked = 0;
    let mut files = 0;
    for (name, text) in corpus() {
        // The examples, and one policy of each conformance folder and of the nasty corpus
        // (the others repeat their shapes), keep the test to a few seconds.
        let chosen = name.contains("examples/")
            || name.ends_with("/001.yml")
            || name.contains("nasty/policy/") && text.len() < 4096;
        if !chosen {
            continue;
        }
        let Ok(root) = yaml::load(&text) else {
            continue;
        };
        for policy in policies(&root) {
            checked += agree_on_mutations(&owned(policy.into_owned()), &name);
        }
        files += 1;
    }
    assert!(files > 20, "only {files} files mutated");
    assert!(checked > 10_000, "only {checked} mutations checked");
}

/// Hand-picked shapes the mutations do not reach: keys of every type in the maps of
/// names, counts and globs of every scalar type, duplicate keys through tags.
#[test]
fn reads_edge_cases_as_the_derive_did() {
    let texts = [
        "version: 1\ngroups: {1: [a], true: [b], ~: [c]}\n",
        "version: 1\ngroups: {[a]: [b]}\n",
        "version: 1\ngroups: {a: [b], !x a: [c]}\n",
        "version: 1\npolicies: {p: {requires: [{any: 1}]}, !x p: {requires: []}}\n",
        "version: 1\n!x version: 2\n",
        "version: 4294967296\n",
        "version: -1\n",
        "version: 1.0\n",
        "version: '1'\n",
        "version: !!int abc\n",
        "version: !custom 1\n",
        "!custom {version: 1}\n",
        "version: 1\npolicies: {p: {requires: [{count: 1.5}, {count: true}, {count: ~}]}}\n",
        "version: 1\npolicies: {p: {requires: [{count: [1]}]}}\n",
        "version: 1\npolicies: {p: {requires: [{any: !!int x}]}}\n",
        "version: 1\napply: [{policies: [p], to: deployment, where: {app: 5, repo: true}}]\n",
        "version: 1\napply: [{policies: [p], to: deployment, where: {app: {a: 1}}}]\n",
        "version: 1\napply: [{policies: [p], to: deployment, where: {app: [1, true, x]}}]\n",
        "version: 1\napply: [{policies: [p], to: config, config: [secret, configmap, deployment-template, other]}]\n",
        "version: 1\napply: [{policies: [p], to: 5}]\n",
        "version: 1\napply: [{to: deployment}]\n",
        "version: 1\napply: [{}]\n",
        "version: 1\nwindows: [{}]\n",
        "version: 1\nwindows: [{name: w, kind: blackout, to: deployment, weekly: {}}]\n",
        "version: 1\nwindows: [{name: w, kind: other, to: deployment}]\n",
        "version: 1\nwindows: [{name: w, kind: blackout, to: deployment, weekly: {days: [mon, funday], from: '1', until: '2'}}]\n",
        "version: 1\noptions: {commands: {approve: [1, true, /ok]}, expires_after: 5}\n",
        "version: 1\noptions: {self_approval: yes}\n",
        "version: 1\noptions: {commands: ~}\n",
        "version: 1\nexceptions: {deployment: ~, config: {super_admins: 1}}\n",
        "version: 1\nversions: 1\n",
        "verison: 1\n",
        "{}",
        "[]",
        "~",
        "5",
    ];
    for text in texts {
        let root = yaml::load(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        agree(&root, &|| text.to_owned());
    }
}
