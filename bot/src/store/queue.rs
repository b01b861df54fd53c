//! The delivery queue: insert-or-ignore by (forge, delivery id) before the webhook is
//! acknowledged (the hook id header is not signed, so it is kept but not part of the
//! key); workers claim the oldest due delivery whose key has no earlier unfinished
//! delivery, under a lease they renew while they work, so one change is handled at a
//! time and in order, across every replica sharing the database. A delivery taken
//! `max_attempts` times without finishing (a worker that crashed on it every time) is
//! not taken again: it becomes a dead letter (state `failed`) with the reason.

use super::{Backend, Result, Store};
use crate::event::Event;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub forge: String,
    pub event: String,
    /// The change or run it is about: deliveries of one key are handled one at a time.
    pub work_key: String,
    pub payload: String,
    /// Including this one.
    pub attempts: u32,
    /// The claim's token: outcomes are recorded only while it still holds the delivery.
    pub lease: i64,
}

impl Claimed {
    /// What the worker holds: this delivery under its claim.
    pub fn lease(&self) -> Lease {
        Lease {
            ids: vec![self.id],
            token: self.lease,
        }
    }
}

/// Deliveries a worker claimed (one, or a change's batch) and the token of the claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub ids: Vec<i64>,
    pub token: i64,
}

/// Did a write under a lease land?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Held {
    /// The lease still held the deliveries: the write is recorded.
    Yes,
    /// Its lease ran out and another worker took the deliveries over: nothing written,
    /// the new holder's result stands.
    Lost,
}

