//! The GitLab side of the forge seam: which REST v4 calls answer each question. Merge
//! requests are changes (`number` is the iid), a deployment waiting on a protected
//! environment is a gate (`gate_id` is the deployment id).

use super::activity::merge_request_activity;
use super::api::{
    self, ApprovalDecision, MergeRequestState, NewDeploymentApproval, NewNote, NewStatus,
    approval_events, approvals_with_times, approvers,
};
use super::client::{ApiError, GitLabClient, ProjectId};
use super::payloads::DeploymentStatus;
use crate::event::{ForgeKind, GateRequest, Repo};
use crate::forge::cache::{Timed, fresh, remember};
use crate::forge::{
    Activity, ActivityKind, Change, DeploymentFacts, Edit, EditsToCheck, Forge, ForgeError,
    GateAnswer, OwnApproval, People, Result, Status, StatusState,
};
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

const POLICY_PATH: &str = ".gitlab/signoff.yml";
/// How long to wait on a 429 that names no time.
const DEFAULT_RATE_WAIT_MS: i64 = 60_000;

/// The adapter, shared by all workers.
pub struct GitLab {
    client: GitLabClient,
    /// The web UI's base (`https://gitlab.com`), for links to files.
    web_url: String,
    /// The bot user's username (`GET /user`), read once: its own approvals and notes
    /// are never grants.
    bot: OnceCell<String>,
    /// Commit emails resolved to usernames (public emails only).
    emails: Mutex<HashMap<String, Option<String>>>,
    /// project → approvers (Developer and above), reused for `cache.ttl_secs`.
    writers: Timed<BTreeSet<String>>,
    /// project@ref → the policy file, reused for `cache.policy_ttl_secs`.
    policies: Timed<Option<String>>,
    ttl: Duration,
    policy_ttl: Duration,
    /// `[gitlab] approve_merge_requests`: the bot user approves what its answer allows.
    pub(super) approve_merge_requests: bool,
    /// The merge request status (`status_context`): it goes into head pipelines.
    gate_context: String,
}

impl GitLab {
    /// `ttl` for members, `policy_ttl` for policy files (`[cache]`; 0 reads every time);
    /// `gate_context`: the name of the merge request status.
    pub fn new(
        client: GitLabClient,
        api_url: &str,
        (ttl, policy_ttl): (Duration, Duration),
        gate_context: &str,
    ) -> GitLab {
        let web_url = api_url
            .trim_end_matches('/')
            .trim_end_matches("/api/v4")
            .to_owned();
        GitLab {
            client,
            web_url,
            bot: OnceCell::new(),
            emails: Mutex::new(HashMap::new()),
            writers: Timed::default(),
            policies: Timed::default(),
            ttl,
            policy_ttl,
            approve_merge_requests: false,
            gate_context: gate_context.to_owned(),
        }
    }

    /// With `on`, the bot user approves merge requests whose answer is success and takes
    /// the approval back otherwise (own_approval.rs).
    #[must_use]
    pub fn approving_merge_requests(mut self, on: bool) -> GitLab {
        self.approve_merge_requests = on;
        self
    }

    /// A handle for one event, counting its own API calls.
    pub fn handle(self: &Arc<Self>) -> GitLabForge {
        GitLabForge {
            gitlab: Arc::clone(self),
            client: self.client.counting_afresh(),
            read: Mutex::new(HashMap::new()),
        }
    }
}

pub struct GitLabForge {
    pub(super) gitlab: Arc<GitLab>,
    pub(super) client: GitLabClient,
    /// Merge requests this event read (project path, iid): where its answer is posted,
    /// their head pipelines are known without reading them again.
    read: Mutex<HashMap<(String, u64), api::MergeRequest>>,
}

/// The bot's error kinds from the client's: 5xx and timeouts retried, 429 waited out,
/// everything else (refusals, incomplete lists) fails the gate closed.
pub(super) fn forge_error(e: ApiError) -> ForgeError {
    match e {
        ApiError::RateLimited { retry_after } => {
            let wait = retry_after.map_or(DEFAULT_RATE_WAIT_MS, |d| {
                i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
            });
            ForgeError::RateLimited {
                until_ms: crate::store::now_ms().saturating_add(wait),
                message: e.to_string(),
            }
        }
        ApiError::Retryable(_) => ForgeError::Transient(e.to_string()),
        _ => ForgeError::Fatal(e.to_string()),
    }
}

