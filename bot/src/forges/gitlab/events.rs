//! GitLab's events into the bot's own (event.rs). Only what the event says changed is
//! carried; the gate re-reads the state from the REST API.

use super::payloads::{
    DeploymentEvent, DeploymentStatus, GitLabEvent, MergeRequestAction, MergeRequestEvent,
    NoteAction, NoteEvent, ProjectRef,
};
use crate::event::{CommentAction, CommentEvent, Event, GateRequest, Head, Repo};
use jiff::Timestamp;

/// A webhook named a project whose path is not `namespace/name`.
#[derive(Debug, thiserror::Error)]
#[error("project path {0:?} is not `group/…/project`")]
pub struct BadProjectPath(String);

fn repo(project: &ProjectRef) -> Result<Repo, BadProjectPath> {
    Repo::parse(&project.path_with_namespace)
        .ok_or_else(|| BadProjectPath(project.path_with_namespace.clone()))
}

/// The bot's event for a GitLab delivery; `None` when there is nothing to do.
/// `context`: the name of the bot's merge request status (`signoff`).
pub fn to_event(
    event: GitLabEvent,
    now: Timestamp,
    context: &str,
) -> Result<Option<Event>, BadProjectPath> {
    Ok(match event {
        GitLabEvent::MergeRequest(e) => Some(merge_request(e, now)?),
        GitLabEvent::Note(e) => note(e)?,
        GitLabEvent::Deployment(e) => deployment(e)?,
        // A pipeline that reached deployment jobs: GitLab versions that send no
        // Deployment Hook for a `blocked` deployment are covered by looking.
        GitLabEvent::DeploymentJobs(e) => {
            let mut environments: Vec<String> = e.jobs.into_iter().map(|j| j.environment).collect();
            environments.sort();
            environments.dedup();
            Some(Event::FindWaiting {
                repo: repo(&e.project)?,
                tenant: None,
                environments,
                default_branch: e.default_branch,
                revision: Some(e.sha),
            })
        }
        // Anyone who can post commit statuses can post one named `signoff`; the pipeline
        // it joins changes, so the bot's own answer is shown again unless it still is.
        GitLabEvent::PipelineChanged { project, sha } => Some(Event::Reassert {
            repo: repo(&project)?,
            tenant: None,
            sha,
            context: context.to_owned(),
        }),
        GitLabEvent::Ignored(_) => None,
    })
}

fn merge_request(e: MergeRequestEvent, now: Timestamp) -> Result<Event, BadProjectPath> {
    // A push (`update` with `oldrev`), an open or a reopen shows a head: recorded with
    // the time GitLab gives, so notes written before it bind to the older head.
    let shows_head = e.pushed
        || matches!(
            e.action,
            MergeRequestAction::Open | MergeRequestAction::Reopen
        );
    let head = (shows_head && !e.head_sha.is_empty()).then(|| Head {
        sha: e.head_sha.clone(),
        at: e.updated_at.unwrap_or(now),
    });
    Ok(Event::Change {
        repo: repo(&e.project)?,
        tenant: None,
        number: e.iid,
        // A retarget or a label change is the neutral "edited" (GitHub's word for it),
        // so the head is held pending and the bot's own approval taken back before the
        // new base or labels (a stricter binding may match) are read.
        action: if e.retargeted || e.relabeled {
            "edited".to_owned()
        } else {
            e.action.as_str().to_owned()
        },
        head,
    })
}

fn note(e: NoteEvent) -> Result<Option<Event>, BadProjectPath> {
    // System notes ("approved this merge request", "added 1 commit") come with a
    // Merge Request Hook of their own.
    if e.system {
        return Ok(None);
    }
    let repo = repo(&e.project)?;
    Ok(Some(match e.action {
        NoteAction::Create => Event::Comment {
            repo,
            tenant: None,
            number: e.merge_request_iid,
            comment: CommentEvent {
                id: e.note_id,
                action: CommentAction::Created,
                author: e.author.clone(),
                sender: e.author,
                body: e.body,
                previous: None,
                at: e.created_at.unwrap_or_else(Timestamp::now),
            },
        },
        // The hook does not say what the note said before, so whether a command was
        // taken out cannot be told: always re-evaluate (who edited is read from
        // GraphQL at evaluation).
        NoteAction::Update => Event::Change {
            repo,
            tenant: None,
            number: e.merge_request_iid,
            action: "note_updated".to_owned(),
            head: None,
        },
    }))
}

fn deployment(e: DeploymentEvent) -> Result<Option<Event>, BadProjectPath> {
    let repo = repo(&e.project)?;
    Ok(Some(match (e.status, e.default_branch) {
        // GitLab documents `project.default_branch` in every Deployment Hook. Without
        // it the branch whose policy applies is asked of GitLab, never guessed: a
        // Developer may create a branch with the guessed name and its policy file.
        (DeploymentStatus::Blocked, None) => Event::FindWaiting {
            repo,
            tenant: None,
            environments: vec![e.environment],
            default_branch: None,
            revision: None,
        },
        (DeploymentStatus::Blocked, Some(default_branch)) => Event::DeploymentGate {
            repo,
            tenant: None,
            gate: GateRequest {
                gate_id: e.deployment_id,
                deployment_id: Some(e.deployment_id),
                environment: e.environment,
                // Answered through the deployment approval API, not a callback.
                callback: String::new(),
                sha: e.sha.unwrap_or_default(),
                git_ref: String::new(),
                requester: e.user.unwrap_or_default(),
                pulls: Vec::new(),
                default_branch,
            },
        },
        // Any other status: a waiting gate for it (if the bot holds one) is looked at
        // again, so one GitLab settled is not left pending.
        _ => Event::DeploymentReview {
            repo,
            tenant: None,
            gate_id: e.deployment_id,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forges::gitlab::payloads::parse;

    const DEPLOY: &str = include_str!("../../../../tests/fixtures/gitlab/deployment.success.json");

    fn blocked(edit: impl FnOnce(&mut serde_json::Value)) -> Event {
        let mut v: serde_json::Value = serde_json::from_str(DEPLOY).unwrap();
        v["status"] = serde_json::json!("blocked");
        edit(&mut v);
        let event = parse("Deployment Hook", &serde_json::to_vec(&v).unwrap()).unwrap();
        to_event(event, Timestamp::UNIX_EPOCH, "signoff")
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_blocked_deployment_reads_the_policy_of_the_default_branch_the_hook_names() {
        let Event::DeploymentGate { gate, .. } = blocked(|_| {}) else {
            panic!("not a deployment gate");
        };
        assert_eq!(gate.default_branch, "master");
    }

    #[test]
    fn a_hook_without_the_default_branch_asks_gitlab_instead_of_guessing() {
        let event = blocked(|v| {
            v["project"]
                .as_object_mut()
                .unwrap()
                .remove("default_branch");
        });
        let Event::FindWaiting {
            environments,
            default_branch,
            ..
        } = event
        else {
            panic!("expected the blocked deployments to be looked up: {event:?}");
        };
        assert_eq!(environments, ["staging"]);
        assert_eq!(default_branch, None);
    }
}
