//! A fake GitLab on loopback: the REST v4 paths and answer shapes the adapter uses
//! (GitLab's REST documentation), state changed through domain verbs, every request
//! recorded, failures injected on demand, offset pagination with `Link`, `X-Next-Page`
//! and `X-Total`, ETags on GETs.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

// A path of its own: bench.rs includes this file by path, where `mod pipelines;` would
// mean this suite's tests/gitlab/pipelines.rs.
#[path = "fake/pipelines.rs"]
mod pipelines;
pub use pipelines::Pipeline;

pub const TOKEN: &str = "glpat-bot-token";

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The path as sent, still percent-encoded.
    pub raw_path: String,
    pub query: String,
    pub body: Option<Value>,
}

#[derive(Debug, Clone)]
pub enum Failure {
    /// A 5xx answer.
    Server(u16),
    /// 429 with `Retry-After: secs`.
    RetryAfter(u64),
    /// 429 with only `RateLimit-Reset` (Unix seconds).
    RateLimitReset(i64),
    /// 302 to this URL (another host, to see whether the token follows).
    Redirect(String),
}

/// How the fake tells a client about the next page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Paging {
    /// `Link: rel="next"` and the `X-*` headers (GitLab's default).
    #[default]
    LinkAndHeaders,
    /// Only `X-Next-Page` (no `Link`).
    NextPageHeader,
    /// Claims `X-Total` but stops after the first page (a lying or broken proxy).
    StopsEarly,
    /// A `Link: rel="next"` pointing at another host.
    ForeignNextLink,
}

#[derive(Debug, Clone, Default)]
pub struct MergeRequest {
    pub author: String,
    pub sha: String,
    pub source_branch: String,
    pub target_branch: String,
    pub labels: Vec<String>,
    pub draft: bool,
    pub state: String,
    pub files: Vec<String>,
    /// What `changes_count` says, when it should not be the number of files.
    pub changes_count: Option<String>,
    /// GitLab has not computed the diff yet: `changes_count` is null, `/diffs` empty.
    pub preparing: bool,
    /// (author_name, author_email)
    pub commits: Vec<(String, String)>,
    pub approved_by: Vec<String>,
    pub notes: Vec<Value>,
    /// (head sha, created_at): one per push, as `/versions` lists them.
    pub versions: Vec<(String, String)>,
    /// note id → (last editor, when), as GraphQL's `Note.lastEditedBy` tells it.
    pub edits: BTreeMap<u64, (String, String)>,
    /// The fork the source branch is in (`None`: this project).
    pub fork: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct Project {
    pub id: u64,
    pub path: String,
    pub default_branch: String,
    /// (branch, path) → text
    pub files: HashMap<(String, String), String>,
    /// (username, access level, state)
    pub members: Vec<(String, u32, String)>,
    pub merge_requests: BTreeMap<u64, MergeRequest>,
    pub environments: Vec<String>,
    pub deployments: BTreeMap<u64, Value>,
    /// sha → statuses, oldest first (each names the pipeline it joined).
    pub statuses: HashMap<String, Vec<Value>>,
    /// The default branch's commits, oldest first: (sha, author's username); each
    /// written from `<username>@example.com`.
    pub history: Vec<(String, String)>,
    /// id → pipeline (fake/pipelines.rs).
    pub pipelines: BTreeMap<u64, Pipeline>,
}

#[derive(Debug, Default)]
pub struct FakeState {
    pub projects: BTreeMap<u64, Project>,
    /// group full path → (username, access level)
    pub groups: BTreeMap<String, Vec<(String, u32)>>,
    /// (username, public email)
    pub users: Vec<(String, String)>,
    pub failures: VecDeque<Failure>,
    /// Failures for the n-th request (1-based), e.g. a page in the middle of a list.
    pub fail_at: HashMap<usize, Failure>,
    pub requests: Vec<Recorded>,
    /// Largest page the fake serves, whatever `per_page` asks (to force pagination).
    pub max_page: usize,
    pub paging: Paging,
    pub next_id: u64,
    /// The fake's clock for notes, as RFC 3339 seconds.
    pub clock: i64,
    pub approval_rules: ApprovalRules,
    /// `GET /projects/:id/pipelines` answers this 5xx (fake/pipelines.rs).
    pub pipelines_down: Option<u16>,
}

impl FakeState {
    fn project(&mut self, id: &str) -> Option<&mut Project> {
        let found = self
            .projects
            .values()
            .find(|p| p.path == id || p.id.to_string() == id)
            .map(|p| p.id)?;
        self.projects.get_mut(&found)
    }

