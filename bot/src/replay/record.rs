//! Pure: one recorded decision, re-decided with a candidate policy. Only what replay
//! needs is decoded from the record (each layer's source, outcome and recorded inputs);
//! the candidate is evaluated with the core's decide-only path, and explained (for the
//! new summary) only when the gate's outcome changes.

use crate::gate::verdict::{GateOutcome, LayerSource, PolicyDiagnostic, clip};
use serde::Deserialize;
use signoff::{Directory, Grant, Outcome, PolicySet, Request};

/// The policies to try: the repository's (`--policy`) and, when given, the
/// organisation's (`--org-policy`); a layer without a candidate keeps its recorded answer.
pub struct Candidate {
    pub repo: PolicySet,
    pub org: Option<PolicySet>,
}

/// Why a recorded decision cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReplayable {
    /// The record does not decode (damaged, or from an unknown version).
    Unreadable(String),
    /// No layer kept the inputs it was decided on: written before inputs were kept
    /// with invalid policies.
    NoInputs,
    /// The stored decision is not an outcome this version knows.
    UnknownDecision,
}

impl std::fmt::Display for NotReplayable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReplayable::Unreadable(e) => write!(f, "unreadable record: {e}"),
            NotReplayable::NoInputs => f.write_str("no recorded inputs (every policy was invalid or missing, and the record predates kept inputs)"),
            NotReplayable::UnknownDecision => f.write_str("unknown recorded decision"),
        }
    }
}

/// The gate's answer under the candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redecided {
    pub outcome: GateOutcome,
    /// The new summary; computed only when the outcome differs from the recorded one.
    pub summary: Option<String>,
}

#[derive(Deserialize)]
struct StoredRecord {
    layers: Vec<StoredLayer>,
}

#[derive(Deserialize)]
struct StoredLayer {
    source: LayerSource,
    result: StoredResult,
}

#[derive(Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum ResultType {
    Decided,
    Invalid,
    Missing,
}

/// A `LayerResult` as a flat struct: cheaper to decode than the tagged enum.
#[derive(Deserialize)]
struct StoredResult {
    #[serde(rename = "type")]
    kind: ResultType,
    #[serde(default)]
    decision: Option<StoredDecision>,
    #[serde(default)]
    case: Option<Inputs>,
    #[serde(default)]
    inputs: Option<Inputs>,
    #[serde(default)]
    diagnostics: Vec<PolicyDiagnostic>,
}

#[derive(Deserialize)]
struct StoredDecision {
    decision: Outcome,
    summary: String,
}

/// What a layer was evaluated on (the case of SPEC §7 without its policy).
#[derive(Deserialize)]
struct Inputs {
    directory: Directory,
    request: Request,
    #[serde(default)]
    grants: Vec<Grant>,
    now: jiff::Timestamp,
}

impl StoredResult {
    fn inputs(&self) -> Option<&Inputs> {
        self.case.as_ref().or(self.inputs.as_ref())
    }
}

/// One layer's answer before combining; `explain` re-evaluates it in full for its summary.
struct Answer<'a> {
    outcome: GateOutcome,
    summary: Option<String>,
    explain: Option<(&'a PolicySet, &'a Inputs)>,
}

fn decide<'a>(policy: &'a PolicySet, inputs: &'a Inputs) -> Answer<'a> {
    let verdict = signoff::Context::new(policy, &inputs.directory).decide(
        &inputs.request,
        &inputs.grants,
        inputs.now,
    );
    Answer {
        outcome: verdict.decision.into(),
        summary: None,
        explain: Some((policy, inputs)),
    }
}

fn recorded(result: &StoredResult) -> Option<Answer<'static>> {
    match result.kind {
        ResultType::Missing => None,
        ResultType::Invalid => {
            let first = result
                .diagnostics
                .first()
                .map_or_else(|| "invalid".to_owned(), ToString::to_string);
            Some(Answer {
                outcome: GateOutcome::Error,
                summary: Some(format!("Invalid policy: {first}")),
                explain: None,
            })
        }
        ResultType::Decided => result.decision.as_ref().map(|d| Answer {
            outcome: d.decision.into(),
            summary: Some(d.summary.clone()),
            explain: None,
        }),
    }
}

/// Re-decides one record (its JSON text) whose gate answered `before`.
pub fn redecide(
    record: &str,
    before: GateOutcome,
    candidate: &Candidate,
) -> Result<Redecided, NotReplayable> {
    let record: StoredRecord =
        serde_json::from_str(record).map_err(|e| NotReplayable::Unreadable(e.to_string()))?;
    // Tampering is found in the forge's edit history, not by the policy: it stands.
    if before == GateOutcome::Tampered {
        return Ok(Redecided {
            outcome: before,
            summary: None,
        });
    }
    let fallback = record.layers.iter().find_map(|l| l.result.inputs());
    let candidate_for = |source: LayerSource| match source {
        LayerSource::Repository => Some(&candidate.repo),
        LayerSource::Organisation => candidate.org.as_ref(),
    };
    let mut answers: Vec<Answer<'_>> = Vec::with_capacity(record.layers.len() + 1);
    let has_org = record
        .layers
        .iter()
        .any(|l| l.source == LayerSource::Organisation);
    // An organisation policy tried where none was configured goes first, as it would.
    if let (false, Some(org)) = (has_org, candidate.org.as_ref()) {
        answers.push(decide(org, fallback.ok_or(NotReplayable::NoInputs)?));
    }
    for layer in &record.layers {
        match candidate_for(layer.source) {
            Some(policy) => {
                let inputs = layer
                    .result
                    .inputs()
                    .or(fallback)
                    .ok_or(NotReplayable::NoInputs)?;
                answers.push(decide(policy, inputs));
            }
            None => answers.extend(recorded(&layer.result)),
        }
    }
    // The worse answer wins; ties keep the earlier layer (the organisation's).
    let mut worst: Option<Answer<'_>> = None;
    for answer in answers {
        if worst.as_ref().is_none_or(|w| answer.outcome < w.outcome) {
            worst = Some(answer);
        }
    }
    let Some(worst) = worst else {
        return Ok(Redecided {
            outcome: GateOutcome::NotRequired,
            summary: Some("No policy applies".to_owned()),
        });
    };
    let summary = if worst.outcome == before {
        None
    } else {
        match (worst.summary, worst.explain) {
            (Some(s), _) => Some(clip(&s)),
            (None, Some((policy, inputs))) => Some(clip(
                &signoff::Context::new(policy, &inputs.directory)
                    .evaluate(&inputs.request, &inputs.grants, inputs.now)
                    .summary,
            )),
            (None, None) => None,
        }
    };
    Ok(Redecided {
        outcome: worst.outcome,
        summary,
    })
}
