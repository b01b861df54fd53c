//! Reading the audit log back for replay: pages of recorded decisions by id, with the
//! record kept as its JSON text so the caller decodes only what it needs.

use super::audit::TargetKind;
use super::{Result, Store};
use crate::gate::verdict::GateOutcome;
use sqlx::Row;

/// Which recorded decisions to read.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    /// `github`, `gitlab`.
    pub forge: Option<String>,
    pub repo: Option<String>,
    /// Unix milliseconds.
    pub since: Option<i64>,
    pub kind: Option<TargetKind>,
}

/// One recorded decision, its record undecoded.
#[derive(Debug, Clone)]
pub struct RecordedDecision {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub repo: String,
    pub kind: TargetKind,
    pub target: String,
    pub revision: String,
    /// `None` when the stored text is not an outcome this version knows.
    pub decision: Option<GateOutcome>,
    /// The record's JSON (see `audit::AuditRecord`).
    pub record: String,
}

impl Store {
    /// Up to `limit` recorded decisions with an id above `after`, in id order.
    pub async fn history_page(
        &self,
        filter: &HistoryFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RecordedDecision>> {
        let rows = sqlx::query(
            "SELECT id, at, repo, kind, target, revision, decision, record FROM audit
             WHERE id > $1 AND ($2 = '' OR repo = $2) AND at >= $3 AND ($4 = '' OR kind = $4)
               AND ($6 = '' OR forge = $6)
             ORDER BY id LIMIT $5",
        )
        .bind(after)
        .bind(filter.repo.as_deref().unwrap_or(""))
        .bind(filter.since.unwrap_or(i64::MIN))
        .bind(filter.kind.map_or("", TargetKind::as_str))
        .bind(limit)
        .bind(filter.forge.as_deref().unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                let decision: String = r.try_get("decision")?;
                Ok(RecordedDecision {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    repo: r.try_get("repo")?,
                    kind: TargetKind::parse(&kind)
                        .ok_or_else(|| sqlx::Error::Decode("unknown kind".into()))?,
                    target: r.try_get("target")?,
                    revision: r.try_get("revision")?,
                    decision: GateOutcome::parse(&decision),
                    record: r.try_get("record")?,
                })
            })
            .collect()
    }
}

impl Store {
    /// Was the policy check shown on this head?
    pub async fn policy_check_shown(&self, forge: &str, repo: &str, sha: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS shown FROM policy_checks WHERE forge = $1 AND repo = $2 AND sha = $3",
        )
        .bind(forge)
        .bind(repo)
        .bind(sha)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }

    /// Notes that the policy check was shown on this head.
    pub async fn record_policy_check(
        &self,
        forge: &str,
        repo: &str,
        sha: &str,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO policy_checks (forge, repo, sha, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (forge, repo, sha) DO NOTHING",
        )
        .bind(forge)
        .bind(repo)
        .bind(sha)
        .bind(at)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
