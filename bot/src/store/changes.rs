//! What the bot remembers about changes: the heads it saw pushed (GitHub does not say
//! when a commit was pushed) and approval comments tampered with.

use super::{Result, Store};
use crate::event::Repo;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenHead {
    pub sha: String,
    /// Unix milliseconds.
    pub since: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tamper {
    pub comment_id: u64,
    pub author: String,
    pub by: String,
    pub action: String,
}

impl Store {
    /// Remembers a head; the earliest time given for a sha wins (a push event's time
    /// replaces the later time at which an evaluation first saw the head).
    pub async fn record_head(&self, repo: &Repo, number: u64, sha: &str, since: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO heads (repo, number, sha, since) VALUES ($1, $2, $3, $4) ON CONFLICT (repo, number, sha)
             DO UPDATE SET since = CASE WHEN excluded.since < heads.since THEN excluded.since ELSE heads.since END",
        )
        .bind(repo.to_string())
        .bind(i64::try_from(number).unwrap_or(i64::MAX))
        .bind(sha)
        .bind(since)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Heads seen, oldest first.
    pub async fn heads(&self, repo: &Repo, number: u64) -> Result<Vec<SeenHead>> {
        let rows = sqlx::query(
            "SELECT sha, since FROM heads WHERE repo = $1 AND number = $2 ORDER BY since, sha",
        )
        .bind(repo.to_string())
        .bind(i64::try_from(number).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(SeenHead {
                    sha: r.try_get("sha")?,
                    since: r.try_get("since")?,
                })
            })
            .collect()
    }

    #[expect(clippy::too_many_arguments, reason = "one row's columns")]
    pub async fn record_tamper(
        &self,
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
            "INSERT INTO tampers (repo, number, head_sha, comment_id, author, by_user, action, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (repo, number, head_sha, comment_id, by_user) DO NOTHING",
        )
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
    pub async fn tampers(&self, repo: &Repo, number: u64, head_sha: &str) -> Result<Vec<Tamper>> {
        let rows = sqlx::query(
            "SELECT comment_id, author, by_user, action FROM tampers
             WHERE repo = $1 AND number = $2 AND head_sha = $3 ORDER BY at, comment_id",
        )
        .bind(repo.to_string())
        .bind(i64::try_from(number).unwrap_or(i64::MAX))
        .bind(head_sha)
        .fetch_all(self.pool())
        .await?;
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
}
