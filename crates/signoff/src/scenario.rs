//! A scenario: who asks for what, who said what, and when (a case's `request`, `grants`
//! and `now`). The simulator sets it apart from the policy and the directory, and reads
//! the directory apart too ([`parse_directory`]).
//!
//! Read by hand over the YAML nodes rather than by a serde derive: a derive compiles its
//! own copy of the request, grant and timestamp readers (18 KB of wasm), where this
//! shares the case file's (the `read_*` functions, which both call). The messages are
//! the derive's, from the same error constructors, in the same order: the first
//! problem in entry order, then a missing `request`, then a missing `now`.

use crate::diagnostic::{Diagnostic, Span};
use crate::model::read_input;
use crate::model::{Directory, Grant, Request};
use crate::yaml::{self, DeError, Node};
use jiff::Timestamp;
use serde::Deserialize;
use serde::de::{Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// `{ request, grants, now }`; `grants` may be left out (none).
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub request: Request,
    pub grants: Vec<Grant>,
    pub now: Timestamp,
}

/// A scenario's keys, with serde's messages for any other ("unknown field `x`, expected
/// one of `request`, `grants`, `now`", with a "did you mean" hint for a near miss).
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    Request,
    Grants,
    Now,
}

/// Reads a scenario from YAML or JSON text; `file` names it in diagnostics.
pub fn parse_scenario(text: &str, file: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let root = yaml::load(text).map_err(|p| vec![p.in_file(file)])?;
    read_scenario(&root).map_err(|e| vec![e.into_problem().in_file(file)])
}

fn read_scenario(root: &Node<'_>) -> Result<Scenario, DeError> {
    let Some(entries) = yaml::entries(root) else {
        // Not a mapping: serde's "expected struct Scenario, found …".
        yaml::from_node::<MappingCheck>(root).map_err(|e| located(e, root))?;
        return Err(located(DeError::custom("a scenario is a mapping"), root));
    };
    let (mut request, mut grants, mut now) = (None, None, None);
    for (key, value) in entries {
        let field = yaml::from_node::<Field>(key).map_err(|e| located(e, key))?;
        let at = |e| located(e, value);
        match field {
            Field::Request => request = Some(read_request(value).map_err(at)?),
            Field::Grants => match read_grants(value).map_err(at)? {
                Some(list) => grants = Some(list),
                // `grants: null`: a list is expected, as the derive's `Vec` said.
                None => {
                    yaml::from_node::<Vec<IgnoredAny>>(value).map_err(at)?;
                }
            },
            Field::Now => now = Some(read_now(value).map_err(at)?),
        }
    }
    let missing = |field: &'static str| located(DeError::missing_field(field), root);
    Ok(Scenario {
        request: request.ok_or_else(|| missing("request"))?,
        grants: grants.unwrap_or_default(),
        now: now.ok_or_else(|| missing("now"))?,
    })
}

/// Gives an error the position of `node` unless a deeper node already gave one.
fn located(mut e: DeError, node: &Node<'_>) -> DeError {
    e.span.get_or_insert_with(|| Span::from_yaml(node.span));
    e
}

/// Reads a directory from YAML or JSON text, as [`crate::from_yaml_str`] does, through
/// the case file's reader (one copy of the directory's deserialisation in the module).
pub fn parse_directory(text: &str, file: &str) -> Result<Directory, Vec<Diagnostic>> {
    let root = yaml::load(text).map_err(|p| vec![p.in_file(file)])?;
    read_directory(&root).map_err(|e| vec![e.into_problem().in_file(file)])
}

/// The `directory:` of a case, or a directory on its own. Shared, as [`read_request`].
#[inline(never)]
pub(crate) fn read_directory(node: &Node<'_>) -> Result<Directory, DeError> {
    read_input::directory(node)
}

/// The `request:` of a case or a scenario. Not inlined, so both share one copy.
#[inline(never)]
pub(crate) fn read_request(node: &Node<'_>) -> Result<Request, DeError> {
    read_input::request(node)
}

/// The `grants:` of a case or a scenario; `None` for null. Shared, as [`read_request`].
#[inline(never)]
pub(crate) fn read_grants(node: &Node<'_>) -> Result<Option<Vec<Grant>>, DeError> {
    read_input::grants(node)
}

/// The `now:` of a case or a scenario. Shared, as [`read_request`].
#[inline(never)]
pub(crate) fn read_now(node: &Node<'_>) -> Result<Timestamp, DeError> {
    read_input::timestamp(node)
}

