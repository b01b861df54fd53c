//! The GitHub side of the forge seam: which REST calls answer each question, with TTL
//! caches for what changes slowly (writers, team members) and per-head caches for what
//! a head fixes (changed files, commits).

mod answers;
mod memo;
pub mod policy_check;

use super::api;
use super::client::{Caller, GitHubClient, encode, json};
use crate::event::{ForgeKind, GateRequest, Repo};
use crate::forge::cache::{Timed, fresh, keep, remember};
use crate::forge::{
    Activity, ActivityKind, Change, DeploymentFacts, Edit, Forge, ForgeError, GateAnswer, People,
    Result, ReviewState, Status,
};
use async_trait::async_trait;
use base64::Engine;
use http::StatusCode;
use memo::{Memo, Sizes};
use octocrab::Octocrab;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const POLICY_PATH: &str = ".github/signoff.yml";
/// GitHub's GraphQL endpoint on its client's base (`api.github.com/graphql`,
/// `<host>/api/graphql` on Enterprise Server).
const GRAPHQL_PATH: &str = "/graphql";

/// A team's members, and whether only they may see who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    members: Vec<String>,
    secret: bool,
}

/// The adapter, shared by all workers.
pub struct GitHub {
    pub client: Arc<GitHubClient>,
    caches: Caches,
    ttl: Duration,
    policy_ttl: Duration,
    check_runs: bool,
    web_url: String,
}

#[derive(Default)]
struct Caches {
    writers: Timed<BTreeSet<String>>,
    teams: Timed<Option<Team>>,
    /// (files|commits repo#number@head against base-ref@base-sha) → paths or contributors
    heads: Mutex<HashMap<String, Vec<String>>>,
    /// (repo@ref) → the policy file, reused for `cache.policy_ttl_secs`
    policies: Timed<Option<String>>,
    /// repo → names of its deployment environments
    environments: Timed<Vec<String>>,
}

/// Who last edited each comment or review body (GraphQL; REST does not say).
const EDITS_QUERY: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Comment { author { login } createdAt lastEditedAt editor { login } } } }";

/// Logins of a commit list's authors and committers, but not GitHub's own `web-flow`
/// (which commits what people do in the web interface).
fn commit_people(commits: impl IntoIterator<Item = api::Commit>) -> Vec<String> {
    let people: BTreeSet<String> = commits
        .into_iter()
        .flat_map(|c| [c.author, c.committer])
        .flatten()
        .map(|u| u.login)
        .filter(|login| login != "web-flow")
        .collect();
    people.into_iter().collect()
}

impl GitHub {
    pub fn new(
        client: GitHubClient,
        ttl: Duration,
        policy_ttl: Duration,
        check_runs: bool,
        api_url: &str,
    ) -> GitHub {
        let web_url = if api_url.contains("api.github.com") {
            "https://github.com".to_owned()
        } else {
            api_url
                .trim_end_matches('/')
                .trim_end_matches("/api/v3")
                .to_owned()
        };
        let check_runs = check_runs && client.is_app();
        GitHub {
            client: Arc::new(client),
            caches: Caches::default(),
            ttl,
            policy_ttl,
            check_runs,
            web_url,
        }
    }

    /// A handle for one event: the installation's credentials and its own call count.
    pub fn handle(self: &Arc<Self>, installation: Option<u64>) -> Result<GitHubForge> {
        Ok(GitHubForge {
            github: Arc::clone(self),
            crab: self.client.for_installation(installation)?,
            calls: Caller::new(installation),
            memo: Memo::default(),
            installation,
        })
    }
}

pub struct GitHubForge {
    github: Arc<GitHub>,
    crab: Arc<Octocrab>,
    /// This event's calls, against its installation's rate limit.
    calls: Caller,
    installation: Option<u64>,
    /// What this event has already read: each question is asked once per event.
    memo: Memo,
}

/// Which list of a pull request, for the completeness check.
#[derive(Debug, Clone, Copy)]
enum Listed {
    Files,
    Commits,
}

