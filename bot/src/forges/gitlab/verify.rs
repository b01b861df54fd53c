//! Who sent a GitLab delivery: `X-Gitlab-Token` against every configured token (rotation),
//! and, when a signing token is configured, the Standard Webhooks signature
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature`) as well. Both in constant time.
//! Also the delivery's deduplication key.

use super::settings::{SigningKey, WebhookAuth};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use jiff::{SignedDuration, Timestamp};
use sha2::Sha256;

/// How far a `webhook-timestamp` may be from the bot's clock, either way: older is a
/// replay, newer is a forged or badly skewed clock.
pub const TIMESTAMP_TOLERANCE: SignedDuration = SignedDuration::from_secs(5 * 60);

/// Why a delivery was refused (401). Says which check failed, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("no GitLab webhook token is configured")]
    NotConfigured,
    #[error("missing X-Gitlab-Token header")]
    MissingToken,
    #[error("X-Gitlab-Token matches no configured token")]
    WrongToken,
    #[error("missing {0} header (a signing token is configured)")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp is not a number of seconds")]
    MalformedTimestamp,
    #[error("webhook-timestamp is {skew_secs} s away from now (tolerance {tolerance_secs} s)")]
    StaleTimestamp { skew_secs: i64, tolerance_secs: i64 },
    #[error("no webhook-signature matches the body")]
    BadSignature,
}

/// Checks a delivery's headers and raw body. `now` is the bot's clock.
pub fn verify(
    auth: &WebhookAuth,
    headers: &HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> Result<(), VerifyError> {
    if auth.tokens.is_empty() {
        return Err(VerifyError::NotConfigured);
    }
    let given = header(headers, "x-gitlab-token").ok_or(VerifyError::MissingToken)?;
    if !any_token_matches(auth, given) {
        return Err(VerifyError::WrongToken);
    }
    match &auth.signing_key {
        Some(key) => verify_signature(key, headers, body, now),
        None => Ok(()),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Compares MACs of the two tokens (fixed length, `verify_slice` is constant time) and
/// tries every configured token, so neither the length nor which one matched leaks.
fn any_token_matches(auth: &WebhookAuth, given: &str) -> bool {
    let given_mac = token_mac(given.as_bytes()).finalize().into_bytes();
    let mut matched = false;
    for token in &auth.tokens {
        matched |= token_mac(token.expose().as_bytes())
            .verify_slice(&given_mac)
            .is_ok();
    }
    matched
}

fn token_mac(token: &[u8]) -> Hmac<Sha256> {
    // Any fixed key works: the MAC only makes both sides the same length.
    let mut mac = Hmac::<Sha256>::new_from_slice(b"signoff gitlab token comparison")
        .unwrap_or_else(|_| unreachable_mac());
    mac.update(token);
    mac
}

#[expect(
    clippy::panic,
    reason = "HMAC accepts keys of every length; this cannot be reached"
)]
fn unreachable_mac() -> Hmac<Sha256> {
    panic!("HMAC-SHA256 refused a key")
}

fn verify_signature(
    key: &SigningKey,
    headers: &HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> Result<(), VerifyError> {
    let id = header(headers, "webhook-id").ok_or(VerifyError::MissingHeader("webhook-id"))?;
    let timestamp = header(headers, "webhook-timestamp")
        .ok_or(VerifyError::MissingHeader("webhook-timestamp"))?;
    let signatures = header(headers, "webhook-signature")
        .ok_or(VerifyError::MissingHeader("webhook-signature"))?;
    let seconds: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::MalformedTimestamp)?;
    let skew = now.as_second().saturating_sub(seconds);
    let tolerance = TIMESTAMP_TOLERANCE.as_secs();
    if skew.saturating_abs() > tolerance {
        return Err(VerifyError::StaleTimestamp {
            skew_secs: skew,
            tolerance_secs: tolerance,
        });
    }
    // Every listed `v1,` signature is checked (no early exit), any one may match.
    let mut matched = false;
    for candidate in signatures.split(' ').filter(|s| !s.is_empty()) {
        let Some(encoded) = candidate.strip_prefix("v1,") else {
            continue;
        };
        let Ok(expected) = STANDARD.decode(encoded) else {
            continue;
        };
        matched |= signed_content_mac(key, id, timestamp.trim(), body)
            .verify_slice(&expected)
            .is_ok();
    }
    if matched {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

fn signed_content_mac(key: &SigningKey, id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.bytes()).unwrap_or_else(|_| unreachable_mac());
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `webhook-signature` value a Standard Webhooks sender would send: `v1,<base64>`.
pub fn sign(key: &SigningKey, id: &str, timestamp: i64, body: &[u8]) -> String {
    let mac = signed_content_mac(key, id, &timestamp.to_string(), body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// What identifies one delivery across GitLab's retries and manual resends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryKey {
    /// The same for every retry and resend of one event: the signed `webhook-id` when
    /// deliveries are signed (GitLab sends the `Idempotency-Key`'s value in it), else
    /// `Idempotency-Key` itself. One namespace, so turning signing on keeps the keys.
    Idempotency(String),
    /// Older GitLab: `X-Gitlab-Event-UUID` with `X-Gitlab-Webhook-UUID` (one event may go
    /// to several hooks, each delivery once).
    EventAndHook { event: String, webhook: String },
}

impl DeliveryKey {
    /// One string for the store's delivery id column.
    pub fn as_key(&self) -> String {
        match self {
            DeliveryKey::Idempotency(key) => format!("idempotency:{key}"),
            DeliveryKey::EventAndHook { event, webhook } => format!("event:{event}/hook:{webhook}"),
        }
    }
}

/// The delivery's key, or `None` when GitLab sent none (a malformed request). With
/// `signed` (a signing token is configured, so [`verify`] checked the signature over
/// `webhook-id`) only the signed id counts: the other headers are not signed, and whoever
/// replays a captured delivery within the timestamp tolerance could change them to have
/// it processed again.
pub fn delivery_key(headers: &HeaderMap, signed: bool) -> Option<DeliveryKey> {
    let present = |name| {
        header(headers, name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if signed {
        return present("webhook-id").map(|id| DeliveryKey::Idempotency(id.to_owned()));
    }
    if let Some(key) = present("idempotency-key") {
        return Some(DeliveryKey::Idempotency(key.to_owned()));
    }
    match (
        present("x-gitlab-event-uuid"),
        present("x-gitlab-webhook-uuid"),
    ) {
        (Some(event), Some(webhook)) => Some(DeliveryKey::EventAndHook {
            event: event.to_owned(),
            webhook: webhook.to_owned(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use http::HeaderValue;

    const BODY: &[u8] = br#"{"object_kind":"merge_request"}"#;
    // The Standard Webhooks reference test vector (standard-webhooks spec repository).
    const SPEC_KEY: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn now() -> Timestamp {
        Timestamp::from_second(1_700_000_000).unwrap()
    }

    fn auth(tokens: &[&str], signing: Option<&str>) -> WebhookAuth {
        WebhookAuth {
            tokens: tokens.iter().map(|t| Secret::new(*t)).collect(),
            signing_key: signing.map(|s| SigningKey::parse(s).unwrap()),
        }
    }

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn signed(token: &str, key: &str, ts: i64, body: &[u8]) -> HeaderMap {
        let key = SigningKey::parse(key).unwrap();
        headers(&[
            ("x-gitlab-token", token.to_owned()),
            ("webhook-id", "msg_1".to_owned()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", sign(&key, "msg_1", ts, body)),
        ])
    }

    #[test]
    fn matching_token_is_accepted_and_others_refused() {
        let auth = auth(&["s3cret"], None);
        let ok = headers(&[("x-gitlab-token", "s3cret".to_owned())]);
        assert_eq!(verify(&auth, &ok, BODY, now()), Ok(()));
        let wrong = headers(&[("x-gitlab-token", "s3cret2".to_owned())]);
        assert_eq!(
            verify(&auth, &wrong, BODY, now()),
            Err(VerifyError::WrongToken)
        );
        let prefix = headers(&[("x-gitlab-token", "s3cre".to_owned())]);
        assert_eq!(
            verify(&auth, &prefix, BODY, now()),
            Err(VerifyError::WrongToken)
        );
        assert_eq!(
            verify(&auth, &HeaderMap::new(), BODY, now()),
            Err(VerifyError::MissingToken)
        );
    }

    #[test]
    fn every_configured_token_is_tried_for_rotation() {
        let auth = auth(&["new", "old"], None);
        for token in ["new", "old"] {
            let h = headers(&[("x-gitlab-token", token.to_owned())]);
            assert_eq!(verify(&auth, &h, BODY, now()), Ok(()), "{token}");
        }
    }

    #[test]
    fn nothing_is_accepted_without_a_configured_token() {
        let h = headers(&[("x-gitlab-token", String::new())]);
        assert_eq!(
            verify(&auth(&[], None), &h, BODY, now()),
            Err(VerifyError::NotConfigured)
        );
    }

    #[test]
    fn standard_webhooks_reference_vector_verifies() {
        // From the Standard Webhooks specification's example.
        let key = SigningKey::parse(SPEC_KEY).unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_signed_delivery_verifies() {
        let auth = auth(&["tok"], Some(SPEC_KEY));
        let h = signed("tok", SPEC_KEY, now().as_second(), BODY);
        assert_eq!(verify(&auth, &h, BODY, now()), Ok(()));
    }

    #[test]
    fn a_signing_token_makes_the_signature_required() {
        let auth = auth(&["tok"], Some(SPEC_KEY));
        let only_token = headers(&[("x-gitlab-token", "tok".to_owned())]);
        assert_eq!(
            verify(&auth, &only_token, BODY, now()),
            Err(VerifyError::MissingHeader("webhook-id"))
        );
        let mut no_ts = signed("tok", SPEC_KEY, now().as_second(), BODY);
        no_ts.remove("webhook-timestamp");
        assert_eq!(
            verify(&auth, &no_ts, BODY, now()),
            Err(VerifyError::MissingHeader("webhook-timestamp"))
        );
        let mut no_sig = signed("tok", SPEC_KEY, now().as_second(), BODY);
        no_sig.remove("webhook-signature");
        assert_eq!(
            verify(&auth, &no_sig, BODY, now()),
            Err(VerifyError::MissingHeader("webhook-signature"))
        );
    }

    #[test]
    fn the_token_is_still_required_beside_a_signature() {
        let auth = auth(&["tok"], Some(SPEC_KEY));
        let h = signed("other", SPEC_KEY, now().as_second(), BODY);
        assert_eq!(verify(&auth, &h, BODY, now()), Err(VerifyError::WrongToken));
    }

    #[test]
    fn stale_or_future_timestamps_are_refused() {
        let auth = auth(&["tok"], Some(SPEC_KEY));
        let t = now().as_second();
        for (ts, ok) in [
            (t - 299, true),
            (t + 299, true),
            (t - 301, false),
            (t + 301, false),
            (t - 86_400, false),
        ] {
            let h = signed("tok", SPEC_KEY, ts, BODY);
            assert_eq!(
                verify(&auth, &h, BODY, now()).is_ok(),
                ok,
                "offset {}",
                ts - t
            );
        }
        let mut garbled = signed("tok", SPEC_KEY, t, BODY);
        garbled.insert("webhook-timestamp", HeaderValue::from_static("yesterday"));
        assert_eq!(
            verify(&auth, &garbled, BODY, now()),
            Err(VerifyError::MalformedTimestamp)
        );
    }

    #[test]
    fn any_one_of_several_signatures_may_match() {
        let auth = auth(&["tok"], Some(SPEC_KEY));
        let t = now().as_second();
        let good = sign(&SigningKey::parse(SPEC_KEY).unwrap(), "msg_1", t, BODY);
        let other = sign(
            &SigningKey::parse("whsec_b3RoZXJrZXk=").unwrap(),
            "msg_1",
            t,
            BODY,
        );
        let mut h = signed("tok", SPEC_KEY, t, BODY);
        h.insert(
            "webhook-signature",
            HeaderValue::from_str(&format!("v1a,xyz {other} {good}")).unwrap(),
        );
        assert_eq!(verify(&auth, &h, BODY, now()), Ok(()));
        h.insert("webhook-signature", HeaderValue::from_str(&other).unwrap());
        assert_eq!(
            verify(&auth, &h, BODY, now()),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn a_tampered_body_or_id_is_refused() {
        let auth = auth(&["tok"], Some(SPEC_KEY));
        let t = now().as_second();
        let h = signed("tok", SPEC_KEY, t, BODY);
        let tampered = br#"{"object_kind":"merge_request","x":1}"#;
        assert_eq!(
            verify(&auth, &h, tampered, now()),
            Err(VerifyError::BadSignature)
        );
        let mut other_id = h.clone();
        other_id.insert("webhook-id", HeaderValue::from_static("msg_2"));
        assert_eq!(
            verify(&auth, &other_id, BODY, now()),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn signed_deliveries_are_keyed_by_the_signed_id_only() {
        let all = headers(&[
            ("idempotency-key", "k-1".to_owned()),
            ("webhook-id", "msg_1".to_owned()),
            ("x-gitlab-event-uuid", "e-1".to_owned()),
            ("x-gitlab-webhook-uuid", "w-1".to_owned()),
        ]);
        assert_eq!(
            delivery_key(&all, true),
            Some(DeliveryKey::Idempotency("msg_1".to_owned()))
        );
        assert_eq!(
            delivery_key(&all, false),
            Some(DeliveryKey::Idempotency("k-1".to_owned()))
        );
        let unsigned_keys = headers(&[("idempotency-key", "k-1".to_owned())]);
        assert_eq!(delivery_key(&unsigned_keys, true), None);
    }

    #[test]
    fn dedup_prefers_the_idempotency_key() {
        let both = headers(&[
            ("idempotency-key", "k-1".to_owned()),
            ("x-gitlab-event-uuid", "e-1".to_owned()),
            ("x-gitlab-webhook-uuid", "w-1".to_owned()),
        ]);
        assert_eq!(
            delivery_key(&both, false),
            Some(DeliveryKey::Idempotency("k-1".to_owned()))
        );
        let old = headers(&[
            ("x-gitlab-event-uuid", "e-1".to_owned()),
            ("x-gitlab-webhook-uuid", "w-1".to_owned()),
        ]);
        let key = delivery_key(&old, false).unwrap();
        assert_eq!(key.as_key(), "event:e-1/hook:w-1");
        let half = headers(&[("x-gitlab-event-uuid", "e-1".to_owned())]);
        assert_eq!(delivery_key(&half, false), None);
    }
}
