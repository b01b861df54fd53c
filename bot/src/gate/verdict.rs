//! Pure: evaluate the organisation's and the repository's policy separately and combine
//! them. The gate allows only when both allow; otherwise the worse decision (blocked >
//! rejected > error > pending > approved > exempt > not_required) is shown with its
//! summary.

use crate::forge::StatusState;
use crate::store::changes::Tamper;
use serde::Serialize;
use signoff::{Decision, Directory, Grant, Outcome, PolicySet, Request};

/// One policy source evaluated for one request.
#[derive(Debug, Clone, Serialize)]
pub struct Layer {
    /// `organisation` or `repository`.
    pub source: String,
    /// The file as named in diagnostics.
    pub file: String,
    /// A browser link to the file, where there is one.
    pub link: Option<String>,
    pub result: LayerResult,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LayerResult {
    /// Evaluated: the decision, and the case (SPEC §7) that reproduces it.
    Decided {
        decision: Box<Decision>,
        case: serde_json::Value,
    },
    /// The policy file does not parse: every diagnostic, `file:line:col: error: …`.
    Invalid { diagnostics: Vec<String> },
    /// No policy file.
    Missing,
}

/// The inputs of one evaluation, besides the policy.
pub struct Inputs<'a> {
    pub request: &'a Request,
    pub directory: &'a Directory,
    pub grants: &'a [Grant],
    pub now: jiff::Timestamp,
}

/// Parses and evaluates one policy text (or notes it missing).
pub fn layer(
    source: &str,
    file: &str,
    link: Option<String>,
    text: Option<&str>,
    inputs: &Inputs<'_>,
) -> Layer {
    let result = match text {
        None => LayerResult::Missing,
        Some(text) => match PolicySet::parse(text, file) {
            Err(diagnostics) => LayerResult::Invalid {
                diagnostics: diagnostics.iter().map(ToString::to_string).collect(),
            },
            Ok(policy) => {
                let decision = signoff::Context::new(&policy, inputs.directory).evaluate(
                    inputs.request,
                    inputs.grants,
                    inputs.now,
                );
                let case = serde_json::json!({
                    "name": format!("{source} policy {file}"),
                    "policy": text,
                    "directory": inputs.directory,
                    "request": inputs.request,
                    "grants": inputs.grants,
                    "now": inputs.now,
                });
                LayerResult::Decided {
                    decision: Box::new(decision),
                    case,
                }
            }
        },
    };
    Layer {
        source: source.to_owned(),
        file: file.to_owned(),
        link,
        result,
    }
}

/// The gate's answer from all layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// A decision outcome, or `error` (invalid policy) or `tampered`.
    pub outcome: String,
    pub summary: String,
    pub allows: bool,
}

impl Verdict {
    pub fn status(&self) -> StatusState {
        if self.allows {
            StatusState::Success
        } else if self.outcome == "pending" {
            StatusState::Pending
        } else {
            StatusState::Failure
        }
    }
}

fn rank(outcome: &str) -> u8 {
    match outcome {
        "tampered" => 7,
        "blocked" => 6,
        "rejected" => 5,
        "error" => 4,
        "pending" => 3,
        "approved" => 2,
        "exempt" => 1,
        _ => 0,
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
            outcome: "tampered".to_owned(),
            summary: clip(&summary),
            allows: false,
        });
    }
    let mut worst: Option<Verdict> = None;
    for layer in layers {
        let verdict = match &layer.result {
            LayerResult::Missing => continue,
            LayerResult::Invalid { diagnostics } => {
                let first = diagnostics.first().map_or("invalid", String::as_str);
                Verdict {
                    outcome: "error".to_owned(),
                    summary: clip(&format!("Invalid policy: {first}")),
                    allows: false,
                }
            }
            LayerResult::Decided { decision, .. } => Verdict {
                outcome: decision.decision.as_str().to_owned(),
                summary: clip(&decision.summary),
                allows: decision.decision.allows(),
            },
        };
        let worse = worst
            .as_ref()
            .is_none_or(|w| rank(&verdict.outcome) > rank(&w.outcome));
        if worse {
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
    let mut out = format!("**{}**: {}\n", verdict.outcome, verdict.summary);
    for layer in layers {
        out.push_str(&format!(
            "\n### {} policy `{}`\n\n",
            layer.source, layer.file
        ));
        match &layer.result {
            LayerResult::Missing => out.push_str("No policy file.\n"),
            LayerResult::Invalid { diagnostics } => {
                out.push_str("```\n");
                for d in diagnostics {
                    out.push_str(d);
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
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests stop at the first surprise"
)]
mod tests {
    use super::*;

    fn decided(outcome: &str, summary: &str) -> Layer {
        let decision: Decision = serde_json::from_value(serde_json::json!({
            "decision": outcome, "summary": summary, "policies": [], "rejected_by": [], "ignored": [],
            "exempt": null, "window": null
        }))
        .unwrap();
        Layer {
            source: "repository".into(),
            file: "f".into(),
            link: None,
            result: LayerResult::Decided {
                decision: Box::new(decision),
                case: serde_json::Value::Null,
            },
        }
    }

    #[test]
    fn the_worse_decision_wins() {
        let org = decided("approved", "Approved");
        let repo = decided("pending", "Pending: 1 more");
        let v = combine(&[org.clone(), repo], &[]).unwrap();
        assert_eq!(
            (v.outcome.as_str(), v.summary.as_str(), v.status()),
            ("pending", "Pending: 1 more", StatusState::Pending)
        );
        let invalid = Layer {
            result: LayerResult::Invalid {
                diagnostics: vec!["f:1:2: error: x [c]".into()],
            },
            ..org.clone()
        };
        let v = combine(&[invalid, decided("pending", "p")], &[]).unwrap();
        assert_eq!(
            (v.outcome.as_str(), v.status()),
            ("error", StatusState::Failure)
        );
        assert!(v.summary.contains("f:1:2"));
        let v = combine(&[decided("blocked", "b"), decided("rejected", "r")], &[]).unwrap();
        assert_eq!(v.outcome, "blocked");
        let v = combine(&[decided("not_required", "n"), decided("exempt", "e")], &[]).unwrap();
        assert_eq!(
            (v.outcome.as_str(), v.status()),
            ("exempt", StatusState::Success)
        );
        let missing = Layer {
            result: LayerResult::Missing,
            ..org
        };
        assert!(combine(&[missing], &[]).is_none());
    }

    #[test]
    fn summaries_fit_a_status() {
        assert_eq!(clip(&"x".repeat(200)).chars().count(), 140);
    }
}
