//! Answers time takes back. A pull request's answer can change with no one acting: an
//! approval passes `expires_after`, a blackout window opens, a maintenance window
//! closes or opens. Each answer keeps the instant its outcome changes on the inputs it
//! was decided on (`Context::outcome_changes_after`); from then, the pull request is
//! queued for evaluation once per write of the answer (the delivery id names the instant
//! and the write, so replicas polling alike queue it once), and its head is held pending
//! at once by the replica that queued it (`show::hold_due`), as again by the evaluation
//! before the forge is read (`worker::change`). The evaluation keeps the next instant.

use crate::app::App;
use crate::event::{Event, ForgeKind};
use crate::gate::show;
use crate::store::answers::DueRecheck;
use crate::store::now_ms;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The action of the change event queued when an answer is due.
pub(super) const ACTION: &str = "recheck";

/// Every `queue.poll_ms`, queues the evaluation of each pull request whose answer time
/// may have changed: a green is taken back within about that long after its instant.
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let poll = Duration::from_millis(app.config.queue.poll_ms.max(1));
    loop {
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            break;
        }
        queue_due(&app).await;
    }
}

/// The delivery id a due answer is queued under: the same on every replica polling alike,
/// so it is queued once. It names the write as well as the instant: a replica whose clock
/// runs behind the poller's can evaluate the queued answer just before its instant and
/// write the same green due at the same instant again, which must be queued again rather
/// than dropped as a duplicate (it is, until that clock has passed the instant).
pub fn delivery_id(recheck: &DueRecheck) -> String {
    format!(
        "recheck:{}!{}@{}/{}",
        recheck.repo, recheck.number, recheck.recheck_at, recheck.written_at
    )
}

async fn queue_due(app: &App) {
    let due = match app.store.due_rechecks(now_ms()).await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "cannot list answers time may have changed");
            return;
        }
    };
    // Every due answer is queued before any is held: a hold posts to the forge, and a
    // slow forge must not keep the others' evaluations from starting.
    let mut queued = Vec::new();
    for recheck in due {
        let event = Event::Change {
            repo: recheck.repo.clone(),
            tenant: recheck.tenant,
            number: recheck.number,
            action: ACTION.to_owned(),
            head: None,
        };
        let delivery = delivery_id(&recheck);
        match app
            .store
            .enqueue(&recheck.forge, "recheck", &delivery, &event, now_ms())
            .await
        {
            Ok(true) => {
                tracing::info!(repo = %recheck.repo, number = recheck.number, "answer due for evaluation again");
                app.work.notify_one();
                queued.push(recheck);
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "cannot queue an evaluation due on time"),
        }
    }
    for recheck in &queued {
        hold(app, recheck).await;
    }
}

/// Holds the due answer's head pending now, not when its evaluation's turn comes (see
/// `show::hold_due`). Only the replica that queued it; a hold that fails is logged, and
/// the evaluation holds the head first anyway.
async fn hold(app: &App, recheck: &DueRecheck) {
    let Some(kind) = ForgeKind::from_name(&recheck.forge) else {
        return;
    };
    let held = match crate::forges::handle(app, kind, recheck.tenant) {
        Ok(forge) => show::hold_due(app, forge.as_ref(), recheck).await,
        Err(e) => Err(e),
    };
    if let Err(e) = held {
        tracing::warn!(repo = %recheck.repo, number = recheck.number, error = %e, "cannot hold an answer due on time yet; its evaluation will");
    }
}
