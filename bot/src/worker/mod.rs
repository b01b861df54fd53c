//! Workers: claim stored deliveries, handle them, and retry what failed for a reason
//! that may pass (exponential backoff with jitter; rate limits waited out). After the
//! last attempt a change gets a failure status: the bot fails closed.

pub mod backoff;
mod change;
mod dispatch;
pub mod due;
mod unanswered;
pub mod wake;

use crate::app::App;
use crate::event::Event;
use crate::forge::ForgeError;
use crate::gate::HandlerError;
use crate::store::now_ms;
use crate::store::queue::{Held, Lease};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::Instrument;

pub async fn run(app: Arc<App>, worker: usize, mut stop: watch::Receiver<bool>) {
    let poll = Duration::from_millis(app.config.queue.poll_ms.max(1));
    let lease = i64::try_from(app.config.queue.lease_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let max_attempts = app.config.queue.max_attempts.max(1);
    let mut last_sweep: Option<std::time::Instant> = None;
    let mut last_forget: Option<std::time::Instant> = None;
    loop {
        if *stop.borrow() {
            break;
        }
        // One sweeper per process is enough (the UPDATE is atomic across replicas).
        if worker == 0 && last_sweep.is_none_or(|t| t.elapsed() >= poll) {
            last_sweep = Some(std::time::Instant::now());
            bury_abandoned(&app, max_attempts).await;
        }
        if worker == 0 && last_forget.is_none_or(|t| t.elapsed() >= FORGET_EVERY) {
            last_forget = Some(std::time::Instant::now());
            forget_done(&app).await;
        }
        match app.store.claim(now_ms(), lease, max_attempts).await {
            Ok(Some(job)) => {
                let span = tracing::info_span!("delivery", id = job.id, event = job.event, worker);
                let batch = with_followers(&app, job, lease).await;
                let held = Lease {
                    ids: batch.iter().map(|j| j.id).collect(),
                    token: batch.first().map_or(0, |j| j.lease),
                };
                with_heartbeat(&app, &held, lease, process(&app, batch, &held))
                    .instrument(span)
                    .await;
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

/// The claimed delivery and, when it is a pull request's, the deliveries of that change
/// queued after it: they are handled as one batch (see [`change`]).
async fn with_followers(
    app: &App,
    job: crate::store::queue::Claimed,
    lease_ms: i64,
) -> Vec<crate::store::queue::Claimed> {
    let followers = match app
        .store
        .claim_followers(&job, &change::COALESCING, now_ms(), lease_ms)
        .await
    {
        Ok(followers) => followers,
        Err(e) => {
            // They are taken on their own later.
            tracing::error!(delivery = job.id, error = %e, "cannot take the change's queued deliveries");
            Vec::new()
        }
    };
    if !followers.is_empty() {
        tracing::debug!(
            delivery = job.id,
            coalesced = followers.len(),
            "queued deliveries of the change joined"
        );
    }
    std::iter::once(job).chain(followers).collect()
}

/// Runs a job while renewing its lease every third of it, so a job that outlives one
/// lease is never taken over (and run a second time) while this worker is alive. A
/// worker that finds its lease taken over (it stalled past the lease) stops the job:
/// the new holder answers.
async fn with_heartbeat(app: &App, held: &Lease, lease_ms: i64, job: impl Future<Output = ()>) {
    let every = Duration::from_millis(u64::try_from(lease_ms / 3).unwrap_or(0).max(50));
    let beat = async {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            match app
                .store
                .heartbeat(held, now_ms().saturating_add(lease_ms))
                .await
            {
                Ok(Held::Yes) => {}
                Ok(Held::Lost) => {
                    tracing::warn!(deliveries = ?held.ids, "lease taken over by another worker; stopping");
                    return;
                }
                Err(e) => {
                    tracing::error!(deliveries = ?held.ids, error = %e, "cannot renew the lease");
                }
            }
        }
    };
    tokio::select! {
        () = job => {}
        () = beat => {}
    }
}

/// How often handled deliveries past `queue.keep_done_days` are forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(600);

/// Forgets handled deliveries past `queue.keep_done_days`, in batches so that no
/// statement holds the queue's table long.
async fn forget_done(app: &App) {
    const BATCH: i64 = 5_000;
    let days = app.config.queue.keep_done_days;
    if days == 0 {
        return;
    }
    let keep = i64::try_from(days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
    let before = now_ms().saturating_sub(keep);
    let mut total = 0;
    loop {
        match app.store.forget_done(before, BATCH).await {
            Ok(n) if n == BATCH.unsigned_abs() => {
                total += n;
                tokio::task::yield_now().await;
            }
            Ok(n) => {
                total += n;
                if total > 0 {
                    tracing::info!(forgotten = total, "handled deliveries forgotten");
                }
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot forget handled deliveries");
                return;
            }
        }
    }
}

/// Dead-letters deliveries whose worker stopped on them on every attempt (a poison
/// input that crashes the process is not retaken forever) and fails their gates closed.
async fn bury_abandoned(app: &App, max_attempts: u32) {
    let buried = match app.store.bury_abandoned(now_ms(), max_attempts).await {
        Ok(buried) => buried,
        Err(e) => {
            tracing::error!(error = %e, "cannot look for abandoned deliveries");
            return;
        }
    };
    for job in buried {
        let reason = format!(
            "dead letter: abandoned after {} attempts (the worker stopped on it every time)",
            job.attempts
        );
        tracing::error!(delivery = job.id, attempts = job.attempts, "{reason}");
        let kind = crate::event::ForgeKind::from_name(&job.forge);
        if let (Ok(event), Some(kind)) = (serde_json::from_str::<Event>(&job.payload), kind) {
            dispatch::fail_closed(app, kind, &event, &reason).await;
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
                tenant: gate.installation,
                gate_id: gate.request.gate_id,
            };
            let delivery = format!("{}@run{}#{bucket}", gate.repo, gate.request.gate_id);
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
        crate::forges::look_for_waiting(&app, bucket).await;
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
    queue_reassertions(app, answers, &bucket.to_string()).await;
}

/// Queues a reassertion of each answer (posted again unless the forge shows it), once
/// per answer and `round` (the delivery id says which).
pub(crate) async fn queue_reassertions(
    app: &App,
    answers: Vec<crate::store::answers::Unconfirmed>,
    round: &str,
) {
    for a in answers {
        let delivery = format!("{}@{}/{}#{round}", a.repo, a.revision, a.context);
        let event = Event::Reassert {
            repo: a.repo,
            tenant: a.tenant,
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

/// Dead-letters a batch's head; its followers are taken again on their own at once,
/// with their own attempts (as they would have been without coalescing), so a change
/// is given up only when each of its deliveries was.
async fn give_up_head(
    app: &App,
    lease: &Lease,
    error: &str,
    calls: u32,
) -> crate::store::Result<Held> {
    let (head, followers) = lease.ids.split_at(lease.ids.len().min(1));
    let head = Lease {
        ids: head.to_vec(),
        token: lease.token,
    };
    let held = app.store.fail(&head, now_ms(), error, calls).await?;
    if !followers.is_empty() {
        let followers = Lease {
            ids: followers.to_vec(),
            token: lease.token,
        };
        let _ = app
            .store
            .retry(&followers, now_ms(), error, 0, false)
            .await?;
    }
    Ok(held)
}

/// Handles a claimed batch: one delivery, or the queued deliveries of one change (their
/// facts recorded, then one evaluation), and records one outcome for them all.
async fn process(app: &App, batch: Vec<crate::store::queue::Claimed>, held: &Lease) {
    let mut jobs = Vec::with_capacity(batch.len());
    for job in batch {
        match serde_json::from_str::<Event>(&job.payload) {
            Ok(event) => jobs.push((job, event)),
            Err(e) => {
                let error = format!("unreadable stored event: {e}");
                if let Err(e) = app.store.fail(&job.lease(), now_ms(), &error, 0).await {
                    tracing::error!(delivery = job.id, error = %e, "cannot record the outcome");
                }
            }
        }
    }
    let Some((head, last)) = jobs.first().zip(jobs.last()) else {
        return;
    };
    let (id, forge, last_event) = (head.0.id, head.0.forge.clone(), last.1.clone());
    // The batch's attempts are its head's (a follower's take is not an attempt).
    let attempts = head.0.attempts;
    let lease = Lease {
        ids: jobs.iter().map(|(j, _)| j.id).collect(),
        token: held.token,
    };
    let Some(kind) = crate::event::ForgeKind::from_name(&forge) else {
        let error = format!("unknown forge {forge:?}");
        if let Err(e) = app.store.fail(&lease, now_ms(), &error, 0).await {
            tracing::error!(delivery = id, error = %e, "cannot record the outcome");
        }
        return;
    };
    let events: Vec<&Event> = jobs.iter().map(|(_, e)| e).collect();
    let started = std::time::Instant::now();
    let (result, calls) = dispatch::dispatch(app, kind, &events).await;
    app.metrics.evaluation.observe(started.elapsed());
    let outcome = match result {
        Ok(()) => app.store.finish(&lease, now_ms(), calls).await,
        Err(HandlerError::Forge(ForgeError::RateLimited { until_ms, message })) => {
            // Wait for the reset, plus a little jitter so waiting deliveries spread out.
            let next = until_ms.max(now_ms()) + i64::try_from(fastrand::u64(0..250)).unwrap_or(0);
            tracing::warn!(delivery = id, until_ms, "rate limited; waiting");
            app.metrics
                .forge(kind)
                .rate_limit_waits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            app.store.retry(&lease, next, &message, calls, true).await
        }
        Err(e) if e.retryable() && attempts < app.config.queue.max_attempts => {
            let delay = app.config.backoff().delay_random(attempts);
            tracing::warn!(delivery = id, attempt = attempts, error = %e, retry_in_ms = delay.as_millis(), "will retry");
            let next = now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
            app.store
                .retry(&lease, next, &e.to_string(), calls, false)
                .await
        }
        Err(e) => {
            tracing::error!(delivery = id, attempt = attempts, error = %e, "giving up: dead letter");
            // One change (or one delivery): its latest event says where to answer.
            dispatch::fail_closed(app, kind, &last_event, &dispatch::reason(&e)).await;
            give_up_head(app, &lease, &e.to_string(), calls).await
        }
    };
    match outcome {
        Ok(Held::Yes) => {}
        Ok(Held::Lost) => {
            tracing::warn!(
                delivery = id,
                "lease taken over by another worker; its outcome stands"
            )
        }
        // The lease runs out and another attempt follows.
        Err(e) => tracing::error!(delivery = id, error = %e, "cannot record the outcome"),
    }
}
