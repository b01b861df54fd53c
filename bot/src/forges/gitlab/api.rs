//! GitLab REST v4 shapes: small structs of our own holding only the fields the bot reads
//! or writes (checked against GitLab's REST documentation).

use super::payloads::DeploymentStatus;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserRef {
    pub username: String,
}

/// `GET /projects/:id/merge_requests/:iid`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MergeRequest {
    pub iid: u64,
    /// The head commit.
    pub sha: String,
    pub source_branch: String,
    pub target_branch: String,
    pub author: UserRef,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub draft: bool,
    pub state: MergeRequestState,
    /// A string: `"12"`, or `"1000+"` when GitLab stopped counting.
    pub changes_count: Option<String>,
    pub diff_refs: Option<DiffRefs>,
    pub web_url: Option<String>,
    /// The project the merge request is in (its target).
    #[serde(default)]
    pub project_id: Option<u64>,
    /// The project of its source branch: another one (a fork) for a merge request from
    /// a fork.
    #[serde(default)]
    pub source_project_id: Option<u64>,
    /// The pipeline GitLab's "Pipelines must succeed" judges; null when there is none.
    #[serde(default)]
    pub head_pipeline: Option<Pipeline>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeRequestState {
    Opened,
    Closed,
    Locked,
    Merged,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DiffRefs {
    pub base_sha: Option<String>,
    pub head_sha: Option<String>,
    pub start_sha: Option<String>,
}

/// What `changes_count` says about the number of changed files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangesCount {
    Exactly(u64),
    /// `"1000+"`: GitLab stopped counting, the list cannot be complete.
    AtLeast(u64),
}

impl ChangesCount {
    /// `None` for a value GitLab does not send (treated as unknown by the caller).
    pub fn parse(text: &str) -> Option<ChangesCount> {
        let text = text.trim();
        match text.strip_suffix('+') {
            Some(n) => n.parse().ok().map(ChangesCount::AtLeast),
            None => text.parse().ok().map(ChangesCount::Exactly),
        }
    }
}

/// One entry of `GET /projects/:id/merge_requests/:iid/diffs`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Diff {
    pub old_path: String,
    pub new_path: String,
    #[serde(default)]
    pub new_file: bool,
    #[serde(default)]
    pub renamed_file: bool,
    #[serde(default)]
    pub deleted_file: bool,
}

/// One entry of `GET /projects/:id/merge_requests/:iid/commits`. GitLab gives no username
/// for a commit, only the git author's name and email.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Commit {
    pub id: String,
    pub author_name: String,
    pub author_email: String,
    #[serde(default)]
    pub committer_email: Option<String>,
}

/// `GET /projects/:id/merge_requests/:iid/approvals`: who approves now (no times on Free).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Approvals {
    #[serde(default)]
    pub approved_by: Vec<ApprovedBy>,
}

/// `GET /projects/:id/approvals`: the project's approval settings (Premium). Fields
/// GitLab leaves out read as the unsafe value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApprovalSettings {
    /// "Remove all approvals when commits are added to the source branch".
    #[serde(default)]
    pub reset_approvals_on_push: bool,
    /// "Prevent editing approval rules in merge requests".
    #[serde(default)]
    pub disable_overriding_approvers_per_merge_request: bool,
}

impl ApprovalSettings {
    /// What is off that the bot's approval needs (README, GitLab setup step 4): without
    /// these, an approval outlives a push or the author removes the bot's rule.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if !self.reset_approvals_on_push {
            out.push("Remove all approvals when commits are added to the source branch");
        }
        if !self.disable_overriding_approvers_per_merge_request {
            out.push("Prevent editing approval rules in merge requests");
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApprovedBy {
    pub user: UserRef,
}

/// A merge request note (`GET …/notes`), user comment or system note.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Note {
    pub id: u64,
    pub body: String,
    pub author: UserRef,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default)]
    pub system: bool,
}

