//! GitLab's webhook edge: `POST /webhooks/gitlab`. The body is read within the shared
//! unverified-body budget, authenticated (token, and signature when configured) before
//! it is parsed, mapped to the bot's event and queued. Unknown or irrelevant events get
//! a 2xx: GitLab disables a hook whose deliveries keep failing.

use super::events::to_event;
use super::intake::accept;
use crate::app::App;
use crate::event::ForgeKind;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

pub async fn receive(State(app): State<Arc<App>>, req: Request) -> Response {
    let length = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|l| l > crate::webhook::BODY_LIMIT as u64) {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body over 25 MB\n").into_response();
    }
    let wait = Duration::from_secs(app.config.server.request_timeout_secs.max(2) / 2);
    let Ok(Some(permit)) = tokio::time::timeout(wait, app.intake.reserve(length)).await else {
        tracing::warn!("webhook bodies waiting for verification fill the budget; answered 503");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "busy: too many webhook bodies being read; redeliver later\n",
        )
            .into_response();
    };
    let headers = req.headers().clone();
    let body = match Bytes::from_request(req, &app).await {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let now = jiff::Timestamp::now();
    let accepted = accept(&app.gitlab_settings.webhook, &headers, &body, now);
    drop(permit);
    let delivery = match accepted {
        Ok(delivery) => delivery,
        Err(rejection) => {
            tracing::warn!(error = %rejection, "GitLab delivery refused");
            return (rejection.status(), format!("{rejection}\n")).into_response();
        }
    };
    let event = match to_event(delivery.event, now) {
        Ok(Some(event)) => event,
        Ok(None) => return (StatusCode::OK, "ignored\n").into_response(),
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    let hook = headers
        .get("x-gitlab-webhook-uuid")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    crate::webhook::enqueue(&app, ForgeKind::GitLab, hook, delivery.key.as_key(), event).await
}
