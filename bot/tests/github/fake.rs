//! A fake GitHub on loopback: the REST paths and response shapes the bot uses, state the
//! harness changes, every request recorded, failures injected on demand, ETags honoured.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Option<Value>,
    pub at: jiff::Timestamp,
    pub authorization: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Failure {
    /// A 5xx answer.
    Server(u16),
    /// 403 with `x-ratelimit-remaining: 0` and a reset this many seconds ahead.
    RateLimit { reset_in_secs: i64 },
    /// 429 with `Retry-After`.
    RetryAfter { secs: i64 },
    /// The request is applied, then the connection drops in the middle of the answer.
    Reset,
    /// The request is applied and answered this many ms late (after the client gave up).
    Slow(u64),
}

/// Random faults on a share of all requests (see `FakeGitHub::chaos`).
#[derive(Debug)]
pub struct Chaos {
    /// Share of requests that fail, 0 to 1.
    pub rate: f64,
    /// Faults to draw from, equally likely.
    pub kinds: Vec<Failure>,
    pub rng: fastrand::Rng,
    /// Faults injected so far, by kind.
    pub injected: BTreeMap<String, usize>,
}

impl Failure {
    pub fn name(&self) -> String {
        match self {
            Failure::Server(code) => format!("{code}"),
            Failure::RateLimit { .. } => "403 rate limit".to_owned(),
            Failure::RetryAfter { .. } => "429 Retry-After".to_owned(),
            Failure::Reset => "connection reset".to_owned(),
            Failure::Slow(_) => "slower than the client timeout".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Pull {
    pub author: String,
    pub head_sha: String,
    pub head_ref: String,
    pub base_ref: String,
    pub labels: Vec<String>,
    pub files: Vec<String>,
    pub commit_authors: Vec<String>,
    pub reviews: Vec<Value>,
    pub comments: Vec<Value>,
    pub open: bool,
    pub updated_at: String,
}

/// The last edit of a comment or review body: who made it and when (GraphQL
/// `editor` / `lastEditedAt`), by node id.
#[derive(Debug, Clone)]
pub struct Edit {
    pub editor: String,
    pub at: String,
}

#[derive(Debug, Clone, Default)]
pub struct RepoState {
    pub default_branch: String,
    /// (branch, path) → text
    pub files: HashMap<(String, String), String>,
    /// (branch, path) → the path a symbolic link there points at
    pub symlinks: HashMap<(String, String), String>,
    /// tag → (path → text): a tag may share its name with a branch.
    pub tags: HashMap<String, HashMap<String, String>>,
    /// login → permission (`admin`, `write`, `read`)
    pub collaborators: BTreeMap<String, String>,
    pub pulls: BTreeMap<u64, Pull>,
    /// run → approvals (deployment reviews)
    pub approvals: HashMap<u64, Vec<Value>>,
    /// Deployment environments of the repository (`GET …/environments`).
    pub environments: Vec<String>,
    /// run → workflow run (`GET …/actions/runs/{run}`)
    pub runs: HashMap<u64, Value>,
    /// Deployments, oldest first, each with its `statuses` (newest first).
    pub deployments: Vec<Value>,
    /// The default branch's commits, oldest first: (sha, author login).
    pub history: Vec<(String, String)>,
}

#[derive(Debug, Default)]
pub struct FakeState {
    pub repos: HashMap<String, RepoState>,
    pub teams: HashMap<String, Vec<String>>,
    /// Teams whose membership only members see (GitHub's `privacy: secret`); the
    /// others are visible (`closed`).
    pub secret_teams: Vec<String>,
    pub requests: Vec<Recorded>,
    pub failures: VecDeque<Failure>,
    /// Every request whose path contains the text gets this status, until removed.
    pub broken: Vec<(String, u16)>,
    pub statuses: Vec<(String, String, Value)>,
    pub check_runs: Vec<(String, Value)>,
    pub gate_answers: Vec<(String, u64, Value)>,
    pub next_id: u64,
    /// node id → last edit, for the GraphQL `nodes` query.
    pub edits: HashMap<String, Edit>,
    /// The next request whose path contains the text is answered this many ms late.
    pub slow: Vec<(String, u64)>,
    /// One-shot failures for the next request whose path contains the text.
    pub fail_matching: Vec<(String, Failure)>,
    /// Requests whose path contains the text are taken and never answered (until the
    /// text is removed): the bot's process can be killed while it waits.
    pub hold: Vec<String>,
    /// The App id check runs created through the API belong to.
    pub app_id: u64,
    /// Random faults on every request, when set.
    pub chaos: Option<Chaos>,
}

#[derive(Clone)]
pub struct FakeGitHub {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<FakeState>>,
    /// Where the REST API is served (`/api/v3` on GitHub Enterprise Server; empty).
    pub prefix: String,
}

type S = State<Arc<Mutex<FakeState>>>;

impl FakeGitHub {
    pub async fn start() -> FakeGitHub {
        FakeGitHub::start_under("", "/graphql").await
    }

    /// Served as GitHub Enterprise Server serves it: the REST API under `prefix`
    /// (`/api/v3`) with its pagination links, GraphQL at `graphql` (`/api/graphql`).
    pub async fn start_under(prefix: &str, graphql_path: &str) -> FakeGitHub {
        let state = Arc::new(Mutex::new(FakeState {
            next_id: 1000,
            app_id: 1234,
            ..FakeState::default()
        }));
        let app = Router::new()
            .route("/repos/{o}/{r}/pulls/{n}", get(pull))
            .route("/repos/{o}/{r}/pulls/{n}/files", get(files))
            .route("/repos/{o}/{r}/pulls/{n}/commits", get(commits))
            .route("/repos/{o}/{r}/pulls/{n}/reviews", get(reviews))
            .route("/repos/{o}/{r}/issues/{n}/comments", get(comments))
            .route("/repos/{o}/{r}/contents/{*path}", get(contents))
            .route("/repos/{o}/{r}/collaborators", get(collaborators))
            .route("/orgs/{org}/teams/{team}/members", get(team_members))
            .route("/orgs/{org}/teams/{team}", get(team))
            .route("/repos/{o}/{r}/statuses/{sha}", post(create_status))
            .route("/repos/{o}/{r}/check-runs", post(create_check_run))
            .route(
                "/repos/{o}/{r}/check-runs/{id}",
                patch(update_check_run).get(get_check_run),
            )
            .route("/repos/{o}/{r}/commits/{sha}/status", get(combined_status))
            .route(
                "/repos/{o}/{r}/actions/runs/{run}/approvals",
                get(approvals),
            )
            .route(
                "/repos/{o}/{r}/actions/runs/{run}/deployment_protection_rule",
                post(answer_gate),
            )
            .route("/app/installations/{id}/access_tokens", post(access_token))
            .route("/repos/{o}/{r}/environments", get(environments))
            .route("/repos/{o}/{r}/actions/runs/{run}", get(workflow_run))
            .route("/repos/{o}/{r}/deployments", get(deployments))
            .route("/repos/{o}/{r}/deployments/{id}", get(deployment))
            .route(
                "/repos/{o}/{r}/deployments/{id}/statuses",
                get(deployment_statuses),
            )
            .route("/repos/{o}/{r}/compare/{basehead}", get(compare))
            .route("/repos/{o}/{r}/commits", get(repo_commits));
        let app = if prefix.is_empty() {
            app
        } else {
            Router::new().nest(prefix, app)
        }
        .route(graphql_path, post(graphql))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), record))
        .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeGitHub {
            addr,
            state,
            prefix: prefix.to_owned(),
        }
    }

