//! Asks each GitLab project the bot has answered for about deployments waiting for
//! approval: GitLab versions that send no Deployment Hook for a `blocked` deployment,
//! and hooks without Pipeline events ticked, still get their gates. And checks that each
//! merge request answer that blocks (not `success`) is in the head pipelines of its
//! commit: a pipeline whose hook was lost or never sent would otherwise pass on CI
//! alone. Called by the workers' recheck timer (`queue.recheck_secs`).

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
    queue_head_checks(app, bucket).await;
}

/// How long a blocking answer that has not changed is still checked.
const CHECKED_FOR_MS: i64 = 7 * 86_400_000;

/// Queues a reassertion of each blocking merge request answer shown in the last week:
/// it posts the answer into each head pipeline that does not hold it (`shows` judges
/// the head pipelines), and does nothing more when all do.
async fn queue_head_checks(app: &App, bucket: i64) {
    let forge = ForgeKind::GitLab.as_str();
    let context = &app.config.status_context;
    let answers = match app
        .store
        .shown_blocking(forge, context, now_ms() - CHECKED_FOR_MS)
        .await
    {
        Ok(answers) => answers,
        Err(e) => {
            tracing::error!(error = %e, "cannot list GitLab answers to check");
            return;
        }
    };
    crate::worker::queue_reassertions(app, answers, &format!("heads{bucket}")).await;
}
