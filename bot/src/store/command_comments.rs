//! Comments that held a rejection or a revocation, remembered once seen, so that one
//! deleted without a webhook saying by whom (GitLab never sends one for a note) still
//! fails the gate rather than quietly dropping the command.

use super::changes::number_key as key;
use super::{Result, Store};
use crate::event::{ForgeKind, Repo};
use sqlx::Row;

/// A comment whose command would keep a change from passing if it went away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenCommand {
    pub comment_id: u64,
    pub author: String,
    /// The head it spoke for.
    pub revision: String,
}

impl Store {
    /// The remembered command comments of a change, by comment id.
    pub async fn command_comments(
        &self,
        forge: ForgeKind,
        repo: &Repo,
        number: u64,
    ) -> Result<Vec<SeenCommand>> {
        let rows = sqlx::query(
            "SELECT comment_id, author, revision FROM command_comments
             WHERE forge = $1 AND repo = $2 AND number = $3 ORDER BY comment_id",
        )
        .bind(forge.as_str())
        .bind(repo.to_string())
        .bind(key(number))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(SeenCommand {
                    comment_id: u64::try_from(r.try_get::<i64, _>("comment_id")?).unwrap_or(0),
                    author: r.try_get("author")?,
                    revision: r.try_get("revision")?,
                })
            })
            .collect()
    }

    pub async fn remember_command_comment(
        &self,
        forge: ForgeKind,
        repo: &Repo,
        number: u64,
        seen: &SeenCommand,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO command_comments (forge, repo, number, comment_id, author, revision)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (forge, repo, number, comment_id) DO NOTHING",
        )
        .bind(forge.as_str())
        .bind(repo.to_string())
        .bind(key(number))
        .bind(key(seen.comment_id))
        .bind(&seen.author)
        .bind(&seen.revision)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets a comment whose deletion is accounted for (a webhook said who).
    pub async fn forget_command_comment(
        &self,
        forge: ForgeKind,
        repo: &Repo,
        number: u64,
        comment_id: u64,
    ) -> Result<()> {
        sqlx::query(
            "DELETE FROM command_comments
             WHERE forge = $1 AND repo = $2 AND number = $3 AND comment_id = $4",
        )
        .bind(forge.as_str())
        .bind(repo.to_string())
        .bind(key(number))
        .bind(key(comment_id))
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
