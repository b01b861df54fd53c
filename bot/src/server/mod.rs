//! `signoff serve`: the axum server, the workers, graceful shutdown.

mod listen;
mod single;

use crate::app::App;
use crate::config::{Config, Secret};
use crate::forges::github::GitHub;
use crate::forges::github::client::GitHubClient;
use crate::store::Store;
use crate::{forges, pages, webhook};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

/// A started server: its address, and the handle to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    /// True when another process already uses this SQLite file (said at start: SQLite
    /// is for one process; replicas share PostgreSQL).
    pub sqlite_shared: bool,
    instance: String,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
}

fn random_key() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| format!("no randomness for the details key: {e}"))?;
    Ok(hex::encode(bytes))
}

/// Connects the store, binds the address, starts the server and the workers.
pub async fn start(config: Config) -> Result<Running, String> {
    config.check()?;
    let store = Store::connect(&config.database)
        .await
        .map_err(|e| format!("database {}: {e}", crate::store::redact(&config.database)))?;
    let github = if config.github.token.is_some() || config.github.app_id.is_some() {
        let client = GitHubClient::new(&config.github)?;
        let ttl = Duration::from_secs(config.cache.ttl_secs);
        let policy_ttl = Duration::from_secs(config.cache.policy_ttl_secs);
        Some(Arc::new(GitHub::new(
            client,
            ttl,
            policy_ttl,
            config.github.check_runs,
            &config.github.api_url,
        )))
    } else {
        tracing::warn!(
            "no github.token or github.app_id: the bot cannot read from or post to GitHub"
        );
        None
    };
    let github_secrets = config.github_secrets();
    if github_secrets.is_empty() {
        tracing::warn!("no github.webhook_secret: every GitHub delivery is refused with 401");
    }
    let gitlab_settings =
        forges::gitlab::GitLabSettings::from_config(&config.gitlab).map_err(|e| e.to_string())?;
    let gitlab = match &gitlab_settings.token {
        Some(token) => {
            let client = forges::gitlab::GitLabClient::new(
                &gitlab_settings.api_url,
                forges::gitlab::Auth::PrivateToken(token.clone()),
            )
            .map_err(|e| format!("gitlab: {e}"))?;
            Some(Arc::new(
                forges::gitlab::GitLab::new(
                    client,
                    &gitlab_settings.api_url,
                    (
                        Duration::from_secs(config.cache.ttl_secs),
                        Duration::from_secs(config.cache.policy_ttl_secs),
                    ),
                    &config.status_context,
                )
                .approving_merge_requests(gitlab_settings.approve_merge_requests),
            ))
        }
        None => None,
    };
    let org_policy = match &config.policy {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("policy {}: {e}", path.display()))?;
            let name = path.display().to_string();
            if let Err(diagnostics) = signoff::PolicySet::parse(&text, &name) {
                for d in &diagnostics {
                    tracing::error!("{d}");
                }
                tracing::error!(
                    "the organisation policy is invalid: every gate fails until it is fixed"
                );
            }
            Some((name, text))
        }
    };
    let instance = random_key()?;
    let sqlite_shared = single::claim(&store, &instance).await;
    let details_key = match &config.details_key {
        Some(key) => key.clone(),
        None => Secret::new(
            store
                .setting_or_insert("details_key", &random_key()?)
                .await
                .map_err(|e| e.to_string())?,
        ),
    };
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("listen {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let workers = config.workers;
    let public_url = match &config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{addr}"),
    };
    let unverified_kib = usize::try_from(config.server.unverified_body_mb.saturating_mul(1024))
        .unwrap_or(usize::MAX)
        .min(tokio::sync::Semaphore::MAX_PERMITS);
    let app = Arc::new(App {
        intake: crate::webhook::intake::Intake::spawn(store.clone(), unverified_kib),
        public_url,
        config,
        store,
        github,
        github_secrets,
        gitlab,
        gitlab_settings,
        org_policy,
        details_key,
        work: Notify::new(),
        metrics: crate::metrics::Metrics::default(),
        commands: std::sync::Mutex::new(std::collections::HashMap::new()),
    });
    let (stop, stopped) = watch::channel(false);
    let router = router(Arc::clone(&app));
    let header_timeout = Duration::from_secs(app.config.server.request_timeout_secs.max(1));
    let server = tokio::spawn(listen::serve(
        listener,
        router,
        header_timeout,
        stopped.clone(),
    ));
    let mut workers: Vec<JoinHandle<()>> = (0..workers)
        .map(|i| tokio::spawn(crate::worker::run(Arc::clone(&app), i, stopped.clone())))
        .collect();
    if store_is_sqlite(&app) {
        workers.push(tokio::spawn(renew_note(
            Arc::clone(&app),
            instance.clone(),
            stopped.clone(),
        )));
    }
    if app.config.workers > 0 && !store_is_sqlite(&app) {
        workers.push(tokio::spawn(crate::worker::wake::listen(
            Arc::clone(&app),
            stopped.clone(),
        )));
    }
    if app.config.workers > 0 {
        workers.push(tokio::spawn(crate::worker::recheck(
            Arc::clone(&app),
            stopped.clone(),
        )));
        workers.push(tokio::spawn(crate::worker::due::run(
            Arc::clone(&app),
            stopped.clone(),
        )));
    }
    tracing::info!(%addr, "signoff listening");
    Ok(Running {
        addr,
        app,
        sqlite_shared,
        instance,
        stop,
        server,
        workers,
    })
}

