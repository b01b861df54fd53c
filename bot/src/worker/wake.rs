//! Wake-ups across replicas on PostgreSQL: a trigger on the queue notifies channel
//! `signoff_work` when deliveries are queued (by any replica), and each replica listens,
//! so an idle worker anywhere takes a new delivery at once. The poll (`queue.poll_ms`)
//! stays as the fallback: for retries falling due, and while the listening connection
//! is lost (it reconnects).

use crate::app::App;
use crate::store::Backend;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The channel the queue's trigger notifies (migration `notify_work`).
pub const CHANNEL: &str = "signoff_work";

/// Listens until `stop`, waking one local worker per notification.
pub async fn listen(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    if app.store.backend != Backend::Postgres {
        return;
    }
    let mut listener = None;
    loop {
        if *stop.borrow() {
            return;
        }
        let Some(active) = listener.as_mut() else {
            match connect(&app.config.database).await {
                Ok(connected) => listener = Some(connected),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for queued work; polling");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(5)) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
            continue;
        };
        tokio::select! {
            received = active.recv() => match received {
                Ok(_) => app.work.notify_one(),
                Err(e) => {
                    tracing::warn!(error = %e, "lost the queue's notifications; reconnecting");
                    listener = None;
                }
            },
            _ = stop.changed() => {}
        }
    }
}

async fn connect(database: &str) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(database).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
