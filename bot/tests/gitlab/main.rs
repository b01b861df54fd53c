//! The GitLab adapter against a fake GitLab on loopback speaking the REST v4 paths and
//! answer shapes of GitLab's documentation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

#[path = "../common/bot_setup.rs"]
mod bot_setup;
mod client;
mod fake;
mod gates;
mod harness;
mod hooks;
mod intake;
#[path = "../common/postgres.rs"]
mod postgres;
#[macro_use]
#[path = "../common/scenarios.rs"]
mod scenarios;
mod neutral;
mod pipelines;
mod policy_check;
