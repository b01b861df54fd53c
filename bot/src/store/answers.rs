//! What the gates answer and what the forge shows. Each open pull request keeps its own
//! answer on its head (`change_answers`); a head shows the least permissive of them. For
//! every revision and status context the bot keeps the answer it wants shown and whether
//! the forge confirmed showing exactly that (`shown`): only a confirmed answer is posted.

use super::{Result, Store};
use crate::event::Repo;
use crate::forge::{Status, StatusState};
use crate::gate::verdict::GateOutcome;
use sqlx::Row;

/// One pull request's own answer on its head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeAnswer {
    pub number: u64,
    pub revision: String,
    pub outcome: GateOutcome,
    pub summary: String,
    /// Its explanation (check-run Markdown), with its details link.
    pub markdown: String,
    /// The audit entry whose details page explains it.
    pub audit_id: i64,
    /// When time alone could change it (Unix milliseconds): it is evaluated again then.
    pub recheck_at: Option<i64>,
}

/// A pull request whose answer time may have changed, to evaluate again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRecheck {
    pub forge: String,
    pub repo: Repo,
    pub tenant: Option<u64>,
    pub number: u64,
    /// Unix milliseconds.
    pub recheck_at: i64,
    /// When the answer was written (Unix milliseconds): an answer written again with the
    /// same instant (by an evaluation whose clock ran behind) is due again.
    pub written_at: i64,
}

/// The answer the bot wants shown under a context on a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub status: Status,
    /// The forge showed exactly this answer when it was last posted.
    pub confirmed: bool,
    /// The bot's check run on the revision for this context, where the forge has them.
    pub check_run: Option<u64>,
}

/// Where an answer is shown (one the forge never confirmed, or one to check again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unconfirmed {
    pub forge: String,
    pub repo: Repo,
    pub tenant: Option<u64>,
    pub revision: String,
    pub context: String,
}

fn decode(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what}").into())
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds `$1`…`$7`: forge, repository, revision, context, state, description, link.
fn bind_status<'q>(query: Query<'q>, forge: &'q str, repo: &Repo, status: &'q Status) -> Query<'q> {
    query
        .bind(forge)
        .bind(repo.to_string())
        .bind(&status.sha)
        .bind(&status.context)
        .bind(status.state.as_str())
        .bind(&status.description)
        .bind(status.target_url.as_deref().unwrap_or(""))
}

fn change_answer(r: &sqlx::any::AnyRow) -> Result<ChangeAnswer> {
    let outcome: String = r.try_get("outcome")?;
    Ok(ChangeAnswer {
        number: u64::try_from(r.try_get::<i64, _>("number")?).unwrap_or(0),
        revision: r.try_get("revision")?,
        outcome: GateOutcome::parse(&outcome).ok_or_else(|| decode("outcome"))?,
        summary: r.try_get("summary")?,
        markdown: r.try_get("markdown")?,
        audit_id: r.try_get("audit_id")?,
        recheck_at: r.try_get("recheck_at")?,
    })
}

impl Store {
    /// Records a pull request's answer on its head; returns the head it had an answer on
    /// before, when that was another one (that head's answer must be shown anew).
    pub async fn put_change_answer(
        &self,
        forge: &str,
        repo: &Repo,
        tenant: Option<u64>,
        answer: &ChangeAnswer,
        now: i64,
    ) -> Result<Option<String>> {
        let before = self.change_revision(forge, repo, answer.number).await?;
        sqlx::query(
            "INSERT INTO change_answers (forge, repo, number, revision, outcome, summary, markdown, audit_id, updated_at, recheck_at, tenant)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (forge, repo, number) DO UPDATE SET revision = $4, outcome = $5,
                 summary = $6, markdown = $7, audit_id = $8, updated_at = $9, recheck_at = $10,
                 tenant = $11",
        )
        .bind(forge)
        .bind(repo.to_string())
        .bind(to_i64(answer.number))
        .bind(&answer.revision)
        .bind(answer.outcome.as_str())
        .bind(&answer.summary)
        .bind(&answer.markdown)
        .bind(answer.audit_id)
        .bind(now)
        .bind(answer.recheck_at)
        .bind(tenant.map(to_i64))
        .execute(self.pool())
        .await?;
        Ok(before.filter(|b| *b != answer.revision))
    }