impl Listed {
    fn expected(self, sizes: Sizes) -> Option<u64> {
        match self {
            Listed::Files => sizes.files,
            Listed::Commits => sizes.commits,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Listed::Files => "changed files",
            Listed::Commits => "commits",
        }
    }
}

impl GitHubForge {
    async fn get(&self, path: &str) -> Result<super::client::Response> {
        self.github.client.get(&self.crab, path, &self.calls).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.get_json_unless_gone(path).await?.ok_or_else(|| {
            ForgeError::Fatal(format!(
                "GET {}: {}",
                path.split('?').next().unwrap_or(path),
                StatusCode::NOT_FOUND
            ))
        })
    }

    /// `get_json`, with `None` for a 404 (something deleted).
    async fn get_json_unless_gone<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Option<T>> {
        let response = self.get(path).await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status.is_success() {
            return Err(ForgeError::Fatal(format!(
                "GET {}: {}",
                path.split('?').next().unwrap_or(path),
                response.status
            )));
        }
        json(&response.body).map(Some)
    }

    async fn list<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<Vec<T>> {
        self.github
            .client
            .get_all(&self.crab, path, &self.calls)
            .await
    }

    /// POST and return the answer's body.
    async fn post_for(&self, path: &str, body: &serde_json::Value) -> Result<bytes::Bytes> {
        self.github
            .client
            .post(&self.crab, path, body, &self.calls)
            .await
            .map(|r| r.body)
    }

    async fn post(&self, path: &str, body: &serde_json::Value) -> Result<()> {
        self.post_for(path, body).await.map(|_| ())
    }

    /// The policy file, reused across events for `cache.policy_ttl_secs`.
    async fn cached_policy(
        &self,
        repo: &Repo,
        git_ref: &str,
        key: String,
    ) -> Result<Option<String>> {
        if !self.github.policy_ttl.is_zero() {
            if let Some(hit) = fresh(&self.github.caches.policies, &key, self.github.policy_ttl) {
                return Ok(hit);
            }
        }
        let text = self.read_policy(repo, git_ref).await?;
        if !self.github.policy_ttl.is_zero() {
            remember(&self.github.caches.policies, key, text.clone());
        }
        Ok(text)
    }

