//! The deployment gate: evaluate kind `deployment` with the default branch's policy,
//! grants from the run's environment reviews and `/approve <environment>` comments on
//! the associated pull requests; answer the protection rule, mirror a commit status.
//! What the webhook said about the deployment (revision, ref, requester, pull
//! requests) is re-read from the forge on every evaluation.

use super::inputs::{PullActivity, command_nodes, deployment_grants, drop_tampered};
use super::publish::{Target, publish};
use super::pull_request::{
    current_heads, evaluate_layers, recorded_tampers, sources, stale_never_counts,
};
use super::verdict::{GateOutcome, Verdict, combine};
use super::{Policies, Result};
use crate::app::App;
use crate::event::{GateRequest, Repo};
use crate::forge::{Forge, commands};
use crate::store::gates::GateState;
use signoff::{Attributes, Kind};

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
    let policies = Policies::load(app, forge, repo, &gate.default_branch).await?;
    let sources = sources(forge, repo, &gate.default_branch, &policies);
    let all_words = commands::union(sources.iter().map(|s| &s.commands));
    let parsed = policies.parsed(forge.policy_path());
    let reviews = forge.deployment_activity(repo, &gate).await?;
    let mut pulls = Vec::new();
    // Command comments deleted (or emptied) by someone else while the deployed revision
    // was a pull request's head: the pull request's gate fails for them, and so does
    // this one (they left nothing in the edit history to check).
    let mut tampers = Vec::new();
    for number in &gate.pulls {
        tampers
            .extend(recorded_tampers(app, forge.kind(), repo, *number, &gate.sha, &parsed).await?);
        // The pull request's head now, recorded as the PR gate does: comments written
        // before the bot knew this head bind to an older (or unknown) one: stale.
        let change = forge.change(repo, *number).await?;
        let heads = current_heads(app, forge, repo, *number, &change.head_sha).await?;
        let mut activity = forge.change_activity(repo, *number).await?;
        let counts_on = stale_never_counts(&parsed).then_some(gate.sha.as_str());
        let nodes = command_nodes(&activity, &all_words, &heads, &change.head_sha, counts_on);
        let edits = forge.edits(&nodes).await?;
        drop_tampered(&mut activity, &edits, &heads, &change.head_sha);
        pulls.push(PullActivity {
            activity,
            heads,
            current: change.head_sha,
        });
    }
    let people = super::people_of(forge, repo, &parsed).await?;
    let contributors = if parsed.iter().any(signoff::PolicySet::contributors_matter) {
        forge
            .deployment_contributors(repo, &gate, &gate.sha)
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
    let layers = evaluate_layers(
        &sources,
        &request,
        &people,
        &app.config.super_admins,
        |words| deployment_grants(&reviews, &pulls, words, &gate.environment, &gate.sha),
    );
    // No policy at all: nothing is required of this deployment (SPEC §4.3).
    let verdict = combine(&layers, &tampers).unwrap_or_else(|| Verdict {
        outcome: GateOutcome::NotRequired,
        summary: "No signoff policy applies".to_owned(),
    });
    publish(
        app,
        forge,
        repo,
        &Target::Deployment { gate: &gate },
        &verdict,
        &layers,
    )
    .await?;
    Ok(())
}
