//! Case files (SPEC §7): a policy, a directory, a request, grants, `now`, and optionally
//! what `signoff test` expects of the decision.

use crate::compile::{self, PolicySet};
use crate::decision::{Decision, Exemption, Ignored, Outcome, RequirementResult};
use crate::diagnostic::{Diagnostic, Problem, Span};
use crate::model::policy::WindowKind;
use crate::model::{Directory, Input};
use crate::scenario;
use crate::yaml::{self, Node};
use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};

mod read_expect;
use std::collections::BTreeMap;

/// A parsed case file.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: Option<String>,
    pub policy: PolicySet,
    pub input: Input,
    pub expect: Option<Expect>,
}

/// What a case expects; only what is written is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub decision: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Each listed entry must appear among the ignored grants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<Ignored>,
    /// By "policy/index", with more "/index" steps into `any_of`/`all_of`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requirements: BTreeMap<String, RequirementExpect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_by: Option<Vec<String>>,
    /// Absent: not checked; `null`: must be null.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub exempt: Option<Option<Exemption>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub window: Option<Option<WindowExpect>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementExpect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub have: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates_more: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfied: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsatisfiable: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WindowExpect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<WindowKind>,
    #[serde(
        default,
        deserialize_with = "crate::timestamp::deserialize_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub until: Option<Timestamp>,
}

/// Tells "written as null" from "not written".
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

const FIELDS: &[&str] = &[
    "name",
    "policy",
    "directory",
    "request",
    "grants",
    "now",
    "expect",
];

/// Parses a case file; `file` names it in diagnostics.
pub fn parse_case(text: &str, file: &str) -> Result<Case, Vec<Diagnostic>> {
    parse_case_problems(text).map_err(|ps| ps.into_iter().map(|p| p.in_file(file)).collect())
}

/// Parses a case file and evaluates it.
pub fn evaluate_case(text: &str, file: &str) -> Result<Decision, Vec<Diagnostic>> {
    let case = parse_case(text, file)?;
    Ok(crate::evaluate(&case.policy, &case.input))
}

fn parse_case_problems(text: &str) -> Result<Case, Vec<Problem>> {
    let root = yaml::load(text).map_err(|p| vec![p])?;
    let Some(entries) = yaml::entries(&root) else {
        return Err(vec![Problem::error(
            "invalid_type",
            Span::from_yaml(root.span),
            "a case file is a mapping",
        )]);
    };
    let de = |e: yaml::DeError| vec![e.into_problem()];
    let mut name = None;
    let mut policy = None;
    let mut directory = Directory::default();
    let mut request = None;
    let mut grants = Vec::new();
    let mut now = None;
    let mut expect = None;
    for (key, value) in entries {
        match yaml::key_str(key) {
            Some("name") => name = yaml::from_node::<Option<String>>(value).map_err(de)?,
            Some("policy") => policy = Some(case_policy(text, value)?),
            Some("directory") => directory = scenario::read_directory(value).map_err(de)?,
            Some("request") => request = Some(scenario::read_request(value).map_err(de)?),
            Some("grants") => {
                grants = scenario::read_grants(value)
                    .map_err(de)?
                    .unwrap_or_default()
            }
            Some("now") => now = Some(scenario::read_now(value).map_err(de)?),
            Some("expect") => expect = read_expect::expect(value).map_err(de)?,
            other => {
                let shown = other.unwrap_or("(not a string)");
                let message = format!(
                    "unknown field `{shown}`, expected one of {}",
                    FIELDS.join(", ")
                );
                return Err(vec![Problem::error(
                    "unknown_field",
                    Span::from_yaml(key.span),
                    message,
                )]);
            }
        }
    }
    let root_span = Span::from_yaml(root.span);
    let missing = |field: &str| {
        vec![Problem::error(
            "missing_field",
            root_span,
            format!("missing field `{field}`"),
        )]
    };
    let policy = policy.ok_or_else(|| missing("policy"))?;
    let request = request.ok_or_else(|| missing("request"))?;
    let now = now.ok_or_else(|| missing("now"))?;
    Ok(Case {
        name,
        policy,
        input: Input {
            request,
            directory,
            grants,
            now,
        },
        expect,
    })
}

/// The `policy:` of a case: a mapping in place, or a string holding a policy file whose
/// problems are moved to where the string sits in the case file.
fn case_policy(text: &str, node: &Node<'_>) -> Result<PolicySet, Vec<Problem>> {
    let in_place = |node: &Node<'_>| {
        // The same size limit as a policy file, measured on the text the mapping spans.
        let start = yaml::byte_offset(text, node.span.start.index());
        let end = yaml::byte_offset(text, node.span.end.index());
        yaml::check_policy_size(text, start, end).map_err(|p| vec![p])?;
        compile::compile_node(node)
    };
    let Ok(embedded) = yaml::from_node::<String>(node) else {
        return in_place(node);
    };
    if yaml::entries(node).is_some() {
        return in_place(node);
    }
    let start = node.span.start;
    // saphyr's span of a block scalar (`|`, `>`) starts at its first content line, so
    // the embedded text's line 1 column 1 sits at the span's start; a quoted string
    // starts one column further, after its quote. Lines of a multi-line quoted string
    // are folded by YAML, so only its first line maps exactly.
    let quoted = text
        .chars()
        .nth(start.index())
        .is_some_and(|c| c == '"' || c == '\'');
    let lines = u32::try_from(start.line().saturating_sub(1)).unwrap_or(0);
    let cols = u32::try_from(start.col() + usize::from(quoted)).unwrap_or(0);
    compile::parse_problems(&embedded).map_err(|ps| {
        ps.into_iter()
            .map(|p| Problem {
                span: p.span.shifted(lines, cols),
                ..p
            })
            .collect()
    })
}

