//! The fast path against saphyr-parser: wherever it answers, the same events with the same
//! spans, and saphyr-parser without an error.

use super::events;
use crate::test_rng::Rng;
use saphyr_parser::Parser;
use std::path::{Path, PathBuf};

/// Whether the fast path took `text`, after checking it agrees with saphyr-parser.
fn agrees(text: &str, name: &str) -> bool {
    let Some(fast) = events(text) else {
        return false;
    };
    let mut theirs = Vec::new();
    for event in Parser::new_from_str(text) {
        match event {
            Ok(event) => theirs.push(event),
            Err(e) => panic!("{name}: the fast path took {text:?}, saphyr-parser says {e}"),
        }
    }
    for (i, (a, b)) in fast.iter().zip(&theirs).enumerate() {
        assert_eq!(a, b, "{name}: event {i} of {text:?}");
    }
    assert_eq!(fast.len(), theirs.len(), "{name}: events of {text:?}");
    true
}

fn repository_yaml() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut stack = vec![
        root.join("tests"),
        root.join("examples"),
        root.join("crates/signoff/tests"),
        root.join("bot/tests"),
    ];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                if let Some(policy) = embedded_policy(&text) {
                    files.push((path.join("policy"), policy));
                }
                files.push((path, text));
            }
        }
    }
    files.sort();
    files
}

/// A case's policy written as a block scalar (`policy: |`, as in the benchmarks'
/// reference case), which `load` parses on its own.
fn embedded_policy(case: &str) -> Option<String> {
    let (_, rest) = case.split_once("\npolicy: |\n")?;
    let lines = rest
        .lines()
        .take_while(|line| line.is_empty() || line.starts_with("  "))
        .map(|line| line.get(2..).unwrap_or_default());
    Some(lines.collect::<Vec<_>>().join("\n") + "\n")
}

#[test]
fn agrees_with_saphyr_parser_on_every_yaml_file_of_the_repository() {
    let files = repository_yaml();
    let taken = files
        .iter()
        .filter(|(path, text)| agrees(text, &path.display().to_string()))
        .count();
    let reference = files
        .iter()
        .find(|(path, _)| path.ends_with("bench/reference-case.yml/policy"));
    assert!(
        reference.is_some_and(|(_, text)| events(text).is_some()),
        "the fast path gave up on the benchmarks' reference policy"
    );
    assert!(files.len() > 100, "only {} YAML files found", files.len());
    // Most policies and cases are plain YAML: if this drops, the fast path stopped
    // handling something common.
    assert!(
        taken * 2 > files.len(),
        "the fast path took {taken} of {} files",
        files.len()
    );
}

/// The constructs of the reference policy and the examples: comments, flow lists and
/// mappings, compact mappings in lists, quoted scalars, an empty value.
#[test]
fn takes_a_typical_policy() {
    let text = "version: 1  # the format\n\ngroups:\n  leads: [alice, \"bob\", 'carol']\n\npolicies:\n  prod:\n    description: two leads, or one lead and the on-call\n    requires:\n      - group: leads\n        count: 2\n      - any_of:\n          - from: { groups: [leads], users: [dave] }\n          - any: 1\napply:\n  - policies: [prod]\n    to: deployment\n    where: { environment: \"prod-*\" }\nempty:\n";
    assert!(agrees(text, "typical policy"));
}

/// Where saphyr's spans are irregular: each of these takes the fast path and agrees.
const QUIRKS: &[&str] = &[
    "a: 1",
    "a: 1 # no line feed",
    "a:\n  b: 1\n",
    "a:\n  b: 1\n# a comment left of the mapping\n  c: 2\n",
    "a:   # a comment\nb:\n\n# c\n",
    "a: [x]  \nb: { }   # c\nc: [ ]\n",
    "- {} # c\n- [a ,b ] \n- \"q\" # c\n- 'q'  \n",
    "a: { k: \"v\" , l: [1,2] }\n",
    "# § ü\nnamé: \"ünï\" # ö\nb: [é, x]\n",
    "- - x\n  - y\n- a: 1\n  b: 2\n",
    "  a: 1\n  b: 2\n",
    "t: 2026-01-01T10:00:00Z\nu: {at: 2026-01-01T10:00:00Z, x: a:b}\n",
    "a: b, c [d] {e}\n",
    "a: { \"k\" : v, \"l\": w }\n",
];

#[test]
fn agrees_with_saphyr_parser_where_its_spans_are_irregular() {
    for text in QUIRKS {
        assert!(agrees(text, "quirk"), "the fast path gave up on {text:?}");
    }
}

/// Bytes that matter to YAML's syntax, for mutations.
const SYNTAX: &[&str] = &[
    " ", "  ", ":", ": ", "-", "- ", "#", " #", "'", "\"", "''", "\\", "[", "]", "{", "}", ",",
    "\n", "\n\n", "\t", "\r\n", "&a ", "*a", "!t ", "|", ">", "?", "? ", "%", "@", "`", "~", ".",
    "---\n", "...\n", "é", "\u{feff}", "x", "1",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if lines.is_empty() {
        return SYNTAX[rng.below(SYNTAX.len())].to_owned();
    }
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(lines.len());
        let line = &mut lines[at];
        let mut cut = if line.is_empty() {
            0
        } else {
            rng.below(line.len() + 1)
        };
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        match rng.below(7) {
            0 => line.insert_str(cut, rng.pick(SYNTAX)),
            1 if cut < line.len() => {
                line.remove(cut);
            }
            2 => {
                let copy = line.clone();
                lines.insert(at, copy);
            }
            3 => line.insert(0, ' '),
            4 if line.starts_with(' ') => {
                line.remove(0);
            }
            5 => line.truncate(cut),
            _ => {
                let other = rng.below(lines.len());
                lines.swap(at, other);
            }
        }
    }
    let mut out = lines.join("\n");
    match rng.below(4) {
        0 => {}
        1 => out.push_str("  "),
        _ => out.push('\n'),
    }
    out
}

