//! One event, one handler.

use crate::app::App;
use crate::event::{Event, ForgeKind, Repo};
use crate::forge::{Forge, GateAnswer};
use crate::forges::handle as forge_handle;
use crate::gate::publish::{Target, publish};
use crate::gate::verdict::{GateOutcome, Verdict, clip};
use crate::gate::{HandlerError, Result, deployment, show};
use crate::store::gates::GateState;

/// Handles an event delivered by `kind`, or a batch of one change's events (in arrival
/// order; see [`super::change`]); returns the result and the API calls it made.
pub async fn dispatch(app: &App, kind: ForgeKind, events: &[&Event]) -> (Result<()>, u32) {
    let Some(event) = events.first().copied() else {
        return (Ok(()), 0);
    };
    let tenant = match event {
        Event::Change { tenant, .. }
        | Event::Review { tenant, .. }
        | Event::Comment { tenant, .. }
        | Event::DeploymentGate { tenant, .. }
        | Event::DeploymentReview { tenant, .. }
        | Event::FindWaiting { tenant, .. }
        | Event::AnswerSet { tenant, .. }
        | Event::Reassert { tenant, .. }
        | Event::Tenant { tenant, .. } => *tenant,
    };
    if let Event::Tenant { tenant, action } = event {
        tracing::info!(tenant, action, "tenant (GitHub: installation) changed");
        return (Ok(()), 0);
    }
    let forge = match forge_handle(app, kind, tenant) {
        Ok(forge) => forge,
        Err(e) => return (Err(e), 0),
    };
    let result = if events.len() > 1 {
        super::change::handle(app, forge.as_ref(), events).await
    } else {
        handle(app, forge.as_ref(), event).await
    };
    (result, forge.api_calls())
}

async fn handle(app: &App, forge: &dyn Forge, event: &Event) -> Result<()> {
    match event {
        Event::Change { .. } | Event::Review { .. } | Event::Comment { .. } => {
            super::change::handle(app, forge, &[event]).await
        }
        Event::DeploymentGate { repo, tenant, gate } => {
            open_gate(app, forge, repo, *tenant, gate).await
        }
        Event::FindWaiting {
            repo,
            tenant,
            environments,
            default_branch,
            revision,
        } => {
            let forge_name = forge.kind().as_str();
            if let Some(sha) = revision {
                // Its own delivery, so one that can never be shown fails closed on its own.
                let now = crate::store::now_ms();
                let event = Event::Reassert {
                    repo: repo.clone(),
                    tenant: *tenant,
                    sha: sha.clone(),
                    context: app.config.status_context.clone(),
                };
                let delivery = format!("reassert:{repo}@{sha}#{now}");
                if app
                    .store
                    .enqueue(forge_name, "reassert", &delivery, &event, now)
                    .await?
                {
                    app.work.notify_one();
                }
            }
            // Each gate found is queued as its own delivery, under its gate's work key,
            // so it is never evaluated beside another event about the same deployment;
            // once per deployment (the recheck timer looks at waiting gates again).
            for gate in forge
                .waiting_gates(repo, environments, default_branch.as_deref())
                .await?
            {
                let delivery = format!("found:{repo}@{}", gate.gate_id);
                let event = Event::DeploymentGate {
                    repo: repo.clone(),
                    tenant: *tenant,
                    gate,
                };
                let now = crate::store::now_ms();
                if app
                    .store
                    .enqueue(forge_name, "found", &delivery, &event, now)
                    .await?
                {
                    app.work.notify_one();
                }
            }
            Ok(())
        }
        Event::DeploymentReview { repo, gate_id, .. } => {
            // Answered gates too: a status that failed to post is posted on the retry.
            for stored in app
                .store
                .gates_of_run(forge.kind().as_str(), repo, *gate_id)
                .await?
            {
                deployment::evaluate(app, forge, repo, &stored.request).await?;
            }
            Ok(())
        }
        Event::AnswerSet {
            repo,
            sha,
            context,
            setter,
            ..
        } => show::answer_set(app, forge, repo, sha, context, setter).await,
        Event::Reassert {
            repo,
            tenant,
            sha,
            context,
        } => {
            show::show_again(app, forge, repo, sha, context).await?;
            if *context == app.config.status_context {
                super::unanswered::queue(app, forge, repo, *tenant, sha).await?;
            }
            Ok(())
        }
        Event::Tenant { .. } => Ok(()),
    }
}