    /// Takes back a due answer that lets its pull request go ahead: `pending` (its outcome,
    /// summary and markdown; no audit entry, no instant) replaces it only while it is still
    /// the write `due` names and allows. Returns the head it is on when it did; an answer
    /// written meanwhile (an evaluation, a hold) is left as it is. One replica holds it.
    pub async fn hold_due_answer(
        &self,
        due: &DueRecheck,
        pending: &ChangeAnswer,
        now: i64,
    ) -> Result<Option<String>> {
        let allowing: Vec<&str> = GateOutcome::ALL
            .into_iter()
            .filter(|o| o.allows())
            .map(GateOutcome::as_str)
            .collect();
        let placeholders: Vec<String> = (0..allowing.len())
            .map(|i| format!("${}", i + 10))
            .collect();
        let sql = format!(
            "UPDATE change_answers SET outcome = $1, summary = $2, markdown = $3, audit_id = 0,
                 updated_at = $4, recheck_at = NULL
             WHERE forge = $5 AND repo = $6 AND number = $7 AND recheck_at = $8
                 AND updated_at = $9 AND outcome IN ({})
             RETURNING revision",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql)
            .bind(pending.outcome.as_str())
            .bind(&pending.summary)
            .bind(&pending.markdown)
            .bind(now)
            .bind(&due.forge)
            .bind(due.repo.to_string())
            .bind(to_i64(due.number))
            .bind(due.recheck_at)
            .bind(due.written_at);
        for outcome in allowing {
            query = query.bind(outcome);
        }
        let row = query.fetch_optional(self.pool()).await?;
        row.map(|r| r.try_get("revision")).transpose()
    }

    /// Pull requests whose answer time may have changed by `now`.
    pub async fn due_rechecks(&self, now: i64) -> Result<Vec<DueRecheck>> {
        let rows = sqlx::query(
            "SELECT forge, repo, tenant, number, recheck_at, updated_at FROM change_answers
             WHERE recheck_at <= $1 ORDER BY recheck_at",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let repo: String = r.try_get("repo")?;
                Ok(DueRecheck {
                    forge: r.try_get("forge")?,
                    repo: Repo::parse(&repo).ok_or_else(|| decode("repository"))?,
                    tenant: r
                        .try_get::<Option<i64>, _>("tenant")?
                        .and_then(|t| u64::try_from(t).ok()),
                    number: u64::try_from(r.try_get::<i64, _>("number")?).unwrap_or(0),
                    recheck_at: r.try_get("recheck_at")?,
                    written_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    /// Forgets a pull request's answer (closed, or no policy applies any more); returns
    /// the head it was on.
    pub async fn drop_change_answer(
        &self,
        forge: &str,
        repo: &Repo,
        number: u64,
    ) -> Result<Option<String>> {
        let before = self.change_revision(forge, repo, number).await?;
        sqlx::query("DELETE FROM change_answers WHERE forge = $1 AND repo = $2 AND number = $3")
            .bind(forge)
            .bind(repo.to_string())
            .bind(to_i64(number))
            .execute(self.pool())
            .await?;
        Ok(before)
    }

    /// The head a pull request's answer is on (only open pull requests have one).
    pub async fn change_revision(
        &self,
        forge: &str,
        repo: &Repo,
        number: u64,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT revision FROM change_answers WHERE forge = $1 AND repo = $2 AND number = $3",
        )
        .bind(forge)
        .bind(repo.to_string())
        .bind(to_i64(number))
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| r.try_get("revision")).transpose()
    }

    /// The answers of the pull requests whose head `revision` is, by number.
    pub async fn change_answers_on(
        &self,
        forge: &str,
        repo: &Repo,
        revision: &str,
    ) -> Result<Vec<ChangeAnswer>> {
        let rows = sqlx::query(
            "SELECT number, revision, outcome, summary, markdown, audit_id, recheck_at FROM change_answers
             WHERE forge = $1 AND repo = $2 AND revision = $3 ORDER BY number",
        )
        .bind(forge)
        .bind(repo.to_string())
        .bind(revision)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(change_answer).collect()
    }

    /// The answer wanted under `context` on `revision`, if any.
    pub async fn shown(
        &self,
        forge: &str,
        repo: &Repo,
        revision: &str,
        context: &str,
    ) -> Result<Option<Shown>> {
        let row = sqlx::query(
            "SELECT state, description, target_url, markdown, confirmed, check_run FROM shown
             WHERE forge = $1 AND repo = $2 AND revision = $3 AND context = $4",
        )
        .bind(forge)
        .bind(repo.to_string())
        .bind(revision)
        .bind(context)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let state: String = r.try_get("state")?;
        let target_url: String = r.try_get("target_url")?;
        Ok(Some(Shown {
            status: Status {
                sha: revision.to_owned(),
                context: context.to_owned(),
                state: StatusState::parse(&state).ok_or_else(|| decode("status state"))?,
                description: r.try_get("description")?,
                target_url: (!target_url.is_empty()).then_some(target_url),
                markdown: r.try_get("markdown")?,
            },
            confirmed: r.try_get::<i64, _>("confirmed")? == 1,
            check_run: r
                .try_get::<Option<i64>, _>("check_run")?
                .and_then(|i| u64::try_from(i).ok()),
        }))
    }

    /// Records the answer wanted shown, not yet confirmed; the check run is kept, and so
    /// is the time when the same answer was wanted before (unconfirmed answers are
    /// posted again for a day from then).
    pub async fn want_shown(
        &self,
        forge: &str,
        repo: &Repo,
        status: &Status,
        tenant: Option<u64>,
        now: i64,
    ) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO shown (forge, repo, revision, context, state, description, target_url, markdown, confirmed, updated_at, tenant)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10)
             ON CONFLICT (forge, repo, revision, context) DO UPDATE SET state = $5,
                 description = $6, target_url = $7, markdown = $8, confirmed = 0, tenant = $10,
                 updated_at = CASE WHEN shown.state = $5 AND shown.description = $6
                     AND shown.target_url = $7
                     THEN shown.updated_at ELSE $9 END",
        );
        bind_status(query, forge, repo, status)
            .bind(&status.markdown)
            .bind(now)
            .bind(tenant.map(to_i64))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The forge showed `status`: confirms it, unless another answer is wanted by now.
    pub async fn confirm_shown(
        &self,
        forge: &str,
        repo: &Repo,
        status: &Status,
        check_run: Option<u64>,
        now: i64,
    ) -> Result<()> {
        let query = sqlx::query(
            "UPDATE shown SET confirmed = 1, check_run = COALESCE($9, check_run), updated_at = $8
             WHERE forge = $1 AND repo = $2 AND revision = $3 AND context = $4
               AND state = $5 AND description = $6 AND target_url = $7",
        );
        bind_status(query, forge, repo, status)
            .bind(now)
            .bind(check_run.map(to_i64))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Answers wanted since before `before` (but not before `since`) and never confirmed:
    /// posts that failed every attempt.
    pub async fn unconfirmed_shown(&self, since: i64, before: i64) -> Result<Vec<Unconfirmed>> {
        let rows = sqlx::query(
            "SELECT forge, repo, tenant, revision, context FROM shown
             WHERE confirmed = 0 AND updated_at >= $1 AND updated_at < $2
             ORDER BY updated_at LIMIT 1000",
        )
        .bind(since)
        .bind(before)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(answer_place).collect()
    }

    /// Confirmed answers under `context` on `forge` that are not `success`, last changed
    /// since `since`: those a pipeline without them would let through (GitLab's timer
    /// checks that each head pipeline holds them).
    pub async fn shown_blocking(
        &self,
        forge: &str,
        context: &str,
        since: i64,
    ) -> Result<Vec<Unconfirmed>> {
        let rows = sqlx::query(
            "SELECT forge, repo, tenant, revision, context FROM shown
             WHERE confirmed = 1 AND updated_at >= $1 AND forge = $2 AND context = $3
               AND state <> $4
             ORDER BY updated_at DESC LIMIT 1000",
        )
        .bind(since)
        .bind(forge)
        .bind(context)
        .bind(StatusState::Success.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(answer_place).collect()
    }
}

/// Where an answer is shown, from a `shown` row.
fn answer_place(r: &sqlx::any::AnyRow) -> Result<Unconfirmed> {
    let repo: String = r.try_get("repo")?;
    Ok(Unconfirmed {
        forge: r.try_get("forge")?,
        repo: Repo::parse(&repo).ok_or_else(|| decode("repository"))?,
        tenant: r
            .try_get::<Option<i64>, _>("tenant")?
            .and_then(|i| u64::try_from(i).ok()),
        revision: r.try_get("revision")?,
        context: r.try_get("context")?,
    })
}

#[cfg(test)]
mod tests {
    use super::ChangeAnswer;
    use crate::event::Repo;
    use crate::gate::verdict::GateOutcome;
    use crate::store::Store;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("a.db").display()))
            .await
            .unwrap();
        (dir, store)
    }

