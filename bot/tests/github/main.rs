//! The bot against a fake GitHub on loopback, with real webhook payloads.

mod deployments;
mod fake;
mod harness;
mod intake;
mod pull_requests;
mod resilience;