/// A deployment waits for the bot: store its gate and evaluate it. A replayed request
/// (same deployment) never reopens an answered gate; a re-run of the job asks about a
/// new deployment and is answered anew.
async fn open_gate(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    tenant: Option<u64>,
    gate: &crate::event::GateRequest,
) -> Result<()> {
    let forge_name = forge.kind().as_str();
    let now = crate::store::now_ms();
    if let Some(stored) = app
        .store
        .gate(forge_name, repo, gate.gate_id, &gate.environment)
        .await?
    {
        let same = stored.request.deployment_id == gate.deployment_id;
        if stored.state != GateState::Pending && same {
            tracing::warn!(repo = %repo, run = gate.gate_id, environment = gate.environment, state = stored.state.as_str(), "gate already answered; request replayed, ignored");
            return Ok(());
        }
    }
    app.store
        .upsert_gate(forge_name, repo, tenant, gate, now)
        .await?;
    deployment::evaluate(app, forge, repo, gate).await
}

/// Pending deployment gates whose run is associated with this pull request: its
/// `/approve <environment>` comments may have changed their answer.
pub(super) async fn gates_of_pull(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    number: u64,
) -> Result<()> {
    for stored in app.store.pending_gates(forge.kind().as_str(), repo).await? {
        if stored.request.pulls.contains(&number) {
            deployment::evaluate(app, forge, repo, &stored.request).await?;
        }
    }
    Ok(())
}

/// What a failure status says about an error (internal details stay in the log).
pub fn reason(error: &HandlerError) -> String {
    match error {
        HandlerError::Forge(e) => e.to_string(),
        _ => "internal error".to_owned(),
    }
}

/// After the last attempt: a failure status on the change, when the forge can take one.
pub async fn fail_closed(app: &App, kind: ForgeKind, event: &Event, reason: &str) {
    // A deployment keeps waiting (never approved on an error), with the reason shown.
    if let Event::DeploymentGate { repo, tenant, gate } = event {
        let Ok(forge) = forge_handle(app, kind, *tenant) else {
            return;
        };
        let comment = format!("signoff could not evaluate: {reason}; the deployment keeps waiting");
        if let Err(e) = forge
            .answer_gate(repo, gate, GateAnswer::Report, &comment)
            .await
        {
            tracing::error!(repo = %repo, run = gate.gate_id, error = %e, "cannot report on the gate either");
        }
        return;
    }
    // The bot's answer on a revision could not be shown again (someone else's status
    // under its name stays the latest): a failure in its place, never the other's.
    if let Event::Reassert {
        repo,
        tenant,
        sha,
        context,
    }
    | Event::AnswerSet {
        repo,
        tenant,
        sha,
        context,
        ..
    } = event
    {
        let Ok(forge) = forge_handle(app, kind, *tenant) else {
            return;
        };
        if let Err(e) = show::post_error(app, forge.as_ref(), repo, sha, context, reason).await {
            tracing::error!(repo = %repo, sha, error = %e, "cannot post the failure status either");
        }
        return;
    }
    let (Event::Change {
        repo,
        number,
        tenant,
        ..
    }
    | Event::Review {
        repo,
        number,
        tenant,
        ..
    }
    | Event::Comment {
        repo,
        number,
        tenant,
        ..
    }) = event
    else {
        return;
    };
    let Ok(forge) = forge_handle(app, kind, *tenant) else {
        return;
    };
    let forge = forge.as_ref();
    // The pull request's head; when the forge cannot say (the outage that caused this),
    // the head the bot last answered for, so an earlier success does not stand.
    let (open, head_sha) = match forge.change(repo, *number).await {
        Ok(change) => (change.open, change.head_sha),
        Err(_) => match app
            .store
            .change_revision(forge.kind().as_str(), repo, *number)
            .await
        {
            Ok(Some(revision)) => (true, revision),
            _ => return,
        },
    };
    // Kept as this pull request's answer on its head, so another pull request sharing
    // the head (into a branch no policy covers) cannot replace the failure with its
    // own success.
    let result = if open {
        let verdict = Verdict {
            outcome: GateOutcome::Error,
            summary: clip(&format!("signoff could not evaluate: {reason}")),
        };
        let target = Target::Change {
            number: *number,
            sha: &head_sha,
        };
        publish(app, forge, repo, &target, &verdict, &[]).await
    } else {
        show::post_error(
            app,
            forge,
            repo,
            &head_sha,
            &app.config.status_context,
            reason,
        )
        .await
    };
    if let Err(e) = result {
        tracing::error!(repo = %repo, number, error = %e, "cannot post the failure status either");
    }
}
