//! `signoff lint FILE… [--directory FILE] [--format text|json]`: exit 1 on any error.

use super::{Format, read};
use signoff::{Diagnostic, Directory};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(files: &[PathBuf], directory: Option<&Path>, format: Format) -> ExitCode {
    let mut all: Vec<Diagnostic> = Vec::new();
    let mut unreadable = Vec::new();
    let directory: Option<Directory> = match directory {
        Some(path) => match read(path) {
            Ok(text) => match signoff::from_yaml_str(&text, &path.display().to_string()) {
                Ok(d) => Some(d),
                Err(diagnostics) => {
                    super::print_diagnostics(&diagnostics);
                    return ExitCode::from(2);
                }
            },
            Err(message) => {
                eprintln!("{message}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    for file in files {
        match read(file) {
            Ok(text) => all.extend(signoff::lint(
                &text,
                &file.display().to_string(),
                directory.as_ref(),
            )),
            Err(message) => unreadable.push(message),
        }
    }
    match format {
        Format::Text => {
            for d in &all {
                println!("{d}");
            }
        }
        Format::Json => match serde_json::to_string_pretty(&all) {
            Ok(json) => println!("{json}"),
            Err(e) => eprintln!("error: {e}"),
        },
    }
    for message in &unreadable {
        eprintln!("{message}");
    }
    if !unreadable.is_empty() || all.iter().any(Diagnostic::is_error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
