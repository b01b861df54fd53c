//! Answers already read during one event. A `GitHubForge` is made per delivery, so
//! whatever it remembers here lives exactly as long as one event: a pull request gate
//! and the deployment gates it touches share one read of each answer, and the next
//! event reads everything again (SPEC §8).

use super::Team;
use crate::forge::{Activity, Change, DeploymentFacts, Edit, Result};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Mutex;

/// One kind of answer, by question.
pub(super) struct Asked<V>(Mutex<HashMap<String, V>>);

impl<V> Default for Asked<V> {
    fn default() -> Self {
        Asked(Mutex::new(HashMap::new()))
    }
}

impl<V: Clone> Asked<V> {
    pub(super) fn get(&self, question: &str) -> Option<V> {
        self.0.lock().ok()?.get(question).cloned()
    }

    pub(super) fn put(&self, question: String, answer: V) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(question, answer);
        }
    }

    /// The answer this event already has, else `read`'s (remembered).
    pub(super) async fn or_read(
        &self,
        question: String,
        read: impl Future<Output = Result<V>>,
    ) -> Result<V> {
        if let Some(hit) = self.get(&question) {
            return Ok(hit);
        }
        let answer = read.await?;
        self.put(question, answer.clone());
        Ok(answer)
    }

    pub(super) fn forget(&self, question: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(question);
        }
    }
}

/// A pull request's file and commit counts, from `change`: the lists are checked
/// against them, so a list GitHub cuts short is never taken whole.
#[derive(Debug, Clone, Default)]
pub(super) struct Sizes {
    pub files: Option<u64>,
    pub commits: Option<u64>,
    /// The base the lists are against (`ref@sha`): a pull request's files and commits
    /// change with its base (retargeted, or the base branch moved), not only its head.
    pub base: String,
}

/// Everything one event has read, by kind of answer.
#[derive(Default)]
pub(super) struct Memo {
    /// repo#number → the pull request and its list sizes
    pub changes: Asked<(Change, Sizes)>,
    /// repo#number → reviews and comments
    pub activity: Asked<Vec<Activity>>,
    /// node id → its last edit (`None`: never edited)
    pub edits: Asked<Option<Edit>>,
    /// repo@ref → the policy file
    pub policies: Asked<Option<String>>,
    /// repo → writers; org/team → members; repo → environments
    pub writers: Asked<BTreeSet<String>>,
    pub teams: Asked<Option<Team>>,
    pub environments: Asked<Vec<String>>,
    /// repo run deployment → the deployment as GitHub records it
    pub deployments: Asked<DeploymentFacts>,
    /// repo run → its environment reviews
    pub approvals: Asked<Vec<Activity>>,
    /// repo environment deployment sha → the people whose commits it ships
    pub shipped_by: Asked<Vec<String>>,
    /// repo sha → the combined status (forgotten when this event posts on it)
    pub combined: Asked<super::answers::Combined>,
}
