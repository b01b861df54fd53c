//! The GitHub adapter behind the [`Forge`](crate::forge::Forge) seam.

pub mod api;
pub mod client;
mod forge;
pub mod intake;
pub mod payloads;
pub mod signature;

pub use forge::{GitHub, GitHubForge};
