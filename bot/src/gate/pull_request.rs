//! The pull-request gate: re-read the change from the forge, supply its request (base
//! branch, labels, paths, contributors), its grants (reviews and comment commands) and
//! its head as the target to the gate pipeline.

use super::Result;
use super::inputs::head_at;
use super::inputs::{Environments, change_grants};
use super::publish::Target;
use super::run::{Loaded, Supplied, current_heads, read_pull, recorded_tampers, run};
use crate::app::App;
use crate::event::{CommentAction, CommentEvent, ForgeKind, Repo};
use crate::forge::{Change, Forge, commands};
use crate::store::command_comments::SeenCommand;
use signoff::model::policy::Commands;
use signoff::{Attributes, Kind, PolicySet};
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
    let loaded = Loaded::load(app, forge, repo, &change.base_ref).await?;
    for suspect in suspects {
        remember_tamper(app, forge.kind(), repo, &change, &loaded, suspect).await?;
    }
    let counts_on = loaded
        .stale_never_counts()
        .then_some(change.head_sha.as_str());
    let (pull, mut tampers) = read_pull(app, forge, repo, &change, &loaded, counts_on).await?;
    let mut environments = Environments {
        repository: BTreeSet::new(),
        policies: &loaded.parsed,
    };
    if environments.need_repository(&pull.activity, &loaded.words) {
        environments.repository = forge
            .environments(repo)
            .await?
            .iter()
            .map(|e| e.to_lowercase())
            .collect();
    }
    // Files and commits only when a policy looks at them (one or more calls each).
    let paths = if loaded.parsed.iter().any(PolicySet::uses_paths) {
        forge.change_paths(repo, number, &change.head_sha).await?
    } else {
        Vec::new()
    };
    let contributors = if loaded.parsed.iter().any(PolicySet::contributors_matter) {
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
    tampers.extend(
        recorded_tampers(app, forge.kind(), repo, number, &change.head_sha, &loaded).await?,
    );
    let grants = |words: &Commands| {
        change_grants(
            &pull.activity,
            words,
            &pull.heads,
            &change.head_sha,
            &environments,
        )
    };
    let target = Target::Change {
        number,
        sha: &change.head_sha,
    };
    let supplied = Supplied {
        request,
        grants,
        tampers,
    };
    run(app, forge, repo, &loaded, supplied, target).await?;
    super::policy_check::after_gate(app, forge, repo, &change).await;
    Ok(())
}

/// Edits that add a command are read from the forge's history, whether or not a
/// webhook arrives; a deletion, or an edit that takes a command away, leaves no command
/// to check there, so the webhook saying so is remembered for this head.
async fn remember_tamper(
    app: &App,
    forge: ForgeKind,
    repo: &Repo,
    change: &Change,
    loaded: &Loaded,
    &Suspect(c): &Suspect<'_>,
) -> Result<()> {
    let changed_by_other =
        c.sender != c.author && matches!(c.action, CommentAction::Edited | CommentAction::Deleted);
    let touched_command = commands::mentions(&c.body, &loaded.words)
        || c.previous
            .as_deref()
            .is_some_and(|p| commands::mentions(p, &loaded.words));
    if c.action == CommentAction::Created && super::deleted::withholds(&c.body, &loaded.words) {
        // Remembered from the webhook, not only from the list read below: a note deleted
        // before the bot lists them (at once, by someone's own hook) is still missed.
        let heads = current_heads(app, forge, repo, change.number, &change.head_sha).await?;
        let seen = SeenCommand {
            comment_id: c.id,
            author: c.author.clone(),
            revision: head_at(&heads, c.at),
        };
        app.store
            .remember_command_comment(forge, repo, change.number, &seen)
            .await?;
    }
    if c.action == CommentAction::Deleted {
        // The webhook says who deleted it: a rejection its author withdrew is gone,
        // one someone else took away is recorded below, either way not "missing".
        app.store
            .forget_command_comment(forge, repo, change.number, c.id)
            .await?;
    }
    if changed_by_other && touched_command {
        tracing::warn!(repo = %repo, number = change.number, comment = c.id, author = c.author, by = c.sender, "approval comment changed by someone else");
        app.store
            .record_tamper(
                forge,
                repo,
                change.number,
                &change.head_sha,
                c.id,
                &c.author,
                &c.sender,
                c.action.as_str(),
                jiff::Timestamp::now().as_millisecond(),
            )
            .await?;
    }
    Ok(())
}
