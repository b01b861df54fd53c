//! The pull-request gate: re-read the change from the forge, evaluate the organisation's
//! and the base branch's policy, post the commit status.

use super::inputs::{change_grants, directory};
use super::publish::{Target, publish};
use super::verdict::{Inputs, Layer, LayerSource, combine, layer};
use super::{Policies, Result, commands_of, groups_of};
use crate::app::App;
use crate::event::{CommentAction, CommentEvent, Repo};
use crate::forge::{Forge, commands};
use signoff::{Attributes, Kind, Request};

/// What a comment event asks besides re-evaluation: was a command comment changed by
/// someone else?
pub struct Suspect<'a>(pub &'a CommentEvent);

pub async fn evaluate(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    number: u64,
    suspect: Option<Suspect<'_>>,
) -> Result<()> {
    let change = forge.change(repo, number).await?;
    if !change.open {
        // A closed pull request no longer holds its head's status.
        return super::publish::withdraw(app, forge, repo, number).await;
    }
    let now = jiff::Timestamp::now();
    let mut heads = app.store.heads(repo, number).await?;
    if !heads.iter().any(|h| h.sha == change.head_sha) {
        // A push we were not told about: comments from before now belong to older heads.
        app.store
            .record_head(repo, number, &change.head_sha, now.as_millisecond())
            .await?;
        heads = app.store.heads(repo, number).await?;
    }
    let policies = Policies::load(app, forge, repo, &change.base_ref).await?;
    let parsed = policies.parsed(forge.policy_path());
    let commands = commands_of(&parsed);
    app.remember_commands(&repo.to_string(), &commands);

    if let Some(Suspect(c)) = suspect {
        let changed_by_other = c.sender != c.author
            && matches!(c.action, CommentAction::Edited | CommentAction::Deleted);
        let touched_command = commands::mentions(&c.body, &commands)
            || c.previous
                .as_deref()
                .is_some_and(|p| commands::mentions(p, &commands));
        if changed_by_other && touched_command {
            tracing::warn!(repo = %repo, number, comment = c.id, author = c.author, by = c.sender, "approval comment tampered with");
            app.store
                .record_tamper(
                    repo,
                    number,
                    &change.head_sha,
                    c.id,
                    &c.author,
                    &c.sender,
                    c.action.as_str(),
                    now.as_millisecond(),
                )
                .await?;
        }
    }

    let activity = forge.change_activity(repo, number).await?;
    let grants = change_grants(&activity, &commands, &heads, &change.head_sha);
    let groups = groups_of(&parsed);
    let group_refs: Vec<&str> = groups.iter().map(String::as_str).collect();
    let people = forge.people(repo, &group_refs).await?;
    let directory = directory(&people, &grants, &app.config.super_admins);
    // Files and commits only when a policy looks at them (one or more calls each).
    let paths = if parsed.iter().any(signoff::PolicySet::uses_paths) {
        forge.change_paths(repo, number, &change.head_sha).await?
    } else {
        Vec::new()
    };
    let contributors = if parsed.iter().any(signoff::PolicySet::contributors_matter) {
        forge
            .change_contributors(repo, number, &change.head_sha)
            .await?
    } else {
        Vec::new()
    };
    let request = Request {
        kind: Kind::PullRequest,
        config: None,
        requester: change.author.clone(),
        revision: Some(change.head_sha.clone()),
        attributes: Attributes {
            repo: Some(repo.to_string()),
            branch: Some(change.base_ref.clone()),
            source_branch: Some(change.head_ref.clone()),
            labels: change.labels.clone(),
            paths,
            ..Attributes::default()
        },
        contributors: contributors
            .into_iter()
            .filter(|c| *c != change.author)
            .collect(),
    };
    let now = super::evaluation_time(&grants);
    let inputs = Inputs {
        request: &request,
        directory: &directory,
        grants: &grants,
        now,
    };
    let layers = layers(forge, repo, &change.base_ref, &policies, &inputs);
    let tampers = app.store.tampers(repo, number, &change.head_sha).await?;
    let Some(verdict) = combine(&layers, &tampers) else {
        tracing::debug!(repo = %repo, number, "no policy applies; no status posted");
        return super::publish::withdraw(app, forge, repo, number).await;
    };
    publish(
        app,
        forge,
        repo,
        &Target::Change {
            number,
            sha: &change.head_sha,
        },
        &verdict,
        &layers,
    )
    .await?;
    Ok(())
}

/// The organisation's layer (when configured) and the repository's.
pub fn layers(
    forge: &dyn Forge,
    repo: &Repo,
    git_ref: &str,
    policies: &Policies<'_>,
    inputs: &Inputs<'_>,
) -> Vec<Layer> {
    let mut out = Vec::new();
    if let Some((file, text)) = policies.org {
        out.push(layer(
            LayerSource::Organisation,
            file,
            None,
            Some(text),
            inputs,
        ));
    }
    let path = forge.policy_path();
    let link = Some(forge.file_url(repo, git_ref, path));
    out.push(layer(
        LayerSource::Repository,
        path,
        link,
        policies.repo.as_deref(),
        inputs,
    ));
    out
}