    /// The API base URL (`github.api_url`).
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.prefix)
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    pub fn repo<T>(&self, full: &str, f: impl FnOnce(&mut RepoState) -> T) -> T {
        self.with(|s| {
            f(s.repos.entry(full.to_owned()).or_insert_with(|| RepoState {
                default_branch: "main".into(),
                ..RepoState::default()
            }))
        })
    }

    pub fn fail_next(&self, failure: Failure) {
        self.with(|s| s.failures.push_back(failure));
    }

    /// The latest commit status with `context` on `sha`.
    pub fn status(&self, sha: &str, context: &str) -> Option<Value> {
        self.with(|s| {
            s.statuses
                .iter()
                .rev()
                .find(|(h, c, _)| h == sha && c == context)
                .map(|(_, _, v)| v.clone())
        })
    }

    /// One-shot: the next request whose path contains `part` fails.
    pub fn fail_next_matching(&self, part: &str, failure: Failure) {
        self.with(|s| s.fail_matching.push((part.to_owned(), failure)));
    }

    /// The check runs on a head, oldest first.
    pub fn check_runs_on(&self, sha: &str) -> Vec<Value> {
        self.with(|s| {
            s.check_runs
                .iter()
                .filter(|(_, run)| run["head_sha"] == sha)
                .map(|(_, run)| run.clone())
                .collect()
        })
    }

    pub fn statuses(&self) -> Vec<(String, String, Value)> {
        self.with(|s| s.statuses.clone())
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.with(|s| s.requests.clone())
    }

    /// How many requests so far match `which`.
    pub fn count(&self, which: impl Fn(&Recorded) -> bool) -> usize {
        self.requests().iter().filter(|r| which(r)).count()
    }

    /// Records that `editor` last edited the comment or review `node` at `at`.
    pub fn edited(&self, node: &str, editor: &str, at: &str) {
        self.with(|s| {
            s.edits.insert(
                node.to_owned(),
                Edit {
                    editor: editor.to_owned(),
                    at: at.to_owned(),
                },
            )
        });
    }

    pub fn next_id(&self) -> u64 {
        self.with(|s| {
            s.next_id += 1;
            s.next_id
        })
    }
}

