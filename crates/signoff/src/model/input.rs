//! Evaluation inputs (SPEC §3): the request, the directory, the grants and `now`.

use super::{ConfigKind, Kind};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything an evaluation needs besides the policy.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub request: Request,
    #[serde(default)]
    pub directory: Directory,
    #[serde(default)]
    pub grants: Vec<Grant>,
    #[serde(deserialize_with = "crate::timestamp::deserialize")]
    pub now: Timestamp,
}

/// The thing waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub kind: Kind,
    #[serde(default)]
    pub config: Option<ConfigKind>,
    pub requester: String,
    /// Commit SHA, image digest or configuration draft hash.
    #[serde(default)]
    pub revision: Option<String>,
    #[serde(default)]
    pub attributes: Attributes,
    /// Users who pushed commits or built the artifact.
    #[serde(default)]
    pub contributors: Vec<String>,
}

/// What bindings and windows match on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Attributes {
    #[serde(default)]
    pub app: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub source_branch: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
}

/// Users, groups and API tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    #[serde(default)]
    pub users: BTreeMap<String, User>,
    /// More membership, by group.
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub tokens: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub super_admin: bool,
}

/// A role that lets a user approve one kind of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    DeploymentApprover,
    ConfigApprover,
    PullRequestApprover,
}

/// One action by one person.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub by: String,
    pub action: Action,
    /// Absent: the request's revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(deserialize_with = "crate::timestamp::deserialize")]
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Approve,
    Reject,
    Revoke,
}

/// Where a grant came from; informational.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    Review,
    Comment,
    DeploymentReview,
    Api,
}
