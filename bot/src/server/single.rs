//! SQLite is for one bot process. Each process running on a SQLite file notes itself in
//! the database (`settings.sqlite_process`: instance, pid, time) and renews the note;
//! a process that starts while another's note is fresh and that process is alive says
//! so. (A file lock would need Rust 1.89; the workspace supports 1.85.)

use crate::store::{Backend, Store, now_ms};
use std::time::Duration;

const NAME: &str = "sqlite_process";
/// How often a running process renews its note; older than three of these is stale.
pub const BEAT: Duration = Duration::from_secs(5);

fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = std::path::Path::new("/proc");
    // Without /proc, trust the time alone.
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// Whether another live process uses this SQLite database; notes this one either way.
pub async fn claim(store: &Store, instance: &str) -> bool {
    if store.backend != Backend::Sqlite {
        return false;
    }
    let other = match store.setting(NAME).await {
        Ok(Some(value)) => {
            let mut parts = value.split(' ');
            let (who, pid, at) = (parts.next(), parts.next(), parts.next());
            let pid = pid.and_then(|p| p.parse::<u32>().ok());
            let at = at.and_then(|a| a.parse::<i64>().ok()).unwrap_or(0);
            let fresh = now_ms().saturating_sub(at)
                < i64::try_from(BEAT.as_millis() * 3).unwrap_or(i64::MAX);
            who != Some(instance) && fresh && pid.is_some_and(alive)
        }
        _ => false,
    };
    if other {
        tracing::warn!(
            "another signoff process uses this SQLite database: SQLite is for one bot process; run several replicas on PostgreSQL"
        );
    }
    note(store, instance).await;
    other
}

/// Renews this process's note.
pub async fn note(store: &Store, instance: &str) {
    let value = format!("{instance} {} {}", std::process::id(), now_ms());
    let done = sqlx::query(
        "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2",
    )
    .bind(NAME)
    .bind(value)
    .execute(store.pool())
    .await;
    if let Err(e) = done {
        tracing::warn!(error = %e, "cannot note this process in the SQLite database");
    }
}

/// Removes this process's note when it stops cleanly.
pub async fn release(store: &Store, instance: &str) {
    if store.backend != Backend::Sqlite {
        return;
    }
    let done = sqlx::query("DELETE FROM settings WHERE name = $1 AND value LIKE $2")
        .bind(NAME)
        .bind(format!("{instance} %"))
        .execute(store.pool())
        .await;
    if let Err(e) = done {
        tracing::warn!(error = %e, "cannot remove this process's note from the SQLite database");
    }
}
