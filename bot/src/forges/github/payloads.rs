//! GitHub payloads into the bot's events: small private structs holding only the fields
//! used. Anything not acted on gives `None` and is acknowledged and dropped.

use crate::event::{AnswerSetter, CommentAction, CommentEvent, Event, GateRequest, Head, Repo};
use jiff::Timestamp;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
#[error("malformed {event} payload: {source}")]
pub struct ParseError {
    event: String,
    source: serde_json::Error,
}

/// Maps a verified delivery (its `X-GitHub-Event` name and body) to an event.
pub fn parse(event: &str, body: &[u8]) -> Result<Option<Event>, ParseError> {
    let decoded = match event {
        "pull_request" => decode(body, pull_request),
        "pull_request_review" => decode(body, review),
        "issue_comment" => decode(body, comment),
        "deployment_protection_rule" => decode(body, gate),
        "deployment_review" => decode(body, deployment_review),
        "status" => decode(body, status),
        "check_run" => decode(body, check_run),
        "installation" => decode(body, |p: InstallationPayload| {
            Some(Event::Tenant {
                tenant: p.installation.map(|i| i.id),
                action: p.action,
            })
        }),
        _ => Ok(None),
    };
    decoded.map_err(|source| ParseError {
        event: event.to_owned(),
        source,
    })
}

/// A payload of type `P`, then the event it means (if any).
fn decode<P: serde::de::DeserializeOwned>(
    body: &[u8],
    to_event: impl FnOnce(P) -> Option<Event>,
) -> serde_json::Result<Option<Event>> {
    serde_json::from_slice(body).map(to_event)
}

#[derive(Deserialize)]
struct RepositoryPayload {
    name: String,
    owner: Login,
    #[serde(default)]
    default_branch: Option<String>,
}

impl RepositoryPayload {
    fn repo(&self) -> Repo {
        Repo::new(&self.owner.login, &self.name)
    }
}

#[derive(Deserialize)]
struct Login {
    login: String,
}

#[derive(Deserialize)]
struct Installation {
    id: u64,
}

#[derive(Deserialize)]
struct PullRequestPayload {
    action: String,
    number: u64,
    pull_request: PullRequest,
    repository: RepositoryPayload,
    installation: Option<Installation>,
}

#[derive(Deserialize)]
struct PullRequest {
    head: Sha,
    updated_at: Timestamp,
}

#[derive(Deserialize)]
struct Sha {
    sha: String,
}

const CHANGE_ACTIONS: &[&str] = &[
    "opened",
    "synchronize",
    "reopened",
    "edited",
    "ready_for_review",
    "labeled",
    "unlabeled",
    "closed",
];

fn pull_request(p: PullRequestPayload) -> Option<Event> {
    if !CHANGE_ACTIONS.contains(&p.action.as_str()) {
        return None;
    }
    let pushed = matches!(p.action.as_str(), "opened" | "synchronize" | "reopened");
    let head = pushed.then_some(Head {
        sha: p.pull_request.head.sha,
        at: p.pull_request.updated_at,
    });
    Some(Event::Change {
        repo: p.repository.repo(),
        tenant: p.installation.map(|i| i.id),
        number: p.number,
        action: p.action,
        head,
    })
}

#[derive(Deserialize)]
struct ReviewPayload {
    action: String,
    pull_request: Number,
    review: ReviewBody,
    #[serde(default)]
    changes: Option<Changes>,
    repository: RepositoryPayload,
    installation: Option<Installation>,
    sender: Login,
}

#[derive(Deserialize)]
struct ReviewBody {
    id: u64,
    user: Login,
    state: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    submitted_at: Option<Timestamp>,
}

#[derive(Deserialize)]
struct Number {
    number: u64,
}

fn review(p: ReviewPayload) -> Option<Event> {
    let commented = p.action != "dismissed" && p.review.state.eq_ignore_ascii_case("commented");
    let body = p.review.body.unwrap_or_default();
    let edit = (commented && p.action == "edited").then(|| CommentEvent {
        id: p.review.id,
        action: CommentAction::Edited,
        author: p.review.user.login,
        sender: p.sender.login,
        body: body.clone(),
        previous: p.changes.and_then(|c| c.body).map(|b| b.from),
        at: p.review.submitted_at.unwrap_or(Timestamp::UNIX_EPOCH),
    });
    matches!(p.action.as_str(), "submitted" | "edited" | "dismissed").then(|| Event::Review {
        repo: p.repository.repo(),
        tenant: p.installation.map(|i| i.id),
        number: p.pull_request.number,
        commented: commented.then_some(body),
        edit,
    })
}

#[derive(Deserialize)]
struct CommentPayload {
    action: String,
    issue: Issue,
    comment: Comment,
    #[serde(default)]
    changes: Option<Changes>,
    repository: RepositoryPayload,
    installation: Option<Installation>,
    sender: Login,
}

