//! Deployment gates the bot has been asked to answer. Pending gates survive restarts
//! and are re-evaluated when later grants arrive.

use super::{Result, Store};
use crate::event::{GateRequest, Repo};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// Where a deployment gate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateState {
    /// Waiting for the bot's answer (or answered "keep waiting").
    Pending,
    Approved,
    Rejected,
}

impl GateState {
    pub fn as_str(self) -> &'static str {
        match self {
            GateState::Pending => "pending",
            GateState::Approved => "approved",
            GateState::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<GateState> {
        [GateState::Pending, GateState::Approved, GateState::Rejected]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGate {
    pub forge: String,
    pub repo: Repo,
    pub installation: Option<u64>,
    pub request: GateRequest,
    pub state: GateState,
}

fn state_of(text: &str) -> Result<GateState> {
    GateState::parse(text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown gate state {text:?}").into()))
}

fn stored(r: &sqlx::any::AnyRow) -> Result<StoredGate> {
    let repo: String = r.try_get("repo")?;
    let request: String = r.try_get("request")?;
    Ok(StoredGate {
        forge: r.try_get("forge")?,
        repo: Repo::parse(&repo).unwrap_or_else(|| Repo::new(repo.clone(), "")),
        installation: r
            .try_get::<Option<i64>, _>("installation")?
            .and_then(|i| u64::try_from(i).ok()),
        request: serde_json::from_str(&request).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        state: state_of(&r.try_get::<String, _>("state")?)?,
    })
}

fn encode(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Encode(Box::new(e))
}

impl Store {
    /// Records a gate as pending (again, when GitHub asks again for the same run).
    pub async fn upsert_gate(
        &self,
        forge: &str,
        repo: &Repo,
        installation: Option<u64>,
        gate: &GateRequest,
        now: i64,
    ) -> Result<()> {
        let request = serde_json::to_string(gate).map_err(encode)?;
        sqlx::query(
            "INSERT INTO gates (forge, repo, run_id, environment, installation, request, state, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)
             ON CONFLICT (forge, repo, run_id, environment)
             DO UPDATE SET request = $6, installation = $5, state = 'pending', updated_at = $7",
        )
        .bind(forge)
        .bind(repo.to_string())
        .bind(i64::try_from(gate.gate_id).unwrap_or(i64::MAX))
        .bind(&gate.environment)
        .bind(installation.and_then(|i| i64::try_from(i).ok()))
        .bind(request)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn set_gate_state(
        &self,
        forge: &str,
        repo: &Repo,
        run_id: u64,
        environment: &str,
        state: GateState,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE gates SET state = $5, updated_at = $6 WHERE forge = $1 AND repo = $2 AND run_id = $3 AND environment = $4",
        )
        .bind(forge)
        .bind(repo.to_string())
        .bind(i64::try_from(run_id).unwrap_or(i64::MAX))
        .bind(environment)
        .bind(state.as_str())
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Keeps the request as re-read from the forge (revision, ref, requester, changes),
    /// so later events about those changes find the gate and an answered gate's status
    /// lands on the revision actually deployed.
    pub async fn refresh_gate_request(
        &self,
        forge: &str,
        repo: &Repo,
        gate: &GateRequest,
    ) -> Result<()> {
        let request = serde_json::to_string(gate).map_err(encode)?;
        sqlx::query(
            "UPDATE gates SET request = $5 WHERE forge = $1 AND repo = $2 AND run_id = $3 AND environment = $4",
        )
        .bind(forge)
        .bind(repo.to_string())
        .bind(i64::try_from(gate.gate_id).unwrap_or(i64::MAX))
        .bind(&gate.environment)
        .bind(request)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Repositories of `forge` the bot has answered for (changes or deployments).
    pub async fn repos_of(&self, forge: &str) -> Result<Vec<Repo>> {
        let rows = sqlx::query(
            "SELECT repo FROM change_answers WHERE forge = $1
             UNION SELECT repo FROM gates WHERE forge = $1 ORDER BY repo",
        )
        .bind(forge)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .filter_map(|r| r.try_get::<String, _>("repo").ok())
            .filter_map(|r| Repo::parse(&r))
            .collect())
    }

    /// Every pending gate, oldest first.
    pub async fn all_pending_gates(&self) -> Result<Vec<StoredGate>> {
        let rows = sqlx::query(
            "SELECT forge, repo, installation, request, state FROM gates
             WHERE state = 'pending' ORDER BY created_at, run_id, environment",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stored).collect()
    }

    /// Pending gates of a repository, oldest first.
    pub async fn pending_gates(&self, forge: &str, repo: &Repo) -> Result<Vec<StoredGate>> {
        let rows = sqlx::query(
            "SELECT forge, repo, installation, request, state FROM gates
             WHERE forge = $1 AND repo = $2 AND state = 'pending' ORDER BY created_at, run_id, environment",
        )
        .bind(forge)
        .bind(repo.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stored).collect()
    }

    /// The stored gate of a run's environment, whatever its state.
    pub async fn gate(
        &self,
        forge: &str,
        repo: &Repo,
        run_id: u64,
        environment: &str,
    ) -> Result<Option<StoredGate>> {
        let row = sqlx::query(
            "SELECT forge, repo, installation, request, state FROM gates
             WHERE forge = $1 AND repo = $2 AND run_id = $3 AND environment = $4",
        )
        .bind(forge)
        .bind(repo.to_string())
        .bind(i64::try_from(run_id).unwrap_or(i64::MAX))
        .bind(environment)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(stored).transpose()
    }

    pub async fn gate_state(
        &self,
        forge: &str,
        repo: &Repo,
        run_id: u64,
        environment: &str,
    ) -> Result<Option<GateState>> {
        Ok(self
            .gate(forge, repo, run_id, environment)
            .await?
            .map(|g| g.state))
    }

    /// Every gate of a workflow run (one per environment), answered or not.
    pub async fn gates_of_run(
        &self,
        forge: &str,
        repo: &Repo,
        run_id: u64,
    ) -> Result<Vec<StoredGate>> {
        let rows = sqlx::query(
            "SELECT forge, repo, installation, request, state FROM gates
             WHERE forge = $1 AND repo = $2 AND run_id = $3 ORDER BY created_at, environment",
        )
        .bind(forge)
        .bind(repo.to_string())
        .bind(i64::try_from(run_id).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stored).collect()
    }

    /// The deployments the bot approved to an environment (any case) of a repository:
    /// the only ones that may serve as "the last successful deployment", since anyone
    /// with `deployments: write` can mark a deployment of their own successful.
    pub async fn approved_deployments(
        &self,
        forge: &str,
        repo: &Repo,
        environment: &str,
    ) -> Result<BTreeSet<u64>> {
        let rows = sqlx::query(
            "SELECT forge, repo, installation, request, state FROM gates
             WHERE forge = $1 AND repo = $2 AND state = 'approved'",
        )
        .bind(forge)
        .bind(repo.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut out = BTreeSet::new();
        for row in &rows {
            let gate = stored(row)?;
            if gate.request.environment.eq_ignore_ascii_case(environment) {
                out.extend(gate.request.deployment_id);
            }
        }
        Ok(out)
    }

    /// When each of these reviews of a run (by key) was first seen: now for those never
    /// seen before.
    pub async fn reviews_seen(
        &self,
        forge: &str,
        repo: &Repo,
        run_id: u64,
        reviews: &[String],
        now: i64,
    ) -> Result<BTreeMap<String, i64>> {
        let run = i64::try_from(run_id).unwrap_or(i64::MAX);
        for review in reviews {
            sqlx::query(
                "INSERT INTO deployment_reviews (forge, repo, run_id, review, seen_ms)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (forge, repo, run_id, review) DO NOTHING",
            )
            .bind(forge)
            .bind(repo.to_string())
            .bind(run)
            .bind(review)
            .bind(now)
            .execute(self.pool())
            .await?;
        }
        let rows = sqlx::query(
            "SELECT review, seen_ms FROM deployment_reviews WHERE forge = $1 AND repo = $2 AND run_id = $3",
        )
        .bind(forge)
        .bind(repo.to_string())
        .bind(run)
        .fetch_all(self.pool())
        .await?;
        let mut out = BTreeMap::new();
        for row in &rows {
            out.insert(row.try_get("review")?, row.try_get("seen_ms")?);
        }
        Ok(out)
    }
}