impl Note {
    /// GitLab lets only a note's author edit its text, but `updated_at` also moves when a
    /// thread is resolved. The bot cannot tell the two apart, so a command note whose
    /// `updated_at` is after `created_at` is treated as possibly edited (see docs/gitlab.md).
    pub fn maybe_edited(&self) -> bool {
        self.updated_at > self.created_at
    }
}

/// An approval or unapproval with its time, read from the merge request's system notes
/// (every tier writes them, the approvals endpoint gives no times on Free).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalEvent {
    pub username: String,
    pub at: Timestamp,
    pub kind: ApprovalKind,
    pub note_id: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalKind {
    Approved,
    Unapproved,
}

/// The approval system notes, oldest first. Only system notes count: a user comment
/// saying "approved this merge request" is a comment, not an approval.
pub fn approval_events(notes: &[Note]) -> Vec<ApprovalEvent> {
    let mut events: Vec<ApprovalEvent> = notes
        .iter()
        .filter(|n| n.system)
        .filter_map(|n| {
            let kind = match n.body.trim() {
                "approved this merge request" => ApprovalKind::Approved,
                "unapproved this merge request" => ApprovalKind::Unapproved,
                _ => return None,
            };
            Some(ApprovalEvent {
                username: n.author.username.clone(),
                at: n.created_at,
                kind,
                note_id: n.id,
            })
        })
        .collect();
    events.sort_by_key(|e| (e.at, e.note_id));
    events
}

/// An approval GitLab shows now, with the time it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedApproval {
    pub username: String,
    pub at: ApprovalTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalTime {
    /// The system note of the user's latest approval.
    At(Timestamp),
    /// `/approvals` lists the user but no system note says when: the gate must not
    /// bind this approval to any head (fail closed).
    Unknown,
}

/// Who approves now (`/approvals` is authoritative: GitLab drops approvals reset by a
/// push from it) and since when (the latest "approved" system note of each, provided no
/// "unapproved" note follows it).
pub fn approvals_with_times(now: &Approvals, events: &[ApprovalEvent]) -> Vec<TimedApproval> {
    now.approved_by
        .iter()
        .map(|a| {
            let username = &a.user.username;
            let last = events.iter().rev().find(|e| &e.username == username);
            let at = match last {
                Some(e) if e.kind == ApprovalKind::Approved => ApprovalTime::At(e.at),
                _ => ApprovalTime::Unknown,
            };
            TimedApproval {
                username: username.clone(),
                at,
            }
        })
        .collect()
}

/// `GET /projects/:id/members/all`, `GET /groups/:id/members/all`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Member {
    pub username: String,
    pub access_level: u32,
    #[serde(default)]
    pub state: Option<String>,
}

/// GitLab's Developer role: the least access that holds the approver roles.
pub const DEVELOPER_ACCESS: u32 = 30;

/// Usernames of active members with Developer or above. `members/all` may list one user
/// several times (direct, inherited, invited); the highest level counts.
pub fn approvers(members: &[Member]) -> Vec<String> {
    let mut best: BTreeMap<&str, u32> = BTreeMap::new();
    for m in members {
        if m.state.as_deref().is_some_and(|s| s != "active") {
            continue;
        }
        let level = best.entry(&m.username).or_default();
        *level = (*level).max(m.access_level);
    }
    best.into_iter()
        .filter(|(_, level)| *level >= DEVELOPER_ACCESS)
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// A pipeline as `GET /projects/:id/pipelines` lists it (and `head_pipeline`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Pipeline {
    pub id: u64,
    pub sha: String,
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// The project it runs in: a fork's for many merge requests from forks.
    #[serde(default)]
    pub project_id: Option<u64>,
}

/// A commit status state as GitLab names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusState {
    Pending,
    Running,
    Success,
    Failed,
    Canceled,
    #[serde(other)]
    Unknown,
}

/// The longest `description` GitLab stores for a commit status.
pub const STATUS_DESCRIPTION_MAX: usize = 255;

