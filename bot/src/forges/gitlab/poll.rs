//! Every `queue.recheck_secs`, asks each GitLab project the bot has answered for about
//! deployments waiting for approval: GitLab versions that send no Deployment Hook for a
//! `blocked` deployment, and hooks without Pipeline events ticked, still get their gates.

use crate::app::App;
use crate::event::{Event, ForgeKind};
use crate::store::now_ms;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let secs = app.config.queue.recheck_secs;
    if secs == 0 || app.gitlab.is_none() {
        return;
    }
    let forge = ForgeKind::GitLab.as_str();
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(secs)) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            break;
        }
        let repos = match app.store.repos_of(forge).await {
            Ok(repos) => repos,
            Err(e) => {
                tracing::error!(error = %e, "cannot list GitLab projects to poll");
                continue;
            }
        };
        // One delivery per project and period: replicas polling at once queue it once.
        let bucket = now_ms()
            / i64::try_from(secs.saturating_mul(1000))
                .unwrap_or(i64::MAX)
                .max(1);
        for repo in repos {
            let delivery = format!("{repo}@waiting#{bucket}");
            let event = Event::FindWaiting {
                repo,
                tenant: None,
                environments: Vec::new(),
                default_branch: None,
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
}