fn claimed(r: &sqlx::any::AnyRow) -> Result<Claimed> {
    Ok(Claimed {
        id: r.try_get("id")?,
        forge: r.try_get("forge")?,
        event: r.try_get("event")?,
        work_key: r.try_get("work_key")?,
        payload: r.try_get("payload")?,
        attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        lease: r.try_get("lease")?,
    })
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
    /// new, false when (forge, delivery) was already recorded, or repeated earlier in the
    /// same batch.
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
        sql.push_str(" ON CONFLICT (forge, delivery_id) DO NOTHING RETURNING forge, delivery_id");
        let mut query = sqlx::query(&sql);
        for row in rows {
            let payload =
                serde_json::to_string(&row.event).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            query = query
                .bind(row.forge.clone())
                .bind(row.hook_id.clone())
                .bind(row.delivery_id.clone())
                .bind(row.event.name())
                .bind(row.event.work_key_on(&row.forge))
                .bind(payload)
                .bind(now);
        }
        let inserted = query.fetch_all(self.pool()).await?;
        let mut new: std::collections::HashSet<(String, String)> = inserted
            .iter()
            .map(|r| Ok((r.try_get("forge")?, r.try_get("delivery_id")?)))
            .collect::<Result<_>>()?;
        Ok(rows
            .iter()
            .map(|r| new.remove(&(r.forge.clone(), r.delivery_id.clone())))
            .collect())
    }

    /// Records a delivery; false when (forge, delivery) was already recorded.
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
             ON CONFLICT (forge, delivery_id) DO NOTHING",
        )
        .bind(forge)
        .bind(hook_id)
        .bind(delivery_id)
        .bind(event.name())
        .bind(event.work_key_on(forge))
        .bind(payload)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Takes the oldest due delivery whose key has no earlier unfinished delivery, and
    /// leases it until `now + lease_ms`. A delivery whose lease ran out is taken over,
    /// unless it was already taken `max_attempts` times: see [`Store::bury_abandoned`].
    /// On PostgreSQL, rows another replica is claiming are skipped (`SKIP LOCKED`)
    /// rather than waited for.
    pub async fn claim(
        &self,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let row = sqlx::query(&format!(
            "UPDATE deliveries SET state = 'running', locked_until = $1, attempts = attempts + 1, lease = $4
             WHERE id = (
                SELECT d.id FROM deliveries d
                WHERE ((d.state = 'queued' AND d.next_at <= $2)
                       OR (d.state = 'running' AND d.locked_until <= $2 AND d.attempts < $3))
                  AND NOT EXISTS (SELECT 1 FROM deliveries o
                                  WHERE o.work_key = d.work_key AND o.state IN ('queued', 'running') AND o.id < d.id)
                ORDER BY d.id LIMIT 1{lock})
               AND (state = 'queued' OR (locked_until <= $2 AND attempts < $3))
             RETURNING id, forge, event, work_key, payload, attempts, lease"
        ))
        .bind(now + lease_ms)
        .bind(now)
        .bind(i64::from(max_attempts))
        .bind(fastrand::i64(1..))
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(claimed).transpose()
    }

    /// Takes, under the same lease as `head`, the queued deliveries of its change that
    /// arrived after it, so one evaluation answers them all (only the events of a pull
    /// request coalesce: `coalescing` names them). Followers a worker whose lease ran
    /// out had taken are taken over with it. A follower's take is not an attempt: the
    /// batch's attempts are its head's, and when the head is given up the followers are
    /// taken again on their own. Oldest first.
    pub async fn claim_followers(
        &self,
        head: &Claimed,
        coalescing: &[&str],
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<Claimed>> {
        if coalescing.is_empty() || !coalescing.contains(&head.event.as_str()) {
            return Ok(Vec::new());
        }
        let sql = format!(
            "UPDATE deliveries SET state = 'running', locked_until = $1, lease = $5
             WHERE work_key = $2 AND forge = $3 AND id > $4
               AND (state = 'queued' OR (state = 'running' AND locked_until <= $6)) AND event IN {}
             RETURNING id, forge, event, work_key, payload, attempts, lease",
            placeholders(7, coalescing.len())
        );
        let mut query = sqlx::query(&sql)
            .bind(now.saturating_add(lease_ms))
            .bind(head.work_key.clone())
            .bind(head.forge.clone())
            .bind(head.id)
            .bind(head.lease)
            .bind(now);
        for event in coalescing {
            query = query.bind(*event);
        }
        let rows = query.fetch_all(self.pool()).await?;
        let mut followers = rows.iter().map(claimed).collect::<Result<Vec<_>>>()?;
        followers.sort_by_key(|c| c.id);
        Ok(followers)
    }

    /// Extends a lease still being worked under, so a long job is never taken over by
    /// another worker while its first worker is alive; [`Held::Lost`] once it was.
    pub async fn heartbeat(&self, lease: &Lease, locked_until: i64) -> Result<Held> {
        if lease.ids.is_empty() {
            return Ok(Held::Lost);
        }
        let sql = format!(
            "UPDATE deliveries SET locked_until = $1 WHERE state = 'running' AND lease = $2 AND id IN {}",
            placeholders(3, lease.ids.len())
        );
        let query = sqlx::query(&sql).bind(locked_until).bind(lease.token);
        Ok(held(
            bind_ids(query, &lease.ids).execute(self.pool()).await?,
        ))
    }

    /// Dead-letters deliveries whose lease ran out after their last attempt (the worker
    /// stopped on them every time: a crash, an abort, a hang), with the reason; returns
    /// them so the caller fails their gates closed.
    pub async fn bury_abandoned(&self, now: i64, max_attempts: u32) -> Result<Vec<Claimed>> {
        let rows = sqlx::query(
            "UPDATE deliveries SET state = 'failed', finished_at = $1,
                    last_error = 'abandoned after ' || CAST(attempts AS TEXT) || ' attempts: the worker stopped before finishing (crash or hang)'
                                 || COALESCE('; last error: ' || last_error, '')
             WHERE state = 'running' AND locked_until <= $1 AND attempts >= $2
             RETURNING id, forge, event, work_key, payload, attempts, lease",
        )
        .bind(now)
        .bind(i64::from(max_attempts))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(claimed).collect()
    }

    /// Marks deliveries handled; the API calls are charged to the first.
    pub async fn finish(&self, lease: &Lease, now: i64, api_calls: u32) -> Result<Held> {
        self.leave(lease, api_calls, Close::Done { now }).await
    }

    /// Forgets deliveries handled before `before` (Unix milliseconds), at most `limit` of
    /// them; returns how many. Dead letters stay until queued again. A delivery id
    /// forgotten can be queued again: only older than GitHub's and GitLab's redelivery
    /// windows, and anything queued again is evaluated on what the forge shows then.
    pub async fn forget_done(&self, before: i64, limit: i64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM deliveries WHERE id IN (
                 SELECT id FROM deliveries WHERE state = 'done' AND finished_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(limit)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Puts deliveries back for a later attempt. `refund` gives the first (the batch's
    /// head, whose take was the attempt) its attempt back (a rate-limit wait is not a
    /// failure).
    pub async fn retry(
        &self,
        lease: &Lease,
        next_at: i64,
        error: &str,
        api_calls: u32,
        refund: bool,
    ) -> Result<Held> {
        let close = Close::Retry {
            next_at,
            error,
            refund,
        };
        self.leave(lease, api_calls, close).await
    }

    /// Gives deliveries up (dead letters), with the reason.
    pub async fn fail(&self, lease: &Lease, now: i64, error: &str, api_calls: u32) -> Result<Held> {
        self.leave(lease, api_calls, Close::Failed { now, error })
            .await
    }

    /// Records how a worker leaves the deliveries it held, where its lease still holds
    /// them; the API calls are charged to the first.
    async fn leave(&self, lease: &Lease, api_calls: u32, close: Close<'_>) -> Result<Held> {
        if lease.ids.is_empty() {
            return Ok(Held::Lost);
        }
        let sql = format!(
            "UPDATE deliveries SET {}, api_calls = api_calls + CASE WHEN id = $1 THEN $2 ELSE 0 END
             WHERE state = 'running' AND lease = $3 AND id IN {}",
            close.set(),
            placeholders(7, lease.ids.len())
        );
        let (at, error, refund) = match close {
            Close::Done { now } => (now, None, false),
            Close::Retry {
                next_at,
                error,
                refund,
            } => (next_at, Some(error), refund),
            Close::Failed { now, error } => (now, Some(error), false),
        };
        let query = sqlx::query(&sql)
            .bind(first(lease))
            .bind(i64::from(api_calls))
            .bind(lease.token)
            .bind(at)
            .bind(error.map(str::to_owned))
            .bind(i64::from(refund));
        Ok(held(
            bind_ids(query, &lease.ids).execute(self.pool()).await?,
        ))
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

/// How a worker leaves deliveries: `$4` is the time, `$5` the error, `$6` the refund.
enum Close<'a> {
    Done {
        now: i64,
    },
    Retry {
        next_at: i64,
        error: &'a str,
        refund: bool,
    },
    Failed {
        now: i64,
        error: &'a str,
    },
}

impl Close<'_> {
    fn set(&self) -> &'static str {
        match self {
            Close::Done { .. } => "state = 'done', finished_at = $4, last_error = NULL",
            Close::Retry { .. } => {
                "state = 'queued', next_at = $4, last_error = $5, locked_until = 0, attempts = attempts - CASE WHEN id = $1 THEN $6 ELSE 0 END"
            }
            Close::Failed { .. } => "state = 'failed', finished_at = $4, last_error = $5",
        }
    }
}

/// `($from, $from+1, …)`: `n` numbered parameters, for an `IN` list.
fn placeholders(from: usize, n: usize) -> String {
    let list: Vec<String> = (from..from + n).map(|i| format!("${i}")).collect();
    format!("({})", list.join(", "))
}

fn first(lease: &Lease) -> i64 {
    lease.ids.first().copied().unwrap_or_default()
}

/// Written where the lease still held the deliveries; [`Held::Lost`] when it held none
/// of them (a takeover takes a change's whole batch: the head with its followers).
fn held(done: sqlx::any::AnyQueryResult) -> Held {
    if done.rows_affected() > 0 {
        Held::Yes
    } else {
        Held::Lost
    }
}

fn bind_ids<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ids: &[i64],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for id in ids {
        query = query.bind(*id);
    }
    query
}

/// A delivery given up on: after its last attempt, a refused request, or a worker that
/// stopped on it every time. Its gate was failed closed; an operator can queue it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub id: i64,
    pub forge: String,
    pub delivery_id: String,
    pub event: String,
    /// The change or run it is about (`owner/name#12`, `owner/name@run42`).
    pub work_key: String,
    pub attempts: u32,
    pub received_at: i64,
    /// When it was given up (Unix ms).
    pub failed_at: i64,
    pub reason: String,
}