fn store_is_sqlite(app: &App) -> bool {
    app.store.backend == crate::store::Backend::Sqlite
}

/// Keeps this process's SQLite note fresh (see `single`).
async fn renew_note(app: Arc<App>, instance: String, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(single::BEAT) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        single::note(&app.store, &instance).await;
    }
}

impl Running {
    /// Ends the server and the workers at once, wherever they are (what `kill -9` does
    /// to the process): for crash tests. Work in hand is taken over when its lease ends.
    pub fn kill(self) {
        self.server.abort();
        for w in &self.workers {
            w.abort();
        }
    }

    /// Stops accepting, lets requests in flight and workers with a delivery in hand
    /// finish within `server.drain_secs`, abandons what is left then (its lease runs
    /// out and it is taken over), closes the store.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let deadline = Duration::from_secs(self.app.config.server.drain_secs);
        let mut aborts = vec![self.server.abort_handle()];
        aborts.extend(self.workers.iter().map(JoinHandle::abort_handle));
        let drain = async {
            if let Err(e) = self.server.await {
                tracing::error!(error = %e, "server task");
            }
            for w in self.workers {
                let _ = w.await;
            }
        };
        if tokio::time::timeout(deadline, drain).await.is_err() {
            tracing::warn!(
                drain_secs = deadline.as_secs(),
                "drain deadline passed: abandoning requests and deliveries still in hand (taken over when their lease ends)"
            );
            for a in aborts {
                a.abort();
            }
        }
        single::release(&self.app.store, &self.instance).await;
        self.app.store.close().await;
    }
}

pub fn router(app: Arc<App>) -> Router {
    let web_dir = app.config.web_dir.clone();
    let router = Router::new()
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .route(
            "/webhooks/github",
            post(forges::github::intake::receive).layer(DefaultBodyLimit::max(webhook::BODY_LIMIT)),
        )
        .route(
            "/webhooks/gitlab",
            post(forges::gitlab::receive).layer(DefaultBodyLimit::max(webhook::BODY_LIMIT)),
        )
        .route("/details/{id}/{signature}", get(pages::details::page));
    let router = if web_dir.join("index.html").is_file() {
        router.fallback_service(ServeDir::new(web_dir))
    } else {
        let shown = web_dir.display().to_string();
        router.fallback(get(move || pages::home_unbuilt(shown.clone())))
    };
    router
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            time_limit,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

/// Every request, body included, within `server.request_timeout_secs`; a slow sender
/// gets 408 and its connection back.
async fn time_limit(
    State(app): State<Arc<App>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let limit = Duration::from_secs(app.config.server.request_timeout_secs.max(1));
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "request timeout\n").into_response(),
    }
}

/// Constant time: both sides hashed first, so neither length nor a prefix leaks.
fn same_secret(given: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (
        Sha256::digest(given.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Whether this replica can reach the database (a load balancer takes it out of
/// rotation on 503): a trivial query, answered within two seconds.
async fn health(State(app): State<Arc<App>>) -> impl IntoResponse {
    if app.store.reachable(Duration::from_secs(2)).await {
        (StatusCode::OK, "ok\n")
    } else {
        tracing::error!("health check: the database does not answer");
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
    }
}

async fn metrics(
    State(app): State<Arc<App>>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if let Some(token) = &app.config.server.metrics_token {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !same_secret(given, token.expose()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(axum::http::header::WWW_AUTHENTICATE, "Bearer")],
                "unauthorized\n",
            )
                .into_response();
        }
    }
    let mut out = String::new();
    if let Ok(c) = app.store.counts().await {
        // Deliveries given up on (after their last attempt, refused, or abandoned by a
        // worker every time): each failed its gate closed; see `signoff dead-letters`.
        out.push_str(&format!("signoff_dead_letters {}\n", c.failed));
        for (state, n) in [
            ("queued", c.queued),
            ("running", c.running),
            ("done", c.done),
            ("failed", c.failed),
        ] {
            out.push_str(&format!("signoff_deliveries{{state=\"{state}\"}} {n}\n"));
        }
    }
    if let Ok(q) = app.store.queue_figures().await {
        let age = q.oldest_received_at.map_or(0.0, |at| {
            (crate::store::now_ms() - at).max(0) as f64 / 1000.0
        });
        out.push_str(&format!(
            "signoff_queue_depth {}\nsignoff_queue_oldest_age_seconds {age}\nsignoff_delivery_attempts {}\n",
            q.depth, q.attempts
        ));
    }
    out.push_str(&app.metrics.render(|kind| {
        match kind {
            crate::event::ForgeKind::GitHub => app
                .github
                .as_ref()
                .map(|gh| gh.client.calls.load(std::sync::atomic::Ordering::Relaxed)),
            crate::event::ForgeKind::GitLab => None,
        }
    }));
    if let Some(gh) = &app.github {
        use std::sync::atomic::Ordering;
        out.push_str(&format!(
            "signoff_github_api_calls_total {}\n",
            gh.client.calls.load(Ordering::Relaxed)
        ));
        out.push_str(&format!(
            "signoff_github_not_modified_total {}\n",
            gh.client.not_modified.load(Ordering::Relaxed)
        ));
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        out,
    )
        .into_response()
}

/// Runs until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> Result<(), String> {
    let running = start(config).await?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