    fn tick(&mut self) -> String {
        self.clock += 60;
        jiff::Timestamp::from_second(self.clock)
            .unwrap()
            .to_string()
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

type S = State<Arc<Mutex<FakeState>>>;

pub struct FakeGitLab {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<FakeState>>,
}

impl FakeGitLab {
    pub async fn start() -> FakeGitLab {
        let state = Arc::new(Mutex::new(FakeState {
            max_page: 100,
            next_id: 5000,
            clock: 1_767_225_600, // 2026-01-01T00:00:00Z
            ..FakeState::default()
        }));
        let app = Router::new()
            .route(
                "/api/v4/projects/{id}/merge_requests/{iid}",
                get(merge_request),
            )
            .route(
                "/api/v4/projects/{id}/merge_requests/{iid}/diffs",
                get(diffs),
            )
            .route(
                "/api/v4/projects/{id}/merge_requests/{iid}/commits",
                get(commits),
            )
            .route(
                "/api/v4/projects/{id}/merge_requests/{iid}/approvals",
                get(approvals),
            )
            .route("/api/v4/projects/{id}/approvals", get(approval_settings))
            .route(
                "/api/v4/projects/{id}/merge_requests/{iid}/approve",
                post(approve_merge_request),
            )
            .route(
                "/api/v4/projects/{id}/merge_requests/{iid}/unapprove",
                post(unapprove_merge_request),
            )
            .route(
                "/api/v4/projects/{id}/merge_requests/{iid}/notes",
                get(notes).post(post_note),
            )
            .route(
                "/api/v4/projects/{id}/repository/files/{path}/raw",
                get(file_raw),
            )
            .route("/api/v4/projects/{id}/members/all", get(project_members))
            .route("/api/v4/groups/{id}/members/all", get(group_members))
            .route(
                "/api/v4/projects/{id}/statuses/{sha}",
                post(pipelines::post_status),
            )
            .route(
                "/api/v4/projects/{id}/pipelines",
                get(pipelines::list_pipelines),
            )
            .route(
                "/api/v4/projects/{id}/repository/commits/{sha}/statuses",
                get(statuses),
            )
            .route("/api/v4/projects/{id}/deployments", get(deployments))
            .route("/api/v4/projects/{id}/deployments/{dep}", get(deployment))
            .route(
                "/api/v4/projects/{id}/deployments/{dep}/approval",
                post(approve_deployment),
            )
            .route("/api/v4/projects/{id}/environments", get(environments))
            .route("/api/v4/users", get(users))
            .route("/api/v4/user", get(current_user))
            .route("/api/v4/projects/{id}", get(project))
            .route("/api/v4/projects/{id}/repository/compare", get(compare))
            .route("/api/v4/projects/{id}/repository/commits", get(history))
            .route("/api/graphql", post(graphql))
            .route(
                "/api/v4/projects/{id}/merge_requests/{iid}/versions",
                get(versions),
            )
            .route(
                "/api/v4/projects/{id}/repository/commits/{sha}/merge_requests",
                get(merge_requests_of_commit),
            )
            .layer(middleware::from_fn_with_state(
                Arc::clone(&state),
                gatekeeper,
            ))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeGitLab { addr, state }
    }

    pub fn api_url(&self) -> String {
        format!("http://{}/api/v4", self.addr)
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    pub fn project_mut<T>(&self, id: u64, f: impl FnOnce(&mut Project) -> T) -> T {
        self.with(|s| f(s.projects.get_mut(&id).unwrap()))
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.with(|s| s.requests.clone())
    }

    pub fn fail_next(&self, failure: Failure) {
        self.with(|s| s.failures.push_back(failure));
    }

    // Domain verbs.

    pub fn add_project(&self, id: u64, path: &str) {
        self.with(|s| {
            s.projects.insert(
                id,
                Project {
                    id,
                    path: path.to_owned(),
                    default_branch: "main".to_owned(),
                    ..Project::default()
                },
            )
        });
    }

    pub fn add_member(&self, project: u64, username: &str, access_level: u32) {
        self.project_mut(project, |p| {
            p.members
                .push((username.to_owned(), access_level, "active".to_owned()))
        });
    }

    pub fn commit_file(&self, project: u64, branch: &str, path: &str, text: &str) {
        self.project_mut(project, |p| {
            p.files
                .insert((branch.to_owned(), path.to_owned()), text.to_owned())
        });
    }

    pub fn open_mr(&self, project: u64, iid: u64, author: &str, sha: &str, files: &[&str]) {
        self.with(|s| {
            let at = s.tick();
            let p = s.projects.get_mut(&project).unwrap();
            p.merge_requests.insert(
                iid,
                MergeRequest {
                    author: author.to_owned(),
                    sha: sha.to_owned(),
                    source_branch: format!("feature-{iid}"),
                    target_branch: p.default_branch.clone(),
                    state: "opened".to_owned(),
                    files: files.iter().map(|f| (*f).to_owned()).collect(),
                    commits: vec![(author.to_owned(), format!("{author}@example.com"))],
                    versions: vec![(sha.to_owned(), at)],
                    ..MergeRequest::default()
                },
            );
        });
    }

    /// The fake's clock now (the time of the latest verb), as GitLab writes times.
    pub fn clock(&self) -> String {
        self.with(|s| jiff::Timestamp::from_second(s.clock).unwrap().to_string())
    }

    /// New commits on the source branch: a new head, approvals reset (GitLab's
    /// "Remove all approvals when commits are added", unless `approval_rules` keeps
    /// them), a system note.
    pub fn push(&self, project: u64, iid: u64, sha: &str) {
        self.with(|s| push_head(s, project, iid, sha));
    }

    pub fn approve(&self, project: u64, iid: u64, user: &str) -> u64 {
        self.with(|s| approve_as(s, project, iid, user))
    }

    pub fn unapprove(&self, project: u64, iid: u64, user: &str) -> u64 {
        self.with(|s| unapprove_as(s, project, iid, user))
    }

    pub fn note(&self, project: u64, iid: u64, user: &str, body: &str) -> u64 {
        self.with(|s| {
            let at = s.tick();
            let id = s.id();
            mr_of(s, project, iid)
                .notes
                .push(note_json(id, user, body, &at, false));
            id
        })
    }

    /// `editor` changes a note's text (GitLab lets Maintainers edit others' notes):
    /// `updated_at` moves, and GraphQL's `lastEditedBy` names the editor.
    pub fn edit_note(&self, project: u64, iid: u64, note_id: u64, editor: &str, body: &str) {
        self.with(|s| {
            let at = s.tick();
            let mr = mr_of(s, project, iid);
            let note = mr.notes.iter_mut().find(|n| n["id"] == note_id).unwrap();
            note["body"] = json!(body);
            note["updated_at"] = json!(at);
            mr.edits.insert(note_id, (editor.to_owned(), at));
        });
    }

    /// Someone deletes a note (its author, or a Maintainer: GitLab lets them delete
    /// anyone's). GitLab sends no webhook for it.
    pub fn delete_note(&self, project: u64, iid: u64, note_id: u64) {
        self.with(|s| {
            let mr = mr_of(s, project, iid);
            mr.notes.retain(|n| n["id"] != note_id);
        });
    }

    /// Something else moves a note's `updated_at` (its thread resolved): no edit.
    pub fn resolve_note(&self, project: u64, iid: u64, note_id: u64) {
        self.with(|s| {
            let at = s.tick();
            let mr = mr_of(s, project, iid);
            let note = mr.notes.iter_mut().find(|n| n["id"] == note_id).unwrap();
            note["updated_at"] = json!(at);
        });
    }

    /// A deployment waiting for approval on a protected environment.
    pub fn block_deployment(&self, project: u64, environment: &str, sha: &str) -> u64 {
        self.with(|s| {
            let id = s.id();
            let job = s.id();
            let p = s.projects.get_mut(&project).unwrap();
            if !p.environments.iter().any(|e| e == environment) {
                p.environments.push(environment.to_owned());
            }
            p.deployments.insert(
                id,
                json!({
                    "id": id,
                    "iid": id,
                    "ref": p.default_branch,
                    "sha": sha,
                    "created_at": "2026-01-01T00:00:00.000Z",
                    "updated_at": "2026-01-01T00:00:00.000Z",
                    "status": "blocked",
                    "user": {"id": 1, "username": "deployer", "name": "Deployer", "state": "active"},
                    "environment": {"id": 9, "name": environment},
                    "deployable": {"id": job, "status": "manual", "stage": "deploy", "name": "deploy"},
                    "pending_approval_count": 1,
                    "approvals": []
                }),
            );
            id
        })
    }
}

fn mr_of(s: &mut FakeState, project: u64, iid: u64) -> &mut MergeRequest {
    s.projects
        .get_mut(&project)
        .unwrap()
        .merge_requests
        .get_mut(&iid)
        .unwrap()
}

fn note_json(id: u64, user: &str, body: &str, at: &str, system: bool) -> Value {
    json!({
        "id": id,
        "type": null,
        "body": body,
        "author": {"id": 1, "username": user, "name": user, "state": "active"},
        "created_at": at,
        "updated_at": at,
        "system": system,
        "noteable_type": "MergeRequest",
        "resolvable": false
    })
}

/// Records the request, checks the token, serves injected failures.
async fn gatekeeper(State(state): S, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let raw_path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let token_ok = req
        .headers()
        .get("private-token")
        .is_some_and(|v| v == TOKEN)
        || req
            .headers()
            .get("authorization")
            .is_some_and(|v| v == format!("Bearer {TOKEN}").as_str());
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let json_body = serde_json::from_slice::<Value>(&bytes).ok();
    let failure = {
        let mut s = state.lock().unwrap();
        s.requests.push(Recorded {
            method,
            raw_path,
            query,
            body: json_body,
        });
        let n = s.requests.len();
        s.fail_at.remove(&n).or_else(|| s.failures.pop_front())
    };
    if !token_ok {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "401 Unauthorized"})),
        )
            .into_response();
    }
    match failure {
        Some(Failure::Server(code)) => {
            return (
                StatusCode::from_u16(code).unwrap(),
                axum::Json(json!({"message": "500 Internal Server Error"})),
            )
                .into_response();
        }
        Some(Failure::RetryAfter(secs)) => {
            return retry_later("retry-after", secs);
        }
        Some(Failure::RateLimitReset(at)) => {
            return retry_later("ratelimit-reset", at);
        }
        Some(Failure::Redirect(to)) => {
            return (StatusCode::FOUND, [("location", to)], "").into_response();
        }
        None => {}
    }
    let req = Request::from_parts(parts, axum::body::Body::from(bytes));
    let if_none_match = req.headers().get("if-none-match").cloned();
    let response = next.run(req).await;
    with_etag(response, if_none_match).await
}

