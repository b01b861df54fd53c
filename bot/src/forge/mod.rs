//! The forge seam: the few things the gates need from GitHub (and later GitLab). Each
//! method is one question or one action; the adapters own pagination, caching, auth
//! and rate limits. Pure code turns the answers into the core's inputs.

pub mod cache;
pub mod commands;
pub mod policy_check;

use crate::event::{ForgeKind, GateRequest, Repo};
use async_trait::async_trait;
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};

/// A pull request (GitLab: merge request) as the forge says it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub number: u64,
    pub head_sha: String,
    pub head_ref: String,
    pub base_ref: String,
    pub author: String,
    pub labels: Vec<String>,
    pub open: bool,
}

/// Something a person did that may be a grant: a review, a comment, a deployment review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub author: String,
    /// When it was written (never its last edit: an edit does not move a comment to a
    /// later head).
    pub at: Timestamp,
    /// Text that may hold comment commands.
    pub body: String,
    pub kind: ActivityKind,
    /// The forge's id for asking who last edited `body` (`Forge::edits`).
    pub node: Option<String>,
}

/// The last edit of a comment or review body, from the forge's edit history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// `None` when the editor's account no longer exists.
    pub editor: Option<String>,
    pub at: Timestamp,
}

/// A deployment as the forge records it, re-read for every evaluation rather than
/// taken from the webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentFacts {
    pub sha: String,
    pub git_ref: String,
    /// The person who triggered the run (not the automation that created the
    /// deployment).
    pub requester: String,
    /// Changes (pull requests) the run belongs to.
    pub pulls: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityKind {
    /// A review of `commit` (GitLab: an approval of the head).
    Review {
        state: ReviewState,
        commit: Option<String>,
    },
    Comment {
        id: u64,
    },
    /// An environment review of a deployment.
    DeploymentReview {
        approved: bool,
        environments: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Dismissed,
    Commented,
}

/// Who may approve in a repository: people with write access, and the members of the
/// groups (teams) a policy names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct People {
    pub writers: BTreeSet<String>,
    pub groups: BTreeMap<String, Vec<String>>,
    /// Groups whose membership only their members may see (GitHub: secret teams): what
    /// everyone can read names the group, never its members.
    pub secret: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusState {
    Success,
    Pending,
    Failure,
}

impl StatusState {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusState::Success => "success",
            StatusState::Pending => "pending",
            StatusState::Failure => "failure",
        }
    }

    /// Reads what `as_str` wrote; GitHub's `error` counts as a failure.
    pub fn parse(text: &str) -> Option<StatusState> {
        match text {
            "success" => Some(StatusState::Success),
            "pending" => Some(StatusState::Pending),
            "failure" | "error" => Some(StatusState::Failure),
            _ => None,
        }
    }
}

/// A gate shown on a revision: a commit status, and where the forge has them a check
/// run with the explanation in Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub sha: String,
    pub context: String,
    pub state: StatusState,
    /// One line, at most 140 characters.
    pub description: String,
    pub target_url: Option<String>,
    pub markdown: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateAnswer {
    Approve,
    Reject,
    /// Explain, and keep the deployment waiting.
    Report,
}

