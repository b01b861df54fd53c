//! Showing answers on the forge: the least permissive answer of a head's pull requests,
//! posted unless the forge already shows exactly it; answers posted again when someone
//! else sets a status or check under the bot's name; the fail-closed error status.

use super::own_approval;
use super::publish::details_url;
use super::verdict::{GateOutcome, clip};
use super::{HandlerError, Result};
use crate::app::App;
use crate::event::{AnswerSetter, ForgeKind, Repo};
use crate::forge::{Forge, Status, StatusState};
use crate::store::answers::{ChangeAnswer, DueRecheck, Shown};

/// Rounds of "show, then check nobody changed the head's answers meanwhile" before the
/// delivery is retried instead.
const MAX_ROUNDS: usize = 5;

/// Shows on `revision` the least permissive answer of the pull requests whose head it
/// is; returns the state shown (`None`: no pull request on it has an answer). Answers
/// written meanwhile by another worker are caught by reading them again after posting.
pub(super) async fn show_head(
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
        let Some(status) = head_status(app, forge.kind(), revision, &answers) else {
            return Ok(None);
        };
        // The bot's own approval is taken back before anything but success is posted
        // (posting may fail; the approval must not outlive the answer that allowed it)
        // and given only after a success is shown. Before the answers are read again:
        // an answer another worker changed meanwhile (after this one's approval) sends
        // this one round again, to take it back.
        // A withdrawal that fails never keeps the answer from being shown: its error is
        // returned (and the work retried) only once the answer is posted.
        let withdrawn = if status.state == StatusState::Success {
            Ok(())
        } else {
            own_approval::follow_head(forge, repo, revision, status.state, &answers).await
        };
        show(app, forge, repo, &status).await?;
        withdrawn?;
        if status.state == StatusState::Success {
            own_approval::follow_head(forge, repo, revision, status.state, &answers).await?;
        }
        let again = app
            .store
            .change_answers_on(forge_name, repo, revision)
            .await?;
        if head_status(app, forge.kind(), revision, &again).as_ref() == Some(&status) {
            return Ok(Some(status.state));
        }
    }
    Err(HandlerError::Contended(format!(
        "the answers on {revision} kept changing"
    )))
}

/// Before a pull request that is new to `revision` (opened, pushed, reopened), was edited
/// (retargeted) or relabelled is evaluated: when the head shows a permissive answer of
/// another pull request (or, after an edit or a label, this one's, perhaps for its old
/// base or labels), this one's answer becomes "pending" at once, so the head is not
/// green for it while its evaluation reads the forge. Its own answer on a head it was
/// just pushed to came from an evaluation that already read that head and base: it
/// holds. The bot's own approval of it (where configured) is taken back in every case
/// until the evaluation gives it.
pub async fn hold_while_evaluating(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    (number, revision): (u64, &str),
    edited: bool,
) -> Result<()> {
    // An approval given for the head before must not stand while this one is evaluated
    // (on a project that keeps approvals on a push); the evaluation gives it again. A
    // withdrawal that fails is reported after the hold is shown, never instead of it.
    let withdrawn = own_approval::withdraw(forge, repo, number).await;
    hold(app, forge, repo, (number, revision), edited).await?;
    withdrawn
}

/// Shows "pending" for change `number` on `revision` when the head is green for another
/// change (or, after an edit or a label, for this one).
async fn hold(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    (number, revision): (u64, &str),
    edited: bool,
) -> Result<()> {
    let forge_name = forge.kind().as_str();
    let answers = app
        .store
        .change_answers_on(forge_name, repo, revision)
        .await?;
    let green = answers
        .iter()
        .filter(|a| edited || a.number != number)
        .any(|a| a.outcome.allows());
    if !green {
        // This one's answer may already be a hold the forge does not show: the poller's
        // for an answer time took back (`hold_due`), whose post failed or is still under
        // way. It is shown before the forge is read: a read that finds the rate limit
        // spent stops every call until the reset, and the green would stand meanwhile.
        if edited {
            show_head(app, forge, repo, revision).await?;
        }
        return Ok(());
    }
    let pending = pending_answer(number, revision);
    if let Some(old) = app
        .store
        .put_change_answer(
            forge_name,
            repo,
            forge.tenant(),
            &pending,
            crate::store::now_ms(),
        )
        .await?
    {
        show_head(app, forge, repo, &old).await?;
    }
    show_head(app, forge, repo, revision).await?;
    Ok(())
}

