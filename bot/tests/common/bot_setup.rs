//! What the GitHub and GitLab harnesses set up alike: the bot's database and test
//! settings, the HTTP client that talks to it, starting and stopping it, and waiting for
//! its queue to drain.

use bytes::Bytes;
use http_body_util::Full;
use signoff_bot::config::Config;
use signoff_bot::server::{self, Running};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub type Client = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Full<Bytes>,
>;

pub fn client() -> Client {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// The bot's settings for a test in `dir`: a fresh database (Postgres when
/// `SIGNOFF_TEST_POSTGRES` names a server, else SQLite in `dir`), fast retries, and
/// policies read anew on every event (tests change them between events).
pub async fn config(dir: &Path) -> Config {
    let database = match std::env::var("SIGNOFF_TEST_POSTGRES") {
        Ok(server) => super::postgres::fresh_postgres(&server).await,
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

/// Waits until `f` holds (the bot's timers act on their own), for at most 10 s.
pub async fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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

/// The bot under test, in-process: its settings (tests change them and restart it), the
/// folder its database lives in, the client that talks to it and the delivery ids handed
/// out so far. Each forge's harness holds one and reaches it by `Deref`, so a test says
/// `h.config` and `h.bot()` whichever forge it drives.
pub struct TestBot {
    pub config: Config,
    running: Option<Running>,
    client: Client,
    deliveries: AtomicU64,
    _dir: tempfile::TempDir,
}

impl TestBot {
    /// Starts the bot on `config`, whose database lives in `dir` (see [`config`]).
    pub async fn start(dir: tempfile::TempDir, config: Config) -> TestBot {
        let mut bot = TestBot {
            config,
            running: None,
            client: client(),
            deliveries: AtomicU64::new(0),
            _dir: dir,
        };
        bot.start_bot().await;
        bot
    }

    pub async fn start_bot(&mut self) {
        self.running = Some(server::start(self.config.clone()).await.unwrap());
    }

    /// Stops the bot as an operator would: workers finish what they hold.
    pub async fn stop_bot(&mut self) {
        if let Some(bot) = self.running.take() {
            bot.stop().await;
        }
    }

    /// Ends the bot as `kill -9` would: no worker finishes what it holds.
    pub fn kill_bot(&mut self) {
        if let Some(bot) = self.running.take() {
            bot.kill();
        }
    }

    pub fn bot(&self) -> &Running {
        self.running.as_ref().expect("bot running")
    }

    /// Where the bot listens: `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.bot().addr)
    }

    /// A fresh delivery id.
    pub fn delivery(&self) -> String {
        let n = self.deliveries.fetch_add(1, Ordering::Relaxed);
        format!("delivery-{n}")
    }

    /// Sends a request to the bot; returns status and text.
    pub async fn send(&self, request: http::Request<Full<Bytes>>) -> (u16, String) {
        answer(self.client.request(request).await.unwrap()).await
    }

    /// A GET of `url` (a page of the bot's): status and text.
    pub async fn get_url(&self, url: &str) -> (u16, String) {
        let uri: http::Uri = url.parse().unwrap();
        answer(self.client.get(uri).await.unwrap()).await
    }

    /// Waits until no delivery is queued or running; failed ones may stay.
    pub async fn settle_allowing_failures(&self) {
        settle_allowing_failures(self.bot()).await;
    }

    /// Fails the test on any failed delivery.
    pub async fn assert_no_failures(&self) {
        let failures = self.bot().app.store.failures().await.unwrap();
        assert!(failures.is_empty(), "failed deliveries: {failures:?}");
    }
}

/// `impl Deref<Target = TestBot>` (and `DerefMut`) for a forge's harness holding its
/// `TestBot` in `$field`.
macro_rules! reaches_the_bot_under_test {
    ($harness:ty, $field:ident) => {
        impl std::ops::Deref for $harness {
            type Target = $crate::common::bot_setup::TestBot;
            fn deref(&self) -> &Self::Target {
                &self.$field
            }
        }

        impl std::ops::DerefMut for $harness {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.$field
            }
        }
    };
}
pub(crate) use reaches_the_bot_under_test;