/// Compares a decision with what a case expects; each mismatch in words.
pub fn check(expect: &Expect, decision: &Decision) -> Vec<String> {
    let mut failures = Vec::new();
    if let Some(want) = expect.decision {
        if want != decision.decision {
            failures.push(format!(
                "decision: expected {}, got {}",
                want.as_str(),
                decision.decision.as_str()
            ));
        }
    }
    if let Some(want) = &expect.summary {
        if *want != decision.summary {
            failures.push(format!(
                "summary: expected {want:?}, got {:?}",
                decision.summary
            ));
        }
    }
    for want in &expect.ignored {
        if !decision.ignored.contains(want) {
            failures.push(format!(
                "ignored: expected {} ({}) to be listed",
                want.by,
                want.reason.as_str()
            ));
        }
    }
    for (path, want) in &expect.requirements {
        match find_requirement(decision, path) {
            Some(got) => check_requirement(path, want, got, &mut failures),
            None => failures.push(format!("requirements: no requirement at `{path}`")),
        }
    }
    if let Some(want) = &expect.rejected_by {
        if !same_names(want, &decision.rejected_by) {
            failures.push(format!(
                "rejected_by: expected {want:?}, got {:?}",
                decision.rejected_by
            ));
        }
    }
    if let Some(want) = &expect.exempt {
        if *want != decision.exempt {
            failures.push(format!(
                "exempt: expected {want:?}, got {:?}",
                decision.exempt
            ));
        }
    }
    if let Some(want) = &expect.window {
        let got = &decision.window;
        let ok = match (want, got) {
            (None, None) => true,
            (Some(w), Some(g)) => {
                w.name.as_ref().is_none_or(|n| *n == g.name)
                    && w.kind.is_none_or(|k| k == g.kind)
                    && w.until.is_none_or(|u| Some(u) == g.until)
            }
            _ => false,
        };
        if !ok {
            failures.push(format!("window: expected {want:?}, got {got:?}"));
        }
    }
    failures
}

/// "policy/0" or "policy/0/1" into the decision's requirement tree. The policy name
/// may itself contain `/`, so the index steps are taken from the right.
fn find_requirement<'d>(decision: &'d Decision, path: &str) -> Option<&'d RequirementResult> {
    let parts: Vec<&str> = path.split('/').collect();
    let steps = parts
        .iter()
        .rev()
        .take_while(|p| p.parse::<usize>().is_ok())
        .count();
    let name = parts.get(..parts.len().checked_sub(steps)?)?.join("/");
    let indices: Vec<usize> = parts
        .get(parts.len() - steps..)?
        .iter()
        .filter_map(|p| p.parse().ok())
        .collect();
    let policy = decision.policies.iter().find(|p| p.name == name)?;
    let (first, rest) = indices.split_first()?;
    let mut node = policy.requirements.get(*first)?;
    for i in rest {
        node = node.children().get(*i)?;
    }
    Some(node)
}

fn check_requirement(
    path: &str,
    want: &RequirementExpect,
    got: &RequirementResult,
    failures: &mut Vec<String>,
) {
    let mut field = |name: &str, ok: bool, want: String, got: String| {
        if !ok {
            failures.push(format!("{path}.{name}: expected {want}, got {got}"));
        }
    };
    if let Some(w) = want.need {
        field("need", w == got.need, w.to_string(), got.need.to_string());
    }
    if let Some(w) = want.have {
        field("have", w == got.have, w.to_string(), got.have.to_string());
    }
    if let Some(w) = &want.approved_by {
        field(
            "approved_by",
            same_names(w, &got.approved_by),
            format!("{w:?}"),
            format!("{:?}", got.approved_by),
        );
    }
    if let Some(w) = &want.candidates {
        field(
            "candidates",
            same_names(w, &got.candidates),
            format!("{w:?}"),
            format!("{:?}", got.candidates),
        );
    }
    if let Some(w) = want.candidates_more {
        field(
            "candidates_more",
            w == got.candidates_more,
            w.to_string(),
            got.candidates_more.to_string(),
        );
    }
    if let Some(w) = want.satisfied {
        field(
            "satisfied",
            w == got.satisfied,
            w.to_string(),
            got.satisfied.to_string(),
        );
    }
    if let Some(w) = want.unsatisfiable {
        field(
            "unsatisfiable",
            w == got.unsatisfiable,
            w.to_string(),
            got.unsatisfiable.to_string(),
        );
    }
}

fn same_names<'a>(
    want: &[String],
    got: impl IntoIterator<Item = &'a crate::decision::Name>,
) -> bool {
    want.iter()
        .map(String::as_str)
        .eq(got.into_iter().map(|n| &**n))
}
