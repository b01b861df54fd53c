//! `signoff serve` configuration (SPEC §8.1): a TOML file, then `SIGNOFF_<SECTION>_<KEY>`
//! environment variables, which win. With neither, the embedded defaults: SQLite in the
//! working directory, a loopback address, the simulator from `web/dist`.

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A value that is never printed: secrets show as `***` in `Debug` and logs.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

/// One or more secrets, accepted during a rotation: a TOML string is one secret (never
/// split, so a secret may hold any character), a TOML array is several. From the
/// environment, several are separated by newlines.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets(Vec<Secret>);

impl Secrets {
    pub fn new<S: Into<String>>(secrets: impl IntoIterator<Item = S>) -> Secrets {
        Secrets(secrets.into_iter().map(Secret::new).collect())
    }

    /// The non-empty secrets.
    pub fn list(&self) -> Vec<Secret> {
        self.0.iter().filter(|s| !s.is_empty()).cloned().collect()
    }

    /// A value from the environment: one secret per line.
    fn from_lines(value: &str) -> Secrets {
        Secrets::new(value.lines().map(|l| l.trim_end_matches('\r')))
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.0).finish()
    }
}

impl<'de> Deserialize<'de> for Secrets {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Secrets, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(Secret),
            Many(Vec<Secret>),
        }
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(s) => Secrets(vec![s]),
            OneOrMany::Many(list) => Secrets(list),
        })
    }
}

/// Shortest `details_key` accepted: 32 bytes, the HMAC-SHA256 block of security.
pub const MIN_DETAILS_KEY: usize = 32;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://file.db` or `postgres://user@host/db`.
    pub database: String,
    /// Base of details links; default `http://<listen>`.
    pub public_url: Option<String>,
    /// Users who hold every approver role (the directory's super-admins).
    pub super_admins: Vec<String>,
    /// Organisation-wide policy file, evaluated beside each repository's policy.
    pub policy: Option<PathBuf>,
    /// The built simulator, served at `/` when the folder exists.
    pub web_dir: PathBuf,
    /// Key that signs details links; default: a random key kept in the database.
    pub details_key: Option<Secret>,
    /// Commit status context of pull-request gates.
    pub status_context: String,
    /// Concurrent workers processing deliveries; 0 only receives and stores (another
    /// replica on the same PostgreSQL database processes).
    pub workers: usize,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    pub queue: QueueConfig,
    pub cache: CacheConfig,
    pub server: ServerConfig,
    pub details: DetailsConfig,
    pub policy_check: PolicyCheckConfig,
    pub github: GitHubConfig,
    pub gitlab: GitLabConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Longest time a request may take, body included (slow senders get 408).
    pub request_timeout_secs: u64,
    /// Memory for webhook bodies being read before their signature is checked; more
    /// concurrent senders wait (up to the request timeout, then 503), so unsigned
    /// posts cannot take more than this.
    pub unverified_body_mb: u64,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// On shutdown, how long requests in flight and deliveries in hand may take to
    /// finish; then they are abandoned (another replica, or the next start, takes the
    /// deliveries over when their lease ends).
    pub drain_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetailsConfig {
    /// How long a details link works after its evaluation (default 30 days).
    pub ttl_secs: u64,
    /// Show the organisation policy's text on details pages and in their simulator
    /// links (off: the organisation's layer is shown without its text).
    pub show_org_policy: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            request_timeout_secs: 30,
            unverified_body_mb: 64,
            metrics_token: None,
            drain_secs: 30,
        }
    }
}

/// The `signoff/policy` check replays a file the pull request's author wrote: its
/// work is bounded by time, since a valid policy within the size caps can still be
/// slow to evaluate on every recorded decision.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyCheckConfig {
    /// Seconds of replay per head (default 10); past them the check says how many
    /// decisions it replayed and stops.
    pub replay_secs: u64,
}

impl Default for PolicyCheckConfig {
    fn default() -> Self {
        PolicyCheckConfig { replay_secs: 10 }
    }
}