async fn record(State(state): S, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let if_none_match = req.headers().get("if-none-match").cloned();
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 10 << 20)
        .await
        .unwrap_or_default();
    let json_body = serde_json::from_slice::<Value>(&bytes).ok();
    let failure = {
        let mut s = state.lock().unwrap();
        s.requests.push(Recorded {
            method: method.to_string(),
            path: path.clone(),
            body: json_body,
            at: jiff::Timestamp::now(),
            authorization,
        });
        let broken = s
            .broken
            .iter()
            .find(|(part, _)| path.contains(part.as_str()))
            .map(|(_, code)| Failure::Server(*code));
        let matching = s
            .fail_matching
            .iter()
            .position(|(part, _)| path.contains(part.as_str()))
            .map(|i| s.fail_matching.remove(i).1);
        let slow = s
            .slow
            .iter()
            .position(|(part, _)| path.contains(part.as_str()))
            .map(|i| s.slow.remove(i).1);
        let random = s.chaos.as_mut().and_then(|c| {
            if c.rng.f64() >= c.rate || c.kinds.is_empty() {
                return None;
            }
            let kind = c.kinds[c.rng.usize(..c.kinds.len())].clone();
            *c.injected.entry(kind.name()).or_default() += 1;
            Some(kind)
        });
        (
            broken
                .or(matching)
                .or_else(|| s.failures.pop_front())
                .or(random),
            slow,
        )
    };
    let (mut failure, mut slow) = failure;
    let mut reset = false;
    match failure {
        Some(Failure::Slow(ms)) => {
            slow = Some(ms);
            failure = None;
        }
        Some(Failure::Reset) => {
            reset = true;
            failure = None;
        }
        _ => {}
    }
    if let Some(ms) = slow {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    let held = |state: &Arc<Mutex<FakeState>>| {
        state
            .lock()
            .unwrap()
            .hold
            .iter()
            .any(|part| path.contains(part.as_str()))
    };
    if held(&state) {
        // Taken, never applied: whoever sent it is gone by the time it is let go.
        while held(&state) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        return fail(Failure::Server(503));
    }
    if let Some(failure) = failure {
        return fail(failure);
    }
    let req = Request::from_parts(parts, axum::body::Body::from(bytes));
    let mut response = next.run(req).await;
    if reset {
        // The answer starts, then its body fails: the server drops the connection.
        drop(response);
        return (StatusCode::OK, axum::body::Body::new(Cut(false))).into_response();
    }
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from_static("5000"));
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("4999"));
    if method == Method::GET && response.status() == StatusCode::OK {
        let (mut parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 10 << 20)
            .await
            .unwrap_or_default();
        let etag = format!("\"{:x}\"", fxhash(&bytes));
        if if_none_match.as_ref().and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
            let mut r = StatusCode::NOT_MODIFIED.into_response();
            r.headers_mut()
                .insert("etag", HeaderValue::from_str(&etag).unwrap());
            return r;
        }
        parts
            .headers
            .insert("etag", HeaderValue::from_str(&etag).unwrap());
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    response
}

/// A body that sends a first piece, then fails (the connection is dropped mid-answer).
struct Cut(bool);

impl hyper::body::Body for Cut {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        if self.0 {
            let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected reset");
            return std::task::Poll::Ready(Some(Err(reset)));
        }
        self.0 = true;
        let piece = Bytes::from_static(b"{\"partial\":");
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(piece))))
    }
}

fn fxhash(bytes: &Bytes) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

fn fail(failure: Failure) -> Response {
    let mut headers = HeaderMap::new();
    let status = match failure {
        Failure::Server(code) => StatusCode::from_u16(code).unwrap(),
        Failure::RateLimit { reset_in_secs } => {
            let reset = jiff::Timestamp::now().as_second() + reset_in_secs;
            headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            headers.insert(
                "x-ratelimit-reset",
                HeaderValue::from_str(&reset.to_string()).unwrap(),
            );
            StatusCode::FORBIDDEN
        }
        Failure::RetryAfter { secs } => {
            headers.insert(
                "retry-after",
                HeaderValue::from_str(&secs.to_string()).unwrap(),
            );
            StatusCode::TOO_MANY_REQUESTS
        }
        // Taken apart in `record` before an answer is made.
        Failure::Reset | Failure::Slow(_) => StatusCode::BAD_GATEWAY,
    };
    let body = json!({ "message": format!("injected {status}"), "documentation_url": "https://docs.github.com/rest" });
    (status, headers, axum::Json(body)).into_response()
}

