//! Webhook intake shared by the forges: each forge's extractor (in its folder) verifies
//! before anything is parsed and maps the payload to the bot's event; this records it
//! durably (deduplicated), acknowledges, and wakes a worker.

pub mod intake;

use crate::app::App;
use crate::event::ForgeKind;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Largest delivery accepted (GitHub caps payloads at 25 MB).
pub const BODY_LIMIT: usize = 25 * 1024 * 1024;

/// Room in the unverified-body budget for a delivery whose headers are `headers`, before
/// its body is read: 413 over the size limit, 503 ("busy", the forge redelivers) when
/// the budget stays full for half the request time. Dropping the permit gives it back.
pub async fn reserve_body(
    app: &App,
    headers: &axum::http::HeaderMap,
) -> Result<tokio::sync::OwnedSemaphorePermit, Response> {
    let length = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|l| l > BODY_LIMIT as u64) {
        return Err((StatusCode::PAYLOAD_TOO_LARGE, "body over 25 MB\n").into_response());
    }
    let wait = std::time::Duration::from_secs(app.config.server.request_timeout_secs.max(2) / 2);
    match tokio::time::timeout(wait, app.intake.reserve(length)).await {
        Ok(Some(permit)) => Ok(permit),
        _ => {
            tracing::warn!("webhook bodies waiting for verification fill the budget; answered 503");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "busy: too many webhook bodies being read; redeliver later\n",
            )
                .into_response())
        }
    }
}

/// Records a verified, mapped delivery durably (deduplicated on the forge's delivery id)
/// and acknowledges it: 202 once stored, 200 for a duplicate, 503 when the store cannot
/// take it (the forge redelivers).
pub async fn enqueue(
    app: &App,
    forge: ForgeKind,
    hook_id: String,
    delivery_id: String,
    event: crate::event::Event,
) -> Response {
    let key = event.work_key_on(forge.as_str());
    let name = event.name();
    let row = crate::store::queue::NewDelivery {
        forge: forge.as_str().to_owned(),
        hook_id,
        delivery_id: delivery_id.clone(),
        event,
    };
    match app.intake.record(row).await {
        Ok(true) => {
            tracing::debug!(delivery = delivery_id, event = name, key, "queued");
            app.work.notify_one();
            (StatusCode::ACCEPTED, "queued\n").into_response()
        }
        Ok(false) => (StatusCode::OK, "duplicate\n").into_response(),
        Err(e) => {
            tracing::error!(delivery = delivery_id, error = %e, "cannot store delivery");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot store the delivery; redeliver later\n",
            )
                .into_response()
        }
    }
}
