//! The GitLab REST v4 endpoints the adapter uses, on top of the client's request,
//! pagination and error handling (client.rs).

use super::api::{
    ApprovalSettings, Approvals, ChangesCount, Commit, CommitMergeRequest, CommitStatus, Compare,
    Deployment, Diff, Environment, Member, MergeRequest, NewDeploymentApproval, NewNote, NewStatus,
    Note, Pipeline, User, Version,
};
use super::client::{ApiError, GitLabClient, ProjectId};
use super::payloads::DeploymentStatus;

impl GitLabClient {
    /// `GET /projects/:id/merge_requests/:iid`.
    pub async fn merge_request(
        &self,
        project: &ProjectId,
        iid: u64,
    ) -> Result<MergeRequest, ApiError> {
        let iid = iid.to_string();
        let url = self.project_url(project, &["merge_requests", &iid])?;
        self.get_json(&url, &format!("merge request !{iid}")).await
    }

    /// The changed files of `mr` (`GET …/diffs`), or `Incomplete` when GitLab says the
    /// list is cut (`changes_count` ends in `+`) or returns fewer than it counted, and
    /// `Retryable` while `changes_count` is null (the diff is still being computed).
    pub async fn changed_files(
        &self,
        project: &ProjectId,
        mr: &MergeRequest,
    ) -> Result<Vec<Diff>, ApiError> {
        let iid = mr.iid.to_string();
        let what = format!("changes of merge request !{iid}");
        let count = match mr.changes_count.as_deref().map(ChangesCount::parse) {
            Some(Some(ChangesCount::Exactly(n))) => n,
            Some(Some(ChangesCount::AtLeast(n))) => {
                return Err(ApiError::Incomplete(format!(
                    "{what}: GitLab counts {n}+ changed files and lists only part of them"
                )));
            }
            Some(None) => {
                return Err(ApiError::Incomplete(format!(
                    "{what}: unreadable changes_count"
                )));
            }
            // No count: GitLab is still computing the diff and `/diffs` would be empty
            // or partial. Retried; never read as "no files changed".
            None => {
                return Err(ApiError::Retryable(format!(
                    "{what}: GitLab has not computed the changes yet"
                )));
            }
        };
        let url = self.project_url(project, &["merge_requests", &iid, "diffs"])?;
        let diffs: Vec<Diff> = self.get_all(url, &what).await?;
        if (diffs.len() as u64) < count {
            return Err(ApiError::Incomplete(format!(
                "{what}: GitLab listed {} of {count} changed files",
                diffs.len()
            )));
        }
        Ok(diffs)
    }

    /// `GET /projects/:id/merge_requests/:iid/commits`, every page.
    pub async fn merge_request_commits(
        &self,
        project: &ProjectId,
        iid: u64,
    ) -> Result<Vec<Commit>, ApiError> {
        let iid = iid.to_string();
        let url = self.project_url(project, &["merge_requests", &iid, "commits"])?;
        self.get_all(url, &format!("commits of merge request !{iid}"))
            .await
    }

    /// `GET /projects/:id/merge_requests/:iid/approvals`.
    pub async fn approvals(&self, project: &ProjectId, iid: u64) -> Result<Approvals, ApiError> {
        let iid = iid.to_string();
        let url = self.project_url(project, &["merge_requests", &iid, "approvals"])?;
        self.get_json(&url, &format!("approvals of merge request !{iid}"))
            .await
    }

    /// `GET /projects/:id/approvals`: the project's approval settings.
    pub async fn approval_settings(
        &self,
        project: &ProjectId,
    ) -> Result<ApprovalSettings, ApiError> {
        let url = self.project_url(project, &["approvals"])?;
        self.get_json(&url, "the project's approval settings").await
    }

    /// `POST /projects/:id/merge_requests/:iid/approve` as the bot user, for the head
    /// `sha` only: GitLab answers 409 when the merge request's head is no longer `sha`,
    /// and 401 when the bot user already approves.
    pub async fn approve_merge_request(
        &self,
        project: &ProjectId,
        iid: u64,
        sha: &str,
    ) -> Result<(), ApiError> {
        let iid = iid.to_string();
        let url = self.project_url(project, &["merge_requests", &iid, "approve"])?;
        let body = serde_json::json!({ "sha": sha });
        self.post_unit(&url, &body, &format!("approval of merge request !{iid}"))
            .await
    }

    /// `POST /projects/:id/merge_requests/:iid/unapprove`: takes the bot user's approval
    /// back; GitLab answers 404 when it had none.
    pub async fn unapprove_merge_request(
        &self,
        project: &ProjectId,
        iid: u64,
    ) -> Result<(), ApiError> {
        let iid = iid.to_string();
        let url = self.project_url(project, &["merge_requests", &iid, "unapprove"])?;
        let what = format!("the bot's approval of merge request !{iid}");
        self.post_unit(&url, &serde_json::json!({}), &what).await
    }

