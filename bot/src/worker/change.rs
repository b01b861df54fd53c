//! The events of one change (pull request): opened or pushed to, reviewed, commented.
//! Deliveries of one change that queued up are handled as one batch: every fact only a
//! delivery carries is recorded first, in arrival order (a push's head and time; a
//! command comment edited or deleted by someone else, checked inside the evaluation),
//! then the change is evaluated once against what the forge shows now. Reviews,
//! dismissals and revoking comments need no fact of their own: the evaluation re-reads
//! them, so a batch never loses one.

use super::dispatch::gates_of_pull;
use crate::app::App;
use crate::event::{CommentAction, CommentEvent, Event, Repo};
use crate::forge::{Forge, commands};
use crate::gate::pull_request::{self, Suspect};
use crate::gate::{HandlerError, Result, show};

/// The events (their queue names, [`Event::name`]) handled in one batch with the other
/// queued events of their change.
pub const COALESCING: [&str; 3] = ["change", "review", "comment"];

/// The actions (neutral names; GitHub's) that change what decides a pull request without
/// a push: a retarget (its base: policy and files) or a label (a binding's `labels` may
/// pick a stricter policy). Its head is held like a new head's while they are read.
const INPUTS_CHANGED: [&str; 3] = ["edited", "labeled", "unlabeled"];

/// What one delivery of a change asks for.
#[derive(Default)]
struct Asks<'a> {
    /// Re-evaluate the change's gate.
    evaluate: bool,
    /// Re-evaluate the deployment gates of runs tied to the change (commands on it).
    deployments: bool,
    suspect: Option<&'a CommentEvent>,
}

/// Handles the events of one change (`events` in arrival order, all of the same change).
pub async fn handle(app: &App, forge: &dyn Forge, events: &[&Event]) -> Result<()> {
    let Some((repo, number)) = events.first().and_then(|e| change_of(e)) else {
        return Err(HandlerError::Other("not a change's event".to_owned()));
    };
    if events.iter().any(|e| change_of(e) != Some((repo, number))) {
        return Err(HandlerError::Other(
            "a batch mixes the events of two changes".to_owned(),
        ));
    }
    // An answer time took back is held before anything in the batch reads the forge (an
    // edit's or a label's pull request, a push's time): a read that finds the rate limit
    // spent stops every call until the reset, and the green would stand meanwhile. Held
    // on the head it was given for, from the store.
    if events.iter().any(|e| is_recheck(e)) {
        let held = app
            .store
            .change_revision(forge.kind().as_str(), repo, number)
            .await?;
        if let Some(revision) = held {
            show::hold_while_evaluating(app, forge, repo, (number, &revision), true).await?;
        }
    }
    let mut evaluate = false;
    let mut deployments = false;
    let mut suspects = Vec::new();
    for event in events {
        if let Event::Change { head, action, .. } = event {
            // A head new to this pull request, a new base or new labels: no green shown
            // for it while it is evaluated (the event's head, else the pull request's).
            // (An answer time took back was held above.)
            let held = match head {
                Some(head) => Some(head.sha.clone()),
                None if INPUTS_CHANGED.contains(&action.as_str()) => {
                    Some(forge.change(repo, number).await?.head_sha)
                }
                None => None,
            };
            if let Some(revision) = held {
                let edited = head.is_none();
                show::hold_while_evaluating(app, forge, repo, (number, &revision), edited).await?;
            }
        }
        if let Event::Change {
            head: Some(head), ..
        } = event
        {
            let since = forge.head_since(repo, number, &head.sha, head.at).await?;
            app.store
                .record_head(
                    forge.kind(),
                    repo,
                    number,
                    &head.sha,
                    since.as_millisecond(),
                )
                .await?;
        }
        let asks = asks(app, repo, event);
        evaluate |= asks.evaluate;
        deployments |= asks.deployments;
        suspects.extend(asks.suspect.map(Suspect));
    }
    if !evaluate {
        return Ok(());
    }
    pull_request::evaluate(app, forge, repo, number, &suspects).await?;
    if deployments {
        gates_of_pull(app, forge, repo, number).await?;
    }
    Ok(())
}

/// Is this the evaluation queued when an answer's time came (`worker::due`)?
fn is_recheck(event: &Event) -> bool {
    matches!(event, Event::Change { head: None, action, .. } if action == super::due::ACTION)
}

fn change_of(event: &Event) -> Option<(&Repo, u64)> {
    match event {
        Event::Change { repo, number, .. }
        | Event::Review { repo, number, .. }
        | Event::Comment { repo, number, .. } => Some((repo, *number)),
        _ => None,
    }
}

fn asks<'a>(app: &App, repo: &Repo, event: &'a Event) -> Asks<'a> {
    match event {
        Event::Change { .. } => Asks {
            evaluate: true,
            ..Asks::default()
        },
        Event::Review {
            commented, edit, ..
        } => {
            // Skipped only when the policy's command words are known and none is used,
            // now or (for an edit) before.
            if let (Some(body), Some(known)) = (commented, app.known_commands(&repo.to_string())) {
                let before = edit
                    .as_ref()
                    .and_then(|e| e.previous.as_deref())
                    .is_some_and(|p| commands::mentions(p, &known));
                if !commands::mentions(body, &known) && !before {
                    return Asks::default();
                }
            }
            Asks {
                evaluate: true,
                deployments: true,
                suspect: edit.as_ref(),
            }
        }
        Event::Comment { comment, .. } => {
            // Unknown command words (a restart, a new repository): evaluate, never skip.
            let relevant = match app.known_commands(&repo.to_string()) {
                None => true,
                Some(known) => {
                    commands::mentions(&comment.body, &known)
                        || comment
                            .previous
                            .as_deref()
                            .is_some_and(|p| commands::mentions(p, &known))
                        || (comment.action == CommentAction::Deleted
                            && comment.sender != comment.author)
                }
            };
            if !relevant {
                return Asks::default();
            }
            Asks {
                evaluate: true,
                deployments: true,
                suspect: Some(comment),
            }
        }
        _ => Asks::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::COALESCING;
    use crate::event::{Event, Repo};

    #[test]
    fn the_coalescing_names_are_the_queue_names_of_a_change_s_events() {
        let repo = Repo::new("o", "r");
        let change = Event::Change {
            repo: repo.clone(),
            tenant: None,
            number: 1,
            action: "opened".into(),
            head: None,
        };
        let review = Event::Review {
            repo,
            tenant: None,
            number: 1,
            commented: None,
            edit: None,
        };
        assert_eq!(&COALESCING[..2], [change.name(), review.name()]);
        assert_eq!(COALESCING[2], "comment");
    }
}