/// The bot's own approval of a change, where a forge rule can require it before merging
/// (GitLab's approval rule naming the bot user): given only for the head whose answer is
/// success, taken back for anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnApproval<'a> {
    /// Approve the change at this head (and only while it is its head).
    Give { head: &'a str },
    /// Take the bot's approval back, if it gave one.
    Withdraw,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeError {
    /// Worth retrying: a 5xx, a timeout, a refused connection.
    #[error("forge unavailable: {0}")]
    Transient(String),
    /// Wait until the given time (Unix milliseconds) before calling again.
    #[error("rate limited until {until_ms}: {message}")]
    RateLimited { until_ms: i64, message: String },
    /// Retrying will not help: a 4xx other than rate limiting.
    #[error("forge refused: {0}")]
    Fatal(String),
}

pub type Result<T> = std::result::Result<T, ForgeError>;

#[async_trait]
pub trait Forge: Send + Sync {
    fn kind(&self) -> ForgeKind;
    /// Where the policy file lives in a repository.
    fn policy_path(&self) -> &'static str;
    /// A browser link to a file at a ref.
    fn file_url(&self, repo: &Repo, git_ref: &str, path: &str) -> String;
    /// The policy file at a ref; `None` when the file does not exist there.
    async fn policy_file(&self, repo: &Repo, git_ref: &str) -> Result<Option<String>>;
    async fn change(&self, repo: &Repo, number: u64) -> Result<Change>;
    /// Paths the change touches at `head` (renames: both names), relative to the root.
    async fn change_paths(&self, repo: &Repo, number: u64, head: &str) -> Result<Vec<String>>;
    /// Authors and committers of the change's commits at `head`, other than the forge.
    async fn change_contributors(
        &self,
        repo: &Repo,
        number: u64,
        head: &str,
    ) -> Result<Vec<String>>;
    /// Reviews and comments on a change, oldest first.
    async fn change_activity(&self, repo: &Repo, number: u64) -> Result<Vec<Activity>>;
    /// When `head` became the change's head, given the time a delivery `said` (comments
    /// written after it bind to `head`). A forge that records when each head appeared
    /// never lets a delivery date it earlier; the default takes the delivery's word.
    async fn head_since(
        &self,
        _repo: &Repo,
        _number: u64,
        _head: &str,
        said: jiff::Timestamp,
    ) -> Result<jiff::Timestamp> {
        Ok(said)
    }
    /// The open changes whose head is `sha`. Asked when a pipeline runs on a head the bot
    /// has no answer for, on a forge whose merge gate holds only what the bot posted
    /// (GitLab's "Pipelines must succeed" sees no job the bot never posted). The
    /// default, none, suits a forge that requires the bot's check by name (GitHub).
    async fn open_changes_on(&self, _repo: &Repo, _sha: &str) -> Result<Vec<u64>> {
        Ok(Vec::new())
    }
    /// Environment reviews of a waiting deployment.
    async fn deployment_activity(&self, repo: &Repo, gate: &GateRequest) -> Result<Vec<Activity>>;
    /// The deployment of a waiting gate: revision, ref, requester, associated changes.
    async fn deployment(&self, repo: &Repo, gate: &GateRequest) -> Result<DeploymentFacts>;
    /// Authors and committers of the commits a deployment of `sha` ships: those since
    /// the environment's last successful deployment among `approved` (the deployments
    /// the bot itself approved; all reachable commits if none).
    async fn deployment_contributors(
        &self,
        repo: &Repo,
        gate: &GateRequest,
        sha: &str,
        approved: &BTreeSet<u64>,
    ) -> Result<Vec<String>>;
    /// Deployments to these environments (none named: to any) waiting for approval, as
    /// gates to open, their policy read from `default_branch` (`None`: the
    /// repository's). Only for forges that do not announce every waiting deployment
    /// (GitLab); GitHub asks through its protection rule and answers none here.
    async fn waiting_gates(
        &self,
        repo: &Repo,
        environments: &[String],
        default_branch: Option<&str>,
    ) -> Result<Vec<GateRequest>>;
    /// Names of the repository's deployment environments.
    async fn environments(&self, repo: &Repo) -> Result<Vec<String>>;
    /// The last edit of each of these comments or review bodies (`Activity::node`) that
    /// was ever edited.
    async fn edits(&self, nodes: &[String]) -> Result<BTreeMap<String, Edit>>;
    /// Which comments' edit history the gate must ask (see [`EditsToCheck`]).
    fn edits_to_check(&self) -> EditsToCheck {
        EditsToCheck::HoldingCommands
    }
    /// Writers of the repository and members of the named groups the forge knows.
    async fn people(&self, repo: &Repo, groups: &[&str]) -> Result<People>;
    /// Shows `status` on its revision: a commit status, and where the forge has them a
    /// check run, updating `check_run` (the one shown before on that revision) rather than
    /// adding another. Returns the check run now showing it.
    async fn set_status(
        &self,
        repo: &Repo,
        status: &Status,
        check_run: Option<u64>,
    ) -> Result<Option<u64>>;
    /// Does the forge show exactly `status` now: the latest status of its context on its
    /// revision (and the bot's check run `check_run`)?
    async fn shows(&self, repo: &Repo, status: &Status, check_run: Option<u64>) -> Result<bool>;
    async fn answer_gate(
        &self,
        repo: &Repo,
        gate: &GateRequest,
        answer: GateAnswer,
        comment: &str,
    ) -> Result<()>;
    /// Gives or takes back the bot's own approval of a change, for forges configured to
    /// gate merging on it; others do nothing. Called with the state its head shows.
    async fn set_own_approval(
        &self,
        repo: &Repo,
        number: u64,
        approval: OwnApproval<'_>,
    ) -> Result<()> {
        let _ = (repo, number, approval);
        Ok(())
    }
    /// Does this forge show the `signoff/policy` check? A forge that does not is spared
    /// working it out at all.
    fn shows_policy_checks(&self) -> bool {
        false
    }
    /// Shows the informational `signoff/policy` check of a change that edits the policy
    /// file. Forges without a place for it show nothing.
    async fn show_policy_check(
        &self,
        repo: &Repo,
        check: &policy_check::PolicyCheck,
    ) -> Result<()> {
        tracing::debug!(repo = %repo, forge = self.kind().as_str(), context = check.context, "this forge does not show the policy check yet");
        Ok(())
    }
    /// The tenant this handle acts for (GitHub: the App installation), opaque to the
    /// bot: stored with answers so a later post acts for the same tenant.
    fn tenant(&self) -> Option<u64>;
    /// API requests made through this handle so far.
    fn api_calls(&self) -> u32;
}

/// Which comments a forge's gate asks the edit history of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditsToCheck {
    /// Those holding a command now: the forge's edit and delete events say what a
    /// comment said before (GitHub's `changes.body.from`), so a command someone else
    /// took out is recorded as tampering from the event.
    HoldingCommands,
    /// Every comment with a `node` (one that may have been edited): the forge's events
    /// never say what a comment said before (GitLab's Note Hook), so a command someone
    /// else edited out can only be seen as "edited by someone else".
    Every,
}
