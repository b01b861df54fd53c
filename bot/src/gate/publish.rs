//! Acting on a verdict: record it in the audit log, then show it on the forge — a pull
//! request's answer on its head, where the head shows the least permissive answer of
//! every open pull request whose head it is (SPEC §8), and a deployment's through its
//! gate plus a `signoff/<environment>` status. The forge's answer is what is durable: an
//! answer counts as posted only once the forge confirmed it, and posting is skipped only
//! when the forge already shows exactly that answer.

use super::Result;
use super::show::{show, show_head};
use super::verdict::{Layer, LayerResult, Verdict, markdown};
use crate::app::App;
use crate::event::{ForgeKind, GateRequest, Repo};
use crate::forge::{Forge, GateAnswer, Status};
use crate::store::answers::ChangeAnswer;
use crate::store::audit::{Answer, AuditEntry, AuditRecord, TargetKind};
use crate::store::gates::GateState;
use sha2::{Digest, Sha256};

pub enum Target<'a> {
    Change { number: u64, sha: &'a str },
    Deployment { gate: &'a GateRequest },
}

impl Target<'_> {
    fn kind(&self) -> TargetKind {
        match self {
            Target::Change { .. } => TargetKind::PullRequest,
            Target::Deployment { .. } => TargetKind::Deployment,
        }
    }

    /// The target as the forge's people write it (`#7`, `!7`; `production@run42`).
    fn name(&self, forge: ForgeKind) -> String {
        match self {
            Target::Change { number, .. } => forge.change_ref(*number),
            Target::Deployment { gate } => format!("{}@run{}", gate.environment, gate.gate_id),
        }
    }

    fn revision(&self) -> &str {
        match self {
            Target::Change { sha, .. } => sha,
            Target::Deployment { gate } => &gate.sha,
        }
    }

    fn context(&self, app: &App) -> String {
        match self {
            Target::Change { .. } => app.config.status_context.clone(),
            Target::Deployment { gate } => deployment_context(app, gate),
        }
    }
}

/// The status context mirroring a deployment gate: `signoff/<environment>`.
pub fn deployment_context(app: &App, gate: &GateRequest) -> String {
    format!("{}/{}", app.config.status_context, gate.environment)
}

/// The gate's answer to a deployment for a verdict: allow → approve; pending or a
/// closed window → explain and keep waiting; anything else → reject.
pub fn gate_answer(verdict: &Verdict) -> GateAnswer {
    use super::verdict::GateOutcome;
    if verdict.allows() {
        GateAnswer::Approve
    } else if matches!(verdict.outcome, GateOutcome::Pending | GateOutcome::Blocked) {
        GateAnswer::Report
    } else {
        GateAnswer::Reject
    }
}

fn gate_state(answer: GateAnswer) -> GateState {
    match answer {
        GateAnswer::Approve => GateState::Approved,
        GateAnswer::Reject => GateState::Rejected,
        GateAnswer::Report => GateState::Pending,
    }
}

/// The first whole millisecond at or after `t`: re-evaluated earlier, the decision would
/// still be the same, and name the same instant again.
fn millisecond_after(t: jiff::Timestamp) -> i64 {
    let ms = t.as_millisecond();
    if t.subsec_nanosecond() % 1_000_000 == 0 {
        ms
    } else {
        ms.saturating_add(1)
    }
}

/// Digest of what a verdict was computed from, without the evaluation time.
fn digest(target: &str, verdict: &Verdict, layers: &[Layer]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(target.as_bytes());
    hasher.update(serde_json::to_vec(verdict).unwrap_or_default());
    for layer in layers {
        let mut value = serde_json::to_value(layer).unwrap_or_default();
        for inputs in ["/result/case", "/result/inputs"] {
            if let Some(case) = value.pointer_mut(inputs).and_then(|c| c.as_object_mut()) {
                case.remove("now");
            }
        }
        hasher.update(serde_json::to_vec(&value).unwrap_or_default());
    }
    hex::encode(hasher.finalize())
}

pub fn details_url(app: &App, id: i64) -> String {
    format!(
        "{}/details/{id}/{}",
        app.public_url,
        crate::pages::sign(&app.details_key, id)
    )
}

