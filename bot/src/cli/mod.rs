//! The command-line subcommands: thin shells that read files, call the core and print.

pub mod eval;
pub mod lint;
pub mod replay;
pub mod test;

use std::path::Path;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Reads a file as UTF-8, or says why not in a located line.
pub fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("{}:1:1: error: cannot read file: {e} [io]", path.display()))
}

pub fn print_diagnostics(diagnostics: &[signoff::Diagnostic]) {
    for d in diagnostics {
        eprintln!("{d}");
    }
}
