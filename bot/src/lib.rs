//! The signoff bot: configuration, webhook intake, durable queue, forge adapters, gates,
//! pages and the audit log. The `signoff` binary's `serve` and `audit` run this.

pub mod app;
pub mod audit;
pub mod config;
pub mod dead_letters;
pub mod event;
pub mod forge;
pub mod forges;
pub mod gate;
pub mod metrics;
pub mod pages;
pub mod replay;
pub mod server;
pub mod store;
pub mod webhook;
pub mod worker;

/// Installs the log subscriber: `SIGNOFF_LOG` (default `info`) filters, JSON on request.
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SIGNOFF_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
