//! The REST response fields the bot reads; everything else is skipped.

use jiff::Timestamp;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct User {
    pub login: String,
}

/// A team (`GET /orgs/{org}/teams/{slug}`): `privacy` is `secret` or `closed` (visible).
#[derive(Debug, Deserialize)]
pub struct Team {
    #[serde(default)]
    pub privacy: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    pub state: String,
    pub user: Option<User>,
    pub head: Ref,
    pub base: Ref,
    #[serde(default)]
    pub labels: Vec<Label>,
    /// How many files and commits the pull request has: the lists of them are
    /// compared with these (GitHub serves at most 3,000 files and 250 commits).
    #[serde(default)]
    pub changed_files: Option<u64>,
    #[serde(default)]
    pub commits: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct Ref {
    pub sha: String,
    #[serde(rename = "ref")]
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct Label {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct File {
    pub filename: String,
    #[serde(default)]
    pub previous_filename: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Commit {
    pub author: Option<User>,
    pub committer: Option<User>,
}

#[derive(Debug, Deserialize)]
pub struct Review {
    pub user: Option<User>,
    pub state: String,
    #[serde(default)]
    pub commit_id: Option<String>,
    #[serde(default)]
    pub submitted_at: Option<Timestamp>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub node_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct IssueComment {
    pub id: u64,
    pub user: Option<User>,
    #[serde(default)]
    pub body: Option<String>,
    pub created_at: Timestamp,
    #[serde(default)]
    pub node_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Content {
    /// `file`, `symlink`, `submodule` (a directory answers with a list).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The path answered: a symbolic link to a file is answered with that file's path.
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub encoding: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Collaborator {
    pub login: String,
    #[serde(default)]
    pub permissions: Option<Permissions>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Permissions {
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub maintain: bool,
    #[serde(default)]
    pub push: bool,
}

#[derive(Debug, Deserialize)]
pub struct Approval {
    #[serde(default)]
    pub environments: Vec<Environment>,
    pub state: String,
    pub user: User,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Environment {
    pub name: String,
}

/// `GET /repos/{owner}/{repo}/environments`
#[derive(Debug, Deserialize)]
pub struct Environments {
    pub total_count: u64,
    #[serde(default)]
    pub environments: Vec<Environment>,
}

/// `GET /repos/{owner}/{repo}/actions/runs/{run_id}`
#[derive(Debug, Deserialize)]
pub struct WorkflowRun {
    pub head_sha: String,
    #[serde(default)]
    pub head_branch: Option<String>,
    #[serde(default)]
    pub actor: Option<User>,
    /// Who started this attempt (a re-run's), where `actor` started the first.
    #[serde(default)]
    pub triggering_actor: Option<User>,
    #[serde(default)]
    pub pull_requests: Vec<RunPull>,
}

#[derive(Debug, Deserialize)]
pub struct RunPull {
    pub number: u64,
}

/// `GET /repos/{owner}/{repo}/deployments/{id}` and the list of deployments.
#[derive(Debug, Deserialize)]
pub struct Deployment {
    pub id: u64,
    pub sha: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub environment: String,
}

#[derive(Debug, Deserialize)]
pub struct DeploymentStatus {
    pub state: String,
}

/// `GET /repos/{owner}/{repo}/compare/{base}...{head}`
#[derive(Debug, Deserialize)]
pub struct Comparison {
    pub total_commits: u64,
    #[serde(default)]
    pub commits: Vec<Commit>,
}

/// A GraphQL answer: `data`, or `errors`.
#[derive(Debug, Deserialize)]
pub struct GraphQl<T> {
    pub data: Option<T>,
    #[serde(default)]
    pub errors: Vec<GraphQlError>,
}

#[derive(Debug, Deserialize)]
pub struct GraphQlError {
    pub message: String,
    /// `NOT_FOUND` for an id that no longer resolves (a comment deleted meanwhile).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Nodes {
    pub nodes: Vec<Option<CommentNode>>,
}

/// A node of the `Comment` interface (issue comment, review): its last edit.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentNode {
    pub id: String,
    #[serde(default)]
    pub last_edited_at: Option<Timestamp>,
    #[serde(default)]
    pub editor: Option<User>,
}