impl Default for DetailsConfig {
    fn default() -> Self {
        DetailsConfig {
            ttl_secs: 30 * 24 * 3600,
            show_org_policy: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// Attempts before a delivery is given up (rate-limit waits do not count).
    pub max_attempts: u32,
    /// First retry delay; doubles each attempt, with full jitter.
    pub backoff_base_ms: u64,
    /// Longest retry delay.
    pub backoff_max_ms: u64,
    /// How long a worker holds a delivery before another may take it over (crash recovery).
    pub lease_secs: u64,
    /// How often idle workers look for due work.
    pub poll_ms: u64,
    /// How often waiting deployment gates are evaluated again (a blackout ends, a
    /// maintenance window opens); 0 never.
    pub recheck_secs: u64,
    /// How long handled deliveries are remembered (their ids, for deduplication, and
    /// their API-call figures); 0 forever. Dead letters stay until queued again.
    pub keep_done_days: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// How long collaborators (approver roles) and team members are reused.
    pub ttl_secs: u64,
    /// How long a policy file read from a branch is reused; 0 reads it (conditionally,
    /// with its ETag) on every event.
    pub policy_ttl_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GitHubConfig {
    pub api_url: String,
    /// One secret, or an array of several (rotation); a delivery signed with any of them
    /// is accepted. A secret is never split: it may hold `,`.
    pub webhook_secret: Secrets,
    /// A personal or fine-grained token; or an App below.
    pub token: Option<Secret>,
    pub app_id: Option<u64>,
    pub private_key_file: Option<PathBuf>,
    /// The App's private key PEM inline (for the environment); wins over the file.
    pub private_key: Option<Secret>,
    /// Also create check runs (App auth only).
    pub check_runs: bool,
    /// Longest wait for an answer from GitHub before the call fails (and is retried).
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GitLabConfig {
    pub api_url: String,
    /// `X-Gitlab-Token` values accepted (several during a rotation), like GitHub's secrets.
    pub webhook_token: Secrets,
    pub signing_token: Option<Secret>,
    pub token: Option<Secret>,
    /// The bot user approves a merge request whose `signoff` answer is success and takes
    /// its approval back otherwise, for an approval rule requiring it (Premium).
    pub approve_merge_requests: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".to_owned(),
            database: "sqlite://signoff.db".to_owned(),
            public_url: None,
            super_admins: Vec::new(),
            policy: None,
            web_dir: PathBuf::from("web/dist"),
            details_key: None,
            status_context: "signoff".to_owned(),
            workers: 4,
            log_format: LogFormat::Text,
            queue: QueueConfig::default(),
            cache: CacheConfig::default(),
            server: ServerConfig::default(),
            details: DetailsConfig::default(),
            policy_check: PolicyCheckConfig::default(),
            github: GitHubConfig::default(),
            gitlab: GitLabConfig::default(),
        }
    }
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            max_attempts: 8,
            backoff_base_ms: 1_000,
            backoff_max_ms: 600_000,
            lease_secs: 300,
            poll_ms: 1_000,
            recheck_secs: 300,
            keep_done_days: 30,
        }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            ttl_secs: 300,
            policy_ttl_secs: 60,
        }
    }
}

impl Default for GitHubConfig {
    fn default() -> Self {
        GitHubConfig {
            api_url: "https://api.github.com".to_owned(),
            webhook_secret: Secrets::default(),
            token: None,
            app_id: None,
            private_key_file: None,
            private_key: None,
            check_runs: true,
            timeout_secs: 30,
        }
    }
}

impl Default for GitLabConfig {
    fn default() -> Self {
        GitLabConfig {
            api_url: "https://gitlab.com/api/v4".to_owned(),
            webhook_token: Secrets::default(),
            signing_token: None,
            token: None,
            approve_merge_requests: false,
        }
    }
}

/// Environment variables read besides the configuration keys.
const NOT_KEYS: &[&str] = &["SIGNOFF_CONFIG", "SIGNOFF_LOG"];

