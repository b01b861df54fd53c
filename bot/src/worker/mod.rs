//! Workers: claim stored deliveries, handle them, and retry what failed for a reason
//! that may pass (exponential backoff with jitter; rate limits waited out). After the
//! last attempt a change gets a failure status: the bot fails closed.

pub mod backoff;
mod dispatch;

use crate::app::App;
use crate::event::Event;
use crate::forge::ForgeError;
use crate::gate::HandlerError;
use crate::store::now_ms;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub async fn run(app: Arc<App>, worker: usize, mut stop: watch::Receiver<bool>) {
    let poll = Duration::from_millis(app.config.queue.poll_ms.max(1));
    let lease = i64::try_from(app.config.queue.lease_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    loop {
        if *stop.borrow() {
            break;
        }
        match app.store.claim(now_ms(), lease).await {
            Ok(Some(job)) => {
                let span = tracing::info_span!("delivery", id = job.id, event = job.event, worker);
                let _enter = span.enter();
                drop(_enter);
                process(&app, job).await;
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "cannot claim work"),
        }
        tokio::select! {
            () = app.work.notified() => {}
            () = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Every `queue.recheck_secs`, queues a re-evaluation of each waiting deployment gate,
/// so gates held by a window or by time-based rules move without a new event.
pub async fn recheck(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let secs = app.config.queue.recheck_secs;
    if secs == 0 {
        return;
    }
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(secs)) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            break;
        }
        let gates = match app.store.all_pending_gates().await {
            Ok(gates) => gates,
            Err(e) => {
                tracing::error!(error = %e, "cannot list waiting gates");
                continue;
            }
        };
        let bucket = now_ms()
            / i64::try_from(secs.saturating_mul(1000))
                .unwrap_or(i64::MAX)
                .max(1);
        for gate in gates {
            let event = Event::DeploymentReview {
                repo: gate.repo.clone(),
                installation: gate.installation,
                run_id: gate.request.run_id,
            };
            let delivery = format!("{}@run{}#{bucket}", gate.repo, gate.request.run_id);
            match app
                .store
                .enqueue(&gate.forge, "recheck", &delivery, &event, now_ms())
                .await
            {
                Ok(true) => app.work.notify_one(),
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "cannot queue a recheck"),
            }
        }
        reassert_unconfirmed(&app, secs, bucket).await;
    }
}

/// Queues a new attempt at each answer the forge never confirmed (a status whose every
/// post failed), so a stale answer does not outlast an outage of the forge; for a day
/// after the answer was first wanted.
async fn reassert_unconfirmed(app: &App, secs: u64, bucket: i64) {
    const DAY_MS: i64 = 86_400_000;
    let now = now_ms();
    let before = now - i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let answers = match app.store.unconfirmed_shown(now - DAY_MS, before).await {
        Ok(answers) => answers,
        Err(e) => {
            tracing::error!(error = %e, "cannot list unconfirmed answers");
            return;
        }
    };
    for a in answers {
        let delivery = format!("{}@{}/{}#{bucket}", a.repo, a.revision, a.context);
        let event = Event::Reassert {
            repo: a.repo,
            installation: a.tenant,
            sha: a.revision,
            context: a.context,
        };
        match app
            .store
            .enqueue(&a.forge, "reassert", &delivery, &event, now_ms())
            .await
        {
            Ok(true) => app.work.notify_one(),
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "cannot queue a reassertion"),
        }
    }
}

async fn process(app: &App, job: crate::store::queue::Claimed) {
    let event: Event = match serde_json::from_str(&job.payload) {
        Ok(event) => event,
        Err(e) => {
            let _ = app
                .store
                .fail(
                    job.id,
                    now_ms(),
                    &format!("unreadable stored event: {e}"),
                    0,
                )
                .await;
            return;
        }
    };
    let (result, calls) = dispatch::dispatch(app, &event).await;
    let outcome = match result {
        Ok(()) => app.store.finish(job.id, now_ms(), calls).await,
        Err(HandlerError::Forge(ForgeError::RateLimited { until_ms, message })) => {
            // Wait for the reset, plus a little jitter so waiting deliveries spread out.
            let next = until_ms.max(now_ms()) + i64::try_from(fastrand::u64(0..250)).unwrap_or(0);
            tracing::warn!(delivery = job.id, until_ms, "rate limited; waiting");
            app.store.retry(job.id, next, &message, calls, true).await
        }
        Err(e) if e.retryable() && job.attempts < app.config.queue.max_attempts => {
            let delay = app.config.backoff().delay_random(job.attempts);
            tracing::warn!(delivery = job.id, attempt = job.attempts, error = %e, retry_in_ms = delay.as_millis(), "will retry");
            let next = now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
            app.store
                .retry(job.id, next, &e.to_string(), calls, false)
                .await
        }
        Err(e) => {
            tracing::error!(delivery = job.id, attempt = job.attempts, error = %e, "giving up");
            dispatch::fail_closed(app, &event, &e).await;
            app.store
                .fail(job.id, now_ms(), &e.to_string(), calls)
                .await
        }
    };
    if let Err(e) = outcome {
        // The lease runs out and another attempt follows.
        tracing::error!(delivery = job.id, error = %e, "cannot record the outcome");
    }
}
