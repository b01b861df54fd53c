//! The delivery queue: insert-or-ignore by (forge, hook id, delivery id) before the
//! webhook is acknowledged; workers claim the oldest due delivery whose key has no
//! earlier unfinished delivery, under a lease, so one change is handled in order and a
//! crashed worker's delivery is taken over when its lease ends.

use super::{Result, Store};
use crate::event::Event;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub forge: String,
    pub event: String,
    pub payload: String,
    /// Including this one.
    pub attempts: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
}

/// A delivery to record.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub forge: String,
    pub hook_id: String,
    pub delivery_id: String,
    pub event: Event,
}

/// Most deliveries written in one statement (7 parameters each).
pub const MAX_BATCH: usize = 256;

impl Store {
    /// Records deliveries in one statement (one transaction); for each, true when it was
    /// new, false when (forge, hook, delivery) was already recorded, or repeated earlier
    /// in the same batch.
    pub async fn enqueue_many(&self, rows: &[NewDelivery], now: i64) -> Result<Vec<bool>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = String::from(
            "INSERT INTO deliveries (forge, hook_id, delivery_id, event, work_key, payload, state, attempts, next_at, received_at) VALUES ",
        );
        for i in 0..rows.len() {
            let p = i * 7;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, 'queued', 0, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 7
            ));
        }
        sql.push_str(" ON CONFLICT (forge, hook_id, delivery_id) DO NOTHING RETURNING forge, hook_id, delivery_id");
        let mut query = sqlx::query(&sql);
        for row in rows {
            let payload =
                serde_json::to_string(&row.event).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            query = query
                .bind(row.forge.clone())
                .bind(row.hook_id.clone())
                .bind(row.delivery_id.clone())
                .bind(row.event.name())
                .bind(row.event.work_key())
                .bind(payload)
                .bind(now);
        }
        let inserted = query.fetch_all(self.pool()).await?;
        let mut new: std::collections::HashSet<(String, String, String)> = inserted
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("forge")?,
                    r.try_get("hook_id")?,
                    r.try_get("delivery_id")?,
                ))
            })
            .collect::<Result<_>>()?;
        Ok(rows
            .iter()
            .map(|r| new.remove(&(r.forge.clone(), r.hook_id.clone(), r.delivery_id.clone())))
            .collect())
    }

    /// Records a delivery; false when (forge, hook, delivery) was already recorded.
    pub async fn enqueue(
        &self,
        forge: &str,
        hook_id: &str,
        delivery_id: &str,
        event: &Event,
        now: i64,
    ) -> Result<bool> {
        let payload = serde_json::to_string(event).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let done = sqlx::query(
            "INSERT INTO deliveries (forge, hook_id, delivery_id, event, work_key, payload, state, attempts, next_at, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $7)
             ON CONFLICT (forge, hook_id, delivery_id) DO NOTHING",
        )
        .bind(forge)
        .bind(hook_id)
        .bind(delivery_id)
        .bind(event.name())
        .bind(event.work_key())
        .bind(payload)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn claim(&self, now: i64, lease_ms: i64) -> Result<Option<Claimed>> {
        let row = sqlx::query(
            "UPDATE deliveries SET state = 'running', locked_until = $1, attempts = attempts + 1
             WHERE id = (
                SELECT d.id FROM deliveries d
                WHERE ((d.state = 'queued' AND d.next_at <= $2) OR (d.state = 'running' AND d.locked_until <= $2))
                  AND NOT EXISTS (SELECT 1 FROM deliveries o
                                  WHERE o.work_key = d.work_key AND o.state IN ('queued', 'running') AND o.id < d.id)
                ORDER BY d.id LIMIT 1)
               AND (state = 'queued' OR locked_until <= $2)
             RETURNING id, forge, event, payload, attempts",
        )
        .bind(now + lease_ms)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(Claimed {
                id: r.try_get("id")?,
                forge: r.try_get("forge")?,
                event: r.try_get("event")?,
                payload: r.try_get("payload")?,
                attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
            })
        })
        .transpose()
    }

    pub async fn finish(&self, id: i64, now: i64, api_calls: u32) -> Result<()> {
        sqlx::query("UPDATE deliveries SET state = 'done', finished_at = $2, api_calls = api_calls + $3, last_error = NULL WHERE id = $1")
            .bind(id)
            .bind(now)
            .bind(i64::from(api_calls))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Puts a delivery back for a later attempt. `refund` gives the attempt back (a
    /// rate-limit wait is not a failure).
    pub async fn retry(
        &self,
        id: i64,
        next_at: i64,
        error: &str,
        api_calls: u32,
        refund: bool,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE deliveries SET state = 'queued', next_at = $2, last_error = $3, locked_until = 0,
                    api_calls = api_calls + $4, attempts = attempts - $5 WHERE id = $1",
        )
        .bind(id)
        .bind(next_at)
        .bind(error)
        .bind(i64::from(api_calls))
        .bind(i64::from(refund))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn fail(&self, id: i64, now: i64, error: &str, api_calls: u32) -> Result<()> {
        sqlx::query(
            "UPDATE deliveries SET state = 'failed', finished_at = $2, last_error = $3, api_calls = api_calls + $4 WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .bind(error)
        .bind(i64::from(api_calls))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn counts(&self) -> Result<Counts> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state")
            .fetch_all(self.pool())
            .await?;
        let mut counts = Counts::default();
        for row in rows {
            let n: i64 = row.try_get("n")?;
            match row.try_get::<String, _>("state")?.as_str() {
                "queued" => counts.queued = n,
                "running" => counts.running = n,
                "done" => counts.done = n,
                "failed" => counts.failed = n,
                _ => {}
            }
        }
        Ok(counts)
    }

    /// Total API calls and finished deliveries, for the benchmark's calls-per-event.
    pub async fn api_calls(&self) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(api_calls), 0) AS BIGINT) AS calls, COUNT(*) AS n FROM deliveries WHERE state = 'done'",
        )
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("calls")?, row.try_get("n")?))
    }

    /// The last errors of failed deliveries, for tests and operators.
    pub async fn failures(&self) -> Result<Vec<(i64, String)>> {
        let rows =
            sqlx::query("SELECT id, last_error FROM deliveries WHERE state = 'failed' ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get::<Option<String>, _>("last_error")?
                        .unwrap_or_default(),
                ))
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests stop at the first surprise"
)]
mod tests {
    use crate::event::{Event, Repo};
    use crate::store::Store;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("q.db").display()))
            .await
            .unwrap();
        (dir, store)
    }

    fn review(number: u64) -> Event {
        Event::Review {
            repo: Repo::new("o", "r"),
            installation: None,
            number,
            commented: None,
        }
    }

    #[tokio::test]
    async fn duplicates_are_recorded_once() {
        let (_dir, store) = store().await;
        assert!(
            store
                .enqueue("github", "1", "d1", &review(1), 0)
                .await
                .unwrap()
        );
        assert!(
            !store
                .enqueue("github", "1", "d1", &review(1), 0)
                .await
                .unwrap()
        );
        assert!(
            store
                .enqueue("github", "2", "d1", &review(1), 0)
                .await
                .unwrap()
        );
        assert_eq!(store.counts().await.unwrap().queued, 2);
    }

    #[tokio::test]
    async fn batches_tell_new_from_repeated() {
        let (_dir, store) = store().await;
        store
            .enqueue("github", "1", "a", &review(1), 0)
            .await
            .unwrap();
        let row = |d: &str| super::NewDelivery {
            forge: "github".into(),
            hook_id: "1".into(),
            delivery_id: d.into(),
            event: review(1),
        };
        let new = store
            .enqueue_many(&[row("a"), row("b"), row("b"), row("c")], 5)
            .await
            .unwrap();
        assert_eq!(new, vec![false, true, false, true]);
        assert_eq!(store.counts().await.unwrap().queued, 3);
    }

    #[tokio::test]
    async fn one_key_at_a_time_and_leases_expire() {
        let (_dir, store) = store().await;
        store
            .enqueue("github", "1", "a", &review(1), 0)
            .await
            .unwrap();
        store
            .enqueue("github", "1", "b", &review(1), 0)
            .await
            .unwrap();
        store
            .enqueue("github", "1", "c", &review(2), 0)
            .await
            .unwrap();
        let first = store.claim(10, 100).await.unwrap().unwrap();
        let second = store.claim(10, 100).await.unwrap().unwrap();
        assert_ne!(
            first.payload, second.payload,
            "the second PR, not the same PR's next delivery"
        );
        assert!(store.claim(10, 100).await.unwrap().is_none());
        // The lease ends: another worker takes the first over.
        let again = store.claim(200, 100).await.unwrap().unwrap();
        assert_eq!(again.id, first.id);
        assert_eq!(again.attempts, 2);
        store.finish(again.id, 201, 3).await.unwrap();
        store
            .retry(second.id, 1_000, "boom", 1, false)
            .await
            .unwrap();
        let next = store.claim(300, 100).await.unwrap().unwrap();
        assert_eq!(next.event, "review");
        assert!(
            store.claim(300, 100).await.unwrap().is_none(),
            "retry not due yet"
        );
        store.finish(next.id, 301, 0).await.unwrap();
        assert_eq!(
            store.claim(1_000, 100).await.unwrap().unwrap().id,
            second.id
        );
    }
}
