//! Pipelines in the fake GitLab, as GitLab keeps them: each has an id, a commit, a ref
//! and a source, and holds the jobs and external statuses posted into it. A status POST
//! joins the pipeline it names, or the newest of its commit (on its `ref` when given),
//! and GitLab makes a new `external` pipeline when none matches, also for a
//! `pipeline_id` that is not one of that commit's (gitlab-org/gitlab#443254). A merge
//! request's head pipeline is the newest pipeline of its head on its source branch or
//! its own merge request refs; "Pipelines must succeed" judges only that one.

use super::{FakeGitLab, FakeState, Listing, Project, S, bad_request, not_found, paginate};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub id: u64,
    pub sha: String,
    pub git_ref: String,
    /// `push`, `web`, `merge_request_event`, `external`, …
    pub source: String,
}

impl Project {
    /// Every status posted into `pipeline`, oldest first.
    pub fn jobs_of(&self, pipeline: u64) -> Vec<&Value> {
        self.statuses
            .values()
            .flatten()
            .filter(|st| st["pipeline_id"] == pipeline)
            .collect()
    }

    /// The latest job of each name in `pipeline` (an older one of the same name is
    /// retried, it no longer counts).
    fn latest_jobs(&self, pipeline: u64) -> Vec<&Value> {
        let mut latest: std::collections::BTreeMap<&str, &Value> = Default::default();
        for job in self.jobs_of(pipeline) {
            let name = job["name"].as_str().unwrap_or_default();
            if latest
                .get(name)
                .is_none_or(|old| old["id"].as_u64() < job["id"].as_u64())
            {
                latest.insert(name, job);
            }
        }
        latest.into_values().collect()
    }

    /// The pipeline's status from its latest jobs, as GitLab composes it.
    fn pipeline_status(&self, pipeline: u64) -> &'static str {
        let jobs = self.latest_jobs(pipeline);
        let has = |state: &str| jobs.iter().any(|j| j["status"] == state);
        if jobs.is_empty() {
            "created"
        } else if has("failed") {
            "failed"
        } else if has("running") || has("pending") {
            "running"
        } else if has("canceled") {
            "canceled"
        } else {
            "success"
        }
    }

    /// The head pipeline of merge request `iid`: the newest pipeline of its head commit
    /// on its source branch or on its merge request ref.
    pub fn head_pipeline(&self, iid: u64) -> Option<&Pipeline> {
        let mr = self.merge_requests.get(&iid)?;
        let mr_ref = format!("refs/merge-requests/{iid}/head");
        self.pipelines
            .values()
            .rev()
            .find(|p| p.sha == mr.sha && (p.git_ref == mr.source_branch || p.git_ref == mr_ref))
    }

    pub fn pipeline_json(&self, p: &Pipeline) -> Value {
        json!({
            "id": p.id,
            "iid": p.id - 1000,
            "project_id": self.id,
            "sha": p.sha,
            "ref": p.git_ref,
            "status": self.pipeline_status(p.id),
            "source": p.source,
            "created_at": "2026-01-01T00:00:00.000Z",
            "updated_at": "2026-01-01T00:00:00.000Z",
            "web_url": format!("http://gitlab.test/{}/-/pipelines/{}", self.path, p.id)
        })
    }

    /// `head_pipeline` of `GET …/merge_requests/:iid` (null when there is none).
    pub fn head_pipeline_json(&self, iid: u64) -> Value {
        self.head_pipeline(iid)
            .map_or(Value::Null, |p| self.pipeline_json(p))
    }

    fn new_pipeline(&mut self, id: u64, sha: &str, git_ref: &str, source: &str) -> u64 {
        self.pipelines.insert(
            id,
            Pipeline {
                id,
                sha: sha.to_owned(),
                git_ref: git_ref.to_owned(),
                source: source.to_owned(),
            },
        );
        id
    }

    /// The branch GitLab gives an external pipeline made without a `ref`: one that
    /// contains the commit (here: the source branch of a merge request whose head it is).
    fn branch_of(&self, sha: &str) -> String {
        self.merge_requests
            .values()
            .find(|mr| mr.sha == sha)
            .map_or_else(
                || self.default_branch.clone(),
                |mr| mr.source_branch.clone(),
            )
    }
}