impl Config {
    /// Reads the file (if given), then applies `SIGNOFF_*` variables from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, String> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => Config::default(),
        };
        let mut vars: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("SIGNOFF_") && !NOT_KEYS.contains(&k.as_str()))
            .collect();
        vars.sort();
        for (key, value) in vars {
            config
                .set(&key, &value)
                .map_err(|e| format!("{key}: {e}"))?;
        }
        config.check()?;
        Ok(config)
    }

    /// Sets one key named as its environment variable (`SIGNOFF_GITHUB_TOKEN`).
    fn set(&mut self, var: &str, value: &str) -> Result<(), String> {
        let key = var.trim_start_matches("SIGNOFF_").to_ascii_lowercase();
        let text = || value.to_owned();
        let secret = || Secret::new(value);
        let list = || {
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        match key.as_str() {
            "listen" => self.listen = text(),
            "database" => self.database = text(),
            "public_url" => self.public_url = Some(text()),
            "super_admins" => self.super_admins = list(),
            "policy" => self.policy = Some(PathBuf::from(value)),
            "web_dir" => self.web_dir = PathBuf::from(value),
            "details_key" => self.details_key = Some(secret()),
            "status_context" => self.status_context = text(),
            "workers" => self.workers = number(value)?,
            "log_format" => {
                self.log_format = match value {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    _ => return Err("expected `text` or `json`".to_owned()),
                }
            }
            "queue_max_attempts" => self.queue.max_attempts = number(value)?,
            "queue_backoff_base_ms" => self.queue.backoff_base_ms = number(value)?,
            "queue_backoff_max_ms" => self.queue.backoff_max_ms = number(value)?,
            "queue_lease_secs" => self.queue.lease_secs = number(value)?,
            "queue_poll_ms" => self.queue.poll_ms = number(value)?,
            "queue_recheck_secs" => self.queue.recheck_secs = number(value)?,
            "queue_keep_done_days" => self.queue.keep_done_days = number(value)?,
            "cache_ttl_secs" => self.cache.ttl_secs = number(value)?,
            "cache_policy_ttl_secs" => self.cache.policy_ttl_secs = number(value)?,
            "github_api_url" => self.github.api_url = text(),
            "server_request_timeout_secs" => self.server.request_timeout_secs = number(value)?,
            "server_unverified_body_mb" => self.server.unverified_body_mb = number(value)?,
            "server_metrics_token" => self.server.metrics_token = Some(secret()),
            "server_drain_secs" => self.server.drain_secs = number(value)?,
            "details_ttl_secs" => self.details.ttl_secs = number(value)?,
            "details_show_org_policy" => self.details.show_org_policy = boolean(value)?,
            "policy_check_replay_secs" => self.policy_check.replay_secs = number(value)?,
            "github_webhook_secret" => self.github.webhook_secret = Secrets::from_lines(value),
            "github_token" => self.github.token = Some(secret()),
            "github_app_id" => self.github.app_id = Some(number(value)?),
            "github_private_key_file" => self.github.private_key_file = Some(PathBuf::from(value)),
            "github_private_key" => self.github.private_key = Some(secret()),
            "github_check_runs" => self.github.check_runs = boolean(value)?,
            "github_timeout_secs" => self.github.timeout_secs = number(value)?,
            "gitlab_api_url" => self.gitlab.api_url = text(),
            "gitlab_webhook_token" => self.gitlab.webhook_token = Secrets::from_lines(value),
            "gitlab_signing_token" => self.gitlab.signing_token = Some(secret()),
            "gitlab_token" => self.gitlab.token = Some(secret()),
            "gitlab_approve_merge_requests" => {
                self.gitlab.approve_merge_requests = boolean(value)?;
            }
            _ => return Err("not a configuration key (see docs/bot.md)".to_owned()),
        }
        Ok(())
    }

    /// Refuses settings the bot must not start with (also checked by `server::start`).
    pub fn check(&self) -> Result<(), String> {
        if let Some(key) = &self.details_key {
            if key.expose().len() < MIN_DETAILS_KEY {
                return Err(format!(
                    "details_key: at least {MIN_DETAILS_KEY} bytes (got {}); leave it unset for a random key kept in the database",
                    key.expose().len()
                ));
            }
        }
        if self.server.unverified_body_mb == 0 {
            return Err("server.unverified_body_mb: at least 1".to_owned());
        }
        if self.github.token.is_some() && self.github.app_id.is_some() {
            return Err("github: set either `token` or `app_id`, not both".to_owned());
        }
        if self.github.app_id.is_some()
            && self.github.private_key.is_none()
            && self.github.private_key_file.is_none()
        {
            return Err(
                "github: `app_id` needs `private_key_file` (or SIGNOFF_GITHUB_PRIVATE_KEY)"
                    .to_owned(),
            );
        }
        Ok(())
    }

    /// The configured webhook secrets, for rotation: every non-empty one.
    pub fn github_secrets(&self) -> Vec<Secret> {
        self.github.webhook_secret.list()
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }

    pub fn backoff(&self) -> crate::worker::backoff::Backoff {
        crate::worker::backoff::Backoff {
            base: Duration::from_millis(self.queue.backoff_base_ms),
            max: Duration::from_millis(self.queue.backoff_max_ms),
        }
    }
}

fn number<T: std::str::FromStr>(value: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("expected a number, got {value:?}"))
}

