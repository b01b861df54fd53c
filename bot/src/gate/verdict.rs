//! Pure: evaluate the organisation's and the repository's policy separately and combine
//! them. The gate allows only when both allow; otherwise the worse decision (blocked >
//! rejected > error > pending > approved > exempt > not_required) is shown with its
//! summary.

use crate::forge::StatusState;
use crate::store::changes::Tamper;
use serde::{Deserialize, Serialize};
use signoff::{Decision, Directory, Grant, Outcome, PolicySet, Request};

/// The gate's outcome: a decision's outcome, or what stops the bot from deciding.
/// Ordered least permissive first, so the worse of two is their `min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateOutcome {
    /// A command comment was changed by someone other than its author.
    Tampered,
    Blocked,
    Rejected,
    /// A policy file does not parse.
    Error,
    Pending,
    Approved,
    Exempt,
    NotRequired,
}

impl GateOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            GateOutcome::Tampered => "tampered",
            GateOutcome::Blocked => "blocked",
            GateOutcome::Rejected => "rejected",
            GateOutcome::Error => "error",
            GateOutcome::Pending => "pending",
            GateOutcome::Approved => "approved",
            GateOutcome::Exempt => "exempt",
            GateOutcome::NotRequired => "not_required",
        }
    }

    /// Every outcome, least permissive first.
    pub const ALL: [GateOutcome; 8] = [
        GateOutcome::Tampered,
        GateOutcome::Blocked,
        GateOutcome::Rejected,
        GateOutcome::Error,
        GateOutcome::Pending,
        GateOutcome::Approved,
        GateOutcome::Exempt,
        GateOutcome::NotRequired,
    ];

    /// Reads what `as_str` wrote (stored rows).
    pub fn parse(text: &str) -> Option<GateOutcome> {
        GateOutcome::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// May the change go ahead?
    pub fn allows(self) -> bool {
        matches!(
            self,
            GateOutcome::Approved | GateOutcome::Exempt | GateOutcome::NotRequired
        )
    }

    /// The commit status that shows it.
    pub fn status(self) -> StatusState {
        if self.allows() {
            StatusState::Success
        } else if self == GateOutcome::Pending {
            StatusState::Pending
        } else {
            StatusState::Failure
        }
    }
}

impl From<Outcome> for GateOutcome {
    fn from(outcome: Outcome) -> GateOutcome {
        match outcome {
            Outcome::Approved => GateOutcome::Approved,
            Outcome::Pending => GateOutcome::Pending,
            Outcome::Rejected => GateOutcome::Rejected,
            Outcome::Exempt => GateOutcome::Exempt,
            Outcome::Blocked => GateOutcome::Blocked,
            Outcome::NotRequired => GateOutcome::NotRequired,
        }
    }
}

/// Where a layer's policy comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerSource {
    /// The bot's configuration (`policy = …`).
    Organisation,
    /// The repository's policy file.
    Repository,
}

impl LayerSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LayerSource::Organisation => "organisation",
            LayerSource::Repository => "repository",
        }
    }
}

/// One policy source evaluated for one request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Layer {
    pub source: LayerSource,
    /// The file as named in diagnostics.
    pub file: String,
    /// A browser link to the file, where there is one.
    pub link: Option<String>,
    pub result: LayerResult,
    /// When time alone changes this layer's outcome (`Context::outcome_changes_after`):
    /// the gate is held and evaluated again then. Not recorded; a replay has its own time.
    #[serde(skip)]
    pub changes_after: Option<jiff::Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LayerResult {
    /// Evaluated: the decision, and the case (SPEC §7) that reproduces it.
    Decided {
        decision: Box<Decision>,
        case: serde_json::Value,
    },
    /// The policy file does not parse: every diagnostic, `file:line:col: error: …`, and
    /// the inputs it would have been evaluated on (`directory`, `request`, `grants`,
    /// `now`), kept so `signoff replay` can evaluate another policy on them (records
    /// written before they were kept have none).
    Invalid {
        diagnostics: Vec<PolicyDiagnostic>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inputs: Option<Box<serde_json::Value>>,
    },
    /// No policy file.
    Missing,
}

/// A diagnostic about a policy file, located (`file:line:col`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PolicyDiagnostic {
    Located(signoff::Diagnostic),
    /// As audit records written before diagnostics were kept typed hold them.
    Text(String),
}

