//! What a details link may show of the directory: only the people its decision names.
//! The simulator case keeps everyone else as an anonymous placeholder with the same
//! roles, groups and super-admin flag, so evaluating the case gives the very same
//! decision (pool sizes, percentages and "and N more" counts included) without naming
//! writers, members of secret teams or configured super-admins who took no part.

use serde_json::{Map, Value};
use signoff::{Decision, RequirementResult};
use std::collections::{BTreeMap, BTreeSet};

/// Placeholders sort after every GitHub or GitLab login (`~` is above letters, digits,
/// `-`, `_` and `[bot]`), so the candidates a decision lists come out in the same order.
const HIDDEN: &str = "~hidden-";

/// Everyone the decision or the request names: approvers, candidates shown, rejecters,
/// people whose grants were ignored, the requester, contributors and grant authors.
pub fn named(decision: &Decision, case: &Value) -> BTreeSet<String> {
    fn walk(r: &RequirementResult, out: &mut BTreeSet<String>) {
        out.extend(r.approved_by.iter().map(ToString::to_string));
        out.extend(r.candidates.iter().map(ToString::to_string));
        for c in r.children() {
            walk(c, out);
        }
    }
    let mut out = BTreeSet::new();
    for p in &decision.policies {
        for r in &p.requirements {
            walk(r, &mut out);
        }
    }
    out.extend(decision.rejected_by.iter().map(ToString::to_string));
    out.extend(decision.ignored.iter().map(|i| i.by.to_string()));
    let strings = |pointer: &str| -> Vec<String> {
        match case.pointer(pointer) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    out.extend(strings("/request/requester"));
    out.extend(strings("/request/contributors"));
    for grant in case
        .get("grants")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.extend(grant.get("by").and_then(Value::as_str).map(str::to_owned));
    }
    out
}

/// The case with its directory cut down to the named people (see the module comment).
pub fn cut(case: &Value, decision: &Decision) -> Value {
    let keep = named(decision, case);
    let mut case = case.clone();
    let Some(directory) = case.get_mut("directory").and_then(Value::as_object_mut) else {
        return case;
    };
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    if let Some(users) = directory.get_mut("users").and_then(Value::as_object_mut) {
        let mut out = Map::new();
        for (name, user) in std::mem::take(users) {
            if keep.contains(&name) {
                out.insert(name, user);
            } else {
                let hidden = format!("{HIDDEN}{:05}", renamed.len() + 1);
                renamed.insert(name, hidden.clone());
                out.insert(hidden, user);
            }
        }
        *users = out;
    }
    if let Some(groups) = directory.get_mut("groups").and_then(Value::as_object_mut) {
        for members in groups.values_mut() {
            if let Some(list) = members.as_array_mut() {
                for member in list.iter_mut() {
                    let Some(name) = member.as_str() else {
                        continue;
                    };
                    if keep.contains(name) {
                        continue;
                    }
                    let hidden = match renamed.get(name) {
                        Some(h) => h.clone(),
                        None => {
                            // A member with no user entry counts for nothing; keep the
                            // group's size without the name.
                            let h = format!("{HIDDEN}{:05}", renamed.len() + 1);
                            renamed.insert(name.to_owned(), h.clone());
                            h
                        }
                    };
                    *member = Value::String(hidden);
                }
            }
        }
    }
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A policy needing 50% of a 60-member secret team plus 2 writers: only the
    /// people the decision names survive, and the case still decides the same.
    #[test]
    fn the_cut_case_names_only_the_decisions_people_and_decides_the_same() {
        let policy_text = "version: 1\npolicies:\n  p:\n    requires:\n      - group: acme/secret\n        count: \"50%\"\n      - any: 2\napply:\n  - policies: [p]\n    to: pull_request\n";
        let mut users = Map::new();
        let mut members = Vec::new();
        for i in 0..60 {
            let name = format!("member{i:02}");
            users.insert(name.clone(), json!({ "roles": ["pull-request-approver"] }));
            members.push(json!(name));
        }
        for i in 0..7 {
            users.insert(
                format!("writer{i}"),
                json!({ "roles": ["pull-request-approver"] }),
            );
        }
        users.insert("root".into(), json!({ "super_admin": true }));
        let case = json!({
            "name": "c",
            "policy": policy_text,
            "directory": { "users": users, "groups": { "acme/secret": members } },
            "request": { "kind": "pull_request", "requester": "writer0" },
            "grants": [ { "by": "writer1", "action": "approve", "at": "2026-01-01T00:00:00Z" } ],
            "now": "2026-01-01T01:00:00Z",
        });
        // JSON is YAML: the core reads the case as the simulator does.
        let evaluate = |case: &Value| signoff::evaluate_case(&case.to_string(), "case").unwrap();
        let decision = evaluate(&case);
        let cut = cut(&case, &decision);
        assert_eq!(evaluate(&cut), decision, "the cut case decides the same");
        let shown = cut["directory"].to_string();
        assert!(
            !shown.contains("root"),
            "an uninvolved super-admin is not named: {shown}"
        );
        assert!(shown.contains("writer0") && shown.contains("writer1"));
        // 50 members are listed as candidates (CANDIDATES_SHOWN); the other 10 are not named.
        assert!(!shown.contains("member55"), "{shown}");
        assert!(shown.contains("member00"));
        assert_eq!(cut["directory"]["users"].as_object().unwrap().len(), 68);
    }
}
