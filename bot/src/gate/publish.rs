//! Acting on a verdict: record it in the audit log, then show it on the forge — a pull
//! request's answer on its head, where the head shows the least permissive answer of
//! every open pull request whose head it is (SPEC §8), and a deployment's through its
//! gate plus a `signoff/<environment>` status. The forge's answer is what is durable: an
//! answer counts as posted only once the forge confirmed it, and posting is skipped only
//! when the forge already shows exactly that answer.

use super::verdict::{Layer, LayerResult, Verdict, clip, markdown};
use super::{HandlerError, Result};
use crate::app::App;
use crate::event::{AnswerSetter, GateRequest, Repo};
use crate::forge::{Forge, GateAnswer, Status, StatusState};
use crate::store::answers::{ChangeAnswer, Shown};
use crate::store::audit::{Answer, AuditEntry, AuditRecord, TargetKind};
use crate::store::gates::GateState;
use sha2::{Digest, Sha256};

/// Rounds of "show, then check nobody changed the head's answers meanwhile" before the
/// delivery is retried instead.
const MAX_ROUNDS: usize = 5;

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
    let name = target.name();
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
            };
            let now = crate::store::now_ms();
            // A pull request pushed to leaves its old head to the others still on it.
            if let Some(old) = app
                .store
                .put_change_answer(forge_name, repo, &answer, now)
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
                    gate.run_id,
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
    tracing::info!(repo = %repo, target = target.name(), decision = verdict.outcome.as_str(), audit = id, "answered");
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

/// Shows on `revision` the least permissive answer of the pull requests whose head it
/// is; returns the state shown (`None`: no pull request on it has an answer). Answers
/// written meanwhile by another worker are caught by reading them again after posting.
async fn show_head(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    revision: &str,
) -> Result<Option<StatusState>> {
    let forge_name = forge.kind().as_str();
    for _ in 0..MAX_ROUNDS {
        let answers = app
            .store
            .change_answers_on(forge_name, repo, revision)
            .await?;
        let Some(status) = head_status(app, revision, &answers) else {
            return Ok(None);
        };
        show(app, forge, repo, &status).await?;
        let again = app
            .store
            .change_answers_on(forge_name, repo, revision)
            .await?;
        if head_status(app, revision, &again).as_ref() == Some(&status) {
            return Ok(Some(status.state));
        }
    }
    Err(HandlerError::Contended(format!(
        "the answers on {revision} kept changing"
    )))
}

/// The status a head shows: the least permissive answer among its pull requests (the
/// lowest number on a tie), naming the others when there are several.
pub fn head_status(app: &App, revision: &str, answers: &[ChangeAnswer]) -> Option<Status> {
    let decider = answers.iter().min_by_key(|a| (a.outcome, a.number))?;
    let (description, markdown) = if answers.len() == 1 {
        (decider.summary.clone(), decider.markdown.clone())
    } else {
        let mut markdown = format!(
            "Pull requests with this head: {}. The least permissive answer is shown: #{}'s.\n\n{}\n### Other pull requests with this head\n\n",
            answers
                .iter()
                .map(|a| format!("#{}", a.number))
                .collect::<Vec<_>>()
                .join(", "),
            decider.number,
            decider.markdown
        );
        for other in answers.iter().filter(|a| a.number != decider.number) {
            markdown.push_str(&format!(
                "- #{}: **{}** — {} ([details]({}))\n",
                other.number,
                other.outcome.as_str(),
                other.summary,
                details_url(app, other.audit_id)
            ));
        }
        (
            format!("#{}: {}", decider.number, decider.summary),
            markdown,
        )
    };
    Some(Status {
        sha: revision.to_owned(),
        context: app.config.status_context.clone(),
        state: decider.outcome.status(),
        description: clip(&description),
        target_url: Some(details_url(app, decider.audit_id)),
        markdown,
    })
}

