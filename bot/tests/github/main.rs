//! The bot against a fake GitHub on loopback, with real webhook payloads.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

mod app_auth;
mod deployments;
mod fake;
mod harness;
mod intake;
mod publishing;
mod pull_requests;
mod resilience;
