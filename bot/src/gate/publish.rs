//! Acting on a verdict: record it in the audit log, then post the commit status (and
//! check run) or answer the deployment gate. A verdict identical to the last one posted
//! for the same target is not posted again.

use super::Result;
use super::verdict::{Layer, LayerResult, Verdict, markdown};
use crate::app::App;
use crate::event::{GateRequest, Repo};
use crate::forge::{Forge, GateAnswer, Status, StatusState};
use crate::store::audit::AuditEntry;
use sha2::{Digest, Sha256};

pub enum Target<'a> {
    Change { number: u64, sha: &'a str },
    Deployment { gate: &'a GateRequest },
}

impl Target<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Target::Change { .. } => "pull_request",
            Target::Deployment { .. } => "deployment",
        }
    }

    fn name(&self) -> String {
        match self {
            Target::Change { number, .. } => format!("#{number}"),
            Target::Deployment { gate } => format!("{}@run{}", gate.environment, gate.run_id),
        }
    }

    fn revision(&self) -> &str {
        match self {
            Target::Change { sha, .. } => sha,
            Target::Deployment { gate } => &gate.sha,
        }
    }
}

/// The gate's answer to a deployment for a verdict: allow → approve; pending or a
/// closed window → explain and keep waiting; anything else → reject.
pub fn gate_answer(verdict: &Verdict) -> GateAnswer {
    if verdict.allows {
        GateAnswer::Approve
    } else if verdict.outcome == "pending" || verdict.outcome == "blocked" {
        GateAnswer::Report
    } else {
        GateAnswer::Reject
    }
}

/// Digest of what a verdict was computed from, without the evaluation time.
fn digest(target: &str, verdict: &Verdict, layers: &[Layer]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(target.as_bytes());
    hasher.update(serde_json::to_vec(verdict).unwrap_or_default());
    for layer in layers {
        let mut value = serde_json::to_value(layer).unwrap_or_default();
        if let Some(case) = value
            .pointer_mut("/result/case")
            .and_then(|c| c.as_object_mut())
        {
            case.remove("now");
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

/// Posts the verdict unless the same was posted last; returns the audit id when posted.
pub async fn publish(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    target: &Target<'_>,
    verdict: &Verdict,
    layers: &[Layer],
) -> Result<Option<i64>> {
    let forge_name = forge.kind().as_str();
    let name = target.name();
    let digest = digest(
        &format!("{}:{name}:{}", target.kind(), target.revision()),
        verdict,
        layers,
    );
    if let Some(last) = app
        .store
        .last_audit(forge_name, &repo.to_string(), target.kind(), &name)
        .await?
    {
        if last.digest == digest {
            return Ok(None);
        }
    }
    let status_context = match target {
        Target::Change { .. } => app.config.status_context.clone(),
        Target::Deployment { gate } => {
            format!("{}/{}", app.config.status_context, gate.environment)
        }
    };
    let answer = match target {
        Target::Change { .. } => format!("status:{}", verdict.status().as_str()),
        Target::Deployment { .. } => match gate_answer(verdict) {
            GateAnswer::Approve => "deployment:approved".to_owned(),
            GateAnswer::Reject => "deployment:rejected".to_owned(),
            GateAnswer::Report => "deployment:pending".to_owned(),
        },
    };
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
    let record = serde_json::json!({
        "repo": repo.to_string(),
        "kind": target.kind(),
        "target": name,
        "revision": target.revision(),
        "context": status_context,
        "verdict": verdict,
        "layers": layers,
    });
    let entry = AuditEntry {
        id: 0,
        at: crate::store::now_ms(),
        forge: forge_name.to_owned(),
        repo: repo.to_string(),
        kind: target.kind().to_owned(),
        target: name,
        revision: target.revision().to_owned(),
        decision: verdict.outcome.clone(),
        summary: verdict.summary.clone(),
        digest: digest.clone(),
        approvers: serde_json::to_string(&approvers).unwrap_or_default(),
        ignored: serde_json::to_string(&ignored).unwrap_or_default(),
        answer,
        record: record.to_string(),
    };
    let id = app.store.insert_audit(&entry).await?;
    let url = details_url(app, id);
    let text = markdown(verdict, layers, Some(&url));
    let status = Status {
        sha: target.revision().to_owned(),
        context: status_context,
        state: verdict.status(),
        description: verdict.summary.clone(),
        target_url: Some(url),
        markdown: text.clone(),
    };
    let posted = async {
        if let Target::Deployment { gate } = target {
            let answer = gate_answer(verdict);
            forge
                .answer_gate(
                    repo,
                    gate,
                    answer,
                    &format!(
                        "{}: {}\n\n{}",
                        verdict.outcome,
                        verdict.summary,
                        details_line(&status)
                    ),
                )
                .await?;
            let state = match answer {
                GateAnswer::Approve => "approved",
                GateAnswer::Reject => "rejected",
                GateAnswer::Report => "pending",
            };
            app.store
                .set_gate_state(
                    forge_name,
                    repo,
                    gate.run_id,
                    &gate.environment,
                    state,
                    crate::store::now_ms(),
                )
                .await?;
        }
        forge.set_status(repo, &status).await?;
        Ok::<(), super::HandlerError>(())
    }
    .await;
    if let Err(e) = posted {
        app.store
            .mark_audit_unposted(id, &format!("failed: {e}"))
            .await?;
        return Err(e);
    }
    tracing::info!(repo = %repo, target = entry.target, decision = entry.decision, state = status.state.as_str(), audit = id, "posted");
    Ok(Some(id))
}

fn details_line(status: &Status) -> String {
    status
        .target_url
        .as_ref()
        .map_or_else(String::new, |u| format!("Details: {u}"))
}

fn collect_approvers(requirements: &[signoff::RequirementResult], out: &mut Vec<String>) {
    for r in requirements {
        out.extend(r.approved_by.iter().map(ToString::to_string));
        collect_approvers(r.children(), out);
    }
}

/// Fail closed after the last attempt: a failure status saying the bot could not decide.
pub async fn post_error(
    forge: &dyn Forge,
    repo: &Repo,
    sha: &str,
    context: &str,
    error: &str,
) -> Result<()> {
    let description = super::verdict::clip(&format!("signoff could not evaluate: {error}"));
    let status = Status {
        sha: sha.to_owned(),
        context: context.to_owned(),
        state: StatusState::Failure,
        description: description.clone(),
        target_url: None,
        markdown: description,
    };
    forge.set_status(repo, &status).await?;
    Ok(())
}
