//! One delivery from headers and raw body to a verified, keyed, parsed event, in the
//! order the server must follow: authenticate before reading anything, then the
//! delivery key, then the payload. The axum extractor of the wiring calls [`accept`].

use super::payloads::{self, GitLabEvent, ParseError};
use super::settings::WebhookAuth;
use super::verify::{self, DeliveryKey, VerifyError};
use http::{HeaderMap, StatusCode};
use jiff::Timestamp;

/// A delivery to store (its key) and act on (its event; `Ignored` is acknowledged only).
#[derive(Debug)]
pub struct Delivery {
    pub key: DeliveryKey,
    pub event: GitLabEvent,
}

/// Why a delivery is refused. Only these get a 4xx: GitLab disables hooks that keep
/// failing, so everything else (unknown events, irrelevant actions) is acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    #[error("unauthenticated delivery: {0}")]
    Unauthorized(#[from] VerifyError),
    #[error(
        "delivery has neither webhook-id (signed), Idempotency-Key nor X-Gitlab-Event-UUID with X-Gitlab-Webhook-UUID"
    )]
    NoDeliveryKey,
    #[error("delivery has no X-Gitlab-Event header")]
    NoEventHeader,
    #[error(transparent)]
    Malformed(#[from] ParseError),
}

impl Rejection {
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Rejection::NoDeliveryKey | Rejection::NoEventHeader | Rejection::Malformed(_) => {
                StatusCode::BAD_REQUEST
            }
        }
    }
}

pub fn accept(
    auth: &WebhookAuth,
    headers: &HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> Result<Delivery, Rejection> {
    verify::verify(auth, headers, body, now)?;
    let signed = auth.signing_key.is_some();
    let key = verify::delivery_key(headers, signed).ok_or(Rejection::NoDeliveryKey)?;
    let event_header = headers
        .get("x-gitlab-event")
        .and_then(|v| v.to_str().ok())
        .ok_or(Rejection::NoEventHeader)?;
    let event = payloads::parse(event_header, body)?;
    Ok(Delivery { key, event })
}
