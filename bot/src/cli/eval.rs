//! `signoff eval CASE`: the decision JSON; exit 0 for any decision, 2 for bad input.

use super::read;
use std::path::Path;
use std::process::ExitCode;

pub fn run(case: &Path) -> ExitCode {
    let text = match read(case) {
        Ok(text) => text,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match signoff::evaluate_case(&text, &case.display().to_string()) {
        Ok(decision) => {
            print!("{}", decision.to_json());
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            super::print_diagnostics(&diagnostics);
            ExitCode::from(2)
        }
    }
}