/// GitLab's 429, telling when to come back in `header`.
fn retry_later(header: &'static str, value: impl ToString) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header, value.to_string())],
        "Retry later",
    )
        .into_response()
}

/// A weak ETag over the body of every 200 GET; 304 when the client already has it.
async fn with_etag(response: Response, if_none_match: Option<HeaderValue>) -> Response {
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let etag = format!("W/\"{:x}\"", fxhash(&bytes));
    if if_none_match.is_some_and(|v| v == etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    parts
        .headers
        .insert("etag", HeaderValue::from_str(&etag).unwrap());
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

fn fxhash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn bad_request(body: Value) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"message": format!("404 {what} Not Found")})),
    )
        .into_response()
}

/// What a list request brings for paging: its headers (for the host), path and query.
struct Listing {
    headers: HeaderMap,
    path: String,
    q: HashMap<String, String>,
}

impl<St: Send + Sync> axum::extract::FromRequestParts<St> for Listing {
    type Rejection = axum::extract::rejection::QueryRejection;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &St,
    ) -> Result<Self, Self::Rejection> {
        let Query(q) = Query::try_from_uri(&parts.uri)?;
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path(), |o| o.path())
            .to_owned();
        Ok(Self {
            headers: parts.headers.clone(),
            path,
            q,
        })
    }
}

