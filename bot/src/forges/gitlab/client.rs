//! The GitLab REST v4 client: reqwest over rustls, typed answers (api.rs), lists read to
//! the end or not at all, errors typed so the worker knows whether to wait, retry or
//! fail the gate closed.

use crate::config::Secret;
use http::{HeaderMap, HeaderValue, StatusCode};
use jiff::Timestamp;
use reqwest::Url;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Page size asked for every list (GitLab's maximum).
pub const PER_PAGE: u32 = 100;
/// A list longer than this many pages is refused rather than cut short.
pub const MAX_PAGES: u32 = 1_000;
/// Answers kept for `If-None-Match`; the cache starts over when full.
const ETAG_CACHE_ENTRIES: usize = 2_000;

/// A project by numeric id or full path (nested groups: `group/sub/project`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProjectId {
    Id(u64),
    Path(String),
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProjectId::Id(id) => write!(f, "{id}"),
            ProjectId::Path(path) => f.write_str(path),
        }
    }
}

/// How the bot user authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// A personal, project or group access token (`PRIVATE-TOKEN`).
    PrivateToken(Secret),
    /// An OAuth token (`Authorization: Bearer`).
    Bearer(Secret),
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 429: wait `retry_after` (from `Retry-After` or `RateLimit-Reset`) before any call.
    #[error("GitLab rate limit reached{}", wait_text(*.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, refused connections: worth retrying with backoff.
    #[error("GitLab unavailable: {0}")]
    Retryable(String),
    #[error("GitLab refused the token (401)")]
    Unauthorized,
    #[error("GitLab forbids this to the bot user (403): {0}")]
    Forbidden(String),
    #[error("GitLab has no {0} (404)")]
    NotFound(String),
    /// What GitLab returned cannot be complete: the gate must fail closed.
    #[error("incomplete answer from GitLab: {0}")]
    Incomplete(String),
    /// 400 "Cannot transition status via :x from :y": a commit status with this name is
    /// already in that state (GitLab refuses a transition to the same state). The caller
    /// reads the statuses to confirm what GitLab shows.
    #[error("GitLab kept the commit status as it was: {0}")]
    StatusUnchanged(String),
    #[error("GitLab answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("unexpected GitLab answer for {what}: {source}")]
    Decode {
        what: String,
        source: serde_json::Error,
    },
    #[error("cannot build the GitLab client: {0}")]
    Setup(String),
}

fn wait_text(wait: Option<Duration>) -> String {
    wait.map(|d| format!(", retry in {} s", d.as_secs()))
        .unwrap_or_default()
}

impl ApiError {
    /// Whether a later attempt may succeed (the worker retries these, then fails closed).
    pub fn is_transient(&self) -> bool {
        matches!(self, ApiError::RateLimited { .. } | ApiError::Retryable(_))
    }
}

#[derive(Clone)]
struct Cached {
    etag: HeaderValue,
    headers: HeaderMap,
    body: bytes::Bytes,
}

/// A raw answer: headers and body.
pub(super) struct Answer {
    pub(super) headers: HeaderMap,
    pub(super) body: bytes::Bytes,
}

/// Calls made and answers served from the ETag cache, for metrics and benchmarks.
#[derive(Debug, Default)]
pub struct CallCounts {
    pub requests: AtomicU64,
    pub not_modified: AtomicU64,
}

#[derive(Clone)]
pub struct GitLabClient {
    http: reqwest::Client,
    base: Url,
    auth: Auth,
    /// url → the last 200 answer to a GET with an ETag (headers kept: a 304 carries no
    /// pagination headers).
    etags: Arc<Mutex<HashMap<String, Cached>>>,
    counts: Arc<CallCounts>,
}