impl Store {
    /// Dead letters given up at or after `since` (Unix ms), oldest first.
    pub async fn dead_letters(&self, since: Option<i64>) -> Result<Vec<DeadLetter>> {
        let rows = sqlx::query(
            "SELECT id, forge, delivery_id, event, work_key, attempts, received_at, finished_at, last_error
             FROM deliveries WHERE state = 'failed' AND COALESCE(finished_at, 0) >= $1 ORDER BY finished_at, id",
        )
        .bind(since.unwrap_or(i64::MIN))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeadLetter {
                    id: r.try_get("id")?,
                    forge: r.try_get("forge")?,
                    delivery_id: r.try_get("delivery_id")?,
                    event: r.try_get("event")?,
                    work_key: r.try_get("work_key")?,
                    attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                    received_at: r.try_get("received_at")?,
                    failed_at: r.try_get::<Option<i64>, _>("finished_at")?.unwrap_or(0),
                    reason: r
                        .try_get::<Option<String>, _>("last_error")?
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Queues a dead letter again with its attempts reset (after the cause was fixed);
    /// `None` retries every dead letter. Returns how many were queued.
    pub async fn retry_dead_letters(&self, id: Option<i64>, now: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE deliveries SET state = 'queued', attempts = 0, next_at = $2, locked_until = 0, finished_at = NULL
             WHERE state = 'failed' AND ($1 < 0 OR id = $1)",
        )
        .bind(id.unwrap_or(-1))
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
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
            tenant: None,
            number,
            commented: None,
            edit: None,
        }
    }

