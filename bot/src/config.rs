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
    pub github: GitHubConfig,
    pub gitlab: GitLabConfig,
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
    /// One or more secrets, comma-separated; a delivery signed with any of them is accepted.
    pub webhook_secret: Secret,
    /// A personal or fine-grained token; or an App below.
    pub token: Option<Secret>,
    pub app_id: Option<u64>,
    pub private_key_file: Option<PathBuf>,
    /// The App's private key PEM inline (for the environment); wins over the file.
    pub private_key: Option<Secret>,
    /// Also create check runs (App auth only).
    pub check_runs: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GitLabConfig {
    pub api_url: String,
    pub webhook_token: Secret,
    pub signing_token: Option<Secret>,
    pub token: Option<Secret>,
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
            webhook_secret: Secret::default(),
            token: None,
            app_id: None,
            private_key_file: None,
            private_key: None,
            check_runs: true,
        }
    }
}

impl Default for GitLabConfig {
    fn default() -> Self {
        GitLabConfig {
            api_url: "https://gitlab.com/api/v4".to_owned(),
            webhook_token: Secret::default(),
            signing_token: None,
            token: None,
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
            "cache_ttl_secs" => self.cache.ttl_secs = number(value)?,
            "cache_policy_ttl_secs" => self.cache.policy_ttl_secs = number(value)?,
            "github_api_url" => self.github.api_url = text(),
            "github_webhook_secret" => self.github.webhook_secret = secret(),
            "github_token" => self.github.token = Some(secret()),
            "github_app_id" => self.github.app_id = Some(number(value)?),
            "github_private_key_file" => self.github.private_key_file = Some(PathBuf::from(value)),
            "github_private_key" => self.github.private_key = Some(secret()),
            "github_check_runs" => self.github.check_runs = boolean(value)?,
            "gitlab_api_url" => self.gitlab.api_url = text(),
            "gitlab_webhook_token" => self.gitlab.webhook_token = secret(),
            "gitlab_signing_token" => self.gitlab.signing_token = Some(secret()),
            "gitlab_token" => self.gitlab.token = Some(secret()),
            _ => return Err("not a configuration key (see docs/bot.md)".to_owned()),
        }
        Ok(())
    }

    fn check(&self) -> Result<(), String> {
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

    /// The configured webhook secrets, for rotation: every non-empty comma-separated one.
    pub fn github_secrets(&self) -> Vec<Secret> {
        self.github
            .webhook_secret
            .expose()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Secret::new)
            .collect()
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
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests stop at the first surprise"
)]
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
                ("SIGNOFF_GITHUB_WEBHOOK_SECRET", "new, old"),
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
}
