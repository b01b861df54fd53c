//! The audit log: every decision the bot posted, with the digest of its inputs, who
//! approved, what was ignored, and the gate's answer. The full record (cases and
//! decisions) backs the details page.

use super::{Result, Store};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub forge: String,
    pub repo: String,
    /// `pull_request` or `deployment`.
    pub kind: String,
    /// `#12` for a pull request, `production@run 42` for a deployment.
    pub target: String,
    pub revision: String,
    pub decision: String,
    pub summary: String,
    pub digest: String,
    /// JSON list of names.
    pub approvers: String,
    /// JSON list of `{by, reason}`.
    pub ignored: String,
    /// What was posted: `status:success`, `deployment:approved`, …
    pub answer: String,
    /// JSON: the evaluations shown on the details page.
    pub record: String,
}

const COLUMNS: &str = "id, at, forge, repo, kind, target, revision, decision, summary, digest, approvers, ignored, answer, record";

fn entry(r: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        forge: r.try_get("forge")?,
        repo: r.try_get("repo")?,
        kind: r.try_get("kind")?,
        target: r.try_get("target")?,
        revision: r.try_get("revision")?,
        decision: r.try_get("decision")?,
        summary: r.try_get("summary")?,
        digest: r.try_get("digest")?,
        approvers: r.try_get("approvers")?,
        ignored: r.try_get("ignored")?,
        answer: r.try_get("answer")?,
        record: r.try_get("record")?,
    })
}

impl Store {
    /// Appends an entry (its `id` is ignored) and returns the new id.
    pub async fn insert_audit(&self, e: &AuditEntry) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO audit (at, forge, repo, kind, target, revision, decision, summary, digest, approvers, ignored, answer, record)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(e.at)
        .bind(&e.forge)
        .bind(&e.repo)
        .bind(&e.kind)
        .bind(&e.target)
        .bind(&e.revision)
        .bind(&e.decision)
        .bind(&e.summary)
        .bind(&e.digest)
        .bind(&e.approvers)
        .bind(&e.ignored)
        .bind(&e.answer)
        .bind(&e.record)
        .fetch_one(self.pool())
        .await?;
        row.try_get("id")
    }

    pub async fn audit_entry(&self, id: i64) -> Result<Option<AuditEntry>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM audit WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(entry).transpose()
    }

    /// The latest entry for a target, to skip posting what was already posted.
    pub async fn last_audit(
        &self,
        forge: &str,
        repo: &str,
        kind: &str,
        target: &str,
    ) -> Result<Option<AuditEntry>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit WHERE forge = $1 AND repo = $2 AND kind = $3 AND target = $4 ORDER BY id DESC LIMIT 1"
        ))
        .bind(forge)
        .bind(repo)
        .bind(kind)
        .bind(target)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(entry).transpose()
    }

    /// Entries oldest first, optionally for one repository and from a time on.
    pub async fn list_audit(
        &self,
        repo: Option<&str>,
        since: Option<i64>,
    ) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit WHERE ($1 = '' OR repo = $1) AND at >= $2 ORDER BY at, id"
        ))
        .bind(repo.unwrap_or(""))
        .bind(since.unwrap_or(i64::MIN))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entry).collect()
    }
}

impl Store {
    /// Notes that posting an entry failed, so the same verdict is posted next time.
    pub async fn mark_audit_unposted(&self, id: i64, answer: &str) -> Result<()> {
        sqlx::query("UPDATE audit SET answer = $2, digest = '' WHERE id = $1")
            .bind(id)
            .bind(answer)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