fn user(login: &str) -> Value {
    json!({ "login": login, "id": login.len() as u64 * 1000 + 1, "type": if login.ends_with("[bot]") { "Bot" } else { "User" }, "site_admin": false })
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(
            json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest" }),
        ),
    )
        .into_response()
}

/// The page asked for: `per_page` (default 30, 1 to 100) and `page` (from 1).
fn page_of(q: &HashMap<String, String>) -> (usize, usize) {
    let number =
        |key: &str, default: usize| q.get(key).and_then(|v| v.parse().ok()).unwrap_or(default);
    (
        number("per_page", 30).clamp(1, 100),
        number("page", 1).max(1),
    )
}

/// A list answered GitHub's way: `per_page` (default 30, at most 100) and `page`, a
/// `Link: rel="next"` while more follow, and at most `cap` items served at all (GitHub
/// lists at most 3,000 files and 250 commits of a pull request).
fn paged(uri: &Uri, headers: &HeaderMap, items: Vec<Value>, cap: usize) -> Response {
    let q: HashMap<String, String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let (per_page, page) = page_of(&q);
    let served = items.len().min(cap);
    let start = (page - 1) * per_page;
    let slice: Vec<Value> = items
        .into_iter()
        .take(served)
        .skip(start)
        .take(per_page)
        .collect();
    let mut response = axum::Json(Value::Array(slice)).into_response();
    if start + per_page < served {
        let host = headers
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("127.0.0.1");
        let link = format!(
            "<http://{host}{}?per_page={per_page}&page={}>; rel=\"next\"",
            uri.path(),
            page + 1
        );
        response
            .headers_mut()
            .insert("link", HeaderValue::from_str(&link).unwrap());
    }
    response
}

type PullPath = Path<(String, String, u64)>;

fn pull_list(
    state: &Arc<Mutex<FakeState>>,
    (o, r, n): (String, String, u64),
    req: &Request,
    cap: usize,
    f: impl FnOnce(&Pull) -> Vec<Value>,
) -> Response {
    let items = {
        let s = state.lock().unwrap();
        match s
            .repos
            .get(&format!("{o}/{r}"))
            .and_then(|repo| repo.pulls.get(&n))
        {
            Some(p) => f(p),
            None => return not_found(),
        }
    };
    let uri = req
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| req.uri().clone(), |o| o.0.clone());
    paged(&uri, req.headers(), items, cap)
}

fn with_pull(
    state: &Arc<Mutex<FakeState>>,
    o: &str,
    r: &str,
    n: u64,
    f: impl FnOnce(&Pull) -> Value,
) -> Response {
    let s = state.lock().unwrap();
    match s
        .repos
        .get(&format!("{o}/{r}"))
        .and_then(|repo| repo.pulls.get(&n))
    {
        Some(p) => axum::Json(f(p)).into_response(),
        None => not_found(),
    }
}

async fn pull(State(state): S, Path((o, r, n)): Path<(String, String, u64)>) -> Response {
    with_pull(&state, &o, &r, n, |p| {
        json!({
            "url": format!("https://api.github.com/repos/{o}/{r}/pulls/{n}"),
            "id": n * 7, "number": n, "state": if p.open { "open" } else { "closed" }, "draft": false,
            "title": format!("Change {n}"), "user": user(&p.author),
            "labels": p.labels.iter().map(|l| json!({ "name": l, "color": "ededed" })).collect::<Vec<_>>(),
            "head": { "ref": p.head_ref, "sha": p.head_sha, "label": format!("{o}:{}", p.head_ref) },
            "changed_files": p.files.len(), "commits": p.commit_authors.len(),
            "base": { "ref": p.base_ref, "sha": "0000000000000000000000000000000000000000", "label": format!("{o}:{}", p.base_ref) },
            "updated_at": p.updated_at,
        })
    })
}

async fn files(State(state): S, Path(pull): PullPath, req: Request) -> Response {
    pull_list(&state, pull, &req, 3_000, |p| {
        p.files.iter().map(|f| json!({ "sha": "1", "filename": f, "status": "modified", "additions": 1, "deletions": 0, "changes": 1 })).collect()
    })
}

