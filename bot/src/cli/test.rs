//! `signoff test PATH…`: one line per case, then `N passed, N failed`; exit 1 on any
//! failure. A case that cannot be read or parsed fails with its located message.

use super::read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(paths: &[PathBuf]) -> ExitCode {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files);
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let shown = file.display().to_string();
        match run_case(file, &shown) {
            Ok(name) => {
                passed += 1;
                println!("ok    {shown}  {name}");
            }
            Err((name, problems)) => {
                failed += 1;
                println!("FAIL  {shown}  {name}");
                for p in problems {
                    println!("      {p}");
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 || files.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Case files below a path, sorted, so runs are reproducible.
fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(_) => {
                out.push(path.to_path_buf());
                return;
            }
        };
        entries.sort();
        for entry in entries {
            if entry.is_dir() {
                collect(&entry, out);
            } else if is_case_file(&entry) {
                out.push(entry);
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
}

/// Inside a folder, a YAML or JSON file is a case when its top level has a `request`:
/// tests live beside the policy and directory files they exercise, and those are not
/// cases. A file that does not parse counts, so its error is shown rather than hidden.
/// Files named on the command line always run.
fn is_case_file(path: &Path) -> bool {
    if !matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml" | "json")
    ) {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return true;
    };
    match signoff::from_yaml_str::<serde_json::Value>(&text, "") {
        Ok(value) => value.get("request").is_some(),
        Err(_) => true,
    }
}

fn run_case(file: &Path, shown: &str) -> Result<String, (String, Vec<String>)> {
    let fallback = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = read(file).map_err(|m| (fallback.clone(), vec![m]))?;
    let case = signoff::parse_case(&text, shown).map_err(|ds| {
        (
            fallback.clone(),
            ds.iter().map(ToString::to_string).collect(),
        )
    })?;
    let name = case.name.clone().unwrap_or(fallback);
    let Some(expect) = &case.expect else {
        return Err((name, vec![format!("{shown}: no `expect` block to check")]));
    };
    let decision = signoff::evaluate(&case.policy, &case.input);
    let failures = signoff::check(expect, &decision);
    if failures.is_empty() {
        Ok(name)
    } else {
        Err((name, failures))
    }
}
