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
