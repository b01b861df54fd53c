//! Asks each GitLab project the bot has answered for about deployments waiting for
//! approval: GitLab versions that send no Deployment Hook for a `blocked` deployment,
//! and hooks without Pipeline events ticked, still get their gates. Called by the
//! workers' recheck timer (`queue.recheck_secs`).

use crate::app::App;
use crate::event::{Event, ForgeKind};
use crate::store::now_ms;

/// Queues one look per project for the period `bucket` (replicas polling at once queue
/// it once).
pub async fn queue_polls(app: &App, bucket: i64) {
    if app.gitlab.is_none() {
        return;
    }
    let forge = ForgeKind::GitLab.as_str();
    let repos = match app.store.repos_of(forge).await {
        Ok(repos) => repos,
        Err(e) => {
            tracing::error!(error = %e, "cannot list GitLab projects to poll");
            return;
        }
    };
    for repo in repos {
        let delivery = format!("{repo}@waiting#{bucket}");
        let event = Event::FindWaiting {
            repo,
            tenant: None,
            environments: Vec::new(),
            default_branch: None,
            revision: None,
        };
        match app
            .store
            .enqueue(forge, "poll", &delivery, &event, now_ms())
            .await
        {
            Ok(true) => app.work.notify_one(),
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "cannot queue a GitLab poll"),
        }
    }
}
