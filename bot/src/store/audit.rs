//! The audit log: every decision the bot posted, with the digest of its inputs, who
//! approved, what was ignored, and the gate's answer. The full record (cases and
//! decisions) backs the details page.

use super::gates::GateState;
use super::{Result, Store};
use crate::forge::StatusState;
use crate::gate::verdict::{GateOutcome, Layer, Verdict};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// What a gate answers: a pull request or a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    PullRequest,
    Deployment,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::PullRequest => "pull_request",
            TargetKind::Deployment => "deployment",
        }
    }

    pub fn parse(text: &str) -> Option<TargetKind> {
        [TargetKind::PullRequest, TargetKind::Deployment]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// What the forge confirmed showing for an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Recorded, not (yet) confirmed by the forge: a crash or a failed post.
    Unposted,
    /// A commit status (`status:success`).
    Status(StatusState),
    /// A deployment gate's answer (`deployment:approved`; `pending` keeps it waiting).
    Deployment(GateState),
}

impl Answer {
    pub fn to_text(self) -> String {
        match self {
            Answer::Unposted => "unposted".to_owned(),
            Answer::Status(s) => format!("status:{}", s.as_str()),
            Answer::Deployment(g) => format!("deployment:{}", g.as_str()),
        }
    }

    /// Reads what `to_text` wrote; anything else (older `failed: …` notes) is unposted.
    pub fn parse(text: &str) -> Answer {
        match text.split_once(':') {
            Some(("status", s)) => StatusState::parse(s).map_or(Answer::Unposted, Answer::Status),
            Some(("deployment", g)) => {
                GateState::parse(g).map_or(Answer::Unposted, Answer::Deployment)
            }
            _ => Answer::Unposted,
        }
    }
}

/// What the details page shows: written by the publisher, read by the page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditRecord {
    pub repo: String,
    pub kind: TargetKind,
    pub target: String,
    pub revision: String,
    /// The status context the answer is shown under.
    pub context: String,
    pub verdict: Verdict,
    pub layers: Vec<Layer>,
}

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub forge: String,
    pub repo: String,
    pub kind: TargetKind,
    /// `#12` for a pull request, `production@run42` for a deployment.
    pub target: String,
    pub revision: String,
    pub decision: GateOutcome,
    pub summary: String,
    pub digest: String,
    /// JSON list of names.
    pub approvers: String,
    /// JSON list of `{by, reason}`.
    pub ignored: String,
    pub answer: Answer,
    /// The evaluations shown on the details page.
    pub record: AuditRecord,
}

const COLUMNS: &str = "id, at, forge, repo, kind, target, revision, decision, summary, digest, approvers, ignored, answer, record";

fn decode(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what}").into())
}

fn entry(r: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    let kind: String = r.try_get("kind")?;
    let decision: String = r.try_get("decision")?;
    let answer: String = r.try_get("answer")?;
    let record: String = r.try_get("record")?;
    Ok(AuditEntry {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        forge: r.try_get("forge")?,
        repo: r.try_get("repo")?,
        kind: TargetKind::parse(&kind).ok_or_else(|| decode("kind"))?,
        target: r.try_get("target")?,
        revision: r.try_get("revision")?,
        decision: GateOutcome::parse(&decision).ok_or_else(|| decode("decision"))?,
        summary: r.try_get("summary")?,
        digest: r.try_get("digest")?,
        approvers: r.try_get("approvers")?,
        ignored: r.try_get("ignored")?,
        answer: Answer::parse(&answer),
        record: serde_json::from_str(&record).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
    })
}

/// Appends an entry on a pool or inside a transaction (its `id` is ignored) and returns
/// the new id.
pub async fn insert_audit_on<'c>(
    on: impl sqlx::Executor<'c, Database = sqlx::Any>,
    e: &AuditEntry,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO audit (at, forge, repo, kind, target, revision, decision, summary, digest, approvers, ignored, answer, record)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(e.at)
    .bind(&e.forge)
    .bind(&e.repo)
    .bind(e.kind.as_str())
    .bind(&e.target)
    .bind(&e.revision)
    .bind(e.decision.as_str())
    .bind(&e.summary)
    .bind(&e.digest)
    .bind(&e.approvers)
    .bind(&e.ignored)
    .bind(e.answer.to_text())
    .bind(serde_json::to_string(&e.record).map_err(|e| sqlx::Error::Encode(Box::new(e)))?)
    .fetch_one(on)
    .await?;
    row.try_get("id")
}

impl Store {
    /// Appends an entry (its `id` is ignored) and returns the new id.
    pub async fn insert_audit(&self, e: &AuditEntry) -> Result<i64> {
        insert_audit_on(self.pool(), e).await
    }

    pub async fn audit_entry(&self, id: i64) -> Result<Option<AuditEntry>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM audit WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(entry).transpose()
    }

    /// The latest entry for a target: an evaluation with the same digest reuses it.
    pub async fn last_audit(
        &self,
        forge: &str,
        repo: &str,
        kind: TargetKind,
        target: &str,
    ) -> Result<Option<AuditEntry>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit WHERE forge = $1 AND repo = $2 AND kind = $3 AND target = $4 ORDER BY id DESC LIMIT 1"
        ))
        .bind(forge)
        .bind(repo)
        .bind(kind.as_str())
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
    /// Records what the forge confirmed showing for an entry.
    pub async fn set_audit_answer(&self, id: i64, answer: Answer) -> Result<()> {
        sqlx::query("UPDATE audit SET answer = $2 WHERE id = $1")
            .bind(id)
            .bind(answer.to_text())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
