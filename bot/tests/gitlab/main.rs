//! The GitLab adapter against a fake GitLab on loopback speaking the REST v4 paths and
//! answer shapes of GitLab's documentation.
// The whole binary is test code, where clippy.toml allows unwrap, expect, panic and indexing.
#![cfg(test)]

#[macro_use]
#[path = "../common/mod.rs"]
mod common;
mod approval_gate;
mod client;
mod deployment_trust;
mod fake;
mod forged_hooks;
mod gates;
mod harness;
mod hooks;
mod intake;
mod neutral;
mod pages;
mod pipelines;
mod policy_check;
mod relabel;
