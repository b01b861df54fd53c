//! `signoff`: lint policies, evaluate and test cases, and (later) serve the bot.

mod cli;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "signoff", version = signoff::VERSION, about = "Approval policies: lint, evaluate, test")]
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
    }
}
