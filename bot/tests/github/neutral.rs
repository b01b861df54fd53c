//! The forge-neutral scenarios (tests/common/scenarios.rs) on the fake GitHub.

use crate::common::scenarios::{Shown, Verbs};
use crate::harness::Harness;

impl Verbs for Harness {
    fn set_policy(&self, branch: &str, text: &str) {
        Harness::set_policy(self, branch, text);
    }

    fn source_branch(&self, number: u64) -> String {
        format!("change-{number}")
    }

    async fn open_change(&self, number: u64, author: &str, head: &str) {
        self.open_pr(number, author, head, &["src/lib.rs"]).await;
    }

    async fn open_change_into(&self, number: u64, author: &str, head: &str, target: &str) {
        self.open_pr_from(number, author, head, &format!("change-{number}"), target)
            .await;
    }

    async fn approve(&self, number: u64, user: &str) {
        self.review(number, user, "APPROVED").await;
    }

    async fn comment(&self, number: u64, user: &str, body: &str) {
        Harness::comment(self, number, user, body).await;
    }

    async fn push(&self, number: u64, head: &str) {
        Harness::push(self, number, head, "erin").await;
    }

    async fn settle(&self) {
        Harness::settle(self).await;
    }

    fn shown(&self, head: &str) -> Option<Shown> {
        let status = self.fake.status(head, "signoff")?;
        match status["state"].as_str()? {
            "pending" => Some(Shown::Pending),
            "success" => Some(Shown::Success),
            "failure" | "error" => Some(Shown::Failure),
            _ => None,
        }
    }
}

run_scenarios!(Harness);