impl fmt::Debug for GitLabClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitLabClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl GitLabClient {
    /// `api_url` is the v4 base (`https://gitlab.com/api/v4`).
    pub fn new(api_url: &str, auth: Auth) -> Result<GitLabClient, ApiError> {
        let base = Url::parse(api_url.trim_end_matches('/'))
            .map_err(|e| ApiError::Setup(format!("api_url `{api_url}`: {e}")))?;
        if base.cannot_be_a_base() {
            return Err(ApiError::Setup(format!(
                "api_url `{api_url}` is not a base URL"
            )));
        }
        let origin = base.origin();
        // reqwest strips `Authorization` on a cross-host redirect but not `PRIVATE-TOKEN`:
        // follow redirects only within the configured GitLab.
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.url().origin() == origin && attempt.previous().len() < 5 {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let http = reqwest::Client::builder()
            .redirect(redirects)
            .tls_backend_preconfigured(tls_config()?)
            .user_agent(concat!("signoff/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ApiError::Setup(e.to_string()))?;
        Ok(GitLabClient {
            http,
            base,
            auth,
            etags: Arc::default(),
            counts: Arc::default(),
        })
    }

    pub fn counts(&self) -> &CallCounts {
        &self.counts
    }

    /// The same client (connections, ETag cache) counting its calls afresh: one per
    /// event, so each delivery reports its own API calls.
    pub fn counting_afresh(&self) -> GitLabClient {
        GitLabClient {
            counts: Arc::default(),
            ..self.clone()
        }
    }

    /// GitLab's GraphQL endpoint beside the REST base (`…/api/v4` → `…/api/graphql`).
    pub(super) fn graphql_url(&self) -> Result<Url, ApiError> {
        self.base
            .join("graphql")
            .map_err(|e| ApiError::Setup(format!("GraphQL URL: {e}")))
    }

    /// `base` + path segments, each percent-encoded as one segment (so `a/b/c` becomes
    /// `a%2Fb%2Fc`, as GitLab wants project and file paths).
    pub(super) fn url(&self, segments: &[&str]) -> Result<Url, ApiError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| ApiError::Setup("api_url is not a base URL".to_owned()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    pub(super) fn project_url(&self, project: &ProjectId, rest: &[&str]) -> Result<Url, ApiError> {
        let id = project.to_string();
        let mut segments = vec!["projects", id.as_str()];
        segments.extend_from_slice(rest);
        self.url(&segments)
    }

    pub(super) fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Auth::PrivateToken(token) => request.header("PRIVATE-TOKEN", token.expose()),
            Auth::Bearer(token) => request.bearer_auth(token.expose()),
        }
    }

    /// One GET, answered from the ETag cache on 304.
    pub(super) async fn get_raw(&self, url: &Url, what: &str) -> Result<Answer, ApiError> {
        let cached = self
            .etags
            .lock()
            .ok()
            .and_then(|c| c.get(url.as_str()).cloned());
        let mut request = self.authorize(self.http.get(url.clone()));
        if let Some(c) = &cached {
            request = request.header(http::header::IF_NONE_MATCH, c.etag.clone());
        }
        let response = self.send(request).await?;
        if response.status() == StatusCode::NOT_MODIFIED {
            if let Some(c) = cached {
                self.counts.not_modified.fetch_add(1, Ordering::Relaxed);
                return Ok(Answer {
                    headers: c.headers,
                    body: c.body,
                });
            }
        }
        let answer = check(response, what).await?;
        if let Some(etag) = answer.headers.get(http::header::ETAG) {
            if let Ok(mut cache) = self.etags.lock() {
                // Bounded: a long-running bot must not grow without end.
                if cache.len() >= ETAG_CACHE_ENTRIES {
                    cache.clear();
                }
                cache.insert(
                    url.to_string(),
                    Cached {
                        etag: etag.clone(),
                        headers: answer.headers.clone(),
                        body: answer.body.clone(),
                    },
                );
            }
        }
        Ok(answer)
    }

    pub(super) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ApiError> {
        self.counts.requests.fetch_add(1, Ordering::Relaxed);
        request
            .send()
            .await
            .map_err(|e| ApiError::Retryable(transport_error(&e)))
    }

    pub(super) async fn get_json<T: DeserializeOwned>(
        &self,
        url: &Url,
        what: &str,
    ) -> Result<T, ApiError> {
        let answer = self.get_raw(url, what).await?;
        decode(&answer.body, what)
    }

    pub(super) async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        url: &Url,
        body: &B,
        what: &str,
    ) -> Result<T, ApiError> {
        let request = self.authorize(self.http.post(url.clone())).json(body);
        let answer = check(self.send(request).await?, what).await?;
        decode(&answer.body, what)
    }

    /// A POST whose answer body is not needed: success is the 2xx.
    pub(super) async fn post_unit<B: Serialize>(
        &self,
        url: &Url,
        body: &B,
        what: &str,
    ) -> Result<(), ApiError> {
        let request = self.authorize(self.http.post(url.clone())).json(body);
        check(self.send(request).await?, what).await?;
        Ok(())
    }

    /// Every page of a list: `per_page=100`, following `Link: rel="next"` (or
    /// `X-Next-Page`) to the end. A list that cannot be read to the end is an error.
    pub(super) async fn get_all<T: DeserializeOwned>(
        &self,
        mut url: Url,
        what: &str,
    ) -> Result<Vec<T>, ApiError> {
        url.query_pairs_mut()
            .append_pair("per_page", &PER_PAGE.to_string());
        let mut items = Vec::new();
        let mut expected_total = None;
        for _page in 0..MAX_PAGES {
            let answer = self.get_raw(&url, what).await?;
            let mut page: Vec<T> = decode(&answer.body, what)?;
            items.append(&mut page);
            if expected_total.is_none() {
                expected_total = header_number(&answer.headers, "x-total");
            }
            match self.next_page(&url, &answer.headers, what)? {
                Some(next) => url = next,
                None => {
                    if let Some(total) = expected_total {
                        if (items.len() as u64) < total {
                            return Err(ApiError::Incomplete(format!(
                                "{what}: read {} of {total} entries",
                                items.len()
                            )));
                        }
                    }
                    return Ok(items);
                }
            }
        }
        Err(ApiError::Incomplete(format!(
            "{what}: more than {MAX_PAGES} pages"
        )))
    }

    fn next_page(
        &self,
        current: &Url,
        headers: &HeaderMap,
        what: &str,
    ) -> Result<Option<Url>, ApiError> {
        if let Some(next) = headers
            .get_all(http::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(link_next)
        {
            let next = Url::parse(&next)
                .map_err(|e| ApiError::Incomplete(format!("{what}: bad next link: {e}")))?;
            // The token goes only to the configured GitLab.
            if next.origin() != self.base.origin() {
                return Err(ApiError::Incomplete(format!(
                    "{what}: next page link leaves {}",
                    self.base.origin().ascii_serialization()
                )));
            }
            return Ok(Some(next));
        }
        let next_page = headers
            .get("x-next-page")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty());
        let Some(page) = next_page else {
            return Ok(None);
        };
        let mut next = current.clone();
        let pairs: Vec<(String, String)> = current
            .query_pairs()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        next.query_pairs_mut()
            .clear()
            .extend_pairs(pairs)
            .append_pair("page", page);
        Ok(Some(next))
    }
}

/// A rustls configuration with the ring provider and the platform's roots.
fn tls_config() -> Result<rustls::ClientConfig, ApiError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map(|b| b.with_no_client_auth())
        .map_err(|e| ApiError::Setup(format!("TLS: {e}")))
}

