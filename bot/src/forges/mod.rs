//! Forge adapters, one folder per forge: each verifies its webhooks, turns payloads
//! into the bot's events and implements the [`Forge`](crate::forge::Forge) seam.

pub mod github;
pub mod gitlab;

use crate::app::App;
use crate::event::ForgeKind;
use crate::forge::Forge;
use crate::gate::{HandlerError, Result};

/// A handle on `kind` for one event, acting for `tenant`: the adapter is chosen from the
/// forge the delivery was stored with, never guessed from the event.
pub fn handle(app: &App, kind: ForgeKind, tenant: Option<u64>) -> Result<Box<dyn Forge>> {
    let not_configured = || HandlerError::Other(format!("{} is not configured", kind.as_str()));
    match kind {
        ForgeKind::GitHub => {
            let github = app.github.as_ref().ok_or_else(not_configured)?;
            Ok(Box::new(github.handle(tenant)?))
        }
        ForgeKind::GitLab => {
            let gitlab = app.gitlab.as_ref().ok_or_else(not_configured)?;
            Ok(Box::new(gitlab.handle()))
        }
    }
}

/// On the recheck timer: queues a look for waiting deployments at the forges that do
/// not announce every one (GitLab), for the period `bucket`.
pub async fn look_for_waiting(app: &App, bucket: i64) {
    gitlab::poll::queue_polls(app, bucket).await;
}