async fn commits(State(state): S, Path(pull): PullPath, req: Request) -> Response {
    pull_list(&state, pull, &req, 250, |p| {
        p.commit_authors
            .iter()
            .enumerate()
            .map(|(i, a)| json!({ "sha": format!("{i:040}"), "commit": { "message": "change" }, "author": user(a), "committer": user("web-flow") }))
            .collect()
    })
}

async fn reviews(State(state): S, Path(pull): PullPath, req: Request) -> Response {
    pull_list(&state, pull, &req, usize::MAX, |p| p.reviews.clone())
}

async fn comments(State(state): S, Path(pull): PullPath, req: Request) -> Response {
    pull_list(&state, pull, &req, usize::MAX, |p| p.comments.clone())
}

async fn contents(
    State(state): S,
    Path((o, r, path)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    in_repo(&state, &o, &r, |repo| {
        let git_ref = q
            .get("ref")
            .cloned()
            .unwrap_or_else(|| repo.default_branch.clone());
        // A name both a tag and a branch hold resolves to the tag, as git resolves
        // names (gitrevisions(7): refs/tags/<name> before refs/heads/<name>); GitHub
        // does not document its choice. A full `refs/heads/…` or `refs/tags/…` is exact.
        let tag = match git_ref.strip_prefix("refs/tags/") {
            Some(name) => Some(name.to_owned()),
            None => repo.tags.contains_key(&git_ref).then(|| git_ref.clone()),
        };
        if let Some(tag) = tag {
            return match repo.tags.get(&tag).and_then(|files| files.get(&path)) {
                Some(text) => file_answer(&path, text),
                None => not_found(),
            };
        }
        let git_ref = git_ref
            .strip_prefix("refs/heads/")
            .map_or(git_ref.clone(), str::to_owned);
        // GitHub answers a symbolic link to a file in the repository with that file (its
        // own path and content), and any other link with the link itself.
        let link = repo.symlinks.get(&(git_ref.clone(), path.clone())).cloned();
        if let Some(target) = &link {
            if !repo.files.contains_key(&(git_ref.clone(), target.clone())) {
                return axum::Json(json!({
                    "type": "symlink", "target": target, "path": path,
                    "name": path.rsplit('/').next(), "size": target.len(),
                }))
                .into_response();
            }
        }
        let path = link.unwrap_or_else(|| path.clone());
        match repo.files.get(&(git_ref, path.clone())) {
            Some(text) => file_answer(&path, text),
            None => not_found(),
        }
    })
}

/// GitHub's answer for a regular file at `path`.
fn file_answer(path: &str, text: &str) -> Response {
    // GitHub wraps base64 at 60 characters.
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let wrapped: Vec<String> = encoded
        .as_bytes()
        .chunks(60)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    axum::Json(json!({
        "type": "file", "encoding": "base64", "size": text.len(), "name": path.rsplit('/').next(),
        "path": path, "content": wrapped.join("\n") + "\n", "sha": format!("{:x}", fxhash(&Bytes::from(text.to_owned()))),
    }))
    .into_response()
}

async fn collaborators(State(state): S, Path((o, r)): Path<(String, String)>) -> Response {
    in_repo(&state, &o, &r, |repo| {
        let list: Vec<Value> = repo
            .collaborators
            .iter()
            .map(|(login, perm)| {
                let mut u = user(login);
                let (admin, push) = (perm == "admin", perm == "admin" || perm == "write");
                u["permissions"] = json!({ "admin": admin, "maintain": admin, "push": push, "triage": push, "pull": true });
                u["role_name"] = json!(perm);
                u
            })
            .collect();
        axum::Json(Value::Array(list)).into_response()
    })
}

async fn team(State(state): S, Path((org, slug)): Path<(String, String)>) -> Response {
    let s = state.lock().unwrap();
    let name = format!("{org}/{slug}");
    if !s.teams.contains_key(&name) {
        return not_found();
    }
    let privacy = if s.secret_teams.contains(&name) {
        "secret"
    } else {
        "closed"
    };
    axum::Json(json!({ "id": 7, "node_id": "T_7", "name": slug, "slug": slug, "description": null,
                       "privacy": privacy, "permission": "pull", "notification_setting": "notifications_enabled",
                       "url": format!("https://api.github.com/orgs/{org}/teams/{slug}"), "parent": null }))
    .into_response()
}

async fn team_members(
    State(state): S,
    Path((org, team)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let members = state
        .lock()
        .unwrap()
        .teams
        .get(&format!("{org}/{team}"))
        .cloned();
    match members {
        Some(members) => paged(
            &uri,
            &headers,
            members.iter().map(|m| user(m)).collect(),
            usize::MAX,
        ),
        None => not_found(),
    }
}

async fn create_status(
    State(state): S,
    Path((o, r, sha)): Path<(String, String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut s = state.lock().unwrap();
    let state_ok = matches!(
        body["state"].as_str(),
        Some("error" | "failure" | "pending" | "success")
    );
    let description_ok = body["description"]
        .as_str()
        .is_none_or(|d| d.chars().count() <= 140);
    if !state_ok || !description_ok || body["context"].as_str().is_none() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({ "message": "Validation Failed" })),
        )
            .into_response();
    }
    let context = body["context"].as_str().unwrap_or("default").to_owned();
    s.next_id += 1;
    let id = s.next_id;
    let mut stored = body.clone();
    stored["id"] = json!(id);
    stored["creator"] = user("signoff[bot]");
    s.statuses.push((sha.clone(), context.clone(), stored));
    (StatusCode::CREATED, axum::Json(json!({
        "id": id, "url": format!("https://api.github.com/repos/{o}/{r}/statuses/{sha}"), "state": body["state"],
        "description": body["description"], "target_url": body["target_url"], "context": context,
        "creator": user("signoff[bot]"),
    })))
    .into_response()
}

