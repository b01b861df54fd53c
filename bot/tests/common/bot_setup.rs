//! What the GitHub and GitLab harnesses set up alike: the bot's database and test
//! settings, the HTTP client that talks to it, and waiting for its queue to drain.

use signoff_bot::config::Config;
use signoff_bot::server::Running;
use std::path::Path;
use std::time::{Duration, Instant};

pub type Client = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<bytes::Bytes>,
>;

pub fn client() -> Client {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// The bot's settings for a test in `dir`: a fresh database (Postgres when
/// `SIGNOFF_TEST_POSTGRES` names a server, else SQLite in `dir`), fast retries, and
/// policies read anew on every event (tests change them between events).
pub async fn config(dir: &Path) -> Config {
    let database = match std::env::var("SIGNOFF_TEST_POSTGRES") {
        Ok(server) => crate::postgres::fresh_postgres(&server).await,
        Err(_) => format!("sqlite://{}", dir.join("signoff.db").display()),
    };
    let mut config = Config {
        listen: "127.0.0.1:0".into(),
        database,
        ..Config::default()
    };
    config.web_dir = dir.join("no-web");
    config.workers = 2;
    config.queue.backoff_base_ms = 5;
    config.queue.backoff_max_ms = 50;
    config.queue.poll_ms = 20;
    config.queue.max_attempts = 4;
    config.cache.policy_ttl_secs = 0;
    config
}

/// The bot's answer: its status code and body.
pub async fn answer(res: http::Response<hyper::body::Incoming>) -> (u16, String) {
    let status = res.status().as_u16();
    let text = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8_lossy(&text).into_owned())
}

/// Waits until no delivery is queued or running (for at most 20 s); failed ones may stay.
pub async fn settle_allowing_failures(bot: &Running) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let c = bot.app.store.counts().await.unwrap();
        if c.queued == 0 && c.running == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "work left unprocessed: {c:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
