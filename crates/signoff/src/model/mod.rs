//! The serde contract shared by the CLI, the wasm API and the bot (SPEC §2, §3, §5).

mod input;
pub mod policy;
pub(crate) mod read_input;
#[cfg(test)]
mod read_input_tests;
pub(crate) mod read_policy;
#[cfg(test)]
pub(crate) mod read_policy_tests;

pub use input::{Action, Attributes, Directory, Grant, Input, Request, Role, User, Via};

use serde::{Deserialize, Serialize};
use std::fmt;

/// What is waiting for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Deployment,
    Config,
    PullRequest,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Deployment, Kind::Config, Kind::PullRequest];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Deployment => "deployment",
            Kind::Config => "config",
            Kind::PullRequest => "pull_request",
        }
    }

    /// The directory role that lets a user approve this kind.
    pub fn approver_role(self) -> Role {
        match self {
            Kind::Deployment => Role::DeploymentApprover,
            Kind::Config => Role::ConfigApprover,
            Kind::PullRequest => Role::PullRequestApprover,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// With kind `config`: which configuration is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ConfigKind {
    DeploymentTemplate,
    Configmap,
    Secret,
}
