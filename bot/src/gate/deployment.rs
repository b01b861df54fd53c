//! The deployment gate: evaluate kind `deployment` with the default branch's policy,
//! grants from the run's environment reviews and `/approve <environment>` comments on
//! the associated pull requests; answer the protection rule, mirror a commit status.
//! What the webhook said about the deployment (revision, ref, requester, pull
//! requests) is re-read from the forge on every evaluation.

use super::Result;
use super::inputs::{deployment_grants, review_keys};
use super::publish::Target;
use super::run::{Loaded, Supplied, read_pull, recorded_tampers, run};
use crate::app::App;
use crate::event::{GateRequest, Repo};
use crate::forge::{Activity, Forge};
use crate::store::gates::GateState;
use signoff::model::policy::Commands;
use signoff::{Attributes, Kind, PolicySet};

pub async fn evaluate(app: &App, forge: &dyn Forge, repo: &Repo, gate: &GateRequest) -> Result<()> {
    let forge_name = forge.kind().as_str();
    let state = app
        .store
        .gate_state(forge_name, repo, gate.gate_id, &gate.environment)
        .await?;
    if state != Some(GateState::Pending) {
        // Answered: only its `signoff/<environment>` status may still have to land.
        let context = super::publish::deployment_context(app, gate);
        return super::show::show_again(app, forge, repo, &gate.sha, &context).await;
    }
    let facts = forge.deployment(repo, gate).await?;
    if facts.sha != gate.sha || facts.pulls != gate.pulls {
        tracing::info!(repo = %repo, run = gate.gate_id, payload_sha = gate.sha, sha = facts.sha, "the forge's deployment differs from the webhook's; using the forge's");
    }
    let gate = GateRequest {
        sha: facts.sha,
        git_ref: facts.git_ref,
        requester: facts.requester,
        pulls: facts.pulls,
        ..gate.clone()
    };
    app.store
        .refresh_gate_request(forge_name, repo, &gate)
        .await?;
    let loaded = Loaded::load(app, forge, repo, &gate.default_branch).await?;
    let reviews = reviews_as_first_seen(app, forge, repo, &gate).await?;
    let counts_on = loaded.stale_never_counts().then_some(gate.sha.as_str());
    let mut pulls = Vec::new();
    // Command comments deleted (or emptied) by someone else while the deployed revision
    // was a pull request's head: the pull request's gate fails for them, and so does
    // this one (they left nothing in the edit history to check).
    let mut tampers = Vec::new();
    for number in &gate.pulls {
        // The pull request's head now is recorded: comments written before the bot
        // knew this head bind to an older (or unknown) one: stale.
        let change = forge.change(repo, *number).await?;
        pulls.push(
            read_pull(app, forge, repo, &change, &loaded, counts_on)
                .await?
                .0,
        );
        tampers
            .extend(recorded_tampers(app, forge.kind(), repo, *number, &gate.sha, &loaded).await?);
    }
    let contributors = if loaded.parsed.iter().any(PolicySet::contributors_matter) {
        let approved = app
            .store
            .approved_deployments(forge_name, repo, &gate.environment)
            .await?;
        forge
            .deployment_contributors(repo, &gate, &gate.sha, &approved)
            .await?
    } else {
        Vec::new()
    };
    let branch = gate
        .git_ref
        .strip_prefix("refs/heads/")
        .unwrap_or(&gate.git_ref)
        .to_owned();
    let attributes = Attributes {
        repo: Some(repo.to_string()),
        environment: Some(gate.environment.clone()),
        branch: Some(branch),
        ..Attributes::default()
    };
    let request = super::request(
        Kind::Deployment,
        &gate.requester,
        &gate.sha,
        attributes,
        contributors,
    );
    let grants =
        |words: &Commands| deployment_grants(&reviews, &pulls, words, &gate.environment, &gate.sha);
    let supplied = Supplied {
        request,
        grants,
        tampers,
    };
    run(
        app,
        forge,
        repo,
        &loaded,
        supplied,
        Target::Deployment { gate: &gate },
    )
    .await
}

/// The run's environment reviews, each timed when the bot first saw it (the forge gives
/// no time), so a later comment by the same reviewer has the last word.
async fn reviews_as_first_seen(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    gate: &GateRequest,
) -> Result<Vec<Activity>> {
    let mut reviews = forge.deployment_activity(repo, gate).await?;
    let keys = review_keys(&reviews);
    let seen = app
        .store
        .reviews_seen(
            forge.kind().as_str(),
            repo,
            gate.gate_id,
            &keys,
            crate::store::now_ms(),
        )
        .await?;
    for (review, key) in reviews.iter_mut().zip(&keys) {
        if let Some(at) = seen
            .get(key)
            .and_then(|ms| jiff::Timestamp::from_millisecond(*ms).ok())
        {
            review.at = at;
        }
    }
    Ok(reviews)
}