pub(super) fn project(repo: &Repo) -> ProjectId {
    ProjectId::Path(repo.to_string())
}

pub(super) fn status_state(state: StatusState) -> api::StatusState {
    match state {
        StatusState::Success => api::StatusState::Success,
        StatusState::Pending => api::StatusState::Pending,
        StatusState::Failure => api::StatusState::Failed,
    }
}

impl GitLabForge {
    /// Posts a status on the commit: GitLab puts it into the commit's newest pipeline,
    /// or makes one.
    async fn post_on_commit(&self, repo: &Repo, status: &Status) -> Result<Option<u64>> {
        let new = NewStatus::new(
            status_state(status.state),
            &status.context,
            &status.description,
            status.target_url.clone(),
        );
        match self
            .client
            .set_status(&project(repo), &status.sha, &new)
            .await
        {
            Ok(_) => Ok(None),
            // GitLab refused to move a status into the state it has. That is the bot's
            // answer already only if the latest status of that name is the bot's: one
            // someone else posted may be the one in that state. Never assumed.
            Err(ApiError::StatusUnchanged(message)) => {
                if self.shows(repo, status, None).await? {
                    Ok(None)
                } else {
                    Err(ForgeError::Transient(format!(
                        "GitLab refused to post {} on {} ({message}) and shows another's status under that name",
                        status.context, status.sha
                    )))
                }
            }
            Err(e) => Err(forge_error(e)),
        }
    }

    pub(super) async fn bot(&self) -> Result<&str> {
        self.gitlab
            .bot
            .get_or_try_init(|| async {
                self.client
                    .current_user()
                    .await
                    .map(|u| u.username)
                    .map_err(forge_error)
            })
            .await
            .map(String::as_str)
    }

    pub(super) async fn merge_request(&self, repo: &Repo, iid: u64) -> Result<api::MergeRequest> {
        let mr = self
            .client
            .merge_request(&project(repo), iid)
            .await
            .map_err(forge_error)?;
        if let Ok(mut read) = self.read.lock() {
            read.insert((repo.to_string(), iid), mr.clone());
        }
        Ok(mr)
    }

    /// Merge request `iid` as this event last read it, if its head was `sha` then;
    /// otherwise read now.
    pub(super) async fn merge_request_at(
        &self,
        repo: &Repo,
        iid: u64,
        sha: &str,
    ) -> Result<api::MergeRequest> {
        let seen = self
            .read
            .lock()
            .ok()
            .and_then(|read| read.get(&(repo.to_string(), iid)).cloned())
            .filter(|mr| mr.sha == sha);
        match seen {
            Some(mr) => Ok(mr),
            None => self.merge_request(repo, iid).await,
        }
    }

    /// The usernames of commit authors and committers (a public email matching exactly
    /// one user). An email GitLab cannot name fails the gate closed: the policy asks who
    /// wrote the change, and an unknown author might be the approver (docs/gitlab.md).
    async fn people_of_commits(&self, commits: &[api::Commit]) -> Result<Vec<String>> {
        let emails: BTreeSet<&str> = commits
            .iter()
            .flat_map(|c| [Some(c.author_email.as_str()), c.committer_email.as_deref()])
            .flatten()
            .filter(|e| !e.is_empty())
            .collect();
        let mut people = BTreeSet::new();
        let mut unknown = Vec::new();
        for email in emails {
            let known = self
                .gitlab
                .emails
                .lock()
                .ok()
                .and_then(|m| m.get(email).cloned());
            let user = match known {
                Some(user) => user,
                None => {
                    let user = self
                        .client
                        .user_by_public_email(email)
                        .await
                        .map_err(forge_error)?;
                    if let Ok(mut map) = self.gitlab.emails.lock() {
                        if map.len() > 10_000 {
                            map.clear();
                        }
                        map.insert(email.to_owned(), user.clone());
                    }
                    user
                }
            };
            match user {
                Some(user) => {
                    people.insert(user);
                }
                None => unknown.push(email),
            }
        }
        if !unknown.is_empty() {
            return Err(ForgeError::Fatal(format!(
                "cannot tell which GitLab user wrote commits by {} (no user has that public email)",
                unknown.join(", ")
            )));
        }
        Ok(people.into_iter().collect())
    }