fn transport_error(e: &reqwest::Error) -> String {
    // Never the URL's query or any header: only what failed.
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "transport error".to_owned()
    }
}

async fn check(response: reqwest::Response, what: &str) -> Result<Answer, ApiError> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| ApiError::Retryable(transport_error(&e)))?;
    if status.is_success() {
        return Ok(Answer { headers, body });
    }
    let message = error_message(&body);
    Err(match status.as_u16() {
        429 => ApiError::RateLimited {
            retry_after: retry_after(&headers, Timestamp::now()),
        },
        401 => ApiError::Unauthorized,
        403 => ApiError::Forbidden(message),
        404 => ApiError::NotFound(format!("{what}: {message}")),
        400 if message.contains("Cannot transition status") => ApiError::StatusUnchanged(message),
        500..=599 => ApiError::Retryable(format!("{what}: {} {message}", status.as_u16())),
        code => ApiError::Status {
            status: code,
            message,
        },
    })
}

/// GitLab's `{"message": …}` or `{"error": …}`, shortened; never the whole body.
fn error_message(body: &[u8]) -> String {
    let value: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let text = value
        .as_ref()
        .and_then(|v| v.get("message").or_else(|| v.get("error")))
        .map(|m| match m {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default();
    text.chars().take(200).collect()
}

fn decode<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|source| ApiError::Decode {
        what: what.to_owned(),
        source,
    })
}

fn header_number(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// How long to wait: `Retry-After` (seconds or an HTTP date), else `RateLimit-Reset`
/// (Unix seconds).
pub fn retry_after(headers: &HeaderMap, now: Timestamp) -> Option<Duration> {
    let until = |at: Timestamp| {
        let secs = at.as_second().saturating_sub(now.as_second()).max(0);
        Duration::from_secs(secs.unsigned_abs())
    };
    if let Some(value) = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
    {
        let value = value.trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = jiff::fmt::rfc2822::parse(value) {
            return Some(until(at.timestamp()));
        }
    }
    let reset = header_number(headers, "ratelimit-reset")?;
    let at = Timestamp::from_second(i64::try_from(reset).ok()?).ok()?;
    Some(until(at))
}

/// The target of a `rel="next"` link in one `Link` header value.
fn link_next(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"" || p.trim() == "rel=next");
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_found_among_others() {
        let h = "<https://gitlab.example.com/api/v4/projects/8/issues?page=1&per_page=3>; rel=\"prev\", <https://gitlab.example.com/api/v4/projects/8/issues?page=3&per_page=3>; rel=\"next\", <https://gitlab.example.com/api/v4/projects/8/issues?page=1&per_page=3>; rel=\"first\"";
        assert_eq!(
            link_next(h).as_deref(),
            Some("https://gitlab.example.com/api/v4/projects/8/issues?page=3&per_page=3")
        );
        assert_eq!(link_next("<https://x/y>; rel=\"last\""), None);
    }

    #[test]
    fn retry_after_seconds_date_or_reset() {
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        let mut h = HeaderMap::new();
        h.insert("ratelimit-reset", HeaderValue::from_static("1700000042"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(42)));
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            HeaderValue::from_static("Tue, 14 Nov 2023 22:14:20 GMT"),
        );
        assert_eq!(
            retry_after(&h, now),
            Some(Duration::from_secs(1_700_000_060 - 1_700_000_000))
        );
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn nested_project_and_file_paths_are_single_encoded_segments() {
        let client = GitLabClient::new(
            "https://gitlab.example.com/api/v4/",
            Auth::PrivateToken(Secret::new("t")),
        )
        .unwrap();
        let url = client
            .project_url(
                &ProjectId::Path("group/sub/project".to_owned()),
                &["repository", "files", ".gitlab/signoff.yml", "raw"],
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://gitlab.example.com/api/v4/projects/group%2Fsub%2Fproject/repository/files/.gitlab%2Fsignoff.yml/raw"
        );
    }
}