#[test]
fn agrees_with_saphyr_parser_on_mutations_of_the_repository_files() {
    let files: Vec<_> = repository_yaml()
        .into_iter()
        .filter(|(_, text)| text.len() < 4000)
        .collect();
    let mut rng = Rng(0x5eed_f00d_1234_5678);
    let (mut tried, mut taken) = (0, 0);
    for (path, text) in &files {
        for round in 0..12 {
            let mutated = mutate(text, &mut rng);
            tried += 1;
            if agrees(&mutated, &format!("{} mutation {round}", path.display())) {
                taken += 1;
            }
        }
    }
    assert!(taken * 5 > tried, "the fast path took {taken} of {tried}");
}

/// Scalars the fast path takes, and (below) ones it gives up on or that are errors.
const SCALARS: &[&str] = &[
    "a",
    "b c",
    "x1",
    "true",
    "null",
    "~",
    "0x1f",
    "-1",
    "1e3",
    ".inf",
    "a:b",
    "a#b",
    "http://x.y/z",
    "2026-12-20T00:00:00Z",
    "\"q\"",
    "\"q r\"",
    "'s'",
    "\"\"",
    "''",
    "-x",
    "$x",
    "(x)",
    "a  b",
    "\"#\"",
    "café",
    "\"ünï\"",
    "a'b",
    "x!y&z*",
];
const ODD: &[&str] = &[
    "a #b",
    "'it''s'",
    "\"a\\tb\"",
    "a,b",
    "a]",
    "{a",
    "'",
    "x ",
    "a: b",
    "!t x",
    "&a x",
    "*a",
    "|",
    "? x",
    "- x",
    "@x",
    "%x",
    "-",
    "a:",
    "\"q\"x",
    "[",
    "}",
    "#",
];

fn scalar(rng: &mut Rng, out: &mut String) {
    let list = if rng.below(50) == 0 { ODD } else { SCALARS };
    out.push_str(rng.pick(list));
}

/// A random node rendered at `indent`, or inline when `flow`.
fn node(rng: &mut Rng, depth: usize, indent: usize, out: &mut String, flow: bool) {
    let kind = rng.below(4);
    if flow || depth > 3 || (depth > 0 && rng.below(2) == 0) {
        match if depth > 3 { 0 } else { rng.below(5) } {
            0..=2 => scalar(rng, out),
            3 => {
                out.push_str(rng.pick(&["[", "[ "]));
                for i in 0..rng.below(4) {
                    if i > 0 {
                        out.push_str(rng.pick(&[", ", ",", " , "]));
                    }
                    node(rng, depth + 1, indent, out, true);
                }
                out.push_str(rng.pick(&["]", " ]"]));
            }
            _ => {
                out.push_str(rng.pick(&["{", "{ "]));
                for i in 0..rng.below(4) {
                    if i > 0 {
                        out.push_str(rng.pick(&[", ", ","]));
                    }
                    scalar(rng, out);
                    out.push_str(rng.pick(&[": ", ": ", ": ", ":", " : "]));
                    node(rng, depth + 1, indent, out, true);
                }
                out.push_str(rng.pick(&["}", " }"]));
            }
        }
        return;
    }
    let step = rng.pick(&[2, 2, 4, 1, 3]);
    let inner = indent + step;
    let pad = |n: usize| " ".repeat(n);
    for i in 0..1 + rng.below(3) {
        out.push('\n');
        if rng.below(6) == 0 {
            out.push_str(rng.pick(&["\n", "# note\n", "  # note\n", "   \n"]));
        }
        let jitter = usize::from(rng.below(40) == 0);
        out.push_str(&pad(inner + jitter));
        if kind % 2 == 0 {
            out.push_str("- ");
        } else {
            if i == 1 && rng.below(8) == 0 {
                out.push('a');
            } else {
                scalar(rng, out);
            }
            out.push(':');
            if rng.below(8) == 0 {
                continue;
            }
            out.push(' ');
        }
        node(rng, depth + 1, inner, out, false);
        if rng.below(8) == 0 {
            out.push_str(rng.pick(&[" # c", "  #c", "#c", "   "]));
        }
    }
}

#[test]
fn agrees_with_saphyr_parser_on_generated_documents() {
    let (mut tried, mut taken) = (0, 0);
    for seed in 1..4000u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut text = String::new();
        if rng.below(2) == 0 {
            text.push_str("# heading\n");
        }
        node(&mut rng, 0, 0, &mut text, false);
        let text = text.trim_start_matches('\n').to_owned();
        let text = match rng.below(3) {
            0 => text,
            _ => text + "\n",
        };
        tried += 1;
        if agrees(&text, &format!("seed {seed}")) {
            taken += 1;
        }
    }
    assert!(taken * 3 > tried, "the fast path took {taken} of {tried}");
}
