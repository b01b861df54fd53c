//! The bot's own events: what a webhook delivery asks the bot to do, independent of the
//! forge's payload shapes. Stored in the queue as JSON.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A repository's path: `owner/name` on GitHub, `group/sub/project` on GitLab (nested
/// groups). `owner` is the namespace: every segment but the last.
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

    /// Parses `owner/name` or `group/sub/project`: the name is the last segment, the
    /// namespace all before it. Empty segments are refused.
    pub fn parse(full: &str) -> Option<Repo> {
        let (owner, name) = full.rsplit_once('/')?;
        (!name.is_empty() && owner.split('/').all(|s| !s.is_empty()))
            .then(|| Repo::new(owner, name))
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

    /// How the forge's people write change `number`: a GitHub pull request `#N`, a
    /// GitLab merge request `!N` (GitLab's `#N` is an issue).
    pub fn change_ref(self, number: u64) -> String {
        match self {
            ForgeKind::GitHub => format!("#{number}"),
            ForgeKind::GitLab => format!("!{number}"),
        }
    }

    /// What the forge calls its changes, plural and capitalised.
    pub fn changes_title(self) -> &'static str {
        match self {
            ForgeKind::GitHub => "Pull requests",
            ForgeKind::GitLab => "Merge requests",
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
    /// Deployments to these environments may be waiting for approval without the forge
    /// having said so (GitLab: a pipeline reached a deployment job): look for them and
    /// open a gate for each.
    FindWaiting {
        repo: Repo,
        tenant: Option<u64>,
        /// Empty: every environment.
        environments: Vec<String>,
        /// The policy of the gates found is read from here; `None`: the repository's
        /// default branch, asked of the forge.
        default_branch: Option<String>,
        /// A revision whose statuses changed (GitLab: its pipeline did), maybe under
        /// the bot's name by someone else: the bot's answer on it is shown again
        /// unless the forge still shows it.
        #[serde(default)]
        revision: Option<String>,
    },
    /// Someone reviewed a waiting deployment (or a timer asks again): re-evaluate the
    /// gates of `gate_id` (GitHub: the workflow run; GitLab: the deployment).
    DeploymentReview {
        repo: Repo,
        #[serde(alias = "installation")]
        tenant: Option<u64>,
        #[serde(alias = "run_id")]
        gate_id: u64,
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
    /// What the forge waits on, in its own terms: GitHub's workflow run, GitLab's
    /// deployment. (Rows queued before the rename say `run_id`.)
    #[serde(alias = "run_id")]
    pub gate_id: u64,
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
            Event::DeploymentGate { repo, gate, .. } => format!("{repo}@run{}", gate.gate_id),
            Event::DeploymentReview { repo, gate_id, .. } => format!("{repo}@run{gate_id}"),
            Event::FindWaiting { repo, .. } => format!("{repo}@waiting"),
            Event::AnswerSet { repo, sha, .. } | Event::Reassert { repo, sha, .. } => {
                format!("{repo}@{sha}")
            }
            Event::Tenant { tenant, .. } => {
                format!("tenant/{}", tenant.unwrap_or(0))
            }
        }
    }

    /// The work key with the forge in front (`gitlab:group/project#3`): the same path on
    /// two forges names two repositories.
    pub fn work_key_on(&self, forge: &str) -> String {
        format!("{forge}:{}", self.work_key())
    }

    /// A stored work key without its forge (`gitlab:g/p#3` → `g/p#3`); keys stored
    /// before the forge was added come back as they are.
    pub fn key_without_forge(key: &str) -> &str {
        match key.split_once(':') {
            Some((forge, rest)) if ForgeKind::from_name(forge).is_some() => rest,
            _ => key,
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
            Event::FindWaiting { .. } => "find_waiting",
            Event::AnswerSet { .. } => "answer_set",
            Event::Reassert { .. } => "reassert",
            Event::Tenant { .. } => "tenant",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_groups_keep_the_namespace_whole() {
        let repo = Repo::parse("group/sub/project").unwrap();
        assert_eq!(
            (repo.owner.as_str(), repo.name.as_str()),
            ("group/sub", "project")
        );
        assert_eq!(repo.to_string(), "group/sub/project");
        let repo = Repo::parse("octo/app").unwrap();
        assert_eq!((repo.owner.as_str(), repo.name.as_str()), ("octo", "app"));
        for bad in ["app", "/app", "octo/", "a//b", ""] {
            assert_eq!(Repo::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn rows_queued_before_the_gate_id_rename_still_decode() {
        let old = r#"{"type":"deployment_gate","repo":{"owner":"o","name":"r"},"installation":7,
            "gate":{"run_id":42,"environment":"production","callback":"/c","sha":"abc",
            "git_ref":"main","requester":"alice","pulls":[],"default_branch":"main"}}"#;
        let Event::DeploymentGate { gate, tenant, .. } = serde_json::from_str(old).unwrap() else {
            panic!("not a deployment gate");
        };
        assert_eq!((gate.gate_id, tenant), (42, Some(7)));
        let old = r#"{"type":"deployment_review","repo":{"owner":"o","name":"r"},"installation":null,"run_id":9}"#;
        let event: Event = serde_json::from_str(old).unwrap();
        assert!(matches!(event, Event::DeploymentReview { gate_id: 9, .. }));
    }

    #[test]
    fn work_keys_name_the_forge() {
        let event = Event::Change {
            repo: Repo::new("g/sub", "p"),
            tenant: None,
            number: 3,
            action: "open".to_owned(),
            head: None,
        };
        assert_eq!(event.work_key_on("gitlab"), "gitlab:g/sub/p#3");
        assert_ne!(event.work_key_on("gitlab"), event.work_key_on("github"));
    }
}
