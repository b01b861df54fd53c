//! The GitLab adapter's settings, read from the `[gitlab]` configuration section
//! (SPEC §8.1). The wiring into the server fills this from `Config::gitlab`.

use crate::config::{GitLabConfig, Secret};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;

/// Everything the adapter needs from the configuration, validated.
#[derive(Debug, Clone)]
pub struct GitLabSettings {
    /// The REST v4 base, e.g. `https://gitlab.com/api/v4`.
    pub api_url: String,
    pub webhook: WebhookAuth,
    /// The bot user's token; `None` leaves the adapter unable to read GitLab.
    pub token: Option<Secret>,
    /// Approve merge requests whose answer is success, take the approval back otherwise.
    pub approve_merge_requests: bool,
}

/// What a delivery must carry to be accepted.
#[derive(Debug, Clone, Default)]
pub struct WebhookAuth {
    /// Every accepted `X-Gitlab-Token` (several during a rotation).
    pub tokens: Vec<Secret>,
    /// When set, the Standard Webhooks signature is required too.
    pub signing_key: Option<SigningKey>,
}

/// A Standard Webhooks signing key: `whsec_` and the base64 of the key bytes.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("gitlab: `signing_token` must be `whsec_` followed by base64")]
    SigningToken,
    #[error("gitlab: `api_url` must be an http(s) URL, got `{0}`")]
    ApiUrl(String),
}

impl SigningKey {
    pub fn parse(text: &str) -> Result<SigningKey, SettingsError> {
        let encoded = text
            .trim()
            .strip_prefix("whsec_")
            .ok_or(SettingsError::SigningToken)?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| SettingsError::SigningToken)?;
        if bytes.is_empty() {
            return Err(SettingsError::SigningToken);
        }
        Ok(SigningKey(bytes))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl GitLabSettings {
    /// `webhook_token` holds one or more tokens (a TOML array, or one per line in
    /// `SIGNOFF_GITLAB_WEBHOOK_TOKEN`), like GitHub's secrets; never split on commas.
    pub fn from_config(config: &GitLabConfig) -> Result<GitLabSettings, SettingsError> {
        let api_url = config.api_url.trim().trim_end_matches('/').to_owned();
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(SettingsError::ApiUrl(api_url));
        }
        let tokens = config.webhook_token.list();
        let signing_key = match &config.signing_token {
            Some(s) if !s.is_empty() => Some(SigningKey::parse(s.expose())?),
            _ => None,
        };
        Ok(GitLabSettings {
            api_url,
            webhook: WebhookAuth {
                tokens,
                signing_key,
            },
            token: config.token.clone().filter(|t| !t.is_empty()),
            approve_merge_requests: config.approve_merge_requests,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secrets;

    #[test]
    fn tokens_listed_for_rotation_and_signing_key_decoded() {
        let config = GitLabConfig {
            api_url: "https://gitlab.example.com/api/v4/".to_owned(),
            webhook_token: Secrets::new(["new,1", "old", ""]),
            signing_token: Some(Secret::new("whsec_c2VjcmV0")),
            token: Some(Secret::new("glpat-x")),
            approve_merge_requests: true,
        };
        let s = GitLabSettings::from_config(&config).unwrap();
        assert_eq!(s.api_url, "https://gitlab.example.com/api/v4");
        let tokens: Vec<_> = s.webhook.tokens.iter().map(Secret::expose).collect();
        assert_eq!(tokens, ["new,1", "old"], "a comma is part of a token");
        assert_eq!(s.webhook.signing_key.unwrap().bytes(), b"secret");
        assert!(!format!("{:?}", s.token).contains("glpat"));
        assert!(s.approve_merge_requests);
    }

    #[test]
    fn a_malformed_signing_token_is_a_configuration_error() {
        for bad in ["secret", "whsec_", "whsec_***"] {
            let config = GitLabConfig {
                signing_token: Some(Secret::new(bad)),
                ..GitLabConfig::default()
            };
            assert_eq!(
                GitLabSettings::from_config(&config).unwrap_err(),
                SettingsError::SigningToken,
                "{bad}"
            );
        }
    }
}