fn boolean(value: &str) -> Result<bool, String> {
    match value.trim() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!("expected true or false, got {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_without_anything() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.database, "sqlite://signoff.db");
        assert_eq!(c.public_url(), "http://127.0.0.1:8080");
        assert_eq!(c.web_dir, PathBuf::from("web/dist"));
    }

    #[test]
    fn environment_wins_over_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signoff.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\nsuper_admins = [\"root\"]\n[github]\nwebhook_secret = \"a\"\napp_id = 7\nprivate_key_file = \"k.pem\"\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&path),
            env(&[
                ("SIGNOFF_GITHUB_WEBHOOK_SECRET", "new\nold"),
                ("SIGNOFF_LISTEN", "127.0.0.1:1"),
                ("HOME", "/"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:1");
        assert_eq!(c.super_admins, vec!["root"]);
        assert_eq!(c.github.app_id, Some(7));
        let secrets: Vec<String> = c
            .github_secrets()
            .iter()
            .map(|s| s.expose().to_owned())
            .collect();
        assert_eq!(secrets, vec!["new", "old"]);
    }

    #[test]
    fn typos_are_errors() {
        let err = Config::load(None, env(&[("SIGNOFF_GITHUB_WEBHOK_SECRET", "x")])).unwrap_err();
        assert!(err.contains("SIGNOFF_GITHUB_WEBHOK_SECRET"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "lissten = \"x\"\n").unwrap();
        assert!(
            Config::load(Some(&path), env(&[]))
                .unwrap_err()
                .contains("lissten")
        );
    }

    #[test]
    fn secrets_are_not_printed() {
        let c = Config::load(
            None,
            env(&[
                ("SIGNOFF_GITHUB_TOKEN", "ghp_secret"),
                ("SIGNOFF_GITHUB_WEBHOOK_SECRET", "s3"),
            ]),
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("ghp_secret") && !shown.contains("s3\""),
            "{shown}"
        );
    }

    #[test]
    fn a_secret_holding_a_comma_is_one_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[github]\nwebhook_secret = \"a,b\"\n").unwrap();
        let shown = |c: &Config| -> Vec<String> {
            c.github_secrets()
                .iter()
                .map(|s| s.expose().to_owned())
                .collect()
        };
        assert_eq!(
            shown(&Config::load(Some(&path), env(&[])).unwrap()),
            vec!["a,b"]
        );
        let from_env =
            Config::load(None, env(&[("SIGNOFF_GITHUB_WEBHOOK_SECRET", "x, y")])).unwrap();
        assert_eq!(shown(&from_env), vec!["x, y"]);
        std::fs::write(&path, "[github]\nwebhook_secret = [\"new,1\", \"old\"]\n").unwrap();
        assert_eq!(
            shown(&Config::load(Some(&path), env(&[])).unwrap()),
            vec!["new,1", "old"]
        );
    }

    #[test]
    fn gitlab_webhook_tokens_are_listed_like_github_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let shown = |c: &Config| -> Vec<String> {
            c.gitlab
                .webhook_token
                .list()
                .iter()
                .map(|s| s.expose().to_owned())
                .collect()
        };
        std::fs::write(&path, "[gitlab]\nwebhook_token = \"a,b\"\n").unwrap();
        assert_eq!(
            shown(&Config::load(Some(&path), env(&[])).unwrap()),
            vec!["a,b"]
        );
        std::fs::write(&path, "[gitlab]\nwebhook_token = [\"new\", \"old\"]\n").unwrap();
        assert_eq!(
            shown(&Config::load(Some(&path), env(&[])).unwrap()),
            vec!["new", "old"]
        );
        let from_env =
            Config::load(None, env(&[("SIGNOFF_GITLAB_WEBHOOK_TOKEN", "x,1\ny")])).unwrap();
        assert_eq!(shown(&from_env), vec!["x,1", "y"]);
    }

    #[test]
    fn gitlab_approving_merge_requests_is_off_unless_asked_for() {
        assert!(!Config::default().gitlab.approve_merge_requests);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[gitlab]\napprove_merge_requests = true\n").unwrap();
        assert!(
            Config::load(Some(&path), env(&[]))
                .unwrap()
                .gitlab
                .approve_merge_requests
        );
        let off = env(&[("SIGNOFF_GITLAB_APPROVE_MERGE_REQUESTS", "false")]);
        assert!(
            !Config::load(Some(&path), off)
                .unwrap()
                .gitlab
                .approve_merge_requests,
            "the environment wins over the file"
        );
        let err = Config::load(
            None,
            env(&[("SIGNOFF_GITLAB_APPROVE_MERGE_REQUESTS", "maybe")]),
        )
        .unwrap_err();
        assert!(
            err.contains("SIGNOFF_GITLAB_APPROVE_MERGE_REQUESTS"),
            "{err}"
        );
    }

    #[test]
    fn a_short_details_key_is_refused() {
        let err = Config::load(None, env(&[("SIGNOFF_DETAILS_KEY", "too-short")])).unwrap_err();
        assert!(
            err.contains("details_key: at least 32 bytes (got 9)"),
            "{err}"
        );
        let key = "k".repeat(32);
        assert!(Config::load(None, env(&[("SIGNOFF_DETAILS_KEY", key.as_str())])).is_ok());
    }
}
