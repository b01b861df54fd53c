//! The GitHub adapter behind the [`Forge`](crate::forge::Forge) seam.

pub mod api;
pub mod client;
mod forge;

pub use forge::{GitHub, GitHubForge};