#[derive(Deserialize)]
struct Issue {
    number: u64,
    /// Present when the issue is a pull request.
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Comment {
    id: u64,
    user: Login,
    #[serde(default)]
    body: Option<String>,
    updated_at: Timestamp,
}

#[derive(Deserialize)]
struct Changes {
    #[serde(default)]
    body: Option<From>,
}

#[derive(Deserialize)]
struct From {
    from: String,
}

fn comment(p: CommentPayload) -> Option<Event> {
    p.issue.pull_request.as_ref()?;
    let action = match p.action.as_str() {
        "created" => CommentAction::Created,
        "edited" => CommentAction::Edited,
        "deleted" => CommentAction::Deleted,
        _ => return None,
    };
    Some(Event::Comment {
        repo: p.repository.repo(),
        tenant: p.installation.map(|i| i.id),
        number: p.issue.number,
        comment: CommentEvent {
            id: p.comment.id,
            action,
            author: p.comment.user.login,
            sender: p.sender.login,
            body: p.comment.body.unwrap_or_default(),
            previous: p.changes.and_then(|c| c.body).map(|b| b.from),
            at: p.comment.updated_at,
        },
    })
}

#[derive(Deserialize)]
struct GatePayload {
    action: String,
    environment: Option<String>,
    deployment_callback_url: Option<String>,
    deployment: Option<Deployment>,
    #[serde(default)]
    pull_requests: Vec<Number>,
    repository: RepositoryPayload,
    installation: Option<Installation>,
    sender: Login,
}

#[derive(Deserialize)]
struct Deployment {
    #[serde(default)]
    id: Option<u64>,
    sha: String,
    #[serde(rename = "ref")]
    git_ref: String,
    creator: Option<Login>,
}

fn gate(p: GatePayload) -> Option<Event> {
    if p.action != "requested" {
        return None;
    }
    let callback = callback_path(p.deployment_callback_url.as_deref()?)?;
    let run_id = run_id(&callback)?;
    let deployment = p.deployment?;
    let requester = deployment.creator.map_or(p.sender.login, |c| c.login);
    Some(Event::DeploymentGate {
        repo: p.repository.repo(),
        tenant: p.installation.map(|i| i.id),
        gate: GateRequest {
            gate_id: run_id,
            deployment_id: deployment.id,
            environment: p.environment?,
            callback,
            sha: deployment.sha,
            git_ref: deployment.git_ref,
            requester,
            pulls: p.pull_requests.into_iter().map(|n| n.number).collect(),
            default_branch: p
                .repository
                .default_branch
                .unwrap_or_else(|| "main".to_owned()),
        },
    })
}

/// The path of the callback URL, from `/repos/`: the bot answers through its own API
/// base (and its credentials go only there), never to a host named in a payload.
fn callback_path(url: &str) -> Option<String> {
    let start = url.find("/repos/")?;
    let path = url.get(start..)?;
    path.ends_with("/deployment_protection_rule")
        .then(|| path.to_owned())
}

fn run_id(path: &str) -> Option<u64> {
    let rest = path.split("/actions/runs/").nth(1)?;
    rest.split('/').next()?.parse().ok()
}

#[derive(Deserialize)]
struct DeploymentReviewPayload {
    action: String,
    workflow_run: Option<Id>,
    repository: RepositoryPayload,
    installation: Option<Installation>,
}

#[derive(Deserialize)]
struct Id {
    id: u64,
}

fn deployment_review(p: DeploymentReviewPayload) -> Option<Event> {
    if !matches!(p.action.as_str(), "approved" | "rejected") {
        return None;
    }
    Some(Event::DeploymentReview {
        repo: p.repository.repo(),
        tenant: p.installation.map(|i| i.id),
        gate_id: p.workflow_run?.id,
    })
}

#[derive(Deserialize)]
struct StatusPayload {
    sha: String,
    context: String,
    state: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    target_url: Option<String>,
    repository: RepositoryPayload,
    installation: Option<Installation>,
}

fn status(p: StatusPayload) -> Option<Event> {
    Some(Event::AnswerSet {
        repo: p.repository.repo(),
        tenant: p.installation.map(|i| i.id),
        sha: p.sha,
        context: p.context,
        setter: AnswerSetter::Status {
            state: p.state,
            description: p.description,
            target_url: p.target_url,
        },
    })
}

#[derive(Deserialize)]
struct CheckRunPayload {
    action: String,
    check_run: CheckRun,
    repository: RepositoryPayload,
    installation: Option<Installation>,
}

#[derive(Deserialize)]
struct CheckRun {
    name: String,
    head_sha: String,
    #[serde(default)]
    app: Option<Id>,
}

fn check_run(p: CheckRunPayload) -> Option<Event> {
    if !matches!(p.action.as_str(), "created" | "completed") {
        return None;
    }
    Some(Event::AnswerSet {
        repo: p.repository.repo(),
        tenant: p.installation.map(|i| i.id),
        sha: p.check_run.head_sha,
        context: p.check_run.name,
        setter: AnswerSetter::CheckRun {
            app_id: p.check_run.app.map(|a| a.id),
        },
    })
}

#[derive(Deserialize)]
struct InstallationPayload {
    action: String,
    installation: Option<Installation>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_urls_become_paths() {
        let path = callback_path(
            "https://api.github.com/repos/o/r/actions/runs/42/deployment_protection_rule",
        )
        .unwrap();
        assert_eq!(
            path,
            "/repos/o/r/actions/runs/42/deployment_protection_rule"
        );
        assert_eq!(run_id(&path), Some(42));
        assert_eq!(callback_path("https://evil.example/steal"), None);
    }
}