    async fn read_policy(&self, repo: &Repo, git_ref: &str) -> Result<Option<String>> {
        let path = format!(
            "/repos/{repo}/contents/{POLICY_PATH}?ref={}",
            encode(&full_ref(git_ref))
        );
        let response = self.get(&path).await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status.is_success() {
            return Err(ForgeError::Fatal(format!(
                "reading {POLICY_PATH}: {}",
                response.status
            )));
        }
        let content: api::Content = json(&response.body)?;
        // Only a regular file at the policy's own path: through a symbolic link the
        // policy would change with another file, which no review of this path sees.
        if content.kind.as_deref() != Some("file") || content.path.as_deref() != Some(POLICY_PATH) {
            return Err(ForgeError::Fatal(format!(
                "{POLICY_PATH} is a symbolic link or not a regular file; the policy is read only from a regular file"
            )));
        }
        let encoded: String = content
            .content
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if content.encoding.as_deref().unwrap_or("base64") != "base64" {
            return Err(ForgeError::Fatal(format!(
                "{POLICY_PATH}: unexpected encoding"
            )));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| ForgeError::Fatal(format!("{POLICY_PATH}: {e}")))?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| ForgeError::Fatal(format!("{POLICY_PATH} is not UTF-8")))
    }

    /// The pull request's file and commit counts (from this event's `change`, else read).
    async fn sizes(&self, repo: &Repo, number: u64) -> Result<Sizes> {
        Ok(self.read_change(repo, number).await?.1)
    }

    /// The pull request and its list sizes, read once per event.
    async fn read_change(&self, repo: &Repo, number: u64) -> Result<(Change, Sizes)> {
        let read = async {
            let pr: api::PullRequest = self
                .get_json(&format!("/repos/{repo}/pulls/{number}"))
                .await?;
            let sizes = Sizes {
                files: pr.changed_files,
                commits: pr.commits,
                base: format!("{}@{}", pr.base.name, pr.base.sha),
            };
            let change = Change {
                number: pr.number,
                head_sha: pr.head.sha,
                head_ref: pr.head.name,
                base_ref: pr.base.name,
                author: pr.user.map(|u| u.login).unwrap_or_default(),
                labels: pr.labels.into_iter().map(|l| l.name).collect(),
                open: pr.state == "open",
            };
            Ok((change, sizes))
        };
        self.memo
            .changes
            .or_read(format!("{repo}#{number}"), read)
            .await
    }

    /// A list that a head fixes (files, commits), cached by head; an error when GitHub
    /// lists fewer items than the pull request has (it serves at most 3,000 files and
    /// 250 commits), so a decision is never made on part of the list.
    async fn per_head(
        &self,
        (repo, number): (&Repo, u64),
        listed: Listed,
        key: String,
        path: String,
        read: fn(&serde_json::Value) -> Vec<String>,
    ) -> Result<Vec<String>> {
        let sizes = self.sizes(repo, number).await?;
        let key = format!("{key} against {}", sizes.base);
        if let Some(hit) = self
            .github
            .caches
            .heads
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return Ok(hit);
        }
        let items: Vec<serde_json::Value> = self.list(&path).await?;
        let expected = listed.expected(sizes);
        let served = u64::try_from(items.len()).unwrap_or(u64::MAX);
        if let Some(expected) = expected.filter(|e| served < *e) {
            return Err(ForgeError::Fatal(format!(
                "incomplete list: GitHub serves {served} of the {expected} {} of #{number}",
                listed.describe()
            )));
        }
        let mut out: BTreeSet<String> = BTreeSet::new();
        for item in &items {
            out.extend(read(item));
        }
        let out: Vec<String> = out.into_iter().collect();
        keep(&self.github.caches.heads, key, out.clone());
        Ok(out)
    }

    async fn writers(&self, repo: &Repo) -> Result<BTreeSet<String>> {
        let key = repo.to_string();
        self.memo
            .writers
            .or_read(key.clone(), self.read_writers(repo, key))
            .await
    }

    async fn read_writers(&self, repo: &Repo, key: String) -> Result<BTreeSet<String>> {
        if let Some(hit) = fresh(&self.github.caches.writers, &key, self.github.ttl) {
            return Ok(hit);
        }
        let people: Vec<api::Collaborator> = self
            .list(&format!("/repos/{repo}/collaborators?per_page=100"))
            .await?;
        let writers: BTreeSet<String> = people
            .into_iter()
            .filter(|c| {
                c.permissions
                    .as_ref()
                    .is_some_and(|p| p.push || p.maintain || p.admin)
            })
            .map(|c| c.login)
            .collect();
        remember(&self.github.caches.writers, key, writers.clone());
        Ok(writers)
    }

    /// Members of `org/team` and whether the team is secret, or `None` when GitHub has
    /// no such team.
    async fn team(&self, group: &str) -> Result<Option<Team>> {
        self.memo
            .teams
            .or_read(group.to_owned(), self.read_team(group))
            .await
    }

    async fn read_team(&self, group: &str) -> Result<Option<Team>> {
        let Some((org, team)) = group.split_once('/') else {
            return Ok(None);
        };
        if let Some(hit) = fresh(&self.github.caches.teams, group, self.github.ttl) {
            return Ok(hit);
        }
        let team_path = format!("/orgs/{}/teams/{}", encode(org), encode(team));
        let about = self.get(&team_path).await?;
        let found = if about.status == StatusCode::NOT_FOUND {
            None
        } else if !about.status.is_success() {
            return Err(ForgeError::Fatal(format!(
                "GET {team_path}: {}",
                about.status
            )));
        } else {
            let about: api::Team = json(&about.body)?;
            let users: Vec<api::User> = self
                .list(&format!("{team_path}/members?per_page=100"))
                .await?;
            Some(Team {
                members: users.into_iter().map(|u| u.login).collect(),
                // Anything but GitHub's visible `closed` is treated as secret.
                secret: about.privacy.as_deref() != Some("closed"),
            })
        };
        remember(&self.github.caches.teams, group.to_owned(), found.clone());
        Ok(found)
    }

    async fn read_activity(&self, repo: &Repo, number: u64) -> Result<Vec<Activity>> {
        let reviews: Vec<api::Review> = self
            .list(&format!(
                "/repos/{repo}/pulls/{number}/reviews?per_page=100"
            ))
            .await?;
        let comments: Vec<api::IssueComment> = self
            .list(&format!(
                "/repos/{repo}/issues/{number}/comments?per_page=100"
            ))
            .await?;
        let mut out = Vec::new();
        for r in reviews {
            let (Some(user), Some(at), Some(state)) =
                (r.user, r.submitted_at, review_state(&r.state))
            else {
                continue;
            };
            out.push(Activity {
                author: user.login,
                at,
                body: r.body.unwrap_or_default(),
                kind: ActivityKind::Review {
                    state,
                    commit: r.commit_id,
                },
                node: r.node_id,
            });
        }
        for c in comments {
            let Some(user) = c.user else { continue };
            out.push(Activity {
                author: user.login,
                // Its creation: an edit does not move a comment to a later head.
                at: c.created_at,
                body: c.body.unwrap_or_default(),
                kind: ActivityKind::Comment { id: c.id },
                node: c.node_id,
            });
        }
        out.sort_by_key(|a| a.at);
        Ok(out)
    }

    async fn read_approvals(&self, repo: &Repo, gate: &GateRequest) -> Result<Vec<Activity>> {
        let approvals: Vec<api::Approval> = self
            .get_json(&format!(
                "/repos/{repo}/actions/runs/{}/approvals",
                gate.gate_id
            ))
            .await?;
        // The API gives no times: each review counts as of now, in the order listed.
        let now = jiff::Timestamp::now();
        Ok(approvals
            .into_iter()
            .map(|a| Activity {
                author: a.user.login,
                at: now,
                body: a.comment.unwrap_or_default(),
                kind: ActivityKind::DeploymentReview {
                    approved: a.state == "approved",
                    environments: a.environments.into_iter().map(|e| e.name).collect(),
                },
                node: None,
            })
            .collect())
    }

    async fn read_deployment(&self, repo: &Repo, gate: &GateRequest) -> Result<DeploymentFacts> {
        let run: api::WorkflowRun = self
            .get_json(&format!("/repos/{repo}/actions/runs/{}", gate.gate_id))
            .await?;
        let (sha, git_ref) = match gate.deployment_id {
            Some(id) => {
                let d: api::Deployment = self
                    .get_json(&format!("/repos/{repo}/deployments/{id}"))
                    .await?;
                if !d.environment.eq_ignore_ascii_case(&gate.environment) {
                    return Err(ForgeError::Fatal(format!(
                        "deployment {id} is to {}, not {}",
                        d.environment, gate.environment
                    )));
                }
                (d.sha, d.git_ref)
            }
            None => (run.head_sha, run.head_branch.unwrap_or_default()),
        };
        // Actions creates the deployment as `github-actions[bot]`; the requester is the
        // person who started this attempt of the run.
        let requester = run
            .triggering_actor
            .or(run.actor)
            .map(|u| u.login)
            .ok_or_else(|| ForgeError::Fatal(format!("run {} names no actor", gate.gate_id)))?;
        Ok(DeploymentFacts {
            sha,
            git_ref,
            requester,
            pulls: run.pull_requests.into_iter().map(|p| p.number).collect(),
        })
    }

    async fn read_shipped_by(
        &self,
        repo: &Repo,
        gate: &GateRequest,
        sha: &str,
        approved: &BTreeSet<u64>,
    ) -> Result<Vec<String>> {
        let mut shipped = None;
        // Only deployments the bot approved (anyone with `deployments: write` can mark
        // their own successful), newest first, before this one: each is asked for by id,
        // so no number of newer deployments hides one.
        for id in approved
            .iter()
            .rev()
            .filter(|d| gate.deployment_id.is_none_or(|id| **d < id))
        {
            // Anyone with `deployments: write` can delete an inactive deployment: a
            // deleted one is no base (more commits count as unshipped), never an error
            // that would hold every later deployment.
            let Some(statuses) = self
                .get_json_unless_gone::<Vec<api::DeploymentStatus>>(&format!(
                    "/repos/{repo}/deployments/{id}/statuses?per_page=100"
                ))
                .await?
            else {
                continue;
            };
            if statuses.iter().any(|s| s.state == "success") {
                let Some(d) = self
                    .get_json_unless_gone::<api::Deployment>(&format!(
                        "/repos/{repo}/deployments/{id}"
                    ))
                    .await?
                else {
                    continue;
                };
                if d.environment.eq_ignore_ascii_case(&gate.environment) {
                    shipped = Some(d.sha);
                    break;
                }
            }
        }
        let commits = match shipped {
            Some(base) => {
                let comparison: api::Comparison = self
                    .get_json(&format!(
                        "/repos/{repo}/compare/{}...{}",
                        encode(&base),
                        encode(sha)
                    ))
                    .await?;
                let listed = u64::try_from(comparison.commits.len()).unwrap_or(u64::MAX);
                if comparison.total_commits > listed {
                    // Fail closed: an unlisted commit's author could approve.
                    return Err(ForgeError::Fatal(format!(
                        "{} commits since the last successful deployment to {}, GitHub lists {}: cannot tell every contributor",
                        comparison.total_commits, gate.environment, listed
                    )));
                }
                comparison.commits
            }
            None => {
                self.list(&format!(
                    "/repos/{repo}/commits?sha={}&per_page=100",
                    encode(sha)
                ))
                .await?
            }
        };
        Ok(commit_people(commits))
    }

    async fn read_environments(&self, repo: &Repo) -> Result<Vec<String>> {
        let key = repo.to_string();
        if let Some(hit) = fresh(&self.github.caches.environments, &key, self.github.ttl) {
            return Ok(hit);
        }
        let mut names: Vec<String> = Vec::new();
        for page in 1.. {
            let path = format!("/repos/{repo}/environments?per_page=100&page={page}");
            let response = self.get(&path).await?;
            if response.status == StatusCode::NOT_FOUND {
                break;
            }
            if !response.status.is_success() {
                return Err(ForgeError::Fatal(format!(
                    "GET /repos/{repo}/environments: {}",
                    response.status
                )));
            }
            let list: api::Environments = json(&response.body)?;
            let empty = list.environments.is_empty();
            names.extend(list.environments.into_iter().map(|e| e.name));
            if empty || u64::try_from(names.len()).unwrap_or(u64::MAX) >= list.total_count {
                break;
            }
        }
        remember(&self.github.caches.environments, key, names.clone());
        Ok(names)
    }

    /// Who last edited each of these (at most 100) comment or review bodies; the
    /// never-edited ones are left out.
    async fn read_edits(&self, chunk: &[String]) -> Result<BTreeMap<String, Edit>> {
        let mut out = BTreeMap::new();
        let body = json!({ "query": EDITS_QUERY, "variables": { "ids": chunk } });
        // On Enterprise Server GraphQL is beside the REST base, not under it.
        let graphql = self.github.client.graphql_for(&self.crab).await?;
        let response = self
            .github
            .client
            .post(&graphql, GRAPHQL_PATH, &body, &self.calls)
            .await?;
        let answer: api::GraphQl<api::Nodes> = json(&response.body)?;
        if let Some(error) = answer.errors.first() {
            let message = format!("GraphQL: {}", error.message);
            // A comment deleted between listing and asking: the next attempt lists
            // without it. Anything else will not mend by itself.
            return Err(if error.kind.as_deref() == Some("NOT_FOUND") {
                ForgeError::Transient(message)
            } else {
                ForgeError::Fatal(message)
            });
        }
        let data = answer
            .data
            .ok_or_else(|| ForgeError::Fatal("GraphQL: no data".to_owned()))?;
        for node in data.nodes.into_iter().flatten() {
            if let Some(at) = node.last_edited_at {
                out.insert(
                    node.id,
                    Edit {
                        editor: node.editor.map(|u| u.login),
                        at,
                    },
                );
            }
        }
        Ok(out)
    }
}

