//! The bot against a fake GitHub on loopback, with real webhook payloads.
// The whole binary is test code, where clippy.toml allows unwrap, expect, panic and indexing.
#![cfg(test)]

mod app_auth;
#[macro_use]
#[path = "../common/mod.rs"]
mod common;
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
mod neutral;
mod operating;
mod pages;
mod policy_check;
mod publishing;
mod pull_requests;
mod queue;
mod resilience;
mod review;
mod tenant_pause;
mod time;
mod wake;