    #[tokio::test]
    async fn handled_deliveries_are_forgotten_after_their_time_dead_letters_are_not() {
        let (_dir, store) = store().await;
        for id in ["old", "recent", "dead"] {
            assert!(
                store
                    .enqueue("github", "1", id, &review(1), 0)
                    .await
                    .unwrap()
            );
        }
        let old = store.claim(10, 100, 8).await.unwrap().unwrap();
        let _ = store.finish(&old.lease(), 100, 0).await.unwrap();
        let recent = store.claim(10, 100, 8).await.unwrap().unwrap();
        let _ = store.finish(&recent.lease(), 5_000, 0).await.unwrap();
        let dead = store.claim(10, 100, 8).await.unwrap().unwrap();
        let _ = store.fail(&dead.lease(), 100, "boom", 0).await.unwrap();
        assert_eq!(store.dead_letters(None).await.unwrap().len(), 1);
        assert_eq!(store.forget_done(1_000, 100).await.unwrap(), 1);
        assert_eq!(store.dead_letters(None).await.unwrap().len(), 1);
        assert_eq!(store.forget_done(1_000, 100).await.unwrap(), 0);
        // Forgotten, its id can be queued again; the others are still known.
        assert!(
            store
                .enqueue("github", "1", "old", &review(1), 0)
                .await
                .unwrap()
        );
        assert!(
            !store
                .enqueue("github", "1", "recent", &review(1), 0)
                .await
                .unwrap()
        );
        assert!(
            !store
                .enqueue("github", "1", "dead", &review(1), 0)
                .await
                .unwrap()
        );
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
        // The hook id is not signed: a replay under another hook id is the same delivery.
        assert!(
            !store
                .enqueue("github", "2", "d1", &review(1), 0)
                .await
                .unwrap()
        );
        assert!(
            store
                .enqueue("gitlab", "1", "d1", &review(1), 0)
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
        let first = store.claim(10, 100, 8).await.unwrap().unwrap();
        let second = store.claim(10, 100, 8).await.unwrap().unwrap();
        assert_ne!(
            first.payload, second.payload,
            "the second PR, not the same PR's next delivery"
        );
        assert!(store.claim(10, 100, 8).await.unwrap().is_none());
        // The lease ends: another worker takes the first over.
        let again = store.claim(200, 100, 8).await.unwrap().unwrap();
        assert_eq!(again.id, first.id);
        assert_eq!(again.attempts, 2);
        let _ = store.finish(&again.lease(), 201, 3).await.unwrap();
        let _ = store
            .retry(&second.lease(), 1_000, "boom", 1, false)
            .await
            .unwrap();
        let next = store.claim(300, 100, 8).await.unwrap().unwrap();
        assert_eq!(next.event, "review");
        assert!(
            store.claim(300, 100, 8).await.unwrap().is_none(),
            "retry not due yet"
        );
        let _ = store.finish(&next.lease(), 301, 0).await.unwrap();
        assert_eq!(
            store.claim(1_000, 100, 8).await.unwrap().unwrap().id,
            second.id
        );
    }

    #[tokio::test]
    async fn a_delivery_that_crashes_its_worker_every_time_becomes_a_dead_letter() {
        let (_dir, store) = store().await;
        store
            .enqueue("github", "1", "poison", &review(1), 0)
            .await
            .unwrap();
        store
            .enqueue("github", "1", "next", &review(1), 0)
            .await
            .unwrap();
        // Three workers take it and die: each lease runs out.
        for attempt in 1..=3 {
            let job = store.claim(attempt * 100, 10, 3).await.unwrap().unwrap();
            assert_eq!(
                (job.attempts, job.payload.contains("review")),
                (u32::try_from(attempt).unwrap(), true)
            );
        }
        // The cap is reached: the claim query does not take it a fourth time.
        assert!(store.claim(1_000, 10, 3).await.unwrap().is_none());
        let buried = store.bury_abandoned(1_000, 3).await.unwrap();
        assert_eq!(buried.len(), 1);
        let dead = store.dead_letters(None).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].delivery_id, "poison");
        assert!(
            dead[0].reason.starts_with("abandoned after 3 attempts"),
            "{}",
            dead[0].reason
        );
        // The change's next delivery is no longer held up behind it.
        let next = store.claim(1_001, 10, 3).await.unwrap().unwrap();
        assert_eq!(next.attempts, 1);
        let _ = store.finish(&next.lease(), 1_002, 0).await.unwrap();
        // An operator queues it again, with fresh attempts.
        assert_eq!(
            store
                .retry_dead_letters(Some(dead[0].id), 2_000)
                .await
                .unwrap(),
            1
        );
        let again = store.claim(2_000, 10, 3).await.unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (dead[0].id, 1));
    }

    #[tokio::test]
    async fn a_worker_whose_lease_was_taken_over_cannot_record_an_outcome() {
        let (_dir, store) = store().await;
        store
            .enqueue("github", "1", "slow", &review(1), 0)
            .await
            .unwrap();
        let late = store.claim(0, 100, 8).await.unwrap().unwrap();
        // Its lease runs out (a stalled worker); another worker takes the delivery over.
        let current = store.claim(200, 100, 8).await.unwrap().unwrap();
        assert_eq!(current.id, late.id);
        // The stalled worker wakes up and tries to record its (older) outcome.
        let lost = [
            store.finish(&late.lease(), 210, 5).await.unwrap(),
            store
                .retry(&late.lease(), 220, "late", 0, true)
                .await
                .unwrap(),
            store.fail(&late.lease(), 230, "late", 0).await.unwrap(),
            store.heartbeat(&late.lease(), 300).await.unwrap(),
        ];
        assert_eq!(lost, [super::Held::Lost; 4]);
        let counts = store.counts().await.unwrap();
        assert_eq!(
            (counts.running, counts.done, counts.failed, counts.queued),
            (1, 0, 0, 0),
            "the late worker's writes are refused"
        );
        // The current holder's are not.
        let held = store.finish(&current.lease(), 240, 3).await.unwrap();
        assert_eq!(held, super::Held::Yes);
        assert_eq!(store.counts().await.unwrap().done, 1);
        assert_eq!(store.api_calls().await.unwrap(), (3, 1));
    }

    #[tokio::test]
    async fn a_heartbeat_keeps_a_long_job_from_being_taken_twice() {
        let (_dir, store) = store().await;
        store
            .enqueue("github", "1", "long", &review(1), 0)
            .await
            .unwrap();
        let job = store.claim(0, 100, 8).await.unwrap().unwrap();
        assert_eq!(
            store.heartbeat(&job.lease(), 250).await.unwrap(),
            super::Held::Yes
        );
        assert!(store.claim(150, 100, 8).await.unwrap().is_none());
        assert_eq!(store.claim(260, 100, 8).await.unwrap().unwrap().id, job.id);
    }
}