/// `POST /projects/:id/statuses/:sha` by `user`, as GitLab's commit status service does
/// it; the created status, or GitLab's error answer.
fn add_status(
    s: &mut FakeState,
    project: &str,
    user: &str,
    sha: &str,
    params: &Value,
) -> Result<Value, Box<Response>> {
    let state_name = params["state"].as_str().unwrap_or_default().to_owned();
    if !["pending", "running", "success", "failed", "canceled"].contains(&state_name.as_str()) {
        return Err(Box::new(bad_request(
            json!({"error": "state does not have a valid value"}),
        )));
    }
    let description = params["description"].as_str().map(str::to_owned);
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 255)
    {
        return Err(Box::new(bad_request(
            json!({"message": {"description": ["is too long (maximum is 255 characters)"]}}),
        )));
    }
    let status_id = s.id();
    let new_pipeline_id = s.id();
    let Some(p) = s.project(project) else {
        return Err(Box::new(not_found("Project")));
    };
    let name = params["name"].as_str().unwrap_or("default").to_owned();
    let wanted_ref = params["ref"].as_str().map(str::to_owned);
    let wanted_pipeline = params["pipeline_id"].as_u64().or_else(|| {
        params["pipeline_id"]
            .as_str()
            .and_then(|id| id.parse().ok())
    });
    let matching = p
        .pipelines
        .values()
        .rev()
        .filter(|pl| pl.sha == sha)
        .filter(|pl| wanted_ref.as_ref().is_none_or(|r| *r == pl.git_ref))
        .find(|pl| wanted_pipeline.is_none_or(|id| id == pl.id))
        .map(|pl| pl.id);
    let pipeline = match matching {
        Some(id) => id,
        None => {
            let git_ref = wanted_ref.unwrap_or_else(|| p.branch_of(sha));
            p.new_pipeline(new_pipeline_id, sha, &git_ref, "external")
        }
    };
    // GitLab moves the user's own pending or running job of that name in that pipeline
    // (a finished one, or another user's, gets a new job beside it) and refuses a
    // transition its state machine has not: `enqueue` from pending or running, `run`
    // from running.
    let own = p
        .jobs_of(pipeline)
        .into_iter()
        .rev()
        .find(|st| st["name"] == name.as_str() && st["author"]["username"] == user)
        .map(|st| st["status"].as_str().unwrap_or_default().to_owned());
    let refused = matches!(
        (own.as_deref(), state_name.as_str()),
        (Some("pending" | "running"), "pending") | (Some("running"), "running")
    );
    if let (true, Some(from)) = (refused, own) {
        let verb = if state_name == "pending" {
            "enqueue"
        } else {
            "run"
        };
        return Err(Box::new(bad_request(
            json!({"message": format!("Cannot transition status via :{verb} from :{from}")}),
        )));
    }
    let git_ref = p.pipelines[&pipeline].git_ref.clone();
    let status = json!({
        "id": status_id,
        "sha": sha,
        "ref": git_ref,
        "status": state_name,
        "name": name,
        "target_url": params["target_url"],
        "description": description,
        "created_at": "2026-01-01T00:00:00.000Z",
        "allow_failure": false,
        "pipeline_id": pipeline,
        "author": {"id": 99, "username": user, "name": user, "state": "active"}
    });
    p.statuses
        .entry(sha.to_owned())
        .or_default()
        .push(status.clone());
    Ok(status)
}