/// Offset pagination as GitLab does it.
fn paginate(s: &FakeState, page_request: &Listing, items: Vec<Value>) -> Response {
    let Listing { headers, path, q } = page_request;
    let per_page: usize = q
        .get("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
        .min(s.max_page)
        .max(1);
    let page: usize = q
        .get("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let total_pages = total.div_ceil(per_page).max(1);
    let chunk: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let others: String = q
        .iter()
        .filter(|(k, _)| *k != "page" && *k != "per_page")
        .map(|(k, v)| format!("&{k}={}", url_escape(v)))
        .collect();
    let link = |p: usize| format!("http://{host}{path}?page={p}&per_page={per_page}{others}");
    let mut out = axum::Json(Value::Array(chunk)).into_response();
    let h = out.headers_mut();
    let mut set = |name: &'static str, value: String| {
        h.insert(name, HeaderValue::from_str(&value).unwrap());
    };
    set("x-page", page.to_string());
    set("x-per-page", per_page.to_string());
    set("x-total", total.to_string());
    set("x-total-pages", total_pages.to_string());
    let has_next = page < total_pages;
    match s.paging {
        Paging::LinkAndHeaders => {
            set(
                "x-next-page",
                if has_next {
                    (page + 1).to_string()
                } else {
                    String::new()
                },
            );
            let mut links = vec![format!("<{}>; rel=\"first\"", link(1))];
            if has_next {
                links.push(format!("<{}>; rel=\"next\"", link(page + 1)));
            }
            links.push(format!("<{}>; rel=\"last\"", link(total_pages)));
            set("link", links.join(", "));
        }
        Paging::NextPageHeader => {
            set(
                "x-next-page",
                if has_next {
                    (page + 1).to_string()
                } else {
                    String::new()
                },
            );
        }
        Paging::StopsEarly => set("x-next-page", String::new()),
        Paging::ForeignNextLink => {
            if has_next {
                set(
                    "link",
                    format!(
                        "<http://attacker.example{path}?page={}>; rel=\"next\"",
                        page + 1
                    ),
                );
            }
        }
    }
    out
}

fn url_escape(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

type Q = Query<HashMap<String, String>>;

async fn merge_request(State(state): S, Path((id, iid)): Path<(String, u64)>) -> Response {
    let mut s = state.lock().unwrap();
    if s.approval_rules.refuse_merge_request_reads {
        return forbidden();
    }
    let Some(p) = s.project(&id) else {
        return not_found("Project");
    };
    let pid = p.id;
    let Some(mr) = p.merge_requests.get(&iid) else {
        return not_found("Merge Request");
    };
    axum::Json(json!({
        "id": pid * 1000 + iid,
        "iid": iid,
        "project_id": pid,
        "title": "Change",
        "state": mr.state,
        "author": {"id": 7, "username": mr.author, "name": mr.author, "state": "active"},
        "source_branch": mr.source_branch,
        "target_branch": mr.target_branch,
        "labels": mr.labels,
        "draft": mr.draft,
        "work_in_progress": mr.draft,
        "sha": mr.sha,
        "changes_count": if mr.preparing { Value::Null } else { json!(mr.changes_count.clone().unwrap_or_else(|| mr.files.len().to_string())) },
        "diff_refs": {"base_sha": "base0000", "head_sha": mr.sha, "start_sha": "base0000"},
        "web_url": format!("http://gitlab.test/{}/-/merge_requests/{iid}", p.path),
        "detailed_merge_status": "mergeable",
        "source_project_id": mr.fork.unwrap_or(pid),
        "target_project_id": pid,
        "head_pipeline": p.head_pipeline_json(iid)
    }))
    .into_response()
}

fn with_mr(
    state: &Arc<Mutex<FakeState>>,
    id: &str,
    iid: u64,
    f: impl FnOnce(&Project, &MergeRequest) -> Vec<Value>,
) -> Result<Vec<Value>, Box<Response>> {
    let mut s = state.lock().unwrap();
    let Some(p) = s.project(id) else {
        return Err(Box::new(not_found("Project")));
    };
    let p = p.clone();
    let Some(mr) = p.merge_requests.get(&iid) else {
        return Err(Box::new(not_found("Merge Request")));
    };
    Ok(f(&p, mr))
}

/// A paged list built from one project, or GitLab's 404 when the project is unknown.
fn project_page(
    state: &Arc<Mutex<FakeState>>,
    id: &str,
    page: &Listing,
    f: impl FnOnce(&Project) -> Vec<Value>,
) -> Response {
    let mut s = state.lock().unwrap();
    let Some(p) = s.project(id) else {
        return not_found("Project");
    };
    let items = f(p);
    paginate(&s, page, items)
}

/// A paged list built from one merge request, or GitLab's 404 for an unknown project or MR.
fn mr_page(
    state: &Arc<Mutex<FakeState>>,
    id: &str,
    iid: u64,
    page: &Listing,
    f: impl FnOnce(&MergeRequest) -> Vec<Value>,
) -> Response {
    match with_mr(state, id, iid, |_, mr| f(mr)) {
        Ok(items) => paginate(&state.lock().unwrap(), page, items),
        Err(r) => *r,
    }
}

async fn diffs(State(state): S, Path((id, iid)): Path<(String, u64)>, page: Listing) -> Response {
    mr_page(&state, &id, iid, &page, |mr| {
        mr.files
            .iter()
            .filter(|_| !mr.preparing)
            .map(|f| json!({"old_path": f, "new_path": f, "a_mode": "100644", "b_mode": "100644", "new_file": false, "renamed_file": false, "deleted_file": false, "diff": "@@ -1 +1 @@\n-a\n+b\n"}))
            .collect()
    })
}

async fn commits(State(state): S, Path((id, iid)): Path<(String, u64)>, page: Listing) -> Response {
    mr_page(&state, &id, iid, &page, |mr| {
        mr.commits
            .iter()
            .enumerate()
            .map(|(i, (name, email))| json!({"id": format!("{:040x}", i + 1), "short_id": "x", "title": "c", "author_name": name, "author_email": email, "committer_name": name, "committer_email": email, "created_at": "2026-01-01T00:00:00.000Z"}))
            .collect()
    })
}

fn commit_json(sha: &str, author: &str) -> Value {
    let email = format!("{author}@example.com");
    json!({"id": sha, "short_id": &sha[..8], "title": "c", "author_name": author, "author_email": email, "committer_name": author, "committer_email": email, "created_at": "2026-01-01T00:00:00.000Z"})
}

/// `GET /projects/:id/repository/compare?from=&to=`: the history's commits after `from`
/// up to `to`.
async fn compare(State(state): S, Path(id): Path<String>, Query(q): Q) -> Response {
    let mut s = state.lock().unwrap();
    let Some(p) = s.project(&id) else {
        return not_found("Project");
    };
    let at = |sha: Option<&String>| p.history.iter().position(|(c, _)| Some(c) == sha);
    let (Some(from), Some(to)) = (at(q.get("from")), at(q.get("to"))) else {
        return not_found("Commit");
    };
    let commits: Vec<Value> = p
        .history
        .iter()
        .take(to + 1)
        .skip(from + 1)
        .map(|(sha, author)| commit_json(sha, author))
        .collect();
    axum::Json(json!({"commit": commits.last(), "commits": commits, "diffs": [], "compare_timeout": false, "compare_same_ref": from == to})).into_response()
}

/// `GET /projects/:id/repository/commits?ref_name=`: the history up to `ref_name`,
/// newest first.
async fn history(State(state): S, Path(id): Path<String>, page: Listing) -> Response {
    let mut s = state.lock().unwrap();
    let Some(p) = s.project(&id) else {
        return not_found("Project");
    };
    let Some(to) = p
        .history
        .iter()
        .position(|(c, _)| page.q.get("ref_name") == Some(c))
    else {
        return not_found("Commit");
    };
    let items = p.history[..=to]
        .iter()
        .rev()
        .map(|(sha, author)| commit_json(sha, author))
        .collect();
    paginate(&s, &page, items)
}

/// `GET /projects/:id/approvals`: the project's approval settings, as GitLab documents
/// them (Premium).
async fn approval_settings(State(state): S, Path(id): Path<String>) -> Response {
    let mut s = state.lock().unwrap();
    if s.project(&id).is_none() {
        return not_found("Project");
    }
    let rules = &s.approval_rules;
    axum::Json(json!({
        "approvers": [],
        "approver_groups": [],
        "approvals_before_merge": 1,
        "reset_approvals_on_push": !rules.no_reset_on_push,
        "selective_code_owner_removals": false,
        "disable_overriding_approvers_per_merge_request": !rules.rules_editable,
        "merge_requests_author_approval": false,
        "merge_requests_disable_committers_approval": true,
        "require_password_to_approve": false
    }))
    .into_response()
}

async fn approvals(State(state): S, Path((id, iid)): Path<(String, u64)>) -> Response {
    match with_mr(&state, &id, iid, |_, mr| {
        mr.approved_by
            .iter()
            .map(|u| json!({"user": {"id": 3, "username": u, "name": u, "state": "active"}}))
            .collect()
    }) {
        Ok(by) => axum::Json(json!({
            "id": 5, "iid": iid, "state": "opened",
            "approved": !by.is_empty(),
            "approved_by": by
        }))
        .into_response(),
        Err(r) => *r,
    }
}

async fn notes(State(state): S, Path((id, iid)): Path<(String, u64)>, page: Listing) -> Response {
    let desc = page.q.get("sort").map(String::as_str) != Some("asc");
    mr_page(&state, &id, iid, &page, |mr| {
        let mut items = mr.notes.clone();
        if desc {
            items.reverse();
        }
        items
    })
}

/// `POST …/merge_requests/:iid/notes`: a note by the token's user (the bot user).
async fn post_note(State(state): S, Path((id, iid)): Path<(String, u64)>, body: Bytes) -> Response {
    let Some(text) = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["body"].as_str().map(str::to_owned))
        .filter(|b| !b.is_empty())
    else {
        return bad_request(json!({"error": "body is missing"}));
    };
    let mut s = state.lock().unwrap();
    let at = s.tick();
    let note_id = s.id();
    let Some(p) = s.project(&id) else {
        return not_found("Project");
    };
    let Some(mr) = p.merge_requests.get_mut(&iid) else {
        return not_found("Merge Request");
    };
    let note = note_json(note_id, "signoff-bot", &text, &at, false);
    mr.notes.push(note.clone());
    (StatusCode::CREATED, axum::Json(note)).into_response()
}

async fn file_raw(
    State(state): S,
    Path((id, path)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    let mut s = state.lock().unwrap();
    let Some(p) = s.project(&id) else {
        return not_found("Project");
    };
    let branch = q
        .get("ref")
        .cloned()
        .unwrap_or_else(|| p.default_branch.clone());
    match p.files.get(&(branch, path)) {
        Some(text) => text.clone().into_response(),
        None => not_found("File"),
    }
}

async fn project_members(State(state): S, Path(id): Path<String>, page: Listing) -> Response {
    project_page(&state, &id, &page, |p| {
        p
            .members
            .iter()
            .enumerate()
            .map(|(i, (u, level, st))| json!({"id": i + 1, "username": u, "name": u, "state": st, "access_level": level}))
            .collect()
    })
}

async fn group_members(State(state): S, Path(id): Path<String>, page: Listing) -> Response {
    let s = state.lock().unwrap();
    let Some(members) = s.groups.get(&id) else {
        return not_found("Group");
    };
    let items = members
        .iter()
        .enumerate()
        .map(|(i, (u, level))| json!({"id": i + 1, "username": u, "name": u, "state": "active", "access_level": level}))
        .collect();
    paginate(&s, &page, items)
}

async fn statuses(
    State(state): S,
    Path((id, sha)): Path<(String, String)>,
    page: Listing,
) -> Response {
    project_page(&state, &id, &page, |p| {
        p.statuses.get(&sha).cloned().unwrap_or_default()
    })
}

async fn deployments(State(state): S, Path(id): Path<String>, page: Listing) -> Response {
    project_page(&state, &id, &page, |p| {
        p.deployments
            .values()
            .filter(|d| {
                page.q
                    .get("environment")
                    .is_none_or(|e| d["environment"]["name"] == e.as_str())
            })
            .filter(|d| {
                page.q
                    .get("status")
                    .is_none_or(|st| d["status"] == st.as_str())
            })
            .cloned()
            .collect()
    })
}

async fn deployment(State(state): S, Path((id, dep)): Path<(String, u64)>) -> Response {
    let mut s = state.lock().unwrap();
    let Some(p) = s.project(&id) else {
        return not_found("Project");
    };
    match p.deployments.get(&dep) {
        Some(d) => axum::Json(d.clone()).into_response(),
        None => not_found("Deployment"),
    }
}

async fn approve_deployment(
    State(state): S,
    Path((id, dep)): Path<(String, u64)>,
    body: Bytes,
) -> Response {
    let Ok(params) = serde_json::from_slice::<Value>(&body) else {
        return bad_request(json!({"error": "body is not JSON"}));
    };
    let decision = params["status"].as_str().unwrap_or_default().to_owned();
    if decision != "approved" && decision != "rejected" {
        return bad_request(json!({"error": "status does not have a valid value"}));
    }
    let mut s = state.lock().unwrap();
    let Some(p) = s.project(&id) else {
        return not_found("Project");
    };
    let Some(d) = p.deployments.get_mut(&dep) else {
        return not_found("Deployment");
    };
    if d["status"] != "blocked" {
        return bad_request(json!({"message": "Deployment is not blocked"}));
    }
    let approval = json!({
        "user": {"id": 99, "username": "signoff-bot", "name": "signoff", "state": "active"},
        "status": decision,
        "created_at": "2026-01-01T00:05:00.000Z",
        "comment": params["comment"]
    });
    d["approvals"]
        .as_array_mut()
        .unwrap()
        .push(approval.clone());
    if decision == "approved" {
        d["status"] = json!("created");
    } else {
        d["status"] = json!("canceled");
    }
    (StatusCode::CREATED, axum::Json(approval)).into_response()
}

async fn environments(State(state): S, Path(id): Path<String>, page: Listing) -> Response {
    project_page(&state, &id, &page, |p| {
        p
            .environments
            .iter()
            .enumerate()
            .map(|(i, name)| json!({"id": i + 1, "name": name, "slug": name, "state": "available", "tier": name}))
            .collect()
    })
}

/// `GET /users?search=`: GitLab matches a full email only against public emails.
async fn users(State(state): S, page: Listing) -> Response {
    let s = state.lock().unwrap();
    let search = page.q.get("search").cloned().unwrap_or_default();
    let items = s
        .users
        .iter()
        .filter(|(u, email)| *u == search || email.eq_ignore_ascii_case(&search))
        .map(|(u, email)| json!({"id": 1, "username": u, "name": u, "state": "active", "public_email": email}))
        .collect();
    paginate(&s, &page, items)
}

/// `GET /user`: the bot user the token belongs to.
async fn current_user() -> Response {
    axum::Json(json!({"id": 99, "username": "signoff-bot", "name": "signoff", "state": "active"}))
        .into_response()
}

/// `GET …/merge_requests/:iid/versions`, newest first as GitLab lists them.
async fn versions(
    State(state): S,
    Path((id, iid)): Path<(String, u64)>,
    page: Listing,
) -> Response {
    mr_page(&state, &id, iid, &page, |mr| {
        mr.versions
            .iter()
            .enumerate()
            .rev()
            .map(|(i, (sha, at))| json!({"id": i + 1, "head_commit_sha": sha, "base_commit_sha": "base0000", "start_commit_sha": "base0000", "created_at": at, "merge_request_id": iid, "state": "collected", "real_size": "1"}))
            .collect()
    })
}

/// `GET …/repository/commits/:sha/merge_requests`: merge requests containing the commit
/// (here: those whose head it is).
async fn merge_requests_of_commit(
    State(state): S,
    Path((id, sha)): Path<(String, String)>,
    page: Listing,
) -> Response {
    project_page(&state, &id, &page, |p| {
        p
            .merge_requests
            .iter()
            .filter(|(_, mr)| mr.sha == sha)
            .map(|(iid, mr)| json!({"id": iid + 1000, "iid": iid, "sha": mr.sha, "state": mr.state, "source_branch": mr.source_branch, "target_branch": mr.target_branch}))
            .collect()
    })
}

/// `POST /api/graphql`: the one query the bot sends (a merge request's notes with their
/// last editor), paged two notes at a time so the cursor is followed.
async fn graphql(State(state): S, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    let query = request["query"].as_str().unwrap_or_default();
    assert!(query.contains("lastEditedBy"), "unexpected query {query}");
    let vars = &request["variables"];
    let path = vars["path"].as_str().unwrap_or_default().to_owned();
    let iid: u64 = vars["iid"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let after: usize = vars["after"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut s = state.lock().unwrap();
    let Some(p) = s.project(&path) else {
        return axum::Json(json!({"data": {"project": null}})).into_response();
    };
    let Some(mr) = p.merge_requests.get(&iid) else {
        return axum::Json(json!({"data": {"project": {"mergeRequest": null}}})).into_response();
    };
    let nodes: Vec<Value> = mr
        .notes
        .iter()
        .skip(after)
        .take(2)
        .map(|n| {
            let id = n["id"].as_u64().unwrap();
            let edit = mr.edits.get(&id);
            json!({
                "id": format!("gid://gitlab/Note/{id}"),
                "lastEditedAt": edit.map(|(_, at)| at.clone()),
                "lastEditedBy": edit.map(|(by, _)| json!({"username": by})),
            })
        })
        .collect();
    let next = after + nodes.len();
    axum::Json(json!({"data": {"project": {"mergeRequest": {"notes": {
        "nodes": nodes,
        "pageInfo": {"hasNextPage": next < mr.notes.len(), "endCursor": next.to_string()}
    }}}}}))
    .into_response()
}

/// `GET /projects/:id`.
async fn project(State(state): S, Path(id): Path<String>) -> Response {
    let mut s = state.lock().unwrap();
    let Some(p) = s.project(&id) else {
        return not_found("Project");
    };
    axum::Json(
        json!({"id": p.id, "path_with_namespace": p.path, "default_branch": p.default_branch}),
    )
    .into_response()
}

// ---- merge request approvals: the approve and unapprove endpoints, approval rules ----

/// The user the fake's token belongs to (`GET /user`).
pub const BOT_USER: &str = "signoff-bot";

/// How the fake GitLab treats merge request approvals.
#[derive(Debug, Default)]
pub struct ApprovalRules {
    /// "Remove all approvals when commits are added to the source branch" is off: a
    /// push keeps every approval.
    pub keep_on_push: bool,
    /// A push of this head lands just before the next `POST …/approve` is answered (the
    /// head moves between the bot's evaluation and its approval).
    pub push_before_next_approval: Option<String>,
    /// `GET …/merge_requests/:iid` answers 403 (the bot user lost access to it).
    pub refuse_merge_request_reads: bool,
    /// `POST …/unapprove` answers 500.
    pub unapprove_down: bool,
    /// The project's settings say so: "Prevent editing approval rules in merge
    /// requests" is off.
    pub rules_editable: bool,
    /// The project's settings say so: "Remove all approvals when commits are added" is
    /// off. (`keep_on_push` is what the fake does, whatever its settings say.)
    pub no_reset_on_push: bool,
}

impl FakeGitLab {
    /// Does the bot user approve merge request `iid` now (as `/approvals` lists it)?
    pub fn approved_by_bot(&self, project: u64, iid: u64) -> bool {
        self.with(|s| {
            s.projects[&project].merge_requests[&iid]
                .approved_by
                .iter()
                .any(|u| u == BOT_USER)
        })
    }

    /// The `POST …/approve` requests received: (merge request path, body).
    pub fn approve_requests(&self) -> Vec<Recorded> {
        self.requests_to("/approve")
    }

    /// The `POST …/unapprove` requests received.
    pub fn unapprove_requests(&self) -> Vec<Recorded> {
        self.requests_to("/unapprove")
    }

    fn requests_to(&self, suffix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.raw_path.ends_with(suffix))
            .collect()
    }
}

fn push_head(s: &mut FakeState, project: u64, iid: u64, sha: &str) {
    let at = s.tick();
    let id = s.id();
    let keep = s.approval_rules.keep_on_push;
    let mr = mr_of(s, project, iid);
    mr.sha = sha.to_owned();
    mr.versions.push((sha.to_owned(), at.clone()));
    if !keep {
        mr.approved_by.clear();
    }
    mr.notes
        .push(note_json(id, "root", "added 1 commit", &at, true));
}

fn approve_as(s: &mut FakeState, project: u64, iid: u64, user: &str) -> u64 {
    let at = s.tick();
    let id = s.id();
    let mr = mr_of(s, project, iid);
    mr.approved_by.push(user.to_owned());
    mr.notes.push(note_json(
        id,
        user,
        "approved this merge request",
        &at,
        true,
    ));
    id
}

fn unapprove_as(s: &mut FakeState, project: u64, iid: u64, user: &str) -> u64 {
    let at = s.tick();
    let id = s.id();
    let mr = mr_of(s, project, iid);
    mr.approved_by.retain(|u| u != user);
    mr.notes.push(note_json(
        id,
        user,
        "unapproved this merge request",
        &at,
        true,
    ));
    id
}

/// The project id and whether it has merge request `iid`, or GitLab's 404.
fn project_with_mr(s: &mut FakeState, id: &str, iid: u64) -> Result<u64, Box<Response>> {
    let Some(p) = s.project(id) else {
        return Err(Box::new(not_found("Project")));
    };
    if !p.merge_requests.contains_key(&iid) {
        return Err(Box::new(not_found("Merge Request")));
    }
    Ok(p.id)
}

/// The approval state `approve` and `unapprove` answer with.
fn approval_state(s: &FakeState, project: u64, iid: u64) -> Value {
    let mr = &s.projects[&project].merge_requests[&iid];
    let by: Vec<Value> = mr
        .approved_by
        .iter()
        .map(|u| json!({"user": {"id": 3, "username": u, "name": u, "state": "active"}}))
        .collect();
    json!({
        "id": project * 1000 + iid, "iid": iid, "project_id": project,
        "title": "Change", "state": mr.state, "merge_status": "can_be_merged",
        "approved": !by.is_empty(), "approvals_required": 1,
        "approvals_left": u8::from(by.is_empty()), "approved_by": by
    })
}

/// `POST …/merge_requests/:iid/approve` as the token's user: 409 when `sha` is given and
/// is not the head, 401 when the user already approves, else 201 with the approval state.
async fn approve_merge_request(
    State(state): S,
    Path((id, iid)): Path<(String, u64)>,
    body: Bytes,
) -> Response {
    let params: Value = serde_json::from_slice(&body).unwrap_or_default();
    let mut s = state.lock().unwrap();
    let project = match project_with_mr(&mut s, &id, iid) {
        Ok(project) => project,
        Err(r) => return *r,
    };
    if let Some(sha) = s.approval_rules.push_before_next_approval.take() {
        push_head(&mut s, project, iid, &sha);
    }
    let mr = mr_of(&mut s, project, iid);
    if let Some(sha) = params["sha"].as_str() {
        if sha != mr.sha {
            let message = format!("SHA does not match HEAD of source branch: {}", mr.sha);
            return (
                StatusCode::CONFLICT,
                axum::Json(json!({"message": message})),
            )
                .into_response();
        }
    }
    if mr.approved_by.iter().any(|u| u == BOT_USER) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "401 Unauthorized"})),
        )
            .into_response();
    }
    approve_as(&mut s, project, iid, BOT_USER);
    (
        StatusCode::CREATED,
        axum::Json(approval_state(&s, project, iid)),
    )
        .into_response()
}

/// `POST …/merge_requests/:iid/unapprove` as the token's user: 404 when the user does not
/// approve, else 201 with the approval state.
async fn unapprove_merge_request(
    State(state): S,
    Path((id, iid)): Path<(String, u64)>,
) -> Response {
    let mut s = state.lock().unwrap();
    if s.approval_rules.unapprove_down {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "500 Internal Server Error",
        )
            .into_response();
    }
    let project = match project_with_mr(&mut s, &id, iid) {
        Ok(project) => project,
        Err(r) => return *r,
    };
    if !mr_of(&mut s, project, iid)
        .approved_by
        .iter()
        .any(|u| u == BOT_USER)
    {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "404 Not Found"})),
        )
            .into_response();
    }
    unapprove_as(&mut s, project, iid, BOT_USER);
    (
        StatusCode::CREATED,
        axum::Json(approval_state(&s, project, iid)),
    )
        .into_response()
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        axum::Json(json!({"message": "403 Forbidden"})),
    )
        .into_response()
}