impl std::fmt::Display for PolicyDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicyDiagnostic::Located(d) => d.fmt(f),
            PolicyDiagnostic::Text(t) => f.write_str(t),
        }
    }
}

/// The inputs of one evaluation, besides the policy.
pub struct Inputs<'a> {
    pub request: &'a Request,
    pub directory: &'a Directory,
    pub grants: &'a [Grant],
    pub now: jiff::Timestamp,
}

/// One layer's policy as read and parsed (once per event).
pub enum LayerPolicy<'a> {
    /// No policy file.
    Missing,
    /// The file does not parse.
    Invalid(&'a [signoff::Diagnostic]),
    Valid {
        policy: &'a PolicySet,
        /// Its text, for the case that reproduces the decision.
        text: &'a str,
    },
}

/// Evaluates one layer's policy (or notes it missing or invalid).
pub fn layer(
    source: LayerSource,
    file: &str,
    link: Option<String>,
    policy: LayerPolicy<'_>,
    inputs: &Inputs<'_>,
) -> Layer {
    let recorded_inputs = || {
        serde_json::json!({
            "directory": inputs.directory,
            "request": inputs.request,
            "grants": inputs.grants,
            "now": inputs.now,
        })
    };
    let mut changes_after = None;
    let result = match policy {
        LayerPolicy::Missing => LayerResult::Missing,
        LayerPolicy::Invalid(diagnostics) => LayerResult::Invalid {
            diagnostics: diagnostics
                .iter()
                .cloned()
                .map(PolicyDiagnostic::Located)
                .collect(),
            inputs: Some(Box::new(recorded_inputs())),
        },
        LayerPolicy::Valid { policy, text } => {
            let context = signoff::Context::new(policy, inputs.directory);
            let decision = context.evaluate(inputs.request, inputs.grants, inputs.now);
            changes_after =
                context.outcome_changes_after(inputs.request, inputs.grants, inputs.now);
            let mut case = recorded_inputs();
            if let Some(map) = case.as_object_mut() {
                map.insert(
                    "name".to_owned(),
                    format!("{} policy {file}", source.as_str()).into(),
                );
                map.insert("policy".to_owned(), text.into());
            }
            LayerResult::Decided {
                decision: Box::new(decision),
                case,
            }
        }
    };
    Layer {
        source,
        file: file.to_owned(),
        link,
        result,
        changes_after,
    }
}

/// Names no member of a secret group as someone who could still approve: everyone can
/// read the check run and the details page it links to, and only a secret team's
/// members may know who they are. Each such candidate gives way to "a member of
/// <group>" (once per group); people who approved named themselves by approving.
pub fn hide_secret_members(layer: &mut Layer, people: &crate::forge::People) {
    fn walk(r: &mut signoff::RequirementResult, secret_of: &dyn Fn(&str) -> Vec<String>) {
        let mut shown: Vec<signoff::decision::Name> = Vec::new();
        for name in &std::mem::take(&mut r.candidates) {
            let groups = secret_of(name);
            if groups.is_empty() {
                shown.push(name.clone());
                continue;
            }
            for group in groups {
                let label = signoff::decision::Name::from(format!("a member of {group}"));
                if !shown.contains(&label) {
                    shown.push(label);
                }
            }
        }
        r.candidates = shown.into();
        for child in r.any_of.iter_mut().chain(r.all_of.iter_mut()).flatten() {
            walk(child, secret_of);
        }
    }
    let LayerResult::Decided { decision, .. } = &mut layer.result else {
        return;
    };
    if people.secret.is_empty() {
        return;
    }
    let secret_of = |name: &str| -> Vec<String> {
        people
            .secret
            .iter()
            .filter(|g| {
                people
                    .groups
                    .get(*g)
                    .is_some_and(|members| members.iter().any(|m| m == name))
            })
            .cloned()
            .collect()
    };
    for policy in &mut decision.policies {
        for r in &mut policy.requirements {
            walk(r, &secret_of);
        }
    }
}

/// The gate's answer from all layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub outcome: GateOutcome,
    pub summary: String,
}

impl Verdict {
    pub fn allows(&self) -> bool {
        self.outcome.allows()
    }

    pub fn status(&self) -> StatusState {
        self.outcome.status()
    }
}