/// Shows `status` unless the bot already posted it, the forge confirmed it, and the
/// forge still shows exactly it.
async fn show(app: &App, forge: &dyn Forge, repo: &Repo, status: &Status) -> Result<()> {
    let stored = app
        .store
        .shown(forge.kind().as_str(), repo, &status.sha, &status.context)
        .await?;
    let check_run = stored.as_ref().and_then(|s| s.check_run);
    let posted = stored
        .as_ref()
        .is_some_and(|s| s.confirmed && s.status == *status);
    if posted && forge.shows(repo, status, check_run).await? {
        return Ok(());
    }
    post(app, forge, repo, status, check_run).await
}

/// Posts an answer: wanted first, confirmed once the forge took it.
async fn post(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    status: &Status,
    check_run: Option<u64>,
) -> Result<()> {
    let forge_name = forge.kind().as_str();
    app.store
        .want_shown(forge_name, repo, status, crate::store::now_ms())
        .await?;
    let check_run = forge.set_status(repo, status, check_run).await?;
    app.store
        .confirm_shown(forge_name, repo, status, check_run, crate::store::now_ms())
        .await?;
    tracing::info!(repo = %repo, sha = status.sha, context = status.context, state = status.state.as_str(), "posted");
    Ok(())
}

/// Shows again what the bot last wanted shown under `context` on `revision`, when the
/// forge does not show it (a post that failed after the gate was answered).
pub async fn show_again(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    revision: &str,
    context: &str,
) -> Result<()> {
    if let Some(Shown { status, .. }) = app
        .store
        .shown(forge.kind().as_str(), repo, revision, context)
        .await?
    {
        show(app, forge, repo, &status).await?;
    }
    Ok(())
}

/// Someone set a status or check run under one of the bot's names. Unless it is the
/// bot's own answer coming back, the bot's answer is posted again at once, so the
/// latest under that name is the bot's.
pub async fn answer_set(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    revision: &str,
    context: &str,
    setter: &AnswerSetter,
) -> Result<()> {
    let forge_name = forge.kind().as_str();
    let stored = match app.store.shown(forge_name, repo, revision, context).await? {
        Some(stored) => stored,
        // Nothing posted yet (a crash before posting): the pull requests' answers.
        None if context == app.config.status_context => {
            let answers = app
                .store
                .change_answers_on(forge_name, repo, revision)
                .await?;
            match head_status(app, revision, &answers) {
                Some(status) => Shown {
                    status,
                    confirmed: false,
                    check_run: None,
                },
                None => return unanswered(repo, revision, context),
            }
        }
        None => return unanswered(repo, revision, context),
    };
    let own = match setter {
        AnswerSetter::Status {
            state,
            description,
            target_url,
        } => {
            StatusState::parse(state) == Some(stored.status.state)
                && description.as_deref().unwrap_or("") == stored.status.description
                && *target_url == stored.status.target_url
        }
        AnswerSetter::CheckRun { app_id } => {
            app_id.is_some() && *app_id == app.config.github.app_id
        }
    };
    if own {
        return Ok(());
    }
    tracing::warn!(repo = %repo, sha = revision, context, "someone else set the bot's status or check; answering with the bot's own");
    post(app, forge, repo, &stored.status, stored.check_run).await
}

/// A status under the bot's name on a revision the bot has no answer for (no policy
/// applies, or the bot never saw it): nothing to re-assert.
fn unanswered(repo: &Repo, revision: &str, context: &str) -> Result<()> {
    tracing::warn!(repo = %repo, sha = revision, context, "a status under the bot's name where the bot has no answer");
    Ok(())
}

fn collect_approvers(requirements: &[signoff::RequirementResult], out: &mut Vec<String>) {
    for r in requirements {
        out.extend(r.approved_by.iter().map(ToString::to_string));
        collect_approvers(r.children(), out);
    }
}

/// Fail closed after the last attempt: a failure status saying the bot could not decide.
pub async fn post_error(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    sha: &str,
    context: &str,
    error: &str,
) -> Result<()> {
    let description = clip(&format!("signoff could not evaluate: {error}"));
    let status = Status {
        sha: sha.to_owned(),
        context: context.to_owned(),
        state: StatusState::Failure,
        description: description.clone(),
        target_url: None,
        markdown: description,
    };
    show(app, forge, repo, &status).await
}