/// `POST /projects/:id/merge_requests/:merge_request_iid/notes` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewNote {
    pub body: String,
}

/// `POST /projects/:id/statuses/:sha` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewStatus {
    pub state: StatusState,
    pub name: String,
    pub target_url: Option<String>,
    pub description: String,
    /// The merge request's source branch: GitLab attaches the status to that ref's
    /// latest pipeline on the commit (or makes an external one).
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// The pipeline to join. Without it GitLab picks the newest pipeline of the commit,
    /// which need not be the merge request's head pipeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_id: Option<u64>,
}

impl NewStatus {
    /// A status with `description` cut to GitLab's limit on a character boundary.
    pub fn new(
        state: StatusState,
        name: &str,
        description: &str,
        target_url: Option<String>,
    ) -> NewStatus {
        NewStatus {
            state,
            name: name.to_owned(),
            target_url,
            description: truncate_chars(description, STATUS_DESCRIPTION_MAX),
            git_ref: None,
            pipeline_id: None,
        }
    }
}

/// `text` cut to at most `max` characters, ending in `…` where it was cut (GitLab caps
/// fields in characters).
pub fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `GET /projects/:id/repository/commits/:sha/statuses` entry (and the POST's answer).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CommitStatus {
    pub id: u64,
    pub sha: String,
    pub name: String,
    pub status: StatusState,
    pub description: Option<String>,
    pub target_url: Option<String>,
    pub author: Option<UserRef>,
    /// The pipeline the status is in (GitLab 16 and later say it).
    #[serde(default)]
    pub pipeline_id: Option<u64>,
}

