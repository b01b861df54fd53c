//! What every request handler and worker shares.

use crate::config::{Config, Secret};
use crate::forges::github::GitHub;
use crate::forges::gitlab::{GitLab, GitLabSettings};
use crate::store::Store;
use signoff::model::policy::Commands;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Command words kept per repository before it is treated as unknown.
const MAX_KNOWN_WORDS: usize = 256;

pub struct App {
    pub config: Config,
    /// Base of details links: `public_url`, or the address actually bound.
    pub public_url: String,
    pub store: Store,
    /// Batched, durable recording of deliveries.
    pub intake: crate::webhook::intake::Intake,
    pub github: Option<Arc<GitHub>>,
    /// GitHub webhook secrets (several during a rotation).
    pub github_secrets: Vec<Secret>,
    /// The GitLab adapter, when a bot token is configured.
    pub gitlab: Option<Arc<GitLab>>,
    /// GitLab's webhook tokens and signing key, validated at start.
    pub gitlab_settings: GitLabSettings,
    /// The organisation-wide policy: its file name and text, read at start.
    pub org_policy: Option<(String, String)>,
    /// Signs details links.
    pub details_key: Secret,
    /// Wakes a worker when a delivery is queued.
    pub work: Notify,
    /// Evaluation latency and rate-limit waits of this process (`/metrics`).
    pub metrics: crate::metrics::Metrics,
    /// Command words seen in each repository's policies (every branch's), so comments
    /// without any command are skipped without asking the forge.
    /// `None`: more words than `MAX_KNOWN_WORDS`, so treated as unknown for good.
    pub commands: Mutex<HashMap<String, Option<Commands>>>,
}

impl App {
    /// The command words last seen in a repository's policy; `None` when not known
    /// (after a restart, or a repository not seen yet): then every comment is evaluated.
    pub fn known_commands(&self, repo: &str) -> Option<Commands> {
        self.commands
            .lock()
            .ok()
            .and_then(|m| m.get(repo).cloned().flatten())
    }

    /// Adds a policy's command words to those known for the repository. Every branch
    /// (and the deployment gate's default branch) may have its own policy, so the words
    /// of all are kept, never only the last evaluated one's: a comment in any of them
    /// is evaluated. Past `MAX_KNOWN_WORDS` words the repository counts as unknown
    /// (every comment evaluated) until a restart.
    pub fn remember_commands(&self, repo: &str, commands: &Commands) {
        if let Ok(mut map) = self.commands.lock() {
            if map.len() > 10_000 {
                map.clear();
            }
            let known = match map.get(repo) {
                Some(Some(old)) => Some(crate::forge::commands::union([old, commands])),
                Some(None) => None,
                None => Some(commands.clone()),
            }
            .filter(|k| k.approve.len() + k.reject.len() + k.revoke.len() <= MAX_KNOWN_WORDS);
            map.insert(repo.to_owned(), known);
        }
    }
}