    /// Every note of a merge request, oldest first (user comments and system notes).
    pub async fn notes(&self, project: &ProjectId, iid: u64) -> Result<Vec<Note>, ApiError> {
        let iid = iid.to_string();
        let mut url = self.project_url(project, &["merge_requests", &iid, "notes"])?;
        url.query_pairs_mut()
            .append_pair("sort", "asc")
            .append_pair("order_by", "created_at");
        self.get_all(url, &format!("notes of merge request !{iid}"))
            .await
    }

    /// A file's text at `git_ref`, or `None` when GitLab says there is no such file.
    /// Any other 404 (project or ref unknown) is an error, never "no policy".
    pub async fn file_raw(
        &self,
        project: &ProjectId,
        path: &str,
        git_ref: &str,
    ) -> Result<Option<String>, ApiError> {
        let mut url = self.project_url(project, &["repository", "files", path, "raw"])?;
        url.query_pairs_mut().append_pair("ref", git_ref);
        match self
            .get_raw(&url, &format!("file {path} at {git_ref}"))
            .await
        {
            Ok(answer) => String::from_utf8(answer.body.to_vec())
                .map(Some)
                .map_err(|_| ApiError::Status {
                    status: 200,
                    message: format!("{path} is not UTF-8"),
                }),
            Err(ApiError::NotFound(message)) if message.contains("File Not Found") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /projects/:id/members/all`: direct, inherited and invited members.
    pub async fn project_members(&self, project: &ProjectId) -> Result<Vec<Member>, ApiError> {
        let url = self.project_url(project, &["members", "all"])?;
        self.get_all(url, &format!("members of {project}")).await
    }

    /// `GET /groups/:id/members/all` for a group path such as `org/team`.
    pub async fn group_members(&self, group: &str) -> Result<Vec<Member>, ApiError> {
        let url = self.url(&["groups", group, "members", "all"])?;
        self.get_all(url, &format!("members of group {group}"))
            .await
    }

    /// `POST /projects/:id/merge_requests/:iid/notes`: a note by the bot user.
    pub async fn create_note(
        &self,
        project: &ProjectId,
        iid: u64,
        note: &NewNote,
    ) -> Result<(), ApiError> {
        let iid = iid.to_string();
        let url = self.project_url(project, &["merge_requests", &iid, "notes"])?;
        self.post_unit(&url, note, &format!("note on merge request {iid}"))
            .await
    }

    /// `POST /projects/:id/statuses/:sha`.
    pub async fn set_status(
        &self,
        project: &ProjectId,
        sha: &str,
        status: &NewStatus,
    ) -> Result<CommitStatus, ApiError> {
        let url = self.project_url(project, &["statuses", sha])?;
        self.post_json(&url, status, &format!("status on {sha}"))
            .await
    }

    /// `GET /projects/:id/repository/commits/:sha/statuses`, every page.
    pub async fn commit_statuses(
        &self,
        project: &ProjectId,
        sha: &str,
    ) -> Result<Vec<CommitStatus>, ApiError> {
        let url = self.project_url(project, &["repository", "commits", sha, "statuses"])?;
        self.get_all(url, &format!("statuses of {sha}")).await
    }

    /// The newest `count` pipelines of `sha`, newest first (one page of
    /// `GET /projects/:id/pipelines?sha=`): the ones that can be a head pipeline now.
    pub async fn newest_pipelines(
        &self,
        project: &ProjectId,
        sha: &str,
        count: u32,
    ) -> Result<Vec<Pipeline>, ApiError> {
        let mut url = self.project_url(project, &["pipelines"])?;
        url.query_pairs_mut()
            .append_pair("sha", sha)
            .append_pair("order_by", "id")
            .append_pair("sort", "desc")
            .append_pair("per_page", &count.to_string());
        self.get_json(&url, &format!("pipelines of {sha}")).await
    }

    /// `GET /projects/:id/deployments?environment=&status=`, every page.
    pub async fn deployments(
        &self,
        project: &ProjectId,
        environment: Option<&str>,
        status: Option<DeploymentStatus>,
    ) -> Result<Vec<Deployment>, ApiError> {
        let mut url = self.project_url(project, &["deployments"])?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(env) = environment {
                query.append_pair("environment", env);
            }
            if let Some(status) = status {
                let name = serde_json::to_value(status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                query.append_pair("status", &name);
            }
        }
        self.get_all(url, &format!("deployments of {project}"))
            .await
    }

    /// `GET /projects/:id/deployments/:deployment_id`.
    pub async fn deployment(&self, project: &ProjectId, id: u64) -> Result<Deployment, ApiError> {
        let id = id.to_string();
        let url = self.project_url(project, &["deployments", &id])?;
        self.get_json(&url, &format!("deployment {id}")).await
    }

    /// `POST /projects/:id/deployments/:deployment_id/approval`.
    pub async fn answer_deployment(
        &self,
        project: &ProjectId,
        id: u64,
        decision: &NewDeploymentApproval,
    ) -> Result<(), ApiError> {
        let id = id.to_string();
        let url = self.project_url(project, &["deployments", &id, "approval"])?;
        self.post_unit(&url, decision, &format!("approval of deployment {id}"))
            .await
    }

    /// `GET /projects/:id/environments`, every page.
    pub async fn environments(&self, project: &ProjectId) -> Result<Vec<Environment>, ApiError> {
        let url = self.project_url(project, &["environments"])?;
        self.get_all(url, &format!("environments of {project}"))
            .await
    }

    /// The username whose public email is `email`, if exactly one user has it. GitLab
    /// gives commits no username; an author the bot cannot name is `None` (unknown).
    pub async fn user_by_public_email(&self, email: &str) -> Result<Option<String>, ApiError> {
        let mut url = self.url(&["users"])?;
        url.query_pairs_mut().append_pair("search", email);
        let users: Vec<User> = self.get_all(url, "user search").await?;
        let mut matching = users.into_iter().filter(|u| {
            u.public_email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        });
        match (matching.next(), matching.next()) {
            (Some(user), None) => Ok(Some(user.username)),
            _ => Ok(None),
        }
    }

    /// `GET /projects/:id/merge_requests/:iid/versions`, every page.
    pub async fn versions(&self, project: &ProjectId, iid: u64) -> Result<Vec<Version>, ApiError> {
        let iid = iid.to_string();
        let url = self.project_url(project, &["merge_requests", &iid, "versions"])?;
        self.get_all(url, &format!("versions of merge request !{iid}"))
            .await
    }

    /// `GET /projects/:id/repository/commits/:sha/merge_requests`, every page.
    pub async fn merge_requests_of_commit(
        &self,
        project: &ProjectId,
        sha: &str,
    ) -> Result<Vec<CommitMergeRequest>, ApiError> {
        let url = self.project_url(project, &["repository", "commits", sha, "merge_requests"])?;
        self.get_all(url, &format!("merge requests of {sha}")).await
    }

    /// Commits reachable from `to` and not from `from`
    /// (`GET /projects/:id/repository/compare?from=&to=`).
    pub async fn compare(
        &self,
        project: &ProjectId,
        from: &str,
        to: &str,
    ) -> Result<Vec<Commit>, ApiError> {
        let mut url = self.project_url(project, &["repository", "compare"])?;
        url.query_pairs_mut()
            .append_pair("from", from)
            .append_pair("to", to);
        let compare: Compare = self.get_json(&url, &format!("{from}...{to}")).await?;
        Ok(compare.commits)
    }

    /// Every commit reachable from `sha` (`GET /projects/:id/repository/commits?ref_name=`).
    pub async fn commits_of(
        &self,
        project: &ProjectId,
        sha: &str,
    ) -> Result<Vec<Commit>, ApiError> {
        let mut url = self.project_url(project, &["repository", "commits"])?;
        url.query_pairs_mut().append_pair("ref_name", sha);
        self.get_all(url, &format!("commits of {sha}")).await
    }

    /// `GET /projects/:id`.
    pub async fn project(&self, project: &ProjectId) -> Result<super::api::Project, ApiError> {
        let url = self.project_url(project, &[])?;
        self.get_json(&url, &format!("project {project}")).await
    }

    /// `GET /user`: the bot user itself.
    pub async fn current_user(&self) -> Result<User, ApiError> {
        let url = self.url(&["user"])?;
        self.get_json(&url, "the bot user").await
    }

    /// A GraphQL query (`POST /api/graphql`); GraphQL errors are errors.
    pub async fn graphql<T: serde::de::DeserializeOwned>(
        &self,
        query: &str,
        variables: serde_json::Value,
    ) -> Result<T, ApiError> {
        #[derive(serde::Deserialize)]
        struct Answer<T> {
            data: Option<T>,
            #[serde(default)]
            errors: Vec<serde_json::Value>,
        }
        let url = self.graphql_url()?;
        let body = serde_json::json!({ "query": query, "variables": variables });
        let answer: Answer<T> = self.post_json(&url, &body, "GraphQL query").await?;
        match (answer.data, answer.errors.is_empty()) {
            (Some(data), true) => Ok(data),
            (_, _) => Err(ApiError::Status {
                status: 200,
                message: format!("GraphQL errors: {}", serde_json::Value::from(answer.errors)),
            }),
        }
    }
}