/// Accepts any mapping; anything else fails with the message a derived `Scenario` gave.
struct MappingCheck;

impl<'de> Deserialize<'de> for MappingCheck {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct("Scenario", &["request", "grants", "now"], MappingCheck)
    }
}

impl<'de> Visitor<'de> for MappingCheck {
    type Value = MappingCheck;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct Scenario")
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self, A::Error> {
        Ok(MappingCheck)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The derive this reader replaced, kept here to compare messages with.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Scenario {
        request: Request,
        #[serde(default)]
        grants: Vec<Grant>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        now: Timestamp,
    }

    const GOOD: &str = r#"{"request": {"kind": "deployment", "requester": "dave"}, "grants": [{"by": "alice", "action": "approve", "at": "2026-11-20T10:00:00Z"}], "now": "2026-11-21T09:00:00Z"}"#;

    #[test]
    fn reads_what_the_derive_read() {
        let ours = parse_scenario(GOOD, "scenario").unwrap();
        let derived: Scenario = crate::from_yaml_str(GOOD, "scenario").unwrap();
        assert_eq!(ours.request, derived.request);
        assert_eq!(ours.grants, derived.grants);
        assert_eq!(ours.now, derived.now);
        let no_grants = r#"{"now": "2026-11-21T09:00:00Z", "request": {"kind": "deployment", "requester": "dave"}}"#;
        assert!(
            parse_scenario(no_grants, "scenario")
                .unwrap()
                .grants
                .is_empty()
        );
    }

    #[test]
    fn a_directory_reads_as_from_yaml_str_reads_it() {
        let texts = [
            r#"{"users": {"alice": {"roles": ["deployment-approver"]}}, "groups": {"qa": ["alice"]}}"#,
            "{}",
            "[]",
            r#"{"users": {"alice": {"roles": 5}}}"#,
            r#"{"user": {}}"#,
            "{",
        ];
        for text in texts {
            assert_eq!(
                parse_directory(text, "directory"),
                crate::from_yaml_str::<Directory>(text, "directory"),
                "{text}"
            );
        }
        assert!(parse_directory("[]", "directory").is_err());
        assert!(parse_directory("{}", "directory").is_ok());
    }

    #[test]
    fn every_problem_reads_as_the_derive_said_it() {
        let texts = [
            "[]",
            "null",
            "5",
            "\"text\"",
            "{}",
            r#"{"request": {"kind": "deployment", "requester": "dave"}}"#,
            r#"{"now": "2026-11-21T09:00:00Z"}"#,
            r#"{"requst": 1, "now": "2026-11-21T09:00:00Z"}"#,
            r#"{"whatever": 1}"#,
            r#"{"now": "yesterday", "whatever": 1}"#,
            r#"{"whatever": 1, "now": "yesterday"}"#,
            r#"{"request": 5, "now": "2026-11-21T09:00:00Z"}"#,
            r#"{"request": {"kind": "deployment"}, "now": "2026-11-21T09:00:00Z"}"#,
            r#"{"request": {"kind": "deployment", "requester": "dave"}, "grants": null, "now": "2026-11-21T09:00:00Z"}"#,
            r#"{"request": {"kind": "deployment", "requester": "dave"}, "grants": {}, "now": "2026-11-21T09:00:00Z"}"#,
            r#"{"request": {"kind": "deployment", "requester": "dave"}, "grants": [{"by": "a"}], "now": "2026-11-21T09:00:00Z"}"#,
            r#"{"request": {"kind": "deployment", "requester": "dave"}, "now": 1.5}"#,
            "{1: 2}",
            "{null: 2}",
            "{request: {kind: deployment, requester: dave}, now: 2026-11-21T09:00:00Z, now: 2026-11-21T09:00:00Z}",
            "{",
        ];
        for text in texts {
            let ours = parse_scenario(text, "scenario").unwrap_err();
            let derived = crate::from_yaml_str::<Scenario>(text, "scenario").unwrap_err();
            assert_eq!(ours, derived, "{text}");
        }
        let typo = parse_scenario(r#"{"requst": 1}"#, "scenario").unwrap_err();
        assert_eq!(
            typo[0].message,
            "unknown field `requst` (did you mean `request`?), expected one of `request`, `grants`, `now`"
        );
        let list = parse_scenario("[]", "scenario").unwrap_err();
        assert_eq!(list[0].message, "expected struct Scenario, found a list");
    }
}