fn review_state(state: &str) -> Option<ReviewState> {
    match state {
        "APPROVED" => Some(ReviewState::Approved),
        "CHANGES_REQUESTED" => Some(ReviewState::ChangesRequested),
        "DISMISSED" => Some(ReviewState::Dismissed),
        "COMMENTED" => Some(ReviewState::Commented),
        _ => None,
    }
}

#[async_trait]
impl Forge for GitHubForge {
    fn kind(&self) -> ForgeKind {
        ForgeKind::GitHub
    }

    fn policy_path(&self) -> &'static str {
        POLICY_PATH
    }

    fn file_url(&self, repo: &Repo, git_ref: &str, path: &str) -> String {
        format!(
            "{}/{repo}/blob/{}/{path}",
            self.github.web_url,
            encode(git_ref)
        )
    }

    async fn policy_file(&self, repo: &Repo, git_ref: &str) -> Result<Option<String>> {
        let key = format!("{repo}@{git_ref}");
        self.memo
            .policies
            .or_read(key.clone(), self.cached_policy(repo, git_ref, key))
            .await
    }

    async fn change(&self, repo: &Repo, number: u64) -> Result<Change> {
        Ok(self.read_change(repo, number).await?.0)
    }

    async fn change_paths(&self, repo: &Repo, number: u64, head: &str) -> Result<Vec<String>> {
        let path = format!("/repos/{repo}/pulls/{number}/files?per_page=100");
        let key = format!("files {repo}#{number}@{head}");
        self.per_head((repo, number), Listed::Files, key, path, |f| {
            let file: Option<api::File> = serde_json::from_value(f.clone()).ok();
            file.map(|f| {
                f.previous_filename
                    .into_iter()
                    .chain([f.filename])
                    .collect()
            })
            .unwrap_or_default()
        })
        .await
    }

    async fn change_contributors(
        &self,
        repo: &Repo,
        number: u64,
        head: &str,
    ) -> Result<Vec<String>> {
        let path = format!("/repos/{repo}/pulls/{number}/commits?per_page=100");
        let key = format!("commits {repo}#{number}@{head}");
        self.per_head((repo, number), Listed::Commits, key, path, |c| {
            let commit: Option<api::Commit> = serde_json::from_value(c.clone()).ok();
            commit
                .map(|c| {
                    [c.author, c.committer]
                        .into_iter()
                        .flatten()
                        .map(|u| u.login)
                        // `web-flow` commits what people do in the web interface.
                        .filter(|login| login != "web-flow")
                        .collect()
                })
                .unwrap_or_default()
        })
        .await
    }

    async fn change_activity(&self, repo: &Repo, number: u64) -> Result<Vec<Activity>> {
        self.memo
            .activity
            .or_read(format!("{repo}#{number}"), self.read_activity(repo, number))
            .await
    }

    async fn deployment_activity(&self, repo: &Repo, gate: &GateRequest) -> Result<Vec<Activity>> {
        self.memo
            .approvals
            .or_read(
                format!("{repo} {}", gate.gate_id),
                self.read_approvals(repo, gate),
            )
            .await
    }

    async fn deployment(&self, repo: &Repo, gate: &GateRequest) -> Result<DeploymentFacts> {
        let key = format!(
            "{repo} {} {:?} {}",
            gate.gate_id, gate.deployment_id, gate.environment
        );
        self.memo
            .deployments
            .or_read(key, self.read_deployment(repo, gate))
            .await
    }

    async fn deployment_contributors(
        &self,
        repo: &Repo,
        gate: &GateRequest,
        sha: &str,
        approved: &BTreeSet<u64>,
    ) -> Result<Vec<String>> {
        let key = format!(
            "{repo} {} {:?} {sha} {approved:?}",
            gate.environment, gate.deployment_id
        );
        self.memo
            .shipped_by
            .or_read(key, self.read_shipped_by(repo, gate, sha, approved))
            .await
    }

    async fn waiting_gates(
        &self,
        _repo: &Repo,
        _environments: &[String],
        _default_branch: Option<&str>,
    ) -> Result<Vec<GateRequest>> {
        // Every waiting deployment arrives as a `deployment_protection_rule` event.
        Ok(Vec::new())
    }

    async fn environments(&self, repo: &Repo) -> Result<Vec<String>> {
        self.memo
            .environments
            .or_read(repo.to_string(), self.read_environments(repo))
            .await
    }

    async fn edits(&self, nodes: &[String]) -> Result<BTreeMap<String, Edit>> {
        let mut unasked: Vec<String> = nodes
            .iter()
            .filter(|n| self.memo.edits.get(n).is_none())
            .cloned()
            .collect();
        unasked.sort();
        unasked.dedup();
        for chunk in unasked.chunks(100) {
            let mut edited = self.read_edits(chunk).await?;
            for node in chunk {
                self.memo.edits.put(node.clone(), edited.remove(node));
            }
        }
        Ok(nodes
            .iter()
            .filter_map(|n| Some((n.clone(), self.memo.edits.get(n).flatten()?)))
            .collect())
    }

    async fn people(&self, repo: &Repo, groups: &[&str]) -> Result<People> {
        let mut people = People {
            writers: self.writers(repo).await?,
            ..People::default()
        };
        for group in groups {
            if let Some(team) = self.team(group).await? {
                if team.secret {
                    people.secret.insert((*group).to_owned());
                }
                people.groups.insert((*group).to_owned(), team.members);
            }
        }
        Ok(people)
    }

    async fn set_status(
        &self,
        repo: &Repo,
        status: &Status,
        check_run: Option<u64>,
    ) -> Result<Option<u64>> {
        self.post_answer(repo, status, check_run).await
    }

    async fn shows(&self, repo: &Repo, status: &Status, check_run: Option<u64>) -> Result<bool> {
        self.shows_answer(repo, status, check_run).await
    }

    fn shows_policy_checks(&self) -> bool {
        true
    }

    async fn show_policy_check(
        &self,
        repo: &Repo,
        check: &crate::forge::policy_check::PolicyCheck,
    ) -> Result<()> {
        self.post_policy_check(repo, check).await
    }

    async fn answer_gate(
        &self,
        _repo: &Repo,
        gate: &GateRequest,
        answer: GateAnswer,
        comment: &str,
    ) -> Result<()> {
        let comment = truncate(comment, 1_000);
        let body = match answer {
            GateAnswer::Approve => {
                json!({ "environment_name": gate.environment, "state": "approved", "comment": comment })
            }
            GateAnswer::Reject => {
                json!({ "environment_name": gate.environment, "state": "rejected", "comment": comment })
            }
            GateAnswer::Report => {
                json!({ "environment_name": gate.environment, "comment": comment })
            }
        };
        self.post(&gate.callback, &body).await
    }

    fn tenant(&self) -> Option<u64> {
        self.installation
    }

    fn api_calls(&self) -> u32 {
        self.calls.count()
    }
}

/// A branch's name as the full ref `refs/heads/<name>`: a bare name is ambiguous, and
/// git resolves a tag of that name (which any writer can push) before the branch. A
/// commit id (the policy check reads a head's file) or a full ref is kept.
fn full_ref(git_ref: &str) -> String {
    let commit = matches!(git_ref.len(), 40 | 64) && git_ref.bytes().all(|b| b.is_ascii_hexdigit());
    if commit || git_ref.starts_with("refs/") {
        git_ref.to_owned()
    } else {
        format!("refs/heads/{git_ref}")
    }
}

pub(super) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", text.get(..end).unwrap_or(""))
}