/// GitHub takes at most 50 check-run annotations per request.
fn too_many_annotations(body: &Value) -> bool {
    body["output"]["annotations"]
        .as_array()
        .is_some_and(|a| a.len() > 50)
}

async fn create_check_run(
    State(state): S,
    Path((o, r)): Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut s = state.lock().unwrap();
    if too_many_annotations(&body) {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({ "message": "Only 50 annotations may be sent per request" })),
        )
            .into_response();
    }
    if body["name"].as_str().is_none() || body["head_sha"].as_str().is_none() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({ "message": "Validation Failed" })),
        )
            .into_response();
    }
    s.next_id += 1;
    let mut run = body.clone();
    run["id"] = json!(s.next_id);
    run["app"] = json!({ "id": s.app_id, "slug": "signoff" });
    s.check_runs.push((format!("{o}/{r}"), run.clone()));
    (StatusCode::CREATED, axum::Json(run)).into_response()
}

async fn get_check_run(State(state): S, Path((o, r, id)): Path<(String, String, u64)>) -> Response {
    let s = state.lock().unwrap();
    match s
        .check_runs
        .iter()
        .find(|(repo, run)| *repo == format!("{o}/{r}") && run["id"] == id)
    {
        Some((_, run)) => axum::Json(run.clone()).into_response(),
        None => not_found(),
    }
}

async fn update_check_run(
    State(state): S,
    Path((o, r, id)): Path<(String, String, u64)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut s = state.lock().unwrap();
    let app_id = s.app_id;
    let Some((_, run)) = s
        .check_runs
        .iter_mut()
        .find(|(repo, run)| *repo == format!("{o}/{r}") && run["id"] == id)
    else {
        return not_found();
    };
    if run["app"]["id"] != app_id {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(json!({ "message": "Resource not accessible by integration" })),
        )
            .into_response();
    }
    if too_many_annotations(&body) {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({ "message": "Only 50 annotations may be sent per request" })),
        )
            .into_response();
    }
    // Like GitHub, an update's annotations add to those the run has.
    let mut body = body;
    if let Some(old) = run["output"]["annotations"].as_array() {
        if let Some(new) = body["output"]["annotations"].as_array_mut() {
            let mut all = old.clone();
            all.append(new);
            *new = all;
        }
    }
    if let (Some(run), Some(changes)) = (run.as_object_mut(), body.as_object()) {
        for (k, v) in changes {
            run.insert(k.clone(), v.clone());
        }
        if changes.get("status").is_some_and(|s| s != "completed") {
            run.remove("conclusion");
        }
    }
    axum::Json(run.clone()).into_response()
}

/// The latest status per context on a commit, newest first, as GitHub combines them.
async fn combined_status(
    State(state): S,
    Path((o, r, sha)): Path<(String, String, String)>,
) -> Response {
    let s = state.lock().unwrap();
    let mut seen = std::collections::HashSet::new();
    let latest: Vec<Value> = s
        .statuses
        .iter()
        .rev()
        .filter(|(h, c, _)| *h == sha && seen.insert(c.clone()))
        .map(|(_, _, v)| v.clone())
        .collect();
    let state = if latest
        .iter()
        .any(|v| v["state"] == "failure" || v["state"] == "error")
    {
        "failure"
    } else if latest.iter().all(|v| v["state"] == "success") && !latest.is_empty() {
        "success"
    } else {
        "pending"
    };
    axum::Json(json!({
        "state": state, "sha": sha, "total_count": latest.len(), "statuses": latest,
        "repository": { "full_name": format!("{o}/{r}") },
    }))
    .into_response()
}

