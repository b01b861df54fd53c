//! The bot against a fake GitHub on loopback, with real webhook payloads.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

mod app_auth;
#[path = "../common/bot_setup.rs"]
mod bot_setup;
mod coalescing;
mod deployment_trust;
mod deployments;
mod enterprise;
mod fake;
mod faults;
mod found_in_review;
mod grants;
mod hardening;
mod harness;
mod intake;
mod lists;
mod operating;
mod pages;
mod policy_check;
#[path = "../common/postgres.rs"]
mod postgres;
mod publishing;
mod pull_requests;
mod queue;
mod resilience;
mod review;
#[macro_use]
#[path = "../common/scenarios.rs"]
mod scenarios;
mod neutral;
mod tenant_pause;
mod wake;
