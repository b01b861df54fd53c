//! The one gate pipeline. Pull-request and deployment gates differ only in what they
//! read to build their request, their grants and their target; reading the policies
//! (parsed once per event), a pull request's activity with its edit history, the
//! people, evaluating every layer, combining, recording and publishing are the same
//! and live here.

use super::inputs::{PullActivity, command_nodes, drop_tampered};
use super::publish::{Target, publish, withdraw};
use super::verdict::{
    GateOutcome, Inputs, Layer, LayerPolicy, LayerSource, Verdict, combine, hide_secret_members,
    layer,
};
use super::{Result, people_of};
use crate::app::App;
use crate::event::{ForgeKind, Repo};
use crate::forge::{Change, Forge, People, commands};
use crate::store::changes::{SeenHead, Tamper};
use signoff::model::policy::Commands;
use signoff::{Diagnostic, Grant, PolicySet, Request};

/// One policy layer: where it comes from, its text, and the command words its grants
/// are read with (its own, or the defaults when it sets none or does not parse).
pub struct Source {
    pub name: LayerSource,
    pub file: String,
    pub link: Option<String>,
    pub text: Option<String>,
    /// `Some(Ok(i))`: valid, `Loaded::parsed[i]`; `Some(Err(_))`: does not parse.
    parsed: Option<std::result::Result<usize, Vec<Diagnostic>>>,
    pub commands: Commands,
}

/// The policies a gate evaluates, read and parsed once per event: the organisation's
/// (from configuration) when configured, then the repository's at a ref.
pub struct Loaded {
    pub sources: Vec<Source>,
    /// The valid policies, in layer order.
    pub parsed: Vec<PolicySet>,
    /// Every layer's command words, for deciding cheaply what may matter.
    pub words: Commands,
}

impl Loaded {
    /// The organisation's policy and the repository's at `git_ref` (a pull request's
    /// base branch, the default branch for deployments).
    pub async fn load(app: &App, forge: &dyn Forge, repo: &Repo, git_ref: &str) -> Result<Loaded> {
        let repo_text = forge.policy_file(repo, git_ref).await?;
        let path = forge.policy_path();
        let mut loaded = Loaded {
            sources: Vec::new(),
            parsed: Vec::new(),
            words: Commands::default(),
        };
        if let Some((file, text)) = &app.org_policy {
            loaded.add(LayerSource::Organisation, file, None, Some(text.clone()));
        }
        let link = Some(forge.file_url(repo, git_ref, path));
        loaded.add(LayerSource::Repository, path, link, repo_text);
        loaded.words = commands::union(loaded.sources.iter().map(|s| &s.commands));
        // Both gates' words (a pull request's base, deployments' default branch) decide
        // which comments are skipped.
        app.remember_commands(&repo.to_string(), &loaded.words);
        Ok(loaded)
    }

    fn add(&mut self, name: LayerSource, file: &str, link: Option<String>, text: Option<String>) {
        let parsed = text.as_deref().map(|t| PolicySet::parse(t, file));
        let commands = match &parsed {
            Some(Ok(policy)) => policy.commands().clone(),
            _ => Commands::default(),
        };
        let parsed = parsed.map(|p| {
            p.map(|policy| {
                self.parsed.push(policy);
                self.parsed.len() - 1
            })
        });
        self.sources.push(Source {
            name,
            file: file.to_owned(),
            link,
            text,
            parsed,
            commands,
        });
    }

    /// Do grants on an older revision drop as stale under every policy (the default)?
    /// An invalid policy counts as yes: it decides nothing.
    pub fn stale_never_counts(&self) -> bool {
        self.parsed.iter().all(PolicySet::invalidates_on_push)
    }

    /// Evaluates each layer with the grants read in its own command words; one
    /// evaluation time for all (the latest grant of any layer, or now).
    fn evaluate(
        &self,
        request: &Request,
        people: &People,
        super_admins: &[String],
        grants_for: impl Fn(&Commands) -> Vec<Grant>,
    ) -> Vec<Layer> {
        let grants: Vec<Vec<Grant>> = self
            .sources
            .iter()
            .map(|s| grants_for(&s.commands))
            .collect();
        let all: Vec<Grant> = grants.iter().flatten().cloned().collect();
        let now = super::evaluation_time(&all);
        self.sources
            .iter()
            .zip(&grants)
            .map(|(source, grants)| {
                let directory = super::inputs::directory(people, grants, super_admins);
                let inputs = Inputs {
                    request,
                    directory: &directory,
                    grants,
                    now,
                };
                let policy = match (&source.parsed, source.text.as_deref()) {
                    (Some(Ok(i)), Some(text)) => match self.parsed.get(*i) {
                        Some(policy) => LayerPolicy::Valid { policy, text },
                        None => LayerPolicy::Missing,
                    },
                    (Some(Err(diagnostics)), _) => LayerPolicy::Invalid(diagnostics),
                    _ => LayerPolicy::Missing,
                };
                let mut layer = layer(
                    source.name,
                    &source.file,
                    source.link.clone(),
                    policy,
                    &inputs,
                );
                hide_secret_members(&mut layer, people);
                layer
            })
            .collect()
    }
}

