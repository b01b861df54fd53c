//! The `signoff` binary run as an operator runs it, in test binaries.

use std::process::{Command, Output};

/// `signoff` that inherits no `SIGNOFF_*` variable, so only what the test sets counts.
pub fn signoff_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_signoff"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("SIGNOFF_")) {
        command.env_remove(key);
    }
    command
}

/// `signoff ARGS` on `database`, run to the end.
pub fn signoff(database: &str, args: &[&str]) -> Output {
    signoff_command()
        .args(args)
        .env("SIGNOFF_DATABASE", database)
        .output()
        .unwrap()
}

/// Output as text, as a terminal would show it.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
