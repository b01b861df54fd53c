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

pub async fn receive(State(app): State<Arc<App>>, req: Request) -> Response {
    let permit = match crate::webhook::reserve_body(&app, req.headers()).await {
        Ok(permit) => permit,
        Err(refused) => return refused,
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
    let event = match to_event(delivery.event, now, &app.config.status_context) {
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
