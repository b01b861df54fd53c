//! The forge-neutral scenarios (tests/common/scenarios.rs) on the fake GitLab: the same
//! bodies the GitHub suite runs.

use crate::common::scenarios::{Shown, Verbs};
use crate::harness::Harness;

impl Verbs for Harness {
    fn set_policy(&self, branch: &str, text: &str) {
        Harness::set_policy(self, branch, text);
    }

    fn source_branch(&self, number: u64) -> String {
        format!("feature-{number}")
    }

    async fn open_change(&self, number: u64, author: &str, head: &str) {
        self.open_mr(number, author, head).await;
    }

    async fn open_change_into(&self, number: u64, author: &str, head: &str, target: &str) {
        self.open_mr_into(number, author, head, target).await;
    }

    async fn approve(&self, number: u64, user: &str) {
        Harness::approve(self, number, user).await;
    }

    async fn comment(&self, number: u64, user: &str, body: &str) {
        self.note(number, user, body).await;
    }

    async fn push(&self, number: u64, head: &str) {
        Harness::push(self, number, head).await;
    }

    async fn settle(&self) {
        Harness::settle(self).await;
    }

    fn shown(&self, head: &str) -> Option<Shown> {
        match self.status_named(head, "signoff")?.0.as_str() {
            "pending" | "running" => Some(Shown::Pending),
            "success" => Some(Shown::Success),
            "failed" | "canceled" => Some(Shown::Failure),
            _ => None,
        }
    }
}

run_scenarios!(Harness);