    fn answer(outcome: GateOutcome, recheck_at: Option<i64>) -> ChangeAnswer {
        ChangeAnswer {
            number: 7,
            revision: "abc".to_owned(),
            outcome,
            summary: outcome.as_str().to_owned(),
            markdown: String::new(),
            audit_id: 1,
            recheck_at,
        }
    }

    #[tokio::test]
    async fn a_due_green_is_held_once_and_only_while_it_is_the_due_write() {
        let (_dir, store) = store().await;
        let repo = Repo::new("o", "r");
        let pending = answer(GateOutcome::Pending, None);
        store
            .put_change_answer(
                "github",
                &repo,
                Some(3),
                &answer(GateOutcome::Approved, Some(100)),
                50,
            )
            .await
            .unwrap();
        assert!(store.due_rechecks(99).await.unwrap().is_empty());
        let due = store.due_rechecks(100).await.unwrap().remove(0);
        assert_eq!((due.tenant, due.number, due.written_at), (Some(3), 7, 50));
        // Two replicas polling alike: one holds it.
        let held = store.hold_due_answer(&due, &pending, 101).await.unwrap();
        assert_eq!(held.as_deref(), Some("abc"));
        assert_eq!(
            store.hold_due_answer(&due, &pending, 102).await.unwrap(),
            None
        );
        let shown = store
            .change_answers_on("github", &repo, "abc")
            .await
            .unwrap();
        assert_eq!(
            (shown[0].outcome, shown[0].recheck_at),
            (GateOutcome::Pending, None)
        );
        assert!(store.due_rechecks(i64::MAX).await.unwrap().is_empty());
        // An evaluation that answered after the poll read the row keeps its answer.
        store
            .put_change_answer(
                "github",
                &repo,
                Some(3),
                &answer(GateOutcome::Approved, Some(100)),
                103,
            )
            .await
            .unwrap();
        assert_eq!(
            store.hold_due_answer(&due, &pending, 104).await.unwrap(),
            None
        );
        // An answer that does not let the pull request go ahead is not held.
        store
            .put_change_answer(
                "github",
                &repo,
                Some(3),
                &answer(GateOutcome::Blocked, Some(100)),
                105,
            )
            .await
            .unwrap();
        let due = store.due_rechecks(200).await.unwrap().remove(0);
        assert_eq!(
            store.hold_due_answer(&due, &pending, 106).await.unwrap(),
            None
        );
    }
}