/// `GET /projects/:id/deployments/:deployment_id` (and list entries).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Deployment {
    pub id: u64,
    pub sha: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub status: DeploymentStatus,
    pub user: Option<UserRef>,
    pub deployable: Option<Deployable>,
    pub environment: Option<EnvironmentRef>,
    /// Approvals and rejections given on a protected environment (Premium).
    #[serde(default)]
    pub approvals: Vec<DeploymentApproval>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Deployable {
    pub id: u64,
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EnvironmentRef {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeploymentApproval {
    pub user: UserRef,
    pub status: ApprovalDecision,
    pub created_at: Option<Timestamp>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalDecision {
    Approved,
    Rejected,
}

/// `POST /projects/:id/deployments/:deployment_id/approval` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewDeploymentApproval {
    pub status: ApprovalDecision,
    pub comment: String,
}

/// `GET /projects/:id/environments` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Environment {
    pub id: u64,
    pub name: String,
}

/// `GET /users?search=` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    pub username: String,
    #[serde(default)]
    pub public_email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_count_knows_when_gitlab_stopped_counting() {
        assert_eq!(ChangesCount::parse("12"), Some(ChangesCount::Exactly(12)));
        assert_eq!(
            ChangesCount::parse("1000+"),
            Some(ChangesCount::AtLeast(1000))
        );
        assert_eq!(ChangesCount::parse("many"), None);
    }

    fn member(username: &str, access_level: u32, state: &str) -> Member {
        Member {
            username: username.to_owned(),
            access_level,
            state: Some(state.to_owned()),
        }
    }

    #[test]
    fn developers_and_above_who_are_active_approve() {
        let members = [
            member("dev", 30, "active"),
            member("rep", 20, "active"),
            member("twice", 20, "active"),
            member("twice", 40, "active"),
            member("gone", 50, "blocked"),
            member("owner", 50, "active"),
        ];
        assert_eq!(approvers(&members), ["dev", "owner", "twice"]);
    }

    fn note(id: u64, who: &str, body: &str, at: &str, system: bool) -> Note {
        Note {
            id,
            body: body.to_owned(),
            author: UserRef {
                username: who.to_owned(),
            },
            created_at: at.parse().unwrap(),
            updated_at: at.parse().unwrap(),
            system,
        }
    }

    #[test]
    fn approval_times_come_from_system_notes_only() {
        let notes = [
            note(
                3,
                "bob",
                "unapproved this merge request",
                "2026-01-01T10:05:00Z",
                true,
            ),
            note(
                1,
                "bob",
                "approved this merge request",
                "2026-01-01T10:00:00Z",
                true,
            ),
            note(
                2,
                "eve",
                "approved this merge request",
                "2026-01-01T10:01:00Z",
                false,
            ),
            note(4, "ann", "added 1 commit", "2026-01-01T10:02:00Z", true),
        ];
        let events = approval_events(&notes);
        let got: Vec<_> = events
            .iter()
            .map(|e| (e.username.as_str(), e.kind, e.note_id))
            .collect();
        assert_eq!(
            got,
            [
                ("bob", ApprovalKind::Approved, 1),
                ("bob", ApprovalKind::Unapproved, 3)
            ]
        );
    }

    #[test]
    fn current_approvals_take_the_time_of_their_latest_approval_note() {
        let notes = [
            note(
                1,
                "bob",
                "approved this merge request",
                "2026-01-01T10:00:00Z",
                true,
            ),
            note(
                2,
                "bob",
                "unapproved this merge request",
                "2026-01-01T10:05:00Z",
                true,
            ),
            note(
                3,
                "bob",
                "approved this merge request",
                "2026-01-01T10:09:00Z",
                true,
            ),
            note(
                4,
                "ann",
                "approved this merge request",
                "2026-01-01T10:01:00Z",
                true,
            ),
            note(
                5,
                "ann",
                "unapproved this merge request",
                "2026-01-01T10:02:00Z",
                true,
            ),
        ];
        let now = Approvals {
            approved_by: ["bob", "ann", "cid"]
                .iter()
                .map(|u| ApprovedBy {
                    user: UserRef {
                        username: (*u).to_owned(),
                    },
                })
                .collect(),
        };
        let got = approvals_with_times(&now, &approval_events(&notes));
        assert_eq!(
            got,
            [
                TimedApproval {
                    username: "bob".to_owned(),
                    at: ApprovalTime::At("2026-01-01T10:09:00Z".parse().unwrap())
                },
                // Listed, but the last note says unapproved: no time can be trusted.
                TimedApproval {
                    username: "ann".to_owned(),
                    at: ApprovalTime::Unknown
                },
                // Listed without any note.
                TimedApproval {
                    username: "cid".to_owned(),
                    at: ApprovalTime::Unknown
                },
            ]
        );
    }

    #[test]
    fn long_descriptions_are_cut_to_gitlab_limit() {
        let s = NewStatus::new(StatusState::Pending, "signoff", &"é".repeat(300), None);
        assert_eq!(s.description.chars().count(), STATUS_DESCRIPTION_MAX);
        assert!(s.description.ends_with('…'));
        let short = NewStatus::new(StatusState::Success, "signoff", "Approved", None);
        assert_eq!(short.description, "Approved");
    }
}

/// `GET /projects/:id/merge_requests/:iid/versions`: one per push GitLab recorded, with
/// the head it made and when.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Version {
    pub head_commit_sha: String,
    pub created_at: Timestamp,
}

/// The head GitLab showed at `at`: the latest version created strictly before it (a tie
/// binds to the older head, as for GitHub), `None` before the first.
pub fn head_at(versions: &[Version], at: Timestamp) -> Option<&str> {
    versions
        .iter()
        .filter(|v| v.created_at < at)
        .max_by_key(|v| v.created_at)
        .map(|v| v.head_commit_sha.as_str())
}

/// `GET /projects/:id/repository/commits/:sha/merge_requests` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CommitMergeRequest {
    pub iid: u64,
    pub sha: String,
    pub state: MergeRequestState,
    #[serde(default)]
    pub source_branch: Option<String>,
}

/// `GET /projects/:id/repository/compare` (only the commits are read).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Compare {
    #[serde(default)]
    pub commits: Vec<Commit>,
}

/// `GET /projects/:id` (only what the bot reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Project {
    pub default_branch: Option<String>,
}
