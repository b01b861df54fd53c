//! GitLab: webhook verification, payloads, the REST v4 client. Not yet wired into the
//! server and workers (see docs/gitlab.md).

pub mod api;
pub mod client;
mod endpoints;
pub mod intake;
pub mod payloads;
pub mod settings;
pub mod time;
pub mod verify;

pub use client::{ApiError, Auth, GitLabClient, ProjectId};
pub use payloads::{GitLabEvent, ProjectRef};
pub use settings::GitLabSettings;
