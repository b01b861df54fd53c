//! The bot's own events: what a webhook delivery asks the bot to do, independent of the
//! forge's payload shapes. Stored in the queue as JSON.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `owner/name` of a repository (GitLab: the project path).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Repo {
    pub owner: String,
    pub name: String,
}

impl Repo {
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> Repo {
        Repo {
            owner: owner.into(),
            name: name.into(),
        }
    }

    /// Parses `owner/name`.
    pub fn parse(full: &str) -> Option<Repo> {
        let (owner, name) = full.split_once('/')?;
        (!owner.is_empty() && !name.is_empty()).then(|| Repo::new(owner, name))
    }
}

impl fmt::Display for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// Where a delivery came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForgeKind {
    GitHub,
    GitLab,
}

impl ForgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ForgeKind::GitHub => "github",
            ForgeKind::GitLab => "gitlab",
        }
    }

    /// Reads what `as_str` wrote (the queue's `forge` column).
    pub fn from_name(name: &str) -> Option<ForgeKind> {
        match name {
            "github" => Some(ForgeKind::GitHub),
            "gitlab" => Some(ForgeKind::GitLab),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A change (pull request) was opened, pushed to, edited, labelled…: re-evaluate it.
    /// `head` records a push: the new head and when it was seen.
    Change {
        repo: Repo,
        #[serde(alias = "installation")]
        tenant: Option<u64>,
        number: u64,
        action: String,
        head: Option<Head>,
    },
    /// A review was submitted, edited or dismissed.
    Review {
        repo: Repo,
        #[serde(alias = "installation")]
        tenant: Option<u64>,
        number: u64,
        /// The body of a review that only comments: it matters only when it holds a
        /// command. `None` for approvals, change requests and dismissals.
        #[serde(default)]
        commented: Option<String>,
        /// An edit of such a review's body: who edited it and what it said before. A
        /// command taken out by someone else leaves nothing in the edit history to
        /// check, so the edit itself is looked at (as for comments).
        #[serde(default)]
        edit: Option<CommentEvent>,
    },
    /// A comment on a change was written, edited or deleted.
    Comment {
        repo: Repo,
        #[serde(alias = "installation")]
        tenant: Option<u64>,
        number: u64,
        comment: CommentEvent,
    },
    /// A deployment waits for the bot's protection rule.
    DeploymentGate {
        repo: Repo,
        #[serde(alias = "installation")]
        tenant: Option<u64>,
        gate: GateRequest,
    },
    /// Someone reviewed a deployment of a workflow run.
    DeploymentReview {
        repo: Repo,
        #[serde(alias = "installation")]
        tenant: Option<u64>,
        run_id: u64,
    },
    /// Someone (maybe the bot itself) set a commit status or check run under one of the
    /// bot's names (`signoff`, `signoff/<environment>`) on a revision.
    AnswerSet {
        repo: Repo,
        #[serde(alias = "installation")]
        tenant: Option<u64>,
        sha: String,
        context: String,
        setter: AnswerSetter,
    },
    /// An answer the forge never confirmed (every attempt to post it failed): show it
    /// unless the forge shows it by now.
    Reassert {
        repo: Repo,
        #[serde(alias = "installation")]
        tenant: Option<u64>,
        sha: String,
        context: String,
    },
    /// The tenant the bot acts for (GitHub: the App installation) was added, removed
    /// or changed.
    #[serde(alias = "installation")]
    Tenant {
        #[serde(alias = "installation")]
        tenant: Option<u64>,
        action: String,
    },
}

/// What was set under the bot's name, as the event tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnswerSetter {
    Status {
        state: String,
        description: Option<String>,
        target_url: Option<String>,
    },
    /// A check run, by the App that made it.
    CheckRun { app_id: Option<u64> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub sha: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentEvent {
    pub id: u64,
    pub action: CommentAction,
    /// Who wrote the comment.
    pub author: String,
    /// Who acted (edited or deleted it).
    pub sender: String,
    pub body: String,
    /// The body before an edit.
    pub previous: Option<String>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentAction {
    Created,
    Edited,
    Deleted,
}

impl CommentAction {
    pub fn as_str(self) -> &'static str {
        match self {
            CommentAction::Created => "created",
            CommentAction::Edited => "edited",
            CommentAction::Deleted => "deleted",
        }
    }
}

/// A deployment waiting for the bot's answer, as stored with the gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateRequest {
    pub run_id: u64,
    /// The deployment the run waits on: the gate re-reads it from the forge, a replay of
    /// the same request names the same one, a re-run of the job a new one.
    #[serde(default)]
    pub deployment_id: Option<u64>,
    pub environment: String,
    /// Where to answer, as a path on the API (`/repos/o/r/actions/runs/1/deployment_protection_rule`).
    pub callback: String,
    pub sha: String,
    pub git_ref: String,
    pub requester: String,
    /// Pull requests associated with the run, whose `/approve <environment>` comments count.
    pub pulls: Vec<u64>,
    /// The policy is read from here.
    pub default_branch: String,
}

impl Event {
    /// Deliveries with the same key are processed one at a time, in arrival order, so a
    /// status from an older evaluation never lands after a newer one.
    pub fn work_key(&self) -> String {
        match self {
            Event::Change { repo, number, .. }
            | Event::Review { repo, number, .. }
            | Event::Comment { repo, number, .. } => {
                format!("{repo}#{number}")
            }
            Event::DeploymentGate { repo, gate, .. } => format!("{repo}@run{}", gate.run_id),
            Event::DeploymentReview { repo, run_id, .. } => format!("{repo}@run{run_id}"),
            Event::AnswerSet { repo, sha, .. } | Event::Reassert { repo, sha, .. } => {
                format!("{repo}@{sha}")
            }
            Event::Tenant { tenant, .. } => {
                format!("tenant/{}", tenant.unwrap_or(0))
            }
        }
    }

    /// Is this event about the bot's answers named `context` (`signoff`)? Statuses and
    /// checks of other names are none of its business.
    pub fn concerns(&self, context: &str) -> bool {
        match self {
            Event::AnswerSet { context: set, .. } => {
                set == context
                    || set
                        .strip_prefix(context)
                        .is_some_and(|rest| rest.starts_with('/'))
            }
            _ => true,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Event::Change { .. } => "change",
            Event::Review { .. } => "review",
            Event::Comment { .. } => "comment",
            Event::DeploymentGate { .. } => "deployment_gate",
            Event::DeploymentReview { .. } => "deployment_review",
            Event::AnswerSet { .. } => "answer_set",
            Event::Reassert { .. } => "reassert",
            Event::Tenant { .. } => "tenant",
        }
    }
}