/// `POST /projects/:id/statuses/:sha` with the bot's token.
pub async fn post_status(
    State(state): S,
    Path((id, sha)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Ok(params) = serde_json::from_slice::<Value>(&body) else {
        return bad_request(json!({"error": "body is not JSON"}));
    };
    let mut s = state.lock().unwrap();
    match add_status(&mut s, &id, "signoff-bot", &sha, &params) {
        Ok(status) => (StatusCode::CREATED, axum::Json(status)).into_response(),
        Err(refused) => *refused,
    }
}

/// `GET /projects/:id/pipelines?sha=&ref=`, newest first (GitLab's default order).
pub async fn list_pipelines(State(state): S, Path(id): Path<String>, page: Listing) -> Response {
    let mut s = state.lock().unwrap();
    if let Some(code) = s.pipelines_down {
        return (
            StatusCode::from_u16(code).unwrap(),
            axum::Json(json!({"message": "500 Internal Server Error"})),
        )
            .into_response();
    }
    let Some(p) = s.project(&id) else {
        return not_found("Project");
    };
    let items = p
        .pipelines
        .values()
        .rev()
        .filter(|pl| page.q.get("sha").is_none_or(|sha| *sha == pl.sha))
        .filter(|pl| page.q.get("ref").is_none_or(|r| *r == pl.git_ref))
        .map(|pl| p.pipeline_json(pl))
        .collect();
    paginate(&s, &page, items)
}

// Domain verbs.
impl FakeGitLab {
    /// A CI pipeline starts on `sha` at `git_ref` (from `source`), its `jobs` (name,
    /// state) created with it; returns its id.
    pub fn start_pipeline(
        &self,
        project: u64,
        sha: &str,
        git_ref: &str,
        source: &str,
        jobs: &[(&str, &str)],
    ) -> u64 {
        self.with(|s| {
            let id = s.id();
            let job_ids: Vec<u64> = jobs.iter().map(|_| s.id()).collect();
            let p = s.projects.get_mut(&project).unwrap();
            p.new_pipeline(id, sha, git_ref, source);
            for ((name, state), job_id) in jobs.iter().zip(job_ids) {
                p.statuses.entry(sha.to_owned()).or_default().push(json!({
                    "id": job_id, "sha": sha, "ref": git_ref, "status": state, "name": name,
                    "target_url": null, "description": null, "allow_failure": false,
                    "created_at": "2026-01-01T00:00:00.000Z", "pipeline_id": id,
                    "author": {"id": 3, "username": "ci", "name": "ci", "state": "active"}
                }));
            }
            id
        })
    }

    /// `user` posts a commit status through the API (`params` as GitLab takes them);
    /// the status GitLab made, with the pipeline it joined.
    pub fn post_status_as(&self, project: u64, user: &str, sha: &str, params: Value) -> Value {
        self.with(|s| {
            add_status(s, &project.to_string(), user, sha, &params)
                .unwrap_or_else(|_| panic!("GitLab refused {params}"))
        })
    }

    /// The id of merge request `iid`'s head pipeline.
    pub fn head_pipeline(&self, project: u64, iid: u64) -> Option<u64> {
        self.project_mut(project, |p| p.head_pipeline(iid).map(|pl| pl.id))
    }

    /// The state of the latest `name` job in merge request `iid`'s head pipeline, and
    /// who posted it.
    pub fn head_pipeline_job(
        &self,
        project: u64,
        iid: u64,
        name: &str,
    ) -> Option<(String, String)> {
        self.project_mut(project, |p| {
            let head = p.head_pipeline(iid)?.id;
            p.latest_jobs(head)
                .into_iter()
                .find(|j| j["name"] == name)
                .map(|j| {
                    (
                        j["status"].as_str().unwrap().to_owned(),
                        j["author"]["username"].as_str().unwrap().to_owned(),
                    )
                })
        })
    }

    /// Whether GitLab's "Pipelines must succeed" keeps merge request `iid` from merging:
    /// it has no head pipeline, or a latest job there did not succeed.
    pub fn merge_blocked_by_pipeline(&self, project: u64, iid: u64) -> bool {
        self.project_mut(project, |p| match p.head_pipeline(iid) {
            None => true,
            Some(head) => p
                .latest_jobs(head.id)
                .iter()
                .any(|j| j["status"] != "success"),
        })
    }
}
