//! Forge adapters, one folder per forge: each verifies its webhooks, turns payloads
//! into the bot's events and implements the [`Forge`](crate::forge::Forge) seam.

pub mod github;
pub mod gitlab;
