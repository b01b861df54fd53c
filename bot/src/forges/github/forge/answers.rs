//! Showing the gate's answer on GitHub — a commit status, and for an App one check run
//! per revision and context, updated in place — and reading back what GitHub shows, so
//! an answer counts as posted only once GitHub shows it.

use super::{GitHubForge, truncate};
use crate::event::Repo;
use crate::forge::{ForgeError, Result, Status, StatusState};
use crate::forges::github::client::{encode, json};
use serde::Deserialize;
use serde_json::{Value, json};

/// `GET /repos/{repo}/commits/{sha}/status`: the latest status of each context.
#[derive(Clone, Deserialize)]
pub(super) struct Combined {
    #[serde(default)]
    statuses: Vec<ShownStatus>,
}

#[derive(Clone, Deserialize)]
pub(super) struct ShownStatus {
    context: String,
    state: String,
    description: Option<String>,
    target_url: Option<String>,
}

#[derive(Deserialize)]
struct CheckRun {
    id: u64,
    status: String,
    conclusion: Option<String>,
    details_url: Option<String>,
    output: Option<Output>,
}

#[derive(Deserialize)]
struct Output {
    title: Option<String>,
}

fn combined_key(repo: &Repo, sha: &str) -> String {
    format!("{repo} {sha}")
}

/// GitHub's check-run status and conclusion for a status state.
fn check_state(state: StatusState) -> (&'static str, Option<&'static str>) {
    match state {
        StatusState::Pending => ("in_progress", None),
        StatusState::Success => ("completed", Some("success")),
        StatusState::Failure => ("completed", Some("failure")),
    }
}

/// The body of a check-run update; a new run also names its head.
fn check_run_body(status: &Status) -> Value {
    let (state, conclusion) = check_state(status.state);
    let mut body = json!({
        "name": status.context,
        "status": state,
        "output": {
            "title": status.description,
            "summary": truncate(&status.markdown, 60_000),
        },
    });
    if let Some(map) = body.as_object_mut() {
        if let Some(conclusion) = conclusion {
            map.insert("conclusion".to_owned(), json!(conclusion));
        }
        if let Some(url) = &status.target_url {
            map.insert("details_url".to_owned(), json!(url));
        }
    }
    body
}

impl GitHubForge {
    pub(super) async fn post_answer(
        &self,
        repo: &Repo,
        status: &Status,
        check_run: Option<u64>,
    ) -> Result<Option<u64>> {
        let mut body = json!({
            "state": status.state.as_str(),
            "description": status.description,
            "context": status.context,
        });
        if let (Some(url), Some(map)) = (&status.target_url, body.as_object_mut()) {
            map.insert("target_url".to_owned(), json!(url));
        }
        self.memo.combined.forget(&combined_key(repo, &status.sha));
        self.post(
            &format!("/repos/{repo}/statuses/{}", encode(&status.sha)),
            &body,
        )
        .await?;
        if !self.github.check_runs {
            return Ok(None);
        }
        let mut run = check_run_body(status);
        if let Some(id) = check_run {
            let path = format!("/repos/{repo}/check-runs/{id}");
            match self
                .github
                .client
                .write(&self.crab, http::Method::PATCH, &path, &run, &self.calls)
                .await
            {
                Ok(_) => return Ok(Some(id)),
                // Gone, or not ours: show the answer on a new one.
                Err(ForgeError::Fatal(e)) => {
                    tracing::warn!(repo = %repo, check_run = id, error = e, "cannot update the check run; creating one");
                }
                Err(e) => return Err(e),
            }
        }
        if let Some(map) = run.as_object_mut() {
            map.insert("head_sha".to_owned(), json!(status.sha));
        }
        Ok(Some(self.create_check_run(repo, &run).await?))
    }

    /// Creates a check run (`run` names its head) and returns its id.
    pub(super) async fn create_check_run(&self, repo: &Repo, run: &Value) -> Result<u64> {
        let response = self
            .github
            .client
            .post(
                &self.crab,
                &format!("/repos/{repo}/check-runs"),
                run,
                &self.calls,
            )
            .await?;
        let created: CheckRun = json(&response.body)?;
        Ok(created.id)
    }

    pub(super) async fn shows_answer(
        &self,
        repo: &Repo,
        status: &Status,
        check_run: Option<u64>,
    ) -> Result<bool> {
        // Read once per event for all the bot's contexts on the commit, and again after
        // this event posted on it.
        let path = format!(
            "/repos/{repo}/commits/{}/status?per_page=100",
            encode(&status.sha)
        );
        let combined: Combined = self
            .memo
            .combined
            .or_read(combined_key(repo, &status.sha), self.get_json(&path))
            .await?;
        let status_shown = combined.statuses.iter().any(|s| {
            s.context == status.context
                && StatusState::parse(&s.state) == Some(status.state)
                && s.description.as_deref().unwrap_or("") == status.description
                && s.target_url == status.target_url
        });
        if !status_shown || !self.github.check_runs {
            return Ok(status_shown);
        }
        let Some(id) = check_run else {
            return Ok(false);
        };
        let run: CheckRun = self
            .get_json(&format!("/repos/{repo}/check-runs/{id}"))
            .await?;
        let (state, conclusion) = check_state(status.state);
        Ok(run.id == id
            && run.status == state
            && run.conclusion.as_deref() == conclusion
            && run.details_url == status.target_url
            && run.output.and_then(|o| o.title).as_deref() == Some(status.description.as_str()))
    }
}
