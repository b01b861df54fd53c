//! The deployment gate: evaluate kind `deployment` with the default branch's policy,
//! grants from the run's environment reviews and `/approve <environment>` comments on
//! the associated pull requests; answer the protection rule, mirror a commit status.

use super::inputs::{deployment_grants, directory};
use super::publish::{Target, publish};
use super::pull_request::layers;
use super::verdict::{GateOutcome, Inputs, Verdict, combine};
use super::{Policies, Result, commands_of, groups_of};
use crate::app::App;
use crate::event::{GateRequest, Repo};
use crate::forge::Forge;
use crate::store::gates::GateState;
use signoff::{Attributes, Kind, Request};

pub async fn evaluate(app: &App, forge: &dyn Forge, repo: &Repo, gate: &GateRequest) -> Result<()> {
    let forge_name = forge.kind().as_str();
    let state = app
        .store
        .gate_state(forge_name, repo, gate.run_id, &gate.environment)
        .await?;
    if state != Some(GateState::Pending) {
        // Answered: only its `signoff/<environment>` status may still have to land.
        let context = super::publish::deployment_context(app, gate);
        return super::show::show_again(app, forge, repo, &gate.sha, &context).await;
    }
    let policies = Policies::load(app, forge, repo, &gate.default_branch).await?;
    let parsed = policies.parsed(forge.policy_path());
    let commands = commands_of(&parsed);
    let reviews = forge.deployment_activity(repo, gate).await?;
    let mut pulls = Vec::new();
    for number in &gate.pulls {
        let activity = forge.change_activity(repo, *number).await?;
        let heads = app.store.heads(repo, *number).await?;
        let current = heads
            .last()
            .map_or_else(|| gate.sha.clone(), |h| h.sha.clone());
        pulls.push((activity, heads, current));
    }
    let grants = deployment_grants(&reviews, &pulls, &commands, &gate.environment, &gate.sha);
    let groups = groups_of(&parsed);
    let group_refs: Vec<&str> = groups.iter().map(String::as_str).collect();
    let people = forge.people(repo, &group_refs).await?;
    let directory = directory(&people, &grants, &app.config.super_admins);
    let branch = gate
        .git_ref
        .strip_prefix("refs/heads/")
        .unwrap_or(&gate.git_ref)
        .to_owned();
    let request = Request {
        kind: Kind::Deployment,
        config: None,
        requester: gate.requester.clone(),
        revision: Some(gate.sha.clone()),
        attributes: Attributes {
            repo: Some(repo.to_string()),
            environment: Some(gate.environment.clone()),
            branch: Some(branch),
            ..Attributes::default()
        },
        contributors: Vec::new(),
    };
    let now = super::evaluation_time(&grants);
    let inputs = Inputs {
        request: &request,
        directory: &directory,
        grants: &grants,
        now,
    };
    let layers = layers(forge, repo, &gate.default_branch, &policies, &inputs);
    // No policy at all: nothing is required of this deployment (SPEC §4.3).
    let verdict = combine(&layers, &[]).unwrap_or_else(|| Verdict {
        outcome: GateOutcome::NotRequired,
        summary: "No signoff policy applies".to_owned(),
    });
    publish(
        app,
        forge,
        repo,
        &Target::Deployment { gate },
        &verdict,
        &layers,
    )
    .await?;
    Ok(())
}
