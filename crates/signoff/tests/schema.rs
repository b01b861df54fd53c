#![cfg(feature = "schema")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The JSON Schema of the policy file, generated from the Rust types (schemars), is
//! committed as `schema/signoff.schema.json` for editors. This test fails when the
//! committed file differs from what the types generate; `SIGNOFF_BLESS=1` rewrites it:
//!
//! ```text
//! cargo test -p signoff --features schema --test schema
//! SIGNOFF_BLESS=1 cargo test -p signoff --features schema --test schema
//! ```
//!
//! It also checks the schema against real policies: every `policy:` of the conformance
//! cases must validate, and typical mistakes must not.

use serde_json::Value;
use std::path::{Path, PathBuf};

const SCHEMA_ID: &str =
    "https://raw.githubusercontent.com/signoff-dev/signoff/main/schema/signoff.schema.json";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn schema_path() -> PathBuf {
    repo_root().join("schema/signoff.schema.json")
}

fn generated() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(signoff::PolicyFile)).unwrap();
    let object = schema.as_object_mut().unwrap();
    let mut out = serde_json::Map::new();
    // `$schema` and `$id` first, then what schemars wrote, in its order.
    if let Some(dialect) = object.remove("$schema") {
        out.insert("$schema".into(), dialect);
    }
    out.insert("$id".into(), Value::from(SCHEMA_ID));
    out.insert("title".into(), Value::from("signoff policy file"));
    object.remove("title");
    out.extend(std::mem::take(object));
    Value::Object(out)
}

fn generated_text() -> String {
    let mut text = serde_json::to_string_pretty(&generated()).unwrap();
    text.push('\n');
    text
}

#[test]
fn committed_schema_is_up_to_date() {
    let want = generated_text();
    let path = schema_path();
    if std::env::var_os("SIGNOFF_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        let line = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || have.lines().count().min(want.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "schema/signoff.schema.json is out of date with the policy types (first difference at line {line}).\n\
             Regenerate it and commit the result:\n\n    \
             SIGNOFF_BLESS=1 cargo test -p signoff --features schema --test schema\n"
        );
    }
}

/// Every struct of the policy file rejects unknown fields, so every object schema that
/// lists properties says `additionalProperties: false`.
#[test]
fn every_struct_denies_unknown_fields() {
    fn walk(value: &Value, at: &str, found: &mut usize) {
        match value {
            Value::Object(map) => {
                if map.contains_key("properties") {
                    assert_eq!(
                        map.get("additionalProperties"),
                        Some(&Value::Bool(false)),
                        "{at} allows unknown fields"
                    );
                    *found += 1;
                }
                for (k, v) in map {
                    walk(v, &format!("{at}/{k}"), found);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{at}/{i}"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = 0;
    walk(&generated(), "#", &mut found);
    // PolicyFile, PolicyDef, RawRequirement, FromSource, Binding, Criteria, Exceptions,
    // ExceptionRule, Options, Commands, Window, Weekly, Allow.
    assert!(found >= 13, "only {found} object schemas with properties");
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&generated()).unwrap()
}

/// The policy of a case file as JSON: a mapping in place, or a string holding YAML.
fn case_policy(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.display().to_string();
    let case: Value =
        signoff::from_yaml_str(&text, &name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    match case.get("policy")? {
        Value::String(embedded) => Some(
            signoff::from_yaml_str(embedded, &name).unwrap_or_else(|e| panic!("{name}: {e:?}")),
        ),
        other => Some(other.clone()),
    }
}

fn case_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            case_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn conformance_policies_validate() {
    let validator = validator();
    let mut files = Vec::new();
    case_files(&repo_root().join("tests/conformance"), &mut files);
    files.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in &files {
        let Some(policy) = case_policy(path) else {
            continue;
        };
        checked += 1;
        let errors: Vec<String> = validator
            .iter_errors(&policy)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if !errors.is_empty() {
            failures.push(format!("{}: {}", path.display(), errors.join("; ")));
        }
    }
    assert!(checked >= 100, "only {checked} conformance policies found");
    assert!(
        failures.is_empty(),
        "{} policies do not validate:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn typical_mistakes_do_not_validate() {
    let validator = validator();
    let base = "version: 1\npolicies:\n  p:\n    requires:\n      - any: 2\napply:\n  - { policies: [p], to: deployment }\n";
    let ok: Value = signoff::from_yaml_str(base, "ok.yml").unwrap();
    assert!(
        validator.is_valid(&ok),
        "{:?}",
        validator
            .iter_errors(&ok)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    for (mistake, text) in [
        ("typo in a field", base.replace("requires:", "require:")),
        ("unknown top-level field", format!("{base}optoins: {{}}\n")),
        ("count 0", base.replace("any: 2", "any: 0")),
        (
            "count not a percentage",
            base.replace("any: 2", "any: \"half\""),
        ),
        ("unknown kind", base.replace("to: deployment", "to: deploy")),
        ("version missing", base.replace("version: 1\n", "")),
        (
            "option typo",
            format!("{base}options: {{ self_aproval: true }}\n"),
        ),
    ] {
        let value: Value = signoff::from_yaml_str(&text, "bad.yml").unwrap();
        assert!(!validator.is_valid(&value), "{mistake} validates:\n{text}");
    }
}