/// Records an evaluation in the audit log, not yet as posted; an evaluation identical to
/// the target's latest entry (same digest) reuses that entry. Returns its id.
async fn record(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    target: &Target<'_>,
    verdict: &Verdict,
    layers: &[Layer],
) -> Result<i64> {
    let forge_name = forge.kind().as_str();
    let name = target.name(forge.kind());
    let kind = target.kind();
    let digest = digest(
        &format!("{}:{name}:{}", kind.as_str(), target.revision()),
        verdict,
        layers,
    );
    if let Some(last) = app
        .store
        .last_audit(forge_name, &repo.to_string(), kind, &name)
        .await?
    {
        if last.digest == digest {
            return Ok(last.id);
        }
    }
    let mut approvers: Vec<String> = Vec::new();
    let mut ignored: Vec<signoff::Ignored> = Vec::new();
    for layer in layers {
        if let LayerResult::Decided { decision, .. } = &layer.result {
            for p in &decision.policies {
                collect_approvers(&p.requirements, &mut approvers);
            }
            ignored.extend(decision.ignored.iter().cloned());
        }
    }
    approvers.sort();
    approvers.dedup();
    let entry = AuditEntry {
        id: 0,
        at: crate::store::now_ms(),
        forge: forge_name.to_owned(),
        repo: repo.to_string(),
        kind,
        target: name.clone(),
        revision: target.revision().to_owned(),
        decision: verdict.outcome,
        summary: verdict.summary.clone(),
        digest,
        approvers: serde_json::to_string(&approvers).unwrap_or_default(),
        ignored: serde_json::to_string(&ignored).unwrap_or_default(),
        answer: Answer::Unposted,
        record: AuditRecord {
            repo: repo.to_string(),
            kind,
            target: name,
            revision: target.revision().to_owned(),
            context: target.context(app),
            verdict: verdict.clone(),
            layers: layers.to_vec(),
        },
    };
    Ok(app.store.insert_audit(&entry).await?)
}

/// Records the verdict and shows it: on the pull request's head, or through the
/// deployment gate and its status.
pub async fn publish(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    target: &Target<'_>,
    verdict: &Verdict,
    layers: &[Layer],
) -> Result<()> {
    let id = record(app, forge, repo, target, verdict, layers).await?;
    let url = details_url(app, id);
    let text = markdown(verdict, layers, Some(&url));
    let answer = match target {
        Target::Change { number, sha } => {
            let forge_name = forge.kind().as_str();
            let answer = ChangeAnswer {
                number: *number,
                revision: (*sha).to_owned(),
                outcome: verdict.outcome,
                summary: verdict.summary.clone(),
                markdown: text,
                audit_id: id,
                // The earliest instant time alone changes the outcome of a layer.
                recheck_at: layers
                    .iter()
                    .filter_map(|l| l.changes_after)
                    .min()
                    .map(millisecond_after),
            };
            let now = crate::store::now_ms();
            // A pull request pushed to leaves its old head to the others still on it.
            if let Some(old) = app
                .store
                .put_change_answer(forge_name, repo, forge.tenant(), &answer, now)
                .await?
            {
                show_head(app, forge, repo, &old).await?;
            }
            show_head(app, forge, repo, sha).await?.map(Answer::Status)
        }
        Target::Deployment { gate } => {
            let answer = gate_answer(verdict);
            forge
                .answer_gate(
                    repo,
                    gate,
                    answer,
                    &format!(
                        "{}: {}\n\nDetails: {url}",
                        verdict.outcome.as_str(),
                        verdict.summary
                    ),
                )
                .await?;
            let state = gate_state(answer);
            app.store
                .set_gate_state(
                    forge.kind().as_str(),
                    repo,
                    gate.gate_id,
                    &gate.environment,
                    state,
                    crate::store::now_ms(),
                )
                .await?;
            app.store
                .set_audit_answer(id, Answer::Deployment(state))
                .await?;
            let status = Status {
                sha: gate.sha.clone(),
                context: deployment_context(app, gate),
                state: verdict.status(),
                description: verdict.summary.clone(),
                target_url: Some(url),
                markdown: text,
            };
            show(app, forge, repo, &status).await?;
            None
        }
    };
    if let Some(answer) = answer {
        app.store.set_audit_answer(id, answer).await?;
    }
    tracing::info!(repo = %repo, target = target.name(forge.kind()), decision = verdict.outcome.as_str(), audit = id, "answered");
    Ok(())
}

/// A pull request closed, or no longer gated: its answer no longer holds its head, which
/// now shows the answer of the others still on it.
pub async fn withdraw(app: &App, forge: &dyn Forge, repo: &Repo, number: u64) -> Result<()> {
    if let Some(revision) = app
        .store
        .drop_change_answer(forge.kind().as_str(), repo, number)
        .await?
    {
        show_head(app, forge, repo, &revision).await?;
    }
    Ok(())
}

fn collect_approvers(requirements: &[signoff::RequirementResult], out: &mut Vec<String>) {
    for r in requirements {
        out.extend(r.approved_by.iter().map(ToString::to_string));
        collect_approvers(r.children(), out);
    }
}
