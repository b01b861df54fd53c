//! GitLab's documented webhook payloads through `accept`, signed as GitLab signs them.

use http::{HeaderMap, HeaderValue, StatusCode};
use jiff::Timestamp;
use signoff_bot::config::Secret;
use signoff_bot::forges::gitlab::intake::{Rejection, accept};
use signoff_bot::forges::gitlab::payloads::{GitLabEvent, Ignored};
use signoff_bot::forges::gitlab::settings::{SigningKey, WebhookAuth};
use signoff_bot::forges::gitlab::verify::{self, DeliveryKey, VerifyError};

const SIGNING: &str = "whsec_c2lnbm9mZi10ZXN0LXNpZ25pbmcta2V5";
/// GitLab sends one value as `Idempotency-Key` and as the signed `webhook-id`.
const DELIVERY_ID: &str = "b6a1c0de-0000-4000-8000-000000000001";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/gitlab/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

fn auth() -> WebhookAuth {
    WebhookAuth {
        tokens: vec![Secret::new("current"), Secret::new("previous")],
        signing_key: Some(SigningKey::parse(SIGNING).unwrap()),
    }
}

fn delivery(event: &str, token: &str, body: &[u8], now: Timestamp) -> HeaderMap {
    let key = SigningKey::parse(SIGNING).unwrap();
    let mut h = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        h.insert(name, HeaderValue::from_str(&value).unwrap());
    };
    set("x-gitlab-event", event.to_owned());
    set("x-gitlab-token", token.to_owned());
    set("idempotency-key", DELIVERY_ID.to_owned());
    set("x-gitlab-event-uuid", "e-1".to_owned());
    set("x-gitlab-webhook-uuid", "w-1".to_owned());
    set("webhook-id", DELIVERY_ID.to_owned());
    set("webhook-timestamp", now.as_second().to_string());
    set(
        "webhook-signature",
        verify::sign(&key, DELIVERY_ID, now.as_second(), body),
    );
    h
}

#[test]
fn every_documented_payload_is_accepted_and_parsed() {
    let now = Timestamp::now();
    for (file, event) in [
        ("merge_request.open.json", "Merge Request Hook"),
        ("note.merge_request.json", "Note Hook"),
        ("deployment.success.json", "Deployment Hook"),
        ("pipeline.json", "Pipeline Hook"),
    ] {
        let body = fixture(file);
        let d = accept(
            &auth(),
            &delivery(event, "previous", &body, now),
            &body,
            now,
        )
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(d.key, DeliveryKey::Idempotency(DELIVERY_ID.to_owned()));
        let kind_ok = matches!(
            (&d.event, event),
            (GitLabEvent::MergeRequest(_), "Merge Request Hook")
                | (GitLabEvent::Note(_), "Note Hook")
                | (GitLabEvent::Deployment(_), "Deployment Hook")
                | (GitLabEvent::DeploymentJobs(_), "Pipeline Hook")
        );
        assert!(kind_ok, "{file}: {:?}", d.event);
    }
}

#[test]
fn forged_deliveries_are_refused_before_parsing() {
    let now = Timestamp::now();
    let body = fixture("merge_request.open.json");
    let forged = accept(
        &auth(),
        &delivery("Merge Request Hook", "guess", &body, now),
        &body,
        now,
    )
    .unwrap_err();
    assert!(matches!(
        forged,
        Rejection::Unauthorized(VerifyError::WrongToken)
    ));
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    // A garbage body with a wrong token is still an authentication failure, not a
    // parse error: nothing is read before the sender is known.
    let junk = b"{not json";
    let err = accept(
        &auth(),
        &delivery("Merge Request Hook", "guess", junk, now),
        junk,
        now,
    )
    .unwrap_err();
    assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
    // Replayed an hour later.
    let old = Timestamp::from_second(now.as_second() - 3600).unwrap();
    let replay = accept(
        &auth(),
        &delivery("Merge Request Hook", "current", &body, old),
        &body,
        now,
    )
    .unwrap_err();
    assert!(matches!(
        replay,
        Rejection::Unauthorized(VerifyError::StaleTimestamp { .. })
    ));
}

#[test]
fn unknown_events_are_acknowledged_and_malformed_known_ones_refused() {
    let now = Timestamp::now();
    let body = br#"{"object_kind":"push"}"#;
    let d = accept(
        &auth(),
        &delivery("Push Hook", "current", body, now),
        body,
        now,
    )
    .unwrap();
    assert!(matches!(
        d.event,
        GitLabEvent::Ignored(Ignored::EventKind(_))
    ));
    let bad = br#"{"object_kind":"merge_request"}"#;
    let err = accept(
        &auth(),
        &delivery("Merge Request Hook", "current", bad, now),
        bad,
        now,
    )
    .unwrap_err();
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn a_delivery_without_a_key_is_refused_and_the_fallback_key_is_used() {
    let now = Timestamp::now();
    let body = fixture("note.merge_request.json");
    // Unsigned deliveries: with a signing token the signed `webhook-id` is the key.
    let unsigned = WebhookAuth {
        signing_key: None,
        ..auth()
    };
    let mut h = delivery("Note Hook", "current", &body, now);
    h.remove("idempotency-key");
    let d = accept(&unsigned, &h, &body, now).unwrap();
    assert_eq!(d.key.as_key(), "event:e-1/hook:w-1");
    h.remove("x-gitlab-webhook-uuid");
    let err = accept(&unsigned, &h, &body, now).unwrap_err();
    assert!(matches!(err, Rejection::NoDeliveryKey));
}

/// With a signing token the key is the signed `webhook-id`: whoever replays a captured
/// delivery within the timestamp tolerance can change the unsigned `Idempotency-Key`
/// (and the event and hook UUIDs), not the signed id.
#[test]
fn a_replay_under_another_idempotency_key_keeps_the_signed_key() {
    let now = Timestamp::now();
    let body = fixture("note.merge_request.json");
    let first = delivery("Note Hook", "current", &body, now);
    let mut replay = first.clone();
    for name in [
        "idempotency-key",
        "x-gitlab-event-uuid",
        "x-gitlab-webhook-uuid",
    ] {
        replay.insert(name, HeaderValue::from_static("replayed-under-a-new-key"));
    }
    let first = accept(&auth(), &first, &body, now).unwrap();
    let replay = accept(&auth(), &replay, &body, now).unwrap();
    assert_eq!(first.key.as_key(), replay.key.as_key());
    assert_eq!(first.key, DeliveryKey::Idempotency(DELIVERY_ID.to_owned()));
}
