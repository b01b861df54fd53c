//! GitLab webhook payloads into [`GitLabEvent`]: small private structs holding only the
//! fields used. Anything the bot does not act on is [`GitLabEvent::Ignored`], never an
//! error, because GitLab disables a hook whose deliveries keep failing. Only a body that
//! is not the JSON its `X-Gitlab-Event` promises is an error (a malformed request).
//!
//! The event only says *what* changed; the gate re-reads the state from the REST API.

use super::time::parse_gitlab_time;
use jiff::Timestamp;
use serde::Deserialize;

/// A project as a webhook names it: numeric id and full path (nested groups: `a/b/c`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectRef {
    pub id: u64,
    pub path_with_namespace: String,
}

/// What a GitLab delivery asks the bot to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitLabEvent {
    MergeRequest(MergeRequestEvent),
    Note(NoteEvent),
    Deployment(DeploymentEvent),
    /// A pipeline with jobs that deploy to an environment.
    DeploymentJobs(PipelineEvent),
    /// A pipeline with no deployment job changed: one may be an external status under
    /// the bot's name, posted by someone else (GitLab sends no status webhook).
    PipelineChanged {
        project: ProjectRef,
        sha: String,
    },
    Ignored(Ignored),
}

/// Why a verified delivery is acknowledged and dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignored {
    /// An `X-Gitlab-Event` the bot does not subscribe to.
    EventKind(String),
    /// A merge request action that changes nothing the gate reads.
    MergeRequestAction(String),
    /// A note on an issue, commit or snippet.
    NoteOn(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeRequestEvent {
    pub project: ProjectRef,
    pub iid: u64,
    pub action: MergeRequestAction,
    /// `last_commit.id`: the head when the event was sent.
    pub head_sha: String,
    /// `update` with `oldrev`: new commits were pushed (approvals may have been reset).
    pub pushed: bool,
    /// `update` whose `changes` name `target_branch`: the merge request was retargeted.
    pub retargeted: bool,
    /// `update` whose `changes` name `labels` (`previous`/`current`): a binding's
    /// `labels` may now match, or stop matching.
    pub relabeled: bool,
    pub target_branch: String,
    /// The user who acted (approver for approval actions).
    pub actor: String,
    /// `object_attributes.updated_at`: for a push, when the new head appeared.
    pub updated_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeRequestAction {
    Open,
    Reopen,
    Update,
    /// One user approved.
    Approval,
    /// One user took an approval back (also sent by GitLab when a push resets approvals).
    Unapproval,
    /// All required approvals are in (Premium).
    Approved,
    /// No longer fully approved (Premium).
    Unapproved,
    Close,
    Merge,
}

impl MergeRequestAction {
    /// GitLab's name for the action, as the hook sends it.
    pub fn as_str(self) -> &'static str {
        match self {
            MergeRequestAction::Open => "open",
            MergeRequestAction::Reopen => "reopen",
            MergeRequestAction::Update => "update",
            MergeRequestAction::Approval => "approval",
            MergeRequestAction::Unapproval => "unapproval",
            MergeRequestAction::Approved => "approved",
            MergeRequestAction::Unapproved => "unapproved",
            MergeRequestAction::Close => "close",
            MergeRequestAction::Merge => "merge",
        }
    }

    fn parse(action: &str) -> Option<MergeRequestAction> {
        Some(match action {
            "open" => MergeRequestAction::Open,
            "reopen" => MergeRequestAction::Reopen,
            "update" => MergeRequestAction::Update,
            "approval" => MergeRequestAction::Approval,
            "unapproval" => MergeRequestAction::Unapproval,
            "approved" => MergeRequestAction::Approved,
            "unapproved" => MergeRequestAction::Unapproved,
            "close" => MergeRequestAction::Close,
            "merge" => MergeRequestAction::Merge,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteEvent {
    pub project: ProjectRef,
    pub merge_request_iid: u64,
    pub note_id: u64,
    pub action: NoteAction,
    pub author: String,
    /// A system note ("approved this merge request", "added 1 commit"…).
    pub system: bool,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    /// The merge request's head when the note event was sent.
    pub head_sha: Option<String>,
    /// The note's text (`object_attributes.note`).
    pub body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteAction {
    Create,
    Update,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentEvent {
    pub project: ProjectRef,
    pub deployment_id: u64,
    /// The job that runs the deployment.
    pub deployable_id: Option<u64>,
    pub environment: String,
    pub status: DeploymentStatus,
    pub user: Option<String>,
    pub status_changed_at: Option<Timestamp>,
    /// The deployed commit, from `commit_url` (the hook has no `sha` field); the gate
    /// re-reads it from the REST API.
    pub sha: Option<String>,
    /// The project's default branch, where the deployment policy is read.
    pub default_branch: Option<String>,
}

/// A deployment's status as GitLab names it (REST and webhooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentStatus {
    Created,
    Running,
    Success,
    Failed,
    Canceled,
    Skipped,
    /// Waiting for approvals on a protected environment.
    Blocked,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineEvent {
    pub project: ProjectRef,
    pub pipeline_id: u64,
    pub sha: String,
    pub git_ref: String,
    /// The merge request of a merge request pipeline.
    pub merge_request_iid: Option<u64>,
    pub jobs: Vec<DeploymentJob>,
    /// The project's default branch, where the deployment policy is read.
    pub default_branch: Option<String>,
}

/// A pipeline job that deploys (`environment.action` `start`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentJob {
    pub job_id: u64,
    pub name: String,
    pub environment: String,
    pub status: String,
    pub manual: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("malformed {event} payload: {source}")]
    Json {
        event: &'static str,
        source: serde_json::Error,
    },
    #[error("malformed {event} payload: `{field}` is not a GitLab time: `{value}`")]
    Time {
        event: &'static str,
        field: &'static str,
        value: String,
    },
}

/// Maps a verified delivery (its `X-Gitlab-Event` and raw body) to an event.
pub fn parse(event_header: &str, body: &[u8]) -> Result<GitLabEvent, ParseError> {
    match event_header.trim() {
        "Merge Request Hook" => merge_request(json("Merge Request Hook", body)?),
        "Note Hook" => note(json("Note Hook", body)?),
        "Deployment Hook" => deployment(json("Deployment Hook", body)?),
        "Pipeline Hook" => Ok(pipeline(json("Pipeline Hook", body)?)),
        other => Ok(GitLabEvent::Ignored(Ignored::EventKind(other.to_owned()))),
    }
}

fn json<'a, T: Deserialize<'a>>(event: &'static str, body: &'a [u8]) -> Result<T, ParseError> {
    serde_json::from_slice(body).map_err(|source| ParseError::Json { event, source })
}

fn time(
    event: &'static str,
    field: &'static str,
    value: Option<&str>,
) -> Result<Option<Timestamp>, ParseError> {
    match value {
        None | Some("") => Ok(None),
        Some(text) => parse_gitlab_time(text)
            .map(Some)
            .ok_or_else(|| ParseError::Time {
                event,
                field,
                value: text.to_owned(),
            }),
    }
}

#[derive(Deserialize)]
struct Project {
    id: u64,
    path_with_namespace: String,
}

impl From<Project> for ProjectRef {
    fn from(p: Project) -> ProjectRef {
        ProjectRef {
            id: p.id,
            path_with_namespace: p.path_with_namespace,
        }
    }
}

#[derive(Deserialize)]
struct User {
    username: String,
}

#[derive(Deserialize)]
struct Commit {
    id: String,
}

#[derive(Deserialize)]
struct MergeRequestPayload {
    project: Project,
    user: Option<User>,
    object_attributes: MergeRequestAttributes,
    /// What the update changed, by attribute name (only the names are read).
    #[serde(default)]
    changes: std::collections::BTreeMap<String, serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct MergeRequestAttributes {
    iid: u64,
    target_branch: String,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    oldrev: Option<String>,
    last_commit: Option<Commit>,
    updated_at: Option<String>,
}

fn merge_request(p: MergeRequestPayload) -> Result<GitLabEvent, ParseError> {
    const EVENT: &str = "Merge Request Hook";
    let attrs = p.object_attributes;
    let raw_action = attrs.action.unwrap_or_default();
    let Some(action) = MergeRequestAction::parse(&raw_action) else {
        return Ok(GitLabEvent::Ignored(Ignored::MergeRequestAction(
            raw_action,
        )));
    };
    let pushed = action == MergeRequestAction::Update
        && attrs.oldrev.as_deref().is_some_and(|rev| !rev.is_empty());
    let changed =
        |attribute: &str| action == MergeRequestAction::Update && p.changes.contains_key(attribute);
    Ok(GitLabEvent::MergeRequest(MergeRequestEvent {
        project: p.project.into(),
        iid: attrs.iid,
        action,
        head_sha: attrs.last_commit.map(|c| c.id).unwrap_or_default(),
        pushed,
        retargeted: changed("target_branch"),
        relabeled: changed("labels"),
        target_branch: attrs.target_branch,
        actor: p.user.map(|u| u.username).unwrap_or_default(),
        updated_at: time(EVENT, "updated_at", attrs.updated_at.as_deref())?,
    }))
}

#[derive(Deserialize)]
struct NotePayload {
    project: Project,
    user: User,
    object_attributes: NoteAttributes,
    merge_request: Option<NoteMergeRequest>,
}

#[derive(Deserialize)]
struct NoteAttributes {
    id: u64,
    noteable_type: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    system: bool,
    created_at: Option<String>,
    updated_at: Option<String>,
}

#[derive(Deserialize)]
struct NoteMergeRequest {
    iid: u64,
    last_commit: Option<Commit>,
}

fn note(p: NotePayload) -> Result<GitLabEvent, ParseError> {
    const EVENT: &str = "Note Hook";
    let attrs = p.object_attributes;
    let merge_request = match (attrs.noteable_type.as_str(), p.merge_request) {
        ("MergeRequest", Some(mr)) => mr,
        _ => return Ok(GitLabEvent::Ignored(Ignored::NoteOn(attrs.noteable_type))),
    };
    // GitLab before 16.x sent no `action`; such a note is new as far as the bot can tell,
    // and notes are re-read on every evaluation anyway.
    let action = match attrs.action.as_deref() {
        Some("update") => NoteAction::Update,
        _ => NoteAction::Create,
    };
    Ok(GitLabEvent::Note(NoteEvent {
        project: p.project.into(),
        merge_request_iid: merge_request.iid,
        note_id: attrs.id,
        action,
        author: p.user.username,
        system: attrs.system,
        created_at: time(EVENT, "created_at", attrs.created_at.as_deref())?,
        updated_at: time(EVENT, "updated_at", attrs.updated_at.as_deref())?,
        head_sha: merge_request.last_commit.map(|c| c.id),
        body: attrs.note,
    }))
}

#[derive(Deserialize)]
struct DeploymentProject {
    #[serde(flatten)]
    project: Project,
    default_branch: Option<String>,
}

#[derive(Deserialize)]
struct DeploymentPayload {
    project: DeploymentProject,
    commit_url: Option<String>,
    deployment_id: u64,
    deployable_id: Option<u64>,
    environment: String,
    status: DeploymentStatus,
    user: Option<User>,
    status_changed_at: Option<String>,
}

fn deployment(p: DeploymentPayload) -> Result<GitLabEvent, ParseError> {
    let sha = p
        .commit_url
        .as_deref()
        .and_then(|url| url.rsplit_once("/-/commit/"))
        .map(|(_, sha)| sha.to_owned())
        .filter(|sha| !sha.is_empty() && sha.bytes().all(|b| b.is_ascii_hexdigit()));
    Ok(GitLabEvent::Deployment(DeploymentEvent {
        project: p.project.project.into(),
        sha,
        default_branch: p.project.default_branch,
        deployment_id: p.deployment_id,
        deployable_id: p.deployable_id,
        environment: p.environment,
        status: p.status,
        user: p.user.map(|u| u.username),
        status_changed_at: time(
            "Deployment Hook",
            "status_changed_at",
            p.status_changed_at.as_deref(),
        )?,
    }))
}

#[derive(Deserialize)]
struct PipelinePayload {
    project: DeploymentProject,
    object_attributes: PipelineAttributes,
    merge_request: Option<PipelineMergeRequest>,
    #[serde(default)]
    builds: Vec<Build>,
}

#[derive(Deserialize)]
struct PipelineAttributes {
    id: u64,
    sha: String,
    #[serde(rename = "ref")]
    git_ref: String,
}

#[derive(Deserialize)]
struct PipelineMergeRequest {
    iid: u64,
}

#[derive(Deserialize)]
struct Build {
    id: u64,
    name: String,
    status: String,
    #[serde(default)]
    manual: bool,
    environment: Option<BuildEnvironment>,
}

#[derive(Deserialize)]
struct BuildEnvironment {
    name: String,
    /// `start` deploys; `prepare`, `verify`, `access` and `stop` create no deployment.
    action: Option<String>,
}

fn pipeline(p: PipelinePayload) -> GitLabEvent {
    let jobs: Vec<DeploymentJob> = p
        .builds
        .into_iter()
        .filter_map(|b| {
            let env = b.environment?;
            matches!(env.action.as_deref(), None | Some("start")).then(|| DeploymentJob {
                job_id: b.id,
                name: b.name,
                environment: env.name,
                status: b.status,
                manual: b.manual,
            })
        })
        .collect();
    if jobs.is_empty() {
        return GitLabEvent::PipelineChanged {
            project: p.project.project.into(),
            sha: p.object_attributes.sha,
        };
    }
    GitLabEvent::DeploymentJobs(PipelineEvent {
        project: p.project.project.into(),
        default_branch: p.project.default_branch,
        pipeline_id: p.object_attributes.id,
        sha: p.object_attributes.sha,
        git_ref: p.object_attributes.git_ref,
        merge_request_iid: p.merge_request.map(|mr| mr.iid),
        jobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const MR: &str = include_str!("../../../../tests/fixtures/gitlab/merge_request.open.json");
    const NOTE: &str = include_str!("../../../../tests/fixtures/gitlab/note.merge_request.json");
    const DEPLOY: &str = include_str!("../../../../tests/fixtures/gitlab/deployment.success.json");
    const PIPELINE: &str = include_str!("../../../../tests/fixtures/gitlab/pipeline.json");

    fn with(fixture: &str, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
        let mut v: Value = serde_json::from_str(fixture).unwrap();
        edit(&mut v);
        serde_json::to_vec(&v).unwrap()
    }

    fn ts(s: &str) -> Option<Timestamp> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn merge_request_open_fixture() {
        let GitLabEvent::MergeRequest(e) = parse("Merge Request Hook", MR.as_bytes()).unwrap()
        else {
            panic!("not a merge request event");
        };
        assert_eq!(
            e,
            MergeRequestEvent {
                project: ProjectRef {
                    id: 1,
                    path_with_namespace: "gitlabhq/gitlab-test".to_owned()
                },
                iid: 1,
                action: MergeRequestAction::Open,
                head_sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7".to_owned(),
                pushed: false,
                retargeted: false,
                relabeled: false,
                target_branch: "master".to_owned(),
                actor: "root".to_owned(),
                updated_at: ts("2013-12-03T17:23:34Z"),
            }
        );
    }

    #[test]
    fn update_with_oldrev_is_a_push_and_without_is_not() {
        let push = with(MR, |v| {
            v["object_attributes"]["action"] = json!("update");
            v["object_attributes"]["oldrev"] = json!("0000aaaa");
        });
        let GitLabEvent::MergeRequest(e) = parse("Merge Request Hook", &push).unwrap() else {
            panic!()
        };
        assert!(e.pushed);
        let edit = with(MR, |v| v["object_attributes"]["action"] = json!("update"));
        let GitLabEvent::MergeRequest(e) = parse("Merge Request Hook", &edit).unwrap() else {
            panic!()
        };
        assert_eq!(e.action, MergeRequestAction::Update);
        assert!(!e.pushed);
    }

    #[test]
    fn an_update_naming_labels_in_its_changes_is_a_relabel() {
        // The documented example is an `open` whose `changes` swap API for Platform.
        let update = with(MR, |v| v["object_attributes"]["action"] = json!("update"));
        let GitLabEvent::MergeRequest(e) = parse("Merge Request Hook", &update).unwrap() else {
            panic!()
        };
        assert!(e.relabeled && !e.retargeted && !e.pushed);
        let GitLabEvent::MergeRequest(open) = parse("Merge Request Hook", MR.as_bytes()).unwrap()
        else {
            panic!()
        };
        assert!(!open.relabeled, "an open is evaluated as new anyway");
        let title_only = with(MR, |v| {
            v["object_attributes"]["action"] = json!("update");
            v["changes"] = json!({"title": {"previous": "a", "current": "b"}});
        });
        let GitLabEvent::MergeRequest(e) = parse("Merge Request Hook", &title_only).unwrap() else {
            panic!()
        };
        assert!(!e.relabeled);
    }

    #[test]
    fn every_merge_request_action_maps_and_unknown_ones_are_ignored() {
        for (raw, action) in [
            ("open", MergeRequestAction::Open),
            ("reopen", MergeRequestAction::Reopen),
            ("update", MergeRequestAction::Update),
            ("approval", MergeRequestAction::Approval),
            ("unapproval", MergeRequestAction::Unapproval),
            ("approved", MergeRequestAction::Approved),
            ("unapproved", MergeRequestAction::Unapproved),
            ("close", MergeRequestAction::Close),
            ("merge", MergeRequestAction::Merge),
        ] {
            let body = with(MR, |v| v["object_attributes"]["action"] = json!(raw));
            let GitLabEvent::MergeRequest(e) = parse("Merge Request Hook", &body).unwrap() else {
                panic!("{raw}")
            };
            assert_eq!(e.action, action, "{raw}");
        }
        let body = with(MR, |v| {
            v["object_attributes"]["action"] = json!("transmogrify")
        });
        assert_eq!(
            parse("Merge Request Hook", &body).unwrap(),
            GitLabEvent::Ignored(Ignored::MergeRequestAction("transmogrify".to_owned()))
        );
    }

    #[test]
    fn nested_group_paths_are_kept_whole() {
        let body = with(MR, |v| {
            v["project"]["path_with_namespace"] = json!("platform/payments/api");
        });
        let GitLabEvent::MergeRequest(e) = parse("Merge Request Hook", &body).unwrap() else {
            panic!()
        };
        assert_eq!(e.project.path_with_namespace, "platform/payments/api");
    }

    #[test]
    fn note_on_merge_request_fixture() {
        let GitLabEvent::Note(e) = parse("Note Hook", NOTE.as_bytes()).unwrap() else {
            panic!("not a note event");
        };
        assert_eq!(
            e,
            NoteEvent {
                project: ProjectRef {
                    id: 5,
                    path_with_namespace: "gitlab-org/gitlab-test".to_owned()
                },
                merge_request_iid: 1,
                note_id: 1244,
                action: NoteAction::Create,
                author: "root".to_owned(),
                system: false,
                created_at: ts("2015-05-17T18:21:36Z"),
                updated_at: ts("2015-05-17T18:21:36Z"),
                head_sha: Some("562e173be03b8ff2efb05345d12df18815438a4b".to_owned()),
                body: "This MR needs work.".to_owned(),
            }
        );
        let edited = with(NOTE, |v| v["object_attributes"]["action"] = json!("update"));
        let GitLabEvent::Note(e) = parse("Note Hook", &edited).unwrap() else {
            panic!()
        };
        assert_eq!(e.action, NoteAction::Update);
    }

    #[test]
    fn notes_on_other_things_are_ignored() {
        let body = with(NOTE, |v| {
            v["object_attributes"]["noteable_type"] = json!("Issue");
            v.as_object_mut().unwrap().remove("merge_request");
            v["issue"] = json!({"iid": 3});
        });
        assert_eq!(
            parse("Note Hook", &body).unwrap(),
            GitLabEvent::Ignored(Ignored::NoteOn("Issue".to_owned()))
        );
    }

    #[test]
    fn deployment_fixture_and_blocked_status() {
        let GitLabEvent::Deployment(e) = parse("Deployment Hook", DEPLOY.as_bytes()).unwrap()
        else {
            panic!("not a deployment event");
        };
        assert_eq!(
            e,
            DeploymentEvent {
                project: ProjectRef {
                    id: 30,
                    path_with_namespace: "root/test-deployment-webhooks".to_owned()
                },
                deployment_id: 15,
                deployable_id: Some(796),
                environment: "staging".to_owned(),
                status: DeploymentStatus::Success,
                user: Some("root".to_owned()),
                status_changed_at: ts("2021-04-28T19:50:00Z"),
                sha: Some("279484c09fbe69ededfced8c1bb6e6d24616b468".to_owned()),
                default_branch: Some("master".to_owned()),
            }
        );
        for (raw, status) in [
            ("blocked", DeploymentStatus::Blocked),
            ("running", DeploymentStatus::Running),
            ("canceled", DeploymentStatus::Canceled),
            ("someday", DeploymentStatus::Unknown),
        ] {
            let body = with(DEPLOY, |v| v["status"] = json!(raw));
            let GitLabEvent::Deployment(e) = parse("Deployment Hook", &body).unwrap() else {
                panic!()
            };
            assert_eq!(e.status, status, "{raw}");
        }
    }

    #[test]
    fn pipeline_fixture_yields_its_deployment_jobs() {
        let GitLabEvent::DeploymentJobs(e) = parse("Pipeline Hook", PIPELINE.as_bytes()).unwrap()
        else {
            panic!("not a pipeline event");
        };
        assert_eq!(e.pipeline_id, 31);
        assert_eq!(e.sha, "bcbb5ec396a2c0f828686f14fac9b80b780504f2");
        assert_eq!(e.git_ref, "master");
        assert_eq!(e.merge_request_iid, Some(1));
        let envs: Vec<_> = e
            .jobs
            .iter()
            .map(|j| (j.job_id, j.environment.as_str(), j.manual))
            .collect();
        assert_eq!(envs, [(380, "production", true), (379, "staging", false)]);
    }

    #[test]
    fn a_pipeline_without_deployment_jobs_only_tells_of_its_revision() {
        let body = with(PIPELINE, |v| {
            for b in v["builds"].as_array_mut().unwrap() {
                b["environment"] = Value::Null;
            }
        });
        let changed = |body: &[u8]| match parse("Pipeline Hook", body).unwrap() {
            GitLabEvent::PipelineChanged { sha, .. } => sha,
            other => panic!("{other:?}"),
        };
        assert_eq!(changed(&body), "bcbb5ec396a2c0f828686f14fac9b80b780504f2");
        let stop_only = with(PIPELINE, |v| {
            for b in v["builds"].as_array_mut().unwrap() {
                if !b["environment"].is_null() {
                    b["environment"]["action"] = json!("stop");
                }
            }
        });
        assert_eq!(
            changed(&stop_only),
            "bcbb5ec396a2c0f828686f14fac9b80b780504f2"
        );
    }

    #[test]
    fn unknown_events_are_ignored_and_malformed_known_ones_are_errors() {
        assert_eq!(
            parse("Push Hook", b"{not even json").unwrap(),
            GitLabEvent::Ignored(Ignored::EventKind("Push Hook".to_owned()))
        );
        assert!(matches!(
            parse("Merge Request Hook", b"{}"),
            Err(ParseError::Json { .. })
        ));
        let bad_time = with(NOTE, |v| {
            v["object_attributes"]["created_at"] = json!("soon")
        });
        assert!(matches!(
            parse("Note Hook", &bad_time),
            Err(ParseError::Time {
                field: "created_at",
                ..
            })
        ));
    }
}
