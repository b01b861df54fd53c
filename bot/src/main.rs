//! `signoff`: lint policies, evaluate and test cases, serve the bot, list its audit log.

mod cli;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "signoff", version = signoff::VERSION, about = "Approval policies: lint, evaluate, test, serve")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check policy files; prints `file:line:col: error|warning: message [code]`.
    Lint {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// A directory file (users, groups, tokens) to check groups and satisfiability against.
        #[arg(long)]
        directory: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: cli::Format,
    },
    /// Evaluate a case file and print the decision JSON.
    Eval { case: PathBuf },
    /// Run case files (folders recursively) and check their `expect` blocks.
    Test {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Run the webhook bot (configuration: file, then SIGNOFF_* variables; see docs/bot.md).
    Serve {
        /// A TOML configuration file; without one, the embedded defaults.
        #[arg(long, env = "SIGNOFF_CONFIG")]
        config: Option<PathBuf>,
    },
    /// List the decisions the bot posted, oldest first.
    Audit {
        #[arg(long, env = "SIGNOFF_CONFIG")]
        config: Option<PathBuf>,
        /// Only this repository (`owner/name`).
        #[arg(long)]
        repo: Option<String>,
        /// From this time (RFC 3339) or this long ago (`24h`, `7d`).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: cli::Format,
    },
    /// Evaluate a candidate policy on the recorded inputs of past decisions; print those
    /// it would change, then a tally.
    Replay {
        #[arg(long, env = "SIGNOFF_CONFIG")]
        config: Option<PathBuf>,
        /// The candidate repository policy.
        #[arg(long)]
        policy: PathBuf,
        /// A candidate organisation policy (otherwise the recorded one's answers stand).
        #[arg(long)]
        org_policy: Option<PathBuf>,
        /// Only this repository (`owner/name`).
        #[arg(long)]
        repo: Option<String>,
        /// From this time (RFC 3339) or this long ago (`24h`, `30d`).
        #[arg(long)]
        since: Option<String>,
        /// Only `pull_request` or `deployment` decisions.
        #[arg(long, value_parser = parse_kind)]
        kind: Option<signoff_bot::store::audit::TargetKind>,
        #[arg(long, value_enum, default_value = "text")]
        format: cli::Format,
    },
    /// List deliveries the bot gave up on (and failed closed), or queue them again.
    DeadLetters {
        #[arg(long, env = "SIGNOFF_CONFIG")]
        config: Option<PathBuf>,
        /// Queue this dead letter again (its id from the list), with fresh attempts.
        #[arg(long, conflicts_with = "retry_all")]
        retry: Option<i64>,
        /// Queue every dead letter again.
        #[arg(long)]
        retry_all: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: cli::Format,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Command::Lint {
            files,
            directory,
            format,
        } => cli::lint::run(&files, directory.as_deref(), format),
        Command::Eval { case } => cli::eval::run(&case),
        Command::Test { paths } => cli::test::run(&paths),
        Command::Serve { config } => serve(config.as_deref()),
        Command::Audit {
            config,
            repo,
            since,
            format,
        } => audit(config.as_deref(), repo.as_deref(), since.as_deref(), format),
        Command::Replay {
            config,
            policy,
            org_policy,
            repo,
            since,
            kind,
            format,
        } => replay(
            config.as_deref(),
            &policy,
            org_policy.as_deref(),
            signoff_bot::store::history::HistoryFilter {
                forge: None,
                repo,
                since: None,
                kind,
            },
            since.as_deref(),
            format,
        ),
        Command::DeadLetters {
            config,
            retry,
            retry_all,
            format,
        } => {
            let retry = match (retry, retry_all) {
                (Some(id), _) => signoff_bot::dead_letters::Retry::One(id),
                (None, true) => signoff_bot::dead_letters::Retry::All,
                (None, false) => signoff_bot::dead_letters::Retry::None,
            };
            let json = matches!(format, cli::Format::Json);
            print_from_database(config.as_deref(), |database| async move {
                signoff_bot::dead_letters::run(&database, retry, json).await
            })
        }
    }
}

/// Loads the configuration, runs `list` on its database and prints the lines it gives
/// (`signoff audit`, `signoff dead-letters`).
fn print_from_database<F, Fut>(config: Option<&std::path::Path>, list: F) -> ExitCode
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<Vec<String>, String>>,
{
    let config = match load(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(list(config.database)) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("signoff: {e}");
            ExitCode::from(2)
        }
    }
}

fn load(config: Option<&std::path::Path>) -> Result<signoff_bot::config::Config, ExitCode> {
    signoff_bot::config::Config::load(config, std::env::vars()).map_err(|e| {
        eprintln!("signoff: configuration: {e}");
        ExitCode::from(2)
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("signoff: {e}");
            ExitCode::FAILURE
        })
}

fn serve(config: Option<&std::path::Path>) -> ExitCode {
    let config = match load(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    signoff_bot::init_logging(config.log_format == signoff_bot::config::LogFormat::Json);
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(signoff_bot::server::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("signoff: {e}");
            ExitCode::FAILURE
        }
    }
}

fn audit(
    config: Option<&std::path::Path>,
    repo: Option<&str>,
    since: Option<&str>,
    format: cli::Format,
) -> ExitCode {
    let json = matches!(format, cli::Format::Json);
    print_from_database(config, |database| async move {
        signoff_bot::audit::run(&database, repo, since, json).await
    })
}

fn parse_kind(text: &str) -> Result<signoff_bot::store::audit::TargetKind, String> {
    signoff_bot::store::audit::TargetKind::parse(text)
        .ok_or_else(|| format!("expected pull_request or deployment, got {text:?}"))
}

fn replay(
    config: Option<&std::path::Path>,
    policy: &std::path::Path,
    org_policy: Option<&std::path::Path>,
    mut filter: signoff_bot::store::history::HistoryFilter,
    since: Option<&str>,
    format: cli::Format,
) -> ExitCode {
    let candidate = match cli::replay::candidate(policy, org_policy) {
        Ok(c) => std::sync::Arc::new(c),
        Err(diagnostics) => {
            for d in diagnostics {
                eprintln!("{d}");
            }
            return ExitCode::from(2);
        }
    };
    if let Some(since) = since {
        match signoff_bot::audit::parse_since(since, jiff::Timestamp::now()) {
            Ok(ms) => filter.since = Some(ms),
            Err(e) => {
                eprintln!("signoff: {e}");
                return ExitCode::from(2);
            }
        }
    }
    print_from_database(config, |database| async move {
        let store = signoff_bot::store::Store::connect(&database)
            .await
            .map_err(|e| format!("database {}: {e}", signoff_bot::store::redact(&database)))?;
        let report = signoff_bot::replay::replay(&store, &filter, candidate, None).await;
        store.close().await;
        Ok(cli::replay::lines(
            &report.map_err(|e| e.to_string())?,
            format,
        ))
    })
}