async fn approvals(State(state): S, Path((o, r, run)): Path<(String, String, u64)>) -> Response {
    let s = state.lock().unwrap();
    let list = s
        .repos
        .get(&format!("{o}/{r}"))
        .and_then(|repo| repo.approvals.get(&run))
        .cloned()
        .unwrap_or_default();
    axum::Json(Value::Array(list)).into_response()
}

async fn answer_gate(
    State(state): S,
    Path((o, r, run)): Path<(String, String, u64)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut s = state.lock().unwrap();
    let valid = body["environment_name"].is_string()
        && (body["state"].is_null() && body["comment"].is_string()
            || matches!(body["state"].as_str(), Some("approved" | "rejected")));
    if !valid {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({ "message": "Validation Failed" })),
        )
            .into_response();
    }
    s.gate_answers.push((format!("{o}/{r}"), run, body));
    StatusCode::NO_CONTENT.into_response()
}

async fn access_token(Path(id): Path<u64>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // The App authenticates with a JWT: three base64url parts.
    if !bearer.starts_with("Bearer ") || bearer.matches('.').count() != 2 {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "message": "A JSON web token could not be decoded" })),
        )
            .into_response();
    }
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    (StatusCode::CREATED, axum::Json(json!({ "token": format!("ghs_installation{id}"), "expires_at": expires.to_string(), "permissions": {} }))).into_response()
}

/// `f` over repository `o/r`, or GitHub's 404 when there is none.
fn in_repo(
    state: &Arc<Mutex<FakeState>>,
    o: &str,
    r: &str,
    f: impl FnOnce(&RepoState) -> Response,
) -> Response {
    let s = state.lock().unwrap();
    match s.repos.get(&format!("{o}/{r}")) {
        Some(repo) => f(repo),
        None => not_found(),
    }
}

fn validation_failed(message: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        axum::Json(
            json!({ "message": message, "documentation_url": "https://docs.github.com/rest" }),
        ),
    )
        .into_response()
}

async fn environments(
    State(state): S,
    Path((o, r)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    in_repo(&state, &o, &r, |repo| {
        let (per_page, page) = page_of(&q);
        let list: Vec<Value> = repo
            .environments
            .iter()
            .enumerate()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|(i, name)| {
                json!({ "id": i + 1, "node_id": format!("EN_{i}"), "name": name,
                        "url": format!("https://api.github.com/repos/{o}/{r}/environments/{name}"),
                        "html_url": format!("https://github.com/{o}/{r}/deployments/activity_log?environments_filter={name}"),
                        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
                        "protection_rules": [], "deployment_branch_policy": null })
            })
            .collect();
        axum::Json(json!({ "total_count": repo.environments.len(), "environments": list }))
            .into_response()
    })
}

async fn workflow_run(State(state): S, Path((o, r, run)): Path<(String, String, u64)>) -> Response {
    let s = state.lock().unwrap();
    match s
        .repos
        .get(&format!("{o}/{r}"))
        .and_then(|repo| repo.runs.get(&run))
    {
        Some(run) => axum::Json(run.clone()).into_response(),
        None => not_found(),
    }
}

/// A deployment as the REST API shows it (without the fake's `statuses`).
fn deployment_json(d: &Value) -> Value {
    let mut d = d.clone();
    if let Some(map) = d.as_object_mut() {
        map.remove("statuses");
    }
    d
}

