//! The pull-request gate: re-read the change from the forge, evaluate the organisation's
//! and the base branch's policy, post the commit status.

use super::inputs::{Environments, change_grants, command_nodes, directory, drop_tampered};
use super::publish::{Target, publish};
use super::verdict::{Inputs, Layer, LayerSource, combine, layer};
use super::{Policies, Result};
use crate::app::App;
use crate::event::{CommentAction, CommentEvent, Repo};
use crate::forge::{Forge, People, commands};
use crate::store::changes::SeenHead;
use signoff::model::policy::Commands;
use signoff::{Attributes, Grant, Kind, Request};
use std::collections::BTreeSet;

/// What a comment event asks besides re-evaluation: was a command comment changed or
/// deleted by someone else?
pub struct Suspect<'a>(pub &'a CommentEvent);

/// Evaluates a change once for the deliveries in `suspects`' batch (one, or several
/// coalesced): each comment event among them is checked for tampering first.
pub async fn evaluate(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    number: u64,
    suspects: &[Suspect<'_>],
) -> Result<()> {
    let change = forge.change(repo, number).await?;
    if !change.open {
        // A closed pull request no longer holds its head's status.
        return super::publish::withdraw(app, forge, repo, number).await;
    }
    let now = jiff::Timestamp::now();
    let heads = current_heads(app, forge, repo, number, &change.head_sha).await?;
    let policies = Policies::load(app, forge, repo, &change.base_ref).await?;
    let sources = sources(forge, repo, &change.base_ref, &policies);
    let all_words = commands::union(sources.iter().map(|s| &s.commands));
    app.remember_commands(&repo.to_string(), &all_words);

    // Edits that add a command are read from the forge's history below, whether or not
    // a webhook arrives; a deletion, or an edit that takes a command away, leaves no
    // command to check there, so the webhook saying so is remembered for this head.
    for Suspect(c) in suspects {
        let changed_by_other = c.sender != c.author
            && matches!(c.action, CommentAction::Edited | CommentAction::Deleted);
        let touched_command = commands::mentions(&c.body, &all_words)
            || c.previous
                .as_deref()
                .is_some_and(|p| commands::mentions(p, &all_words));
        if changed_by_other && touched_command {
            tracing::warn!(repo = %repo, number, comment = c.id, author = c.author, by = c.sender, "approval comment changed by someone else");
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

    let parsed = policies.parsed(forge.policy_path());
    let mut activity = forge.change_activity(repo, number).await?;
    let counts_on = stale_never_counts(&parsed).then_some(change.head_sha.as_str());
    let nodes = command_nodes(&activity, &all_words, &heads, &change.head_sha, counts_on);
    let edits = forge.edits(&nodes).await?;
    let mut tampers = drop_tampered(&mut activity, &edits, &heads, &change.head_sha);
    let mut environments = Environments {
        repository: BTreeSet::new(),
        policies: &parsed,
    };
    if environments.need_repository(&activity, &all_words) {
        environments.repository = forge
            .environments(repo)
            .await?
            .iter()
            .map(|e| e.to_lowercase())
            .collect();
    }
    let people = super::people_of(forge, repo, &parsed).await?;
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
    let attributes = Attributes {
        repo: Some(repo.to_string()),
        branch: Some(change.base_ref.clone()),
        source_branch: Some(change.head_ref.clone()),
        labels: change.labels.clone(),
        paths,
        ..Attributes::default()
    };
    let request = super::request(
        Kind::PullRequest,
        &change.author,
        &change.head_sha,
        attributes,
        contributors,
    );
    let layers = evaluate_layers(
        &sources,
        &request,
        &people,
        &app.config.super_admins,
        |words| change_grants(&activity, words, &heads, &change.head_sha, &environments),
    );
    tampers.extend(recorded_tampers(app, repo, number, &change.head_sha, &parsed).await?);
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

/// Command comments deleted or emptied by someone else (recorded from the webhook):
/// those seen on `revision`, or on any head when some policy lets grants outlive a push.
pub async fn recorded_tampers(
    app: &App,
    repo: &Repo,
    number: u64,
    revision: &str,
    parsed: &[signoff::PolicySet],
) -> Result<Vec<crate::store::changes::Tamper>> {
    Ok(if stale_never_counts(parsed) {
        app.store.tampers(repo, number, revision).await?
    } else {
        app.store.tampers_of_change(repo, number).await?
    })
}

/// Do grants on an older revision drop as stale under every policy (the default)?
/// An invalid policy counts as yes: it decides nothing.
pub fn stale_never_counts(parsed: &[signoff::PolicySet]) -> bool {
    parsed.iter().all(signoff::PolicySet::invalidates_on_push)
}

/// The pushes seen on a change, the last being `head`: a push we were not told about
/// starts now, so comments from before belong to older heads (or to none: stale).
pub async fn current_heads(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    number: u64,
    head: &str,
) -> Result<Vec<SeenHead>> {
    let heads = app.store.heads(forge.kind(), repo, number).await?;
    if heads.last().is_some_and(|h| h.sha == head) {
        return Ok(heads);
    }
    let now = jiff::Timestamp::now().as_millisecond();
    app.store
        .record_head(forge.kind(), repo, number, head, now)
        .await?;
    Ok(app.store.heads(forge.kind(), repo, number).await?)
}

/// One policy layer before evaluation: where it comes from, its text, and the command
/// words its grants are read with (its own, or the defaults when it sets none or does
/// not parse).
pub struct Source<'a> {
    pub name: LayerSource,
    pub file: String,
    pub link: Option<String>,
    pub text: Option<&'a str>,
    pub commands: Commands,
}

/// The organisation's layer (when configured) and the repository's.
pub fn sources<'a>(
    forge: &dyn Forge,
    repo: &Repo,
    git_ref: &str,
    policies: &'a Policies<'_>,
) -> Vec<Source<'a>> {
    let words = |text: Option<&str>, file: &str| {
        text.and_then(|t| signoff::PolicySet::parse(t, file).ok())
            .map(|p| p.commands().clone())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    if let Some((file, text)) = policies.org {
        out.push(Source {
            name: LayerSource::Organisation,
            file: file.to_owned(),
            link: None,
            text: Some(text),
            commands: words(Some(text), file),
        });
    }
    let path = forge.policy_path();
    out.push(Source {
        name: LayerSource::Repository,
        file: path.to_owned(),
        link: Some(forge.file_url(repo, git_ref, path)),
        text: policies.repo.as_deref(),
        commands: words(policies.repo.as_deref(), path),
    });
    out
}

/// Evaluates each layer with the grants read in its own command words; one evaluation
/// time for all (the latest grant of any layer, or now).
pub fn evaluate_layers(
    sources: &[Source<'_>],
    request: &Request,
    people: &People,
    super_admins: &[String],
    grants_for: impl Fn(&Commands) -> Vec<Grant>,
) -> Vec<Layer> {
    let grants: Vec<Vec<Grant>> = sources.iter().map(|s| grants_for(&s.commands)).collect();
    let all: Vec<Grant> = grants.iter().flatten().cloned().collect();
    let now = super::evaluation_time(&all);
    sources
        .iter()
        .zip(&grants)
        .map(|(source, grants)| {
            let directory = directory(people, grants, super_admins);
            let inputs = Inputs {
                request,
                directory: &directory,
                grants,
                now,
            };
            layer(
                source.name,
                &source.file,
                source.link.clone(),
                source.text,
                &inputs,
            )
        })
        .collect()
}