/// The provisional answer of a pull request being evaluated: no details page, no instant.
fn pending_answer(number: u64, revision: &str) -> ChangeAnswer {
    ChangeAnswer {
        number,
        revision: revision.to_owned(),
        outcome: GateOutcome::Pending,
        summary: "Evaluating this pull request".to_owned(),
        markdown: "**pending**: signoff is evaluating this pull request.\n".to_owned(),
        audit_id: 0,
        recheck_at: None,
    }
}

/// A green time may have taken back (`worker::due`), held pending as soon as it is due:
/// the evaluation queued for it waits behind the pull request's earlier deliveries (one
/// waiting minutes to be retried), and the green must not stand meanwhile. Held only
/// while the answer is still the due write (an evaluation that answered meanwhile
/// stands); the bot's own approval is taken back as for any hold.
pub async fn hold_due(app: &App, forge: &dyn Forge, due: &DueRecheck) -> Result<()> {
    let pending = pending_answer(due.number, "");
    let Some(revision) = app
        .store
        .hold_due_answer(due, &pending, crate::store::now_ms())
        .await?
    else {
        return Ok(());
    };
    let withdrawn = own_approval::withdraw(forge, &due.repo, due.number).await;
    show_head(app, forge, &due.repo, &revision).await?;
    withdrawn
}

/// The status a head shows: the least permissive answer among its pull requests (the
/// lowest number on a tie), naming the others when there are several.
pub fn head_status(
    app: &App,
    forge: ForgeKind,
    revision: &str,
    answers: &[ChangeAnswer],
) -> Option<Status> {
    let decider = answers.iter().min_by_key(|a| (a.outcome, a.number))?;
    let (description, markdown) = if answers.len() == 1 {
        (decider.summary.clone(), decider.markdown.clone())
    } else {
        let changes = forge.changes_title();
        let mut markdown = format!(
            "{changes} with this head: {}. The least permissive answer is shown: {}'s.\n\n{}\n### Other {} with this head\n\n",
            answers
                .iter()
                .map(|a| forge.change_ref(a.number))
                .collect::<Vec<_>>()
                .join(", "),
            forge.change_ref(decider.number),
            decider.markdown,
            changes.to_lowercase(),
        );
        for other in answers.iter().filter(|a| a.number != decider.number) {
            markdown.push_str(&format!(
                "- {}: **{}** — {} ([details]({}))\n",
                forge.change_ref(other.number),
                other.outcome.as_str(),
                other.summary,
                details_url(app, other.audit_id)
            ));
        }
        (
            format!("{}: {}", forge.change_ref(decider.number), decider.summary),
            markdown,
        )
    };
    Some(Status {
        sha: revision.to_owned(),
        context: app.config.status_context.clone(),
        state: decider.outcome.status(),
        description: clip(&description),
        // A provisional answer (audit id 0) has no details page yet.
        target_url: (decider.audit_id > 0).then(|| details_url(app, decider.audit_id)),
        markdown,
    })
}

/// Shows `status` unless the bot already posted it, the forge confirmed it, and the
/// forge still shows exactly it.
pub(super) async fn show(app: &App, forge: &dyn Forge, repo: &Repo, status: &Status) -> Result<()> {
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
        .want_shown(
            forge_name,
            repo,
            status,
            forge.tenant(),
            crate::store::now_ms(),
        )
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
            match head_status(app, forge.kind(), revision, &answers) {
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