    async fn read_deployment(&self, repo: &Repo, gate: &GateRequest) -> Result<api::Deployment> {
        self.client
            .deployment(&project(repo), gate.gate_id)
            .await
            .map_err(forge_error)
    }
}

#[async_trait]
impl Forge for GitLabForge {
    fn kind(&self) -> ForgeKind {
        ForgeKind::GitLab
    }

    fn policy_path(&self) -> &'static str {
        POLICY_PATH
    }

    fn file_url(&self, repo: &Repo, git_ref: &str, path: &str) -> String {
        format!("{}/{repo}/-/blob/{git_ref}/{path}", self.gitlab.web_url)
    }

    async fn policy_file(&self, repo: &Repo, git_ref: &str) -> Result<Option<String>> {
        let key = format!("{repo}@{git_ref}");
        if let Some(policy) = fresh(&self.gitlab.policies, &key, self.gitlab.policy_ttl) {
            return Ok(policy);
        }
        let policy = self
            .client
            .file_raw(&project(repo), POLICY_PATH, git_ref)
            .await
            .map_err(forge_error)?;
        remember(&self.gitlab.policies, key, policy.clone());
        Ok(policy)
    }

    async fn change(&self, repo: &Repo, number: u64) -> Result<Change> {
        let mr = self.merge_request(repo, number).await?;
        Ok(Change {
            number: mr.iid,
            head_sha: mr.sha,
            head_ref: mr.source_branch,
            base_ref: mr.target_branch,
            author: mr.author.username,
            labels: mr.labels,
            open: mr.state == MergeRequestState::Opened,
        })
    }

    async fn change_paths(&self, repo: &Repo, number: u64, head: &str) -> Result<Vec<String>> {
        let mr = self.merge_request(repo, number).await?;
        if mr.sha != head {
            return Err(ForgeError::Transient(format!(
                "merge request !{number} moved from {head} to {} while being read",
                mr.sha
            )));
        }
        let diffs = self
            .client
            .changed_files(&project(repo), &mr)
            .await
            .map_err(forge_error)?;
        let paths: BTreeSet<String> = diffs
            .into_iter()
            .flat_map(|d| [d.old_path, d.new_path])
            .collect();
        Ok(paths.into_iter().collect())
    }

    async fn change_contributors(
        &self,
        repo: &Repo,
        number: u64,
        _head: &str,
    ) -> Result<Vec<String>> {
        let commits = self
            .client
            .merge_request_commits(&project(repo), number)
            .await
            .map_err(forge_error)?;
        self.people_of_commits(&commits).await
    }

    async fn change_activity(&self, repo: &Repo, number: u64) -> Result<Vec<Activity>> {
        let id = project(repo);
        let approvals = self
            .client
            .approvals(&id, number)
            .await
            .map_err(forge_error)?;
        let notes = self.client.notes(&id, number).await.map_err(forge_error)?;
        let versions = self
            .client
            .versions(&id, number)
            .await
            .map_err(forge_error)?;
        let timed = approvals_with_times(&approvals, &approval_events(&notes));
        let bot = self.bot().await?;
        Ok(merge_request_activity(
            &repo.to_string(),
            number,
            &timed,
            &notes,
            &versions,
            bot,
        ))
    }

    async fn open_changes_on(&self, repo: &Repo, sha: &str) -> Result<Vec<u64>> {
        Ok(self
            .client
            .merge_requests_of_commit(&project(repo), sha)
            .await
            .map_err(forge_error)?
            .into_iter()
            .filter(|mr| mr.state == MergeRequestState::Opened && mr.sha == sha)
            .map(|mr| mr.iid)
            .collect())
    }

    /// The push time a Merge Request Hook gives (`updated_at`) is never earlier than the
    /// merge request version GitLab made for that head: whoever holds the shared webhook
    /// token could otherwise date a push back and carry notes written on the older head
    /// onto the new one. A head GitLab shows no version of starts now.
    async fn head_since(
        &self,
        repo: &Repo,
        number: u64,
        head: &str,
        said: jiff::Timestamp,
    ) -> Result<jiff::Timestamp> {
        let versions = self
            .client
            .versions(&project(repo), number)
            .await
            .map_err(forge_error)?;
        let shown = versions
            .iter()
            .filter(|v| v.head_commit_sha == head)
            .map(|v| v.created_at)
            .max()
            .unwrap_or_else(jiff::Timestamp::now);
        Ok(said.max(shown))
    }

    async fn deployment_activity(&self, repo: &Repo, gate: &GateRequest) -> Result<Vec<Activity>> {
        let deployment = self.read_deployment(repo, gate).await?;
        let bot = self.bot().await?;
        Ok(deployment
            .approvals
            .into_iter()
            .filter(|a| a.user.username != bot)
            .filter_map(|a| {
                Some(Activity {
                    author: a.user.username,
                    // No time, no grant: it cannot be placed before or after a revoke.
                    at: a.created_at?,
                    body: String::new(),
                    kind: ActivityKind::DeploymentReview {
                        approved: a.status == ApprovalDecision::Approved,
                        environments: vec![gate.environment.clone()],
                    },
                    node: None,
                })
            })
            .collect())
    }

    async fn deployment(&self, repo: &Repo, gate: &GateRequest) -> Result<DeploymentFacts> {
        let deployment = self.read_deployment(repo, gate).await?;
        // The environment and the policy's branch come from the delivery: checked here,
        // before every evaluation of the gate reads a policy for them.
        self.confirm_gate(repo, gate, &deployment).await?;
        let requester = deployment.user.map(|u| u.username).ok_or_else(|| {
            ForgeError::Fatal(format!("deployment {} names no user", gate.gate_id))
        })?;
        // Open merge requests whose head is the deployed commit: their `/approve
        // <environment>` notes count.
        let pulls = self
            .client
            .merge_requests_of_commit(&project(repo), &deployment.sha)
            .await
            .map_err(forge_error)?
            .into_iter()
            .filter(|mr| mr.state == MergeRequestState::Opened && mr.sha == deployment.sha)
            .map(|mr| mr.iid)
            .collect();
        Ok(DeploymentFacts {
            sha: deployment.sha,
            git_ref: deployment.git_ref,
            requester,
            pulls,
        })
    }

    async fn deployment_contributors(
        &self,
        repo: &Repo,
        gate: &GateRequest,
        sha: &str,
        approved: &BTreeSet<u64>,
    ) -> Result<Vec<String>> {
        let id = project(repo);
        // The base is the newest successful deployment the bot itself approved, each
        // asked for by id: anyone with Developer access can create a "successful"
        // deployment through the API, so GitLab's own list is not trusted for it.
        let mut base = None;
        for deployment in approved.iter().rev().filter(|d| **d != gate.gate_id) {
            let found = self
                .client
                .deployment(&id, *deployment)
                .await
                .map_err(forge_error)?;
            if found.status == DeploymentStatus::Success {
                base = Some(found);
                break;
            }
        }
        let commits = match base {
            Some(last) => self.client.compare(&id, &last.sha, sha).await,
            None => self.client.commits_of(&id, sha).await,
        }
        .map_err(forge_error)?;
        self.people_of_commits(&commits).await
    }

    async fn waiting_gates(
        &self,
        repo: &Repo,
        environments: &[String],
        default_branch: Option<&str>,
    ) -> Result<Vec<GateRequest>> {
        let id = project(repo);
        let default_branch = match default_branch {
            Some(branch) => branch.to_owned(),
            None => self
                .client
                .project(&id)
                .await
                .map_err(forge_error)?
                .default_branch
                .ok_or_else(|| ForgeError::Fatal(format!("{repo} has no default branch")))?,
        };
        let any = [None];
        let wanted: Vec<Option<&str>> = if environments.is_empty() {
            any.to_vec()
        } else {
            environments.iter().map(|e| Some(e.as_str())).collect()
        };
        let mut gates = Vec::new();
        for environment in wanted {
            let blocked = self
                .client
                .deployments(&id, environment, Some(DeploymentStatus::Blocked))
                .await
                .map_err(forge_error)?;
            for d in blocked {
                let Some(environment) = d.environment.map(|e| e.name) else {
                    continue;
                };
                gates.push(GateRequest {
                    gate_id: d.id,
                    deployment_id: Some(d.id),
                    environment,
                    callback: String::new(),
                    sha: d.sha,
                    git_ref: d.git_ref,
                    requester: d.user.map(|u| u.username).unwrap_or_default(),
                    pulls: Vec::new(),
                    default_branch: default_branch.clone(),
                });
            }
        }
        Ok(gates)
    }

    async fn environments(&self, repo: &Repo) -> Result<Vec<String>> {
        Ok(self
            .client
            .environments(&project(repo))
            .await
            .map_err(forge_error)?
            .into_iter()
            .map(|e| e.name)
            .collect())
    }

    /// The Note Hook never says what a note said before an edit, and Maintainers may
    /// edit anyone's note: a `/reject` edited out must still be seen (as tampering).
    fn edits_to_check(&self) -> EditsToCheck {
        EditsToCheck::Every
    }

    async fn edits(&self, nodes: &[String]) -> Result<BTreeMap<String, Edit>> {
        if nodes.is_empty() {
            return Ok(BTreeMap::new());
        }
        super::edits::edits(&self.client, nodes)
            .await
            .map_err(forge_error)
    }

    async fn people(&self, repo: &Repo, groups: &[&str]) -> Result<People> {
        let key = repo.to_string();
        let writers = match fresh(&self.gitlab.writers, &key, self.gitlab.ttl) {
            Some(writers) => writers,
            None => {
                let members = self
                    .client
                    .project_members(&project(repo))
                    .await
                    .map_err(forge_error)?;
                let writers: BTreeSet<String> = approvers(&members).into_iter().collect();
                remember(&self.gitlab.writers, key, writers.clone());
                writers
            }
        };
        // GitLab's members API does not say whether a group's membership is visible to
        // everyone: every group is named, never listed by member, where all can read.
        let mut people = People {
            writers,
            groups: BTreeMap::new(),
            secret: groups.iter().map(|g| (*g).to_owned()).collect(),
        };
        for group in groups {
            match self.client.group_members(group).await {
                Ok(members) => {
                    let active: BTreeSet<String> = members
                        .into_iter()
                        .filter(|m| m.state.as_deref().is_none_or(|s| s == "active"))
                        .map(|m| m.username)
                        .collect();
                    people
                        .groups
                        .insert((*group).to_owned(), active.into_iter().collect());
                }
                // A group GitLab does not know (or the bot cannot see) has no members.
                Err(ApiError::NotFound(_)) => {}
                Err(e) => return Err(forge_error(e)),
            }
        }
        Ok(people)
    }

    async fn set_status(
        &self,
        repo: &Repo,
        status: &Status,
        _check_run: Option<u64>,
    ) -> Result<Option<u64>> {
        if status.context == self.gitlab.gate_context {
            match self.gate_pipelines(repo, &status.sha).await {
                Ok(targets) if !targets.is_empty() => {
                    self.post_into_pipelines(repo, &targets, status).await?;
                    return Ok(None);
                }
                Ok(_) => {}
                // Which pipelines must hold the answer is unknown. A success waits (it is
                // never posted where it may not belong); anything else goes on the commit
                // at once, so that an earlier success does not stand while the error
                // retries the rest.
                Err(e) if status.state == StatusState::Success => return Err(e),
                Err(e) => {
                    if let Err(also) = self.post_on_commit(repo, status).await {
                        tracing::warn!(repo = %repo, sha = status.sha, error = %also, "could not post the answer on the commit either");
                    }
                    return Err(e);
                }
            }
        }
        // No open merge request has this head (or another status, `signoff/<environment>`).
        self.post_on_commit(repo, status).await
    }

    /// GitLab cannot change a status's description without changing its state, so the
    /// state is what must match: the merge request status in each head pipeline (see
    /// pipelines.rs), any other the latest status of that name on the commit.
    async fn shows(&self, repo: &Repo, status: &Status, _check_run: Option<u64>) -> Result<bool> {
        if status.context == self.gitlab.gate_context {
            let targets = self.gate_pipelines(repo, &status.sha).await?;
            if !targets.is_empty() {
                return self.pipelines_show(repo, &targets, status).await;
            }
        }
        let (statuses, bot) = self.statuses_and_bot(repo, &status.sha).await?;
        let latest = statuses
            .into_iter()
            .filter(|s| s.name == status.context)
            .max_by_key(|s| s.id);
        Ok(latest.is_some_and(|s| {
            s.status == status_state(status.state)
                && s.author.as_ref().is_none_or(|a| a.username == bot)
        }))
    }

    fn shows_policy_checks(&self) -> bool {
        true
    }

    /// GitLab has no check runs: the check is a commit status `signoff/policy` (its
    /// title as the description) and a note on the merge request with the details and,
    /// for an invalid file, each diagnostic at its line and column.
    async fn show_policy_check(
        &self,
        repo: &Repo,
        check: &crate::forge::policy_check::PolicyCheck,
    ) -> Result<()> {
        let id = project(repo);
        let status = NewStatus::new(
            status_state(check.state),
            &check.context,
            &check.title,
            None,
        );
        match self.client.set_status(&id, &check.sha, &status).await {
            Ok(_) | Err(ApiError::StatusUnchanged(_)) => {}
            Err(e) => return Err(forge_error(e)),
        }
        let note = NewNote {
            body: policy_note(check),
        };
        self.client
            .create_note(&id, check.number, &note)
            .await
            .map_err(forge_error)
    }

    async fn answer_gate(
        &self,
        repo: &Repo,
        gate: &GateRequest,
        answer: GateAnswer,
        comment: &str,
    ) -> Result<()> {
        let status = match answer {
            GateAnswer::Approve => ApprovalDecision::Approved,
            GateAnswer::Reject => ApprovalDecision::Rejected,
            // GitLab has no "comment and keep waiting": not answering keeps it blocked.
            GateAnswer::Report => return Ok(()),
        };
        // Settled on GitLab meanwhile (approved by people, canceled, run): nothing to
        // answer; posting would be refused.
        let now = self.read_deployment(repo, gate).await?;
        if now.status != DeploymentStatus::Blocked {
            tracing::info!(repo = %repo, deployment = gate.gate_id, status = ?now.status, "deployment no longer waits; not answered");
            return Ok(());
        }
        let decision = NewDeploymentApproval {
            status,
            comment: comment.to_owned(),
        };
        match self
            .client
            .answer_deployment(&project(repo), gate.gate_id, &decision)
            .await
        {
            Ok(()) => Ok(()),
            // Settled between the read and the answer: nothing left to answer.
            Err(ApiError::Status { status: 400, .. })
                if self.read_deployment(repo, gate).await?.status != DeploymentStatus::Blocked =>
            {
                Ok(())
            }
            Err(e) => Err(forge_error(e)),
        }
    }

    async fn set_own_approval(
        &self,
        repo: &Repo,
        number: u64,
        approval: OwnApproval<'_>,
    ) -> Result<()> {
        self.set_own_approval_on_gitlab(repo, number, approval)
            .await
    }

    fn tenant(&self) -> Option<u64> {
        None
    }

    fn api_calls(&self) -> u32 {
        u32::try_from(self.client.counts().requests.load(Ordering::Relaxed)).unwrap_or(u32::MAX)
    }
}

/// The note that shows a `signoff/policy` check: its title, the details, and each
/// annotation as `path:line:col` (GitLab notes cannot annotate a file's lines).
fn policy_note(check: &crate::forge::policy_check::PolicyCheck) -> String {
    // GitLab caps a note at 1,000,000 characters; the details are far shorter, but the
    // cap keeps a hostile file from making the note fail.
    const MAX: usize = 100_000;
    let mut body = format!(
        "**{}** ({}): {}\n\n{}",
        check.context,
        check.sha.get(..12).unwrap_or(&check.sha),
        check.title,
        check.markdown
    );
    if !check.annotations.is_empty() {
        body.push('\n');
        for a in &check.annotations {
            body.push_str(&format!("\n- `{}:{}:{}`", a.path, a.span.line, a.span.col));
        }
        body.push('\n');
    }
    api::truncate_chars(&body, MAX)
}
