//! GitLab: webhook verification, payloads, the REST v4 client and the adapter behind
//! the [`Forge`](crate::forge::Forge) seam (docs/gitlab.md).

mod activity;
pub mod api;
pub mod client;
mod edge;
mod edits;
mod endpoints;
mod events;
mod forge;
mod gate_claims;
pub mod intake;
mod own_approval;
pub mod payloads;
mod pipelines;
pub mod poll;
pub mod settings;
pub mod time;
pub mod verify;

pub use client::{ApiError, Auth, GitLabClient, ProjectId};
pub use edge::receive;
pub use forge::{GitLab, GitLabForge};
pub use payloads::{GitLabEvent, ProjectRef};
pub use settings::GitLabSettings;
