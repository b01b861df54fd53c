//! Figures about the shared queue for `/metrics` and `/healthz`: the same for every
//! replica on the database.

use super::{Result, Store};
use sqlx::Row;
use std::time::Duration;

/// The queue as an operator watches it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFigures {
    /// Deliveries waiting to be taken (due now or waiting for a retry).
    pub depth: i64,
    /// When the oldest of them was received (Unix ms); `None` when none waits.
    pub oldest_received_at: Option<i64>,
    /// Times workers took deliveries, over every delivery still recorded (a take that
    /// waited for a rate limit is not counted).
    pub attempts: i64,
}

impl Store {
    pub async fn queue_figures(&self) -> Result<QueueFigures> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END), 0) AS BIGINT) AS depth,
                    MIN(CASE WHEN state = 'queued' THEN received_at END) AS oldest,
                    CAST(COALESCE(SUM(attempts), 0) AS BIGINT) AS attempts
             FROM deliveries",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(QueueFigures {
            depth: row.try_get("depth")?,
            oldest_received_at: row.try_get::<Option<i64>, _>("oldest")?,
            attempts: row.try_get("attempts")?,
        })
    }

    /// Whether the database answers a trivial query within `limit`.
    pub async fn reachable(&self, limit: Duration) -> bool {
        let ping = sqlx::query("SELECT 1").execute(self.pool());
        matches!(tokio::time::timeout(limit, ping).await, Ok(Ok(_)))
    }
}