/// What a gate hands the pipeline: its request, its grants (read in a layer's command
/// words) and what was tampered with.
pub struct Supplied<G: Fn(&Commands) -> Vec<Grant>> {
    pub request: Request,
    pub grants: G,
    pub tampers: Vec<Tamper>,
}

/// Evaluates every layer for the gate's request and grants, combines them and shows
/// the verdict on `target`. When no layer has a policy, a pull request's answer is
/// withdrawn from its head and a deployment is answered `not_required` (SPEC §4.3).
pub async fn run<G: Fn(&Commands) -> Vec<Grant>>(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    loaded: &Loaded,
    supplied: Supplied<G>,
    target: Target<'_>,
) -> Result<()> {
    let people = people_of(forge, repo, &loaded.parsed).await?;
    let layers = loaded.evaluate(
        &supplied.request,
        &people,
        &app.config.super_admins,
        supplied.grants,
    );
    let verdict = match (combine(&layers, &supplied.tampers), &target) {
        (Some(verdict), _) => verdict,
        (None, Target::Change { number, .. }) => {
            tracing::debug!(repo = %repo, number, "no policy applies; no status posted");
            // Both, whichever fails: neither may keep the other from being taken back.
            let status = withdraw(app, forge, repo, *number).await;
            let approval = super::own_approval::withdraw(forge, repo, *number).await;
            return status.and(approval);
        }
        (None, Target::Deployment { .. }) => Verdict {
            outcome: GateOutcome::NotRequired,
            summary: "No signoff policy applies".to_owned(),
        },
    };
    publish(app, forge, repo, &target, &verdict, &layers).await
}

/// A pull request's activity with every command someone else last edited dropped, its
/// pushes (recording its head now, as every gate must before binding comments to
/// heads) and what was dropped while `change`'s head was current. `counts_on`: the
/// revision whose grants can count (others are stale), so only their edit history is
/// asked; `None` when grants on every revision count.
pub async fn read_pull(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    change: &Change,
    loaded: &Loaded,
    counts_on: Option<&str>,
) -> Result<(PullActivity, Vec<Tamper>)> {
    let heads = current_heads(app, forge.kind(), repo, change.number, &change.head_sha).await?;
    let mut activity = forge.change_activity(repo, change.number).await?;
    super::deleted::notice(
        app,
        forge.kind(),
        repo,
        change,
        &activity,
        &loaded.words,
        &heads,
    )
    .await?;
    let nodes = command_nodes(
        &activity,
        &loaded.words,
        &heads,
        &change.head_sha,
        counts_on,
        forge.edits_to_check(),
    );
    let edits = forge.edits(&nodes).await?;
    let tampers = drop_tampered(&mut activity, &edits, &heads, &change.head_sha);
    let pull = PullActivity {
        activity,
        heads,
        current: change.head_sha.clone(),
    };
    Ok((pull, tampers))
}

/// Command comments deleted or emptied by someone else (recorded from the webhook, or
/// found missing by `read_pull`, which must run first):
/// those seen on `revision`, or on any head when some policy lets grants outlive a push.
pub async fn recorded_tampers(
    app: &App,
    forge: ForgeKind,
    repo: &Repo,
    number: u64,
    revision: &str,
    loaded: &Loaded,
) -> Result<Vec<Tamper>> {
    Ok(if loaded.stale_never_counts() {
        app.store.tampers(forge, repo, number, revision).await?
    } else {
        app.store.tampers_of_change(forge, repo, number).await?
    })
}

/// The pushes seen on a change, the last being `head`: a push we were not told about
/// starts now, so comments from before belong to older heads (or to none: stale).
pub(super) async fn current_heads(
    app: &App,
    forge: ForgeKind,
    repo: &Repo,
    number: u64,
    head: &str,
) -> Result<Vec<SeenHead>> {
    let heads = app.store.heads(forge, repo, number).await?;
    if heads.last().is_some_and(|h| h.sha == head) {
        return Ok(heads);
    }
    let now = jiff::Timestamp::now().as_millisecond();
    app.store
        .record_head(forge, repo, number, head, now)
        .await?;
    Ok(app.store.heads(forge, repo, number).await?)
}
