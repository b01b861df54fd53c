//! GitHub's webhook edge: `X-Hub-Signature-256` checked against every configured secret
//! before the body is parsed, then the payload mapped to the bot's event and queued.

use crate::app::App;
use crate::event::ForgeKind;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::sync::Arc;

/// A GitHub delivery whose `X-Hub-Signature-256` matched one of the configured secrets.
pub struct VerifiedGitHub {
    pub event: String,
    pub delivery: String,
    pub hook_id: String,
    pub body: Bytes,
}

impl FromRequest<Arc<App>> for VerifiedGitHub {
    type Rejection = Response;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let (signature, event, delivery, hook_id) = {
            let header = |name: &str| {
                req.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            (
                header("x-hub-signature-256"),
                header("x-github-event"),
                header("x-github-delivery"),
                header("x-github-hook-id").unwrap_or_default(),
            )
        };
        let Some(signature) = signature else {
            return Err((StatusCode::UNAUTHORIZED, "missing X-Hub-Signature-256\n").into_response());
        };
        let permit = crate::webhook::reserve_body(app, req.headers()).await?;
        let body = Bytes::from_request(req, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let verified = super::signature::verify_github(&app.github_secrets, &signature, &body);
        drop(permit);
        if !verified {
            tracing::warn!(
                delivery = delivery.as_deref().unwrap_or(""),
                "webhook signature mismatch"
            );
            return Err((StatusCode::UNAUTHORIZED, "bad signature\n").into_response());
        }
        let (Some(event), Some(delivery)) = (event, delivery) else {
            return Err((
                StatusCode::BAD_REQUEST,
                "missing X-GitHub-Event or X-GitHub-Delivery\n",
            )
                .into_response());
        };
        if !is_delivery_guid(&delivery) {
            return Err((
                StatusCode::BAD_REQUEST,
                "X-GitHub-Delivery is not a GUID (letters, digits and hyphens)\n",
            )
                .into_response());
        }
        Ok(VerifiedGitHub {
            event,
            delivery,
            hook_id,
            body,
        })
    }
}

/// Is `id` shaped like GitHub's delivery GUIDs: letters, digits and hyphens, at most 64?
/// The header is not signed, and a delivery's id is its key in the queue: one replayed
/// under the id of a delivery the bot queues itself (`recheck:…`, `…@run…#…`, all with
/// other characters) would have that one dropped as a duplicate, and an answer time takes
/// back would stand.
fn is_delivery_guid(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `POST /webhooks/github`.
pub async fn receive(State(app): State<Arc<App>>, hook: VerifiedGitHub) -> Response {
    let event = match super::payloads::parse(&hook.event, &hook.body) {
        Ok(Some(event)) if event.concerns(&app.config.status_context) => event,
        Ok(_) => return (StatusCode::OK, "ignored\n").into_response(),
        Err(e) => {
            tracing::warn!(delivery = hook.delivery, error = %e, "unreadable delivery");
            return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response();
        }
    };
    crate::webhook::enqueue(&app, ForgeKind::GitHub, hook.hook_id, hook.delivery, event).await
}

#[cfg(test)]
mod tests {
    use super::is_delivery_guid;

    #[test]
    fn github_s_guids_are_delivery_ids_and_the_bot_s_own_ids_are_not() {
        assert!(is_delivery_guid("72d3162e-cc78-11e3-81ab-4c9367dc0958"));
        for own in ["recheck:acme/app!1@1764567600001", "acme/app@run42#5881"] {
            assert!(!is_delivery_guid(own), "{own}");
        }
        assert!(!is_delivery_guid(""));
        assert!(!is_delivery_guid(&"a".repeat(65)));
    }
}
