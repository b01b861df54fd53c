//! HTTP to the GitHub API through octocrab: auth (token, or App with installation
//! tokens), path-only request URIs (octocrab attaches credentials only to its own base),
//! conditional GETs with ETags, pagination, rate-limit handling and call counting.

use crate::config::GitHubConfig;
use crate::forge::ForgeError;
use bytes::Bytes;
use http::header::{ACCEPT, ETAG, IF_NONE_MATCH, LINK, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use octocrab::models::{AppId, InstallationId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most pages followed for one list (100 items each): far beyond any real pull request,
/// and past it the list is an error (the gate fails closed), never silently cut short.
const MAX_PAGES: usize = 2_000;
/// ETag cache entries kept before the cache starts afresh.
const MAX_CACHED: usize = 20_000;

/// One per server: the root client, installation clients, caches and counters.
pub struct GitHubClient {
    root: Arc<Octocrab>,
    app: bool,
    /// Shared, not cloned: a clone of an installation client has its own token cache.
    installations: Mutex<HashMap<u64, Arc<Octocrab>>>,
    /// GitHub Enterprise Server answers GraphQL at `<host>/api/graphql`, beside (not
    /// under) the REST base `<host>/api/v3`, and octocrab prefixes every path with its
    /// base: GraphQL goes through a client on `<host>/api`. `None`: on the REST base
    /// (`api.github.com/graphql`).
    graphql: Option<Arc<Octocrab>>,
    /// path → (ETag, body, Link): a 304 answer is the cached page, with its `Link` so
    /// a list read from the cache is still followed to its end.
    etags: Mutex<HashMap<String, Cached>>,
    /// Per tenant (App installation; `None`: the token): no calls before this time
    /// (Unix ms), its rate limit is spent. Each installation has its own limit, so one
    /// that is spent pauses no other.
    paused_until: Mutex<HashMap<Option<u64>, i64>>,
    pub calls: AtomicU64,
    pub not_modified: AtomicU64,
}

type Cached = (HeaderValue, Bytes, Option<HeaderValue>);

/// Who calls: the tenant whose rate limit a call spends, and the calls one event made.
#[derive(Debug, Default)]
pub struct Caller {
    pub tenant: Option<u64>,
    calls: AtomicU32,
}

impl Caller {
    pub fn new(tenant: Option<u64>) -> Caller {
        Caller {
            tenant,
            calls: AtomicU32::new(0),
        }
    }

    /// API calls made so far.
    pub fn count(&self) -> u32 {
        self.calls.load(Ordering::Relaxed)
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The GraphQL base for a REST base: `https://ghe.example/api` for
/// `https://ghe.example/api/v3`; `None` where GraphQL is on the REST base.
fn graphql_base(api_url: &str) -> Option<String> {
    api_url
        .trim_end_matches('/')
        .strip_suffix("/v3")
        .filter(|base| base.ends_with("/api"))
        .map(str::to_owned)
}

/// A root client on `base` with the configured credentials; whether it is an App.
fn root_client(config: &GitHubConfig, base: &str) -> Result<(Octocrab, bool), String> {
    let builder = octocrab::OctocrabBuilder::new()
        .base_uri(base)
        .map_err(|e| format!("github.api_url: {e}"))?
        .set_connect_timeout(Some(Duration::from_secs(10)))
        .set_read_timeout(Some(Duration::from_secs(config.timeout_secs.max(1))));
    let (root, app) = match (&config.token, config.app_id) {
        (Some(token), _) => (
            builder.personal_token(token.expose().to_owned()).build(),
            false,
        ),
        (None, Some(app_id)) => {
            let pem = match (&config.private_key, &config.private_key_file) {
                (Some(pem), _) => pem.expose().as_bytes().to_vec(),
                (None, Some(path)) => std::fs::read(path)
                    .map_err(|e| format!("github.private_key_file {}: {e}", path.display()))?,
                (None, None) => return Err("github: an App needs a private key".to_owned()),
            };
            let key = octocrab::EncodingKey::from_rsa_pem(&pem)
                .map_err(|e| format!("github: the App private key is not an RSA PEM key: {e}"))?;
            (builder.app(AppId(app_id), key).build(), true)
        }
        (None, None) => (builder.build(), false),
    };
    Ok((root.map_err(|e| format!("github client: {e}"))?, app))
}

impl GitHubClient {
    pub fn new(config: &GitHubConfig) -> Result<GitHubClient, String> {
        let (root, app) = root_client(config, config.api_url.as_str())?;
        let graphql = match graphql_base(&config.api_url) {
            Some(base) => Some(Arc::new(root_client(config, &base)?.0)),
            None => None,
        };
        Ok(GitHubClient {
            root: Arc::new(root),
            app,
            installations: Mutex::new(HashMap::new()),
            graphql,
            etags: Mutex::new(HashMap::new()),
            paused_until: Mutex::new(HashMap::new()),
            calls: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
        })
    }

    pub fn is_app(&self) -> bool {
        self.app
    }

    /// The client to use for an installation (App) or the token client.
    pub fn for_installation(&self, installation: Option<u64>) -> Result<Arc<Octocrab>, ForgeError> {
        let (true, Some(id)) = (self.app, installation) else {
            if self.app {
                return Err(ForgeError::Fatal(
                    "App auth: the delivery names no installation".to_owned(),
                ));
            }
            return Ok(Arc::clone(&self.root));
        };
        let mut map = self
            .installations
            .lock()
            .map_err(|_| ForgeError::Transient("lock poisoned".to_owned()))?;
        if let Some(crab) = map.get(&id) {
            return Ok(Arc::clone(crab));
        }
        let crab = self
            .root
            .installation(InstallationId(id))
            .map_err(|e| ForgeError::Fatal(format!("installation {id}: {e}")))?;
        let crab = Arc::new(crab);
        map.insert(id, Arc::clone(&crab));
        Ok(crab)
    }

    /// The client whose `/graphql` is the GraphQL endpoint, acting as `rest` (an
    /// installation client: its token, minted on the REST base, is reused).
    pub async fn graphql_for(&self, rest: &Arc<Octocrab>) -> Result<Arc<Octocrab>, ForgeError> {
        let Some(graphql) = &self.graphql else {
            return Ok(Arc::clone(rest));
        };
        if !self.app {
            return Ok(Arc::clone(graphql));
        }
        let token = rest.installation_token().await.map_err(transport)?;
        graphql
            .user_access_token(token)
            .map(Arc::new)
            .map_err(|e| ForgeError::Fatal(format!("GraphQL client: {e}")))
    }

    /// GET a path (with query), conditionally when a cached copy exists.
    pub async fn get(
        &self,
        crab: &Octocrab,
        path: &str,
        calls: &Caller,
    ) -> Result<Response, ForgeError> {
        let cached = self.etags.lock().ok().and_then(|m| m.get(path).cloned());
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        );
        if let Some((etag, _, _)) = &cached {
            headers.insert(IF_NONE_MATCH, etag.clone());
        }
        self.before_call(calls)?;
        let response = crab
            ._get_with_headers(path, Some(headers))
            .await
            .map_err(transport)?;
        let mut response = self.read(response).await?;
        if response.status == StatusCode::NOT_MODIFIED {
            if let Some((_, body, link)) = cached {
                self.not_modified.fetch_add(1, Ordering::Relaxed);
                response.status = StatusCode::OK;
                response.body = body;
                match link {
                    Some(link) => response.headers.insert(LINK, link),
                    None => response.headers.remove(LINK),
                };
                return Ok(response);
            }
        }
        self.check(&response, calls.tenant)?;
        if response.status.is_success() {
            if let Some(etag) = response.headers.get(ETAG) {
                if let Ok(mut map) = self.etags.lock() {
                    if map.len() >= MAX_CACHED {
                        map.clear();
                    }
                    let link = response.headers.get(LINK).cloned();
                    map.insert(path.to_owned(), (etag.clone(), response.body.clone(), link));
                }
            }
        }
        Ok(response)
    }

    /// GET every page of a list, following `Link: rel="next"` to the end.
    pub async fn get_all<T: serde::de::DeserializeOwned>(
        &self,
        crab: &Octocrab,
        path: &str,
        calls: &Caller,
    ) -> Result<Vec<T>, ForgeError> {
        let first = self.get(crab, path, calls).await?;
        self.rest_of(crab, path, first, calls).await
    }

    /// Every item of a list, from its first page already fetched.
    pub async fn rest_of<T: serde::de::DeserializeOwned>(
        &self,
        crab: &Octocrab,
        path: &str,
        first: Response,
        calls: &Caller,
    ) -> Result<Vec<T>, ForgeError> {
        let mut out = Vec::new();
        let mut response = first;
        let mut path = path.to_owned();
        let mut pages = 0;
        loop {
            if !response.status.is_success() {
                return Err(ForgeError::Fatal(format!(
                    "GET {}: {}",
                    strip_query(&path),
                    response.status
                )));
            }
            let page: Vec<T> = json(&response.body)?;
            out.extend(page);
            pages += 1;
            let Some(next) = response
                .headers
                .get(LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link)
            else {
                return Ok(out);
            };
            if pages >= MAX_PAGES {
                return Err(ForgeError::Fatal(format!(
                    "incomplete list: {} has more than {MAX_PAGES} pages",
                    strip_query(&path)
                )));
            }
            path = next;
            response = self.get(crab, &path, calls).await?;
        }
    }

    pub async fn post(
        &self,
        crab: &Octocrab,
        path: &str,
        body: &serde_json::Value,
        calls: &Caller,
    ) -> Result<Response, ForgeError> {
        self.write(crab, http::Method::POST, path, body, calls)
            .await
    }

    /// POST or PATCH a JSON body.
    pub async fn write(
        &self,
        crab: &Octocrab,
        method: http::Method,
        path: &str,
        body: &serde_json::Value,
        calls: &Caller,
    ) -> Result<Response, ForgeError> {
        self.before_call(calls)?;
        let response = if method == http::Method::PATCH {
            crab._patch(path, Some(body)).await
        } else {
            crab._post(path, Some(body)).await
        }
        .map_err(transport)?;
        let response = self.read(response).await?;
        self.check(&response, calls.tenant)?;
        if !response.status.is_success() {
            return Err(ForgeError::Fatal(format!(
                "{method} {}: {} {}",
                strip_query(path),
                response.status,
                snippet(&response.body)
            )));
        }
        Ok(response)
    }

    fn before_call(&self, calls: &Caller) -> Result<(), ForgeError> {
        let until = self
            .paused_until
            .lock()
            .map_or(0, |m| m.get(&calls.tenant).copied().unwrap_or(0));
        if until > crate::store::now_ms() {
            return Err(ForgeError::RateLimited {
                until_ms: until,
                message: "waiting for the rate limit to reset".to_owned(),
            });
        }
        calls.calls.fetch_add(1, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn read(
        &self,
        response: http::Response<http_body_util::combinators::BoxBody<Bytes, octocrab::Error>>,
    ) -> Result<Response, ForgeError> {
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(transport)?.to_bytes();
        Ok(Response {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// Pauses `tenant`'s calls until `until_ms` (a later pause wins).
    fn pause(&self, tenant: Option<u64>, until_ms: i64) {
        if let Ok(mut paused) = self.paused_until.lock() {
            let until = paused.entry(tenant).or_insert(0);
            *until = (*until).max(until_ms);
        }
    }

    /// Turns rate limiting and server errors into errors; remembers a spent limit for
    /// the tenant that spent it.
    fn check(&self, response: &Response, tenant: Option<u64>) -> Result<(), ForgeError> {
        let header = |name: &str| {
            response
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let remaining = header("x-ratelimit-remaining").and_then(|v| v.parse::<i64>().ok());
        let reset_ms = header("x-ratelimit-reset")
            .and_then(|v| v.parse::<i64>().ok())
            .map(|s| s * 1000);
        let retry_after_ms = response
            .headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map(|s| crate::store::now_ms() + s * 1000);
        let status = response.status;
        if status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS {
            let until = retry_after_ms.or(if remaining == Some(0) { reset_ms } else { None });
            if let Some(until_ms) = until {
                self.pause(tenant, until_ms);
                return Err(ForgeError::RateLimited {
                    until_ms,
                    message: format!("{status}: {}", snippet(&response.body)),
                });
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let until_ms = crate::store::now_ms() + 60_000;
                return Err(ForgeError::RateLimited {
                    until_ms,
                    message: "429 without Retry-After".to_owned(),
                });
            }
        }
        if remaining == Some(0) {
            if let Some(reset) = reset_ms {
                self.pause(tenant, reset);
            }
        }
        if status.is_server_error() {
            return Err(ForgeError::Transient(format!(
                "{status}: {}",
                snippet(&response.body)
            )));
        }
        Ok(())
    }
}

fn transport(e: impl std::fmt::Display) -> ForgeError {
    ForgeError::Transient(e.to_string())
}

pub fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ForgeError> {
    serde_json::from_slice(body).map_err(|e| ForgeError::Fatal(format!("unexpected response: {e}")))
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.chars().take(200).collect()
}

fn strip_query(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// The `rel="next"` target of a Link header, as a path with query.
pub fn next_link(header: &str) -> Option<String> {
    header
        .split(',')
        .find(|part| part.contains("rel=\"next\""))
        .and_then(|part| {
            let url = part
                .split(';')
                .next()?
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>');
            Some(path_of(url))
        })
}

/// `https://host/api/v3/repos/x?page=2` → `/repos/x?page=2` when the base has no path;
/// a URL that is already a path is kept.
pub fn path_of(url: &str) -> String {
    match url.find("://") {
        Some(i) => {
            let rest = url.get(i + 3..).unwrap_or("");
            rest.find('/')
                .and_then(|j| rest.get(j..))
                .unwrap_or("/")
                .to_owned()
        }
        None => url.to_owned(),
    }
}

/// Percent-encodes a query or path segment value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub type Shared = Arc<GitHubClient>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_paths() {
        let h = "<https://api.github.com/repos/o/r/pulls/1/files?page=2>; rel=\"next\", <https://api.github.com/repos/o/r/pulls/1/files?page=5>; rel=\"last\"";
        assert_eq!(
            next_link(h).as_deref(),
            Some("/repos/o/r/pulls/1/files?page=2")
        );
        assert_eq!(next_link("<x>; rel=\"last\""), None);
        assert_eq!(encode("feat/a b&c"), "feat/a%20b%26c");
    }

    #[test]
    fn graphql_sits_beside_an_enterprise_rest_base() {
        assert_eq!(
            graphql_base("https://ghe.example/api/v3/").as_deref(),
            Some("https://ghe.example/api")
        );
        assert_eq!(graphql_base("https://api.github.com"), None);
        assert_eq!(graphql_base("https://proxy.example/v3"), None);
    }
}