/// `None` when no layer has a policy: nothing to gate.
pub fn combine(layers: &[Layer], tampers: &[Tamper]) -> Option<Verdict> {
    if let Some(t) = tampers.first() {
        let summary = format!(
            "Approval comment by {} was {} by {}",
            t.author, t.action, t.by
        );
        return Some(Verdict {
            outcome: GateOutcome::Tampered,
            summary: clip(&summary),
        });
    }
    let mut worst: Option<Verdict> = None;
    for layer in layers {
        let verdict = match &layer.result {
            LayerResult::Missing => continue,
            LayerResult::Invalid { diagnostics, .. } => {
                let first = diagnostics
                    .first()
                    .map_or_else(|| "invalid".to_owned(), ToString::to_string);
                Verdict {
                    outcome: GateOutcome::Error,
                    summary: clip(&format!("Invalid policy: {first}")),
                }
            }
            LayerResult::Decided { decision, .. } => Verdict {
                outcome: decision.decision.into(),
                summary: clip(&decision.summary),
            },
        };
        // Ties keep the earlier layer (the organisation's).
        if worst.as_ref().is_none_or(|w| verdict.outcome < w.outcome) {
            worst = Some(verdict);
        }
    }
    worst
}

/// At most 140 characters (a commit status description).
pub fn clip(text: &str) -> String {
    if text.chars().count() <= 140 {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(139).collect();
    out.push('…');
    out
}

/// The explanation in Markdown (check run output, deployment status report).
pub fn markdown(verdict: &Verdict, layers: &[Layer], details: Option<&str>) -> String {
    let mut out = format!("**{}**: {}\n", verdict.outcome.as_str(), verdict.summary);
    for layer in layers {
        out.push_str(&format!(
            "\n### {} policy `{}`\n\n",
            layer.source.as_str(),
            layer.file
        ));
        match &layer.result {
            LayerResult::Missing => out.push_str("No policy file.\n"),
            LayerResult::Invalid { diagnostics, .. } => {
                out.push_str("```\n");
                for d in diagnostics {
                    out.push_str(&d.to_string());
                    out.push('\n');
                }
                out.push_str("```\n");
            }
            LayerResult::Decided { decision, .. } => decision_markdown(decision, &mut out),
        }
    }
    if let Some(url) = details {
        out.push_str(&format!("\n[Details and simulator]({url})\n"));
    }
    out
}

fn decision_markdown(decision: &Decision, out: &mut String) {
    out.push_str(&format!(
        "{} — {}\n",
        decision.decision.as_str(),
        decision.summary
    ));
    if !decision.policies.is_empty() {
        out.push_str("\n| policy | requirement | have | approved by | can still approve |\n|---|---|---|---|---|\n");
        for p in &decision.policies {
            for r in &p.requirements {
                requirement_rows(&p.name, r, 0, out);
            }
        }
    }
    if !decision.rejected_by.is_empty() {
        out.push_str(&format!(
            "\nRejected by: {}\n",
            decision.rejected_by.join(", ")
        ));
    }
    if !decision.ignored.is_empty() {
        out.push_str("\nIgnored:\n");
        for i in &decision.ignored {
            out.push_str(&format!(
                "- {}: {} (`{}`)\n",
                i.by,
                i.reason.describe(),
                i.reason.as_str()
            ));
        }
    }
    if decision.decision == Outcome::Blocked {
        if let Some(w) = &decision.window {
            out.push_str(&format!(
                "\nWindow `{}` blocks until {}\n",
                w.name,
                w.until
                    .map_or("further notice".to_owned(), |u| u.to_string())
            ));
        }
    }
}

fn requirement_rows(policy: &str, r: &signoff::RequirementResult, depth: usize, out: &mut String) {
    let mut can = r.candidates.join(", ");
    if r.candidates_more > 0 {
        can.push_str(&format!(" and {} more", r.candidates_more));
    }
    let mark = if r.satisfied {
        "✅"
    } else if r.unsatisfiable {
        "⛔"
    } else {
        "⏳"
    };
    out.push_str(&format!(
        "| {policy} | {}{mark} {} | {}/{} | {} | {} |\n",
        "&nbsp;&nbsp;".repeat(depth),
        r.label,
        r.have,
        r.need,
        r.approved_by.join(", "),
        can
    ));
    for child in r.children() {
        requirement_rows(policy, child, depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(outcome: &str, summary: &str) -> Layer {
        let decision: Decision = serde_json::from_value(serde_json::json!({
            "decision": outcome, "summary": summary, "policies": [], "rejected_by": [], "ignored": [],
            "exempt": null, "window": null
        }))
        .unwrap();
        Layer {
            source: LayerSource::Repository,
            file: "f".into(),
            link: None,
            result: LayerResult::Decided {
                decision: Box::new(decision),
                case: serde_json::Value::Null,
            },
            changes_after: None,
        }
    }

    #[test]
    fn the_worse_decision_wins() {
        let org = decided("approved", "Approved");
        let repo = decided("pending", "Pending: 1 more");
        let v = combine(&[org.clone(), repo], &[]).unwrap();
        assert_eq!(
            (v.outcome, v.summary.as_str(), v.status()),
            (
                GateOutcome::Pending,
                "Pending: 1 more",
                StatusState::Pending
            )
        );
        let invalid = Layer {
            result: LayerResult::Invalid {
                diagnostics: signoff::PolicySet::parse("version: 1\npolicies: 3\n", "f")
                    .unwrap_err()
                    .into_iter()
                    .map(PolicyDiagnostic::Located)
                    .collect(),
                inputs: None,
            },
            ..org.clone()
        };
        let v = combine(&[invalid, decided("pending", "p")], &[]).unwrap();
        assert_eq!(
            (v.outcome, v.status()),
            (GateOutcome::Error, StatusState::Failure)
        );
        assert!(
            v.summary.starts_with("Invalid policy: f:2:"),
            "{}",
            v.summary
        );
        let v = combine(&[decided("blocked", "b"), decided("rejected", "r")], &[]).unwrap();
        assert_eq!(v.outcome, GateOutcome::Blocked);
        let v = combine(&[decided("not_required", "n"), decided("exempt", "e")], &[]).unwrap();
        assert_eq!(
            (v.outcome, v.status()),
            (GateOutcome::Exempt, StatusState::Success)
        );
        let missing = Layer {
            result: LayerResult::Missing,
            ..org
        };
        assert!(combine(&[missing], &[]).is_none());
    }

    #[test]
    fn outcomes_are_ordered_least_permissive_first_and_read_back() {
        let order = GateOutcome::ALL;
        // The derived order (declaration order) is the one listed, least permissive first.
        assert_eq!(order.first(), Some(&GateOutcome::Tampered));
        assert_eq!(order.last(), Some(&GateOutcome::NotRequired));
        for pair in order.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?}");
        }
        for o in order {
            assert_eq!(GateOutcome::parse(o.as_str()), Some(o));
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
        }
        assert_eq!(GateOutcome::parse("unknown"), None);
        assert_eq!(order.iter().filter(|o| o.allows()).count(), 3);
    }

    #[test]
    fn diagnostics_stay_typed_and_old_text_ones_still_read() {
        let parsed = signoff::PolicySet::parse("version: 1\npolicies: 3\n", "f").unwrap_err();
        let layer = LayerResult::Invalid {
            diagnostics: parsed
                .iter()
                .cloned()
                .map(PolicyDiagnostic::Located)
                .collect(),
            inputs: None,
        };
        let back: LayerResult =
            serde_json::from_value(serde_json::to_value(&layer).unwrap()).unwrap();
        let LayerResult::Invalid { diagnostics, .. } = back else {
            panic!("not invalid")
        };
        let PolicyDiagnostic::Located(first) = &diagnostics[0] else {
            panic!("lost its location: {diagnostics:?}")
        };
        assert_eq!((first.file.as_str(), first.span.line), ("f", 2));
        let old: LayerResult = serde_json::from_value(serde_json::json!({
            "type": "invalid", "diagnostics": ["f:1:2: error: x [c]"]
        }))
        .unwrap();
        let LayerResult::Invalid { diagnostics, .. } = old else {
            panic!("not invalid")
        };
        assert_eq!(diagnostics[0].to_string(), "f:1:2: error: x [c]");
    }

    #[test]
    fn summaries_fit_a_status() {
        assert_eq!(clip(&"x".repeat(200)).chars().count(), 140);
    }
}
