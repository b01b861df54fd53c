//! What the bot remembers about changes: every push it saw, as an interval (GitHub does
//! not say when a commit was pushed), and approval comments deleted by someone else.

use super::{Result, Store};
use crate::event::{ForgeKind, Repo};
use sqlx::Row;

/// One push: `sha` was the head from `since` until `until` (Unix milliseconds; `None`:
/// it still is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenHead {
    pub sha: String,
    pub since: i64,
    pub until: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tamper {
    pub comment_id: u64,
    pub author: String,
    pub by: String,
    pub action: String,
}

pub(super) fn number_key(number: u64) -> i64 {
    i64::try_from(number).unwrap_or(i64::MAX)
}

impl Store {
    /// Records that `sha` is the head as of `at`: a new interval when the head changed
    /// (closing the previous one), so a head that comes back after a force-push is
    /// current again only from then. When `sha` is already the head, an earlier time
    /// (the push event's, after an evaluation first saw the head) moves its start back,
    /// never before the previous push. Pushes of one change are recorded in order (one
    /// worker per change at a time), and a time never goes back before the last push.
    pub async fn record_head(
        &self,
        forge: ForgeKind,
        repo: &Repo,
        number: u64,
        sha: &str,
        at: i64,
    ) -> Result<()> {
        let pushes = self.pushes(forge, repo, number).await?;
        let last = pushes.last();
        let previous_start = pushes
            .len()
            .checked_sub(2)
            .and_then(|i| pushes.get(i))
            .map(|(_, p)| p.since);
        match last {
            Some((seq, head)) if head.sha == sha => {
                let at = previous_start.map_or(at, |p| at.max(p));
                if at < head.since {
                    self.set_bounds(forge, repo, number, *seq, at).await?;
                }
            }
            Some((seq, head)) => {
                let at = at.max(head.since);
                sqlx::query(
                    "UPDATE pushes SET until_ms = $1 WHERE forge = $2 AND repo = $3 AND number = $4 AND seq = $5",
                )
                .bind(at)
                .bind(forge.as_str())
                .bind(repo.to_string())
                .bind(number_key(number))
                .bind(*seq)
                .execute(self.pool())
                .await?;
                self.insert_push(forge, repo, number, seq + 1, sha, at)
                    .await?;
            }
            None => self.insert_push(forge, repo, number, 0, sha, at).await?,
        }
        Ok(())
    }

    async fn insert_push(
        &self,
        forge: ForgeKind,
        repo: &Repo,
        number: u64,
        seq: i64,
        sha: &str,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO pushes (forge, repo, number, seq, sha, from_ms, until_ms) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
        )
        .bind(forge.as_str())
        .bind(repo.to_string())
        .bind(number_key(number))
        .bind(seq)
        .bind(sha)
        .bind(at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Moves the start of push `seq` (and the end of the one before) to `at`.
    async fn set_bounds(
        &self,
        forge: ForgeKind,
        repo: &Repo,
        number: u64,
        seq: i64,
        at: i64,
    ) -> Result<()> {
        for (column, which) in [("from_ms", seq), ("until_ms", seq - 1)] {
            sqlx::query(&format!(
                "UPDATE pushes SET {column} = $1 WHERE forge = $2 AND repo = $3 AND number = $4 AND seq = $5"
            ))
            .bind(at)
            .bind(forge.as_str())
            .bind(repo.to_string())
            .bind(number_key(number))
            .bind(which)
            .execute(self.pool())
            .await?;
        }
        Ok(())
    }

    async fn pushes(
        &self,
        forge: ForgeKind,
        repo: &Repo,
        number: u64,
    ) -> Result<Vec<(i64, SeenHead)>> {
        let rows = sqlx::query(
            "SELECT seq, sha, from_ms, until_ms FROM pushes WHERE forge = $1 AND repo = $2 AND number = $3 ORDER BY seq",
        )
        .bind(forge.as_str())
        .bind(repo.to_string())
        .bind(number_key(number))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    r.try_get("seq")?,
                    SeenHead {
                        sha: r.try_get("sha")?,
                        since: r.try_get("from_ms")?,
                        until: r.try_get("until_ms")?,
                    },
                ))
            })
            .collect()
    }

    /// Every push seen, oldest first.
    pub async fn heads(&self, forge: ForgeKind, repo: &Repo, number: u64) -> Result<Vec<SeenHead>> {
        Ok(self
            .pushes(forge, repo, number)
            .await?
            .into_iter()
            .map(|(_, head)| head)
            .collect())
    }

    #[expect(clippy::too_many_arguments, reason = "one row's columns")]
    pub async fn record_tamper(
        &self,
        forge: ForgeKind,
        repo: &Repo,
        number: u64,
        head_sha: &str,
        comment_id: u64,
        author: &str,
        by: &str,
        action: &str,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO change_tampers (forge, repo, number, head_sha, comment_id, author, by_user, action, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (forge, repo, number, head_sha, comment_id, by_user) DO NOTHING",
        )
        .bind(forge.as_str())
        .bind(repo.to_string())
        .bind(i64::try_from(number).unwrap_or(i64::MAX))
        .bind(head_sha)
        .bind(i64::try_from(comment_id).unwrap_or(i64::MAX))
        .bind(author)
        .bind(by)
        .bind(action)
        .bind(at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Tampering seen while `head_sha` was the head; a new push starts afresh, since
    /// approvals must then be given again anyway.
    pub async fn tampers(
        &self,
        forge: ForgeKind,
        repo: &Repo,
        number: u64,
        head_sha: &str,
    ) -> Result<Vec<Tamper>> {
        let rows = sqlx::query(
            "SELECT comment_id, author, by_user, action FROM change_tampers
             WHERE forge = $1 AND repo = $2 AND number = $3 AND head_sha = $4 ORDER BY at, comment_id",
        )
        .bind(forge.as_str())
        .bind(repo.to_string())
        .bind(i64::try_from(number).unwrap_or(i64::MAX))
        .bind(head_sha)
        .fetch_all(self.pool())
        .await?;
        tampers_of(rows)
    }

    /// Tampering seen on any head of the change: where approvals outlive a push
    /// (`invalidate_on_push: false`), so must the failure for a command taken away.
    pub async fn tampers_of_change(
        &self,
        forge: ForgeKind,
        repo: &Repo,
        number: u64,
    ) -> Result<Vec<Tamper>> {
        let rows = sqlx::query(
            "SELECT comment_id, author, by_user, action FROM change_tampers
             WHERE forge = $1 AND repo = $2 AND number = $3 ORDER BY at, comment_id",
        )
        .bind(forge.as_str())
        .bind(repo.to_string())
        .bind(i64::try_from(number).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        tampers_of(rows)
    }
}

fn tampers_of(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<Tamper>> {
    rows.into_iter()
        .map(|r| {
            Ok(Tamper {
                comment_id: u64::try_from(r.try_get::<i64, _>("comment_id")?).unwrap_or(0),
                author: r.try_get("author")?,
                by: r.try_get("by_user")?,
                action: r.try_get("action")?,
            })
        })
        .collect()
}
