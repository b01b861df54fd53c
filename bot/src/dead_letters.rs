//! `signoff dead-letters [--retry ID | --retry-all]`: deliveries the bot gave up on (and
//! failed closed), listed with the reason, and queued again once the cause is fixed.

use crate::store::Store;
use crate::store::queue::DeadLetter;

/// What to do besides listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    None,
    One(i64),
    All,
}

fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

pub fn line(d: &DeadLetter) -> String {
    format!(
        "{} {} dead-letter {} id={} delivery={} event={} attempts={} reason={:?}",
        time(d.failed_at),
        d.forge,
        crate::event::Event::key_without_forge(&d.work_key),
        d.id,
        d.delivery_id,
        d.event,
        d.attempts,
        d.reason
    )
}

pub fn json(d: &DeadLetter) -> serde_json::Value {
    serde_json::json!({
        "dead_letter": {
            "id": d.id,
            "forge": d.forge,
            "delivery": d.delivery_id,
            "event": d.event,
            "key": crate::event::Event::key_without_forge(&d.work_key),
            "attempts": d.attempts,
            "received_at": time(d.received_at),
            "failed_at": time(d.failed_at),
            "reason": d.reason,
        }
    })
}

/// Lists dead letters (after queueing the chosen ones again, which then no longer show).
pub async fn run(database: &str, retry: Retry, as_json: bool) -> Result<Vec<String>, String> {
    let store = Store::connect(database)
        .await
        .map_err(|e| format!("database {}: {e}", crate::store::redact(database)))?;
    let mut out = Vec::new();
    let which = match retry {
        Retry::None => None,
        Retry::One(id) => Some(Some(id)),
        Retry::All => Some(None),
    };
    if let Some(id) = which {
        let queued = store
            .retry_dead_letters(id, crate::store::now_ms())
            .await
            .map_err(|e| e.to_string())?;
        if let (Some(id), 0) = (id, queued) {
            store.close().await;
            return Err(format!("no dead letter with id {id}"));
        }
        out.push(format!(
            "queued again: {queued} (a running bot processes them shortly)"
        ));
    }
    let dead = store.dead_letters(None).await.map_err(|e| e.to_string())?;
    store.close().await;
    out.extend(dead.iter().map(|d| {
        if as_json {
            json(d).to_string()
        } else {
            line(d)
        }
    }));
    Ok(out)
}