async fn deployments(
    State(state): S,
    Path((o, r)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    in_repo(&state, &o, &r, |repo| {
        // Newest first, as GitHub lists them, a page at a time.
        let list: Vec<Value> = repo
            .deployments
            .iter()
            .rev()
            .filter(|d| {
                q.get("environment")
                    .is_none_or(|e| d["environment"] == e.as_str())
            })
            .filter(|d| q.get("sha").is_none_or(|sha| d["sha"] == sha.as_str()))
            .map(deployment_json)
            .collect();
        paged(&uri, &headers, list, usize::MAX)
    })
}

fn find_deployment(s: &FakeState, o: &str, r: &str, id: u64) -> Option<Value> {
    s.repos
        .get(&format!("{o}/{r}"))?
        .deployments
        .iter()
        .find(|d| d["id"] == id)
        .cloned()
}

async fn deployment(State(state): S, Path((o, r, id)): Path<(String, String, u64)>) -> Response {
    let s = state.lock().unwrap();
    match find_deployment(&s, &o, &r, id) {
        Some(d) => axum::Json(deployment_json(&d)).into_response(),
        None => not_found(),
    }
}

async fn deployment_statuses(
    State(state): S,
    Path((o, r, id)): Path<(String, String, u64)>,
) -> Response {
    let s = state.lock().unwrap();
    match find_deployment(&s, &o, &r, id) {
        Some(d) => axum::Json(d["statuses"].clone()).into_response(),
        None => not_found(),
    }
}

fn commit_json(sha: &str, author: &str) -> Value {
    json!({ "sha": sha, "node_id": format!("C_{sha}"), "commit": { "message": "change", "author": { "name": author, "email": format!("{author}@example.com"), "date": "2026-01-01T00:00:00Z" } },
            "author": user(author), "committer": user("web-flow"), "parents": [] })
}

/// `base...head` over the default branch's linear history.
async fn compare(
    State(state): S,
    Path((o, r, basehead)): Path<(String, String, String)>,
) -> Response {
    in_repo(&state, &o, &r, |repo| {
        let Some((base, head)) = basehead.split_once("...") else {
            return not_found();
        };
        let position = |sha: &str| repo.history.iter().position(|(c, _)| c == sha);
        let (Some(from), Some(to)) = (position(base), position(head)) else {
            return not_found();
        };
        let commits: Vec<Value> = repo
            .history
            .iter()
            .enumerate()
            .filter(|(i, _)| *i > from && *i <= to)
            .map(|(_, (sha, author))| commit_json(sha, author))
            .collect();
        axum::Json(json!({ "status": if commits.is_empty() { "identical" } else { "ahead" }, "ahead_by": commits.len(), "behind_by": 0,
                           "total_commits": commits.len(), "commits": commits, "files": [] }))
            .into_response()
    })
}

/// The commits reachable from `sha`, newest first.
async fn repo_commits(
    State(state): S,
    Path((o, r)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    in_repo(&state, &o, &r, |repo| {
        let end = match q.get("sha") {
            Some(sha) => match repo.history.iter().position(|(c, _)| c == sha) {
                Some(i) => i + 1,
                None => return validation_failed("No commit found for SHA"),
            },
            None => repo.history.len(),
        };
        let list: Vec<Value> = repo
            .history
            .iter()
            .take(end)
            .rev()
            .map(|(sha, author)| commit_json(sha, author))
            .collect();
        axum::Json(Value::Array(list)).into_response()
    })
}

/// GitHub's GraphQL endpoint, for the one query the bot sends: `nodes(ids:)` with the
/// `Comment` interface's author, creation time and last edit (`editor`,
/// `lastEditedAt`). Anything else is answered with a GraphQL error, as GitHub answers
/// a query it cannot resolve.
async fn graphql(State(state): S, axum::Json(body): axum::Json<Value>) -> Response {
    let query = body["query"].as_str().unwrap_or("");
    let understood = query.contains("nodes(ids: $ids)")
        && query.contains("... on Comment")
        && ["author", "createdAt", "lastEditedAt", "editor"]
            .iter()
            .all(|f| query.contains(f));
    let Some(ids) = body["variables"]["ids"].as_array().filter(|_| understood) else {
        return axum::Json(json!({ "errors": [ { "message": "the fake GitHub does not resolve this query", "locations": [ { "line": 1, "column": 1 } ] } ] })).into_response();
    };
    let s = state.lock().unwrap();
    let mut errors = Vec::new();
    let nodes: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let id = id.as_str().unwrap_or("");
            let found = s
                .repos
                .values()
                .flat_map(|r| r.pulls.values())
                .find_map(|p| {
                    p.comments
                        .iter()
                        .map(|c| ("IssueComment", c))
                        .chain(p.reviews.iter().map(|r| ("PullRequestReview", r)))
                        .find(|(_, c)| c["node_id"] == id)
                        .map(|(t, c)| (t, c.clone()))
                });
            let Some((typename, item)) = found else {
                errors.push(json!({ "type": "NOT_FOUND", "path": ["nodes", i], "locations": [ { "line": 1, "column": 27 } ],
                                    "message": format!("Could not resolve to a node with the global id of '{id}'") }));
                return Value::Null;
            };
            let edit = s.edits.get(id);
            let created = if typename == "IssueComment" {
                item["created_at"].clone()
            } else {
                item["submitted_at"].clone()
            };
            json!({
                "__typename": typename,
                "id": id,
                "author": { "login": item["user"]["login"] },
                "createdAt": created,
                "lastEditedAt": edit.map(|e| e.at.clone()),
                "editor": edit.map(|e| json!({ "login": e.editor })),
            })
        })
        .collect();
    if errors.is_empty() {
        axum::Json(json!({ "data": { "nodes": nodes } })).into_response()
    } else {
        axum::Json(json!({ "data": { "nodes": nodes }, "errors": errors })).into_response()
    }
}
