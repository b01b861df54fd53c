//! Gates: gather inputs from the forge, call the core, then act (status, deployment
//! answer, audit record). `inputs` and `verdict` are pure; the rest is the shell.

pub mod deleted;
pub mod deployment;
pub mod inputs;
mod own_approval;
pub mod policy_check;
pub mod publish;
pub mod pull_request;
pub mod run;
pub mod show;
pub mod verdict;

use crate::event::Repo;
use crate::forge::{Forge, ForgeError, People};
use signoff::{Attributes, Kind, Request};

/// Why handling an event did not finish.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Forge(#[from] ForgeError),
    #[error("store: {0}")]
    Store(#[from] sqlx::Error),
    #[error("{0}")]
    Other(String),
    /// Other workers kept changing what this one was about to show: try again later.
    #[error("{0}")]
    Contended(String),
}

impl HandlerError {
    /// Worth another attempt?
    pub fn retryable(&self) -> bool {
        match self {
            HandlerError::Forge(ForgeError::Fatal(_)) | HandlerError::Other(_) => false,
            HandlerError::Forge(_) | HandlerError::Store(_) | HandlerError::Contended(_) => true,
        }
    }
}

pub type Result<T> = std::result::Result<T, HandlerError>;

/// The evaluation time: now, or the latest grant's time when the forge's clock runs
/// ahead of ours, so a fresh grant is never dropped as `future` for clock skew.
pub fn evaluation_time(grants: &[signoff::Grant]) -> jiff::Timestamp {
    let now = jiff::Timestamp::now();
    grants
        .iter()
        .map(|g| g.at)
        .max()
        .map_or(now, |latest| latest.max(now))
}

/// Every group the policies name, for the forge to resolve.
pub fn groups_of(parsed: &[signoff::PolicySet]) -> Vec<String> {
    let mut out: Vec<String> = parsed
        .iter()
        .flat_map(|p| p.referenced_groups())
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Who the policies can name: the repository's writers and the groups they reference.
pub async fn people_of(
    forge: &dyn Forge,
    repo: &Repo,
    parsed: &[signoff::PolicySet],
) -> Result<People> {
    let groups = groups_of(parsed);
    let group_refs: Vec<&str> = groups.iter().map(String::as_str).collect();
    Ok(forge.people(repo, &group_refs).await?)
}

/// The request the core evaluates; the requester is never among its own contributors.
pub fn request(
    kind: Kind,
    requester: &str,
    revision: &str,
    attributes: Attributes,
    contributors: Vec<String>,
) -> Request {
    Request {
        kind,
        config: None,
        requester: requester.to_owned(),
        revision: Some(revision.to_owned()),
        attributes,
        contributors: contributors
            .into_iter()
            .filter(|c| c != requester)
            .collect(),
    }
}
