//! `signoff replay --policy FILE [--org-policy FILE] [--repo R] [--since T] [--kind K]
//! [--format text|json]`: the recorded decisions a candidate policy would change, then
//! the tally. Exit 2 when a policy does not parse.

use super::{Format, read};
use signoff_bot::replay::record::Candidate;
use signoff_bot::replay::{Change, Report, Skipped, time};
use std::path::Path;

/// Reads and parses a candidate policy, or the located diagnostics that say why not.
pub fn candidate_policy(path: &Path) -> Result<signoff::PolicySet, Vec<String>> {
    let text = read(path).map_err(|e| vec![e])?;
    signoff::PolicySet::parse(&text, &path.display().to_string())
        .map_err(|ds| ds.iter().map(ToString::to_string).collect())
}

pub fn candidate(policy: &Path, org: Option<&Path>) -> Result<Candidate, Vec<String>> {
    let repo = candidate_policy(policy);
    let org = org.map(candidate_policy).transpose();
    match (repo, org) {
        (Ok(repo), Ok(org)) => Ok(Candidate { repo, org }),
        (repo, org) => Err(repo.err().into_iter().chain(org.err()).flatten().collect()),
    }
}

fn change_line(c: &Change) -> String {
    let rev: String = c.revision.chars().take(12).collect();
    format!(
        "{} {} {} {} {rev} {} → {}: {}",
        time(c.at),
        c.repo,
        c.kind.as_str(),
        c.target,
        c.before.as_str(),
        c.after.as_str(),
        c.summary
    )
}

fn skipped_line(s: &Skipped) -> String {
    format!(
        "not replayable: audit #{} {} {}: {}",
        s.id, s.repo, s.target, s.reason
    )
}

fn change_json(c: &Change) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "at": time(c.at),
        "repo": c.repo,
        "kind": c.kind.as_str(),
        "target": c.target,
        "revision": c.revision,
        "before": c.before.as_str(),
        "after": c.after.as_str(),
        "summary": c.summary,
    })
}

/// The lines to print: each change, each unreplayable record, then the tally.
pub fn lines(report: &Report, format: Format) -> Vec<String> {
    match format {
        Format::Text => report
            .changes
            .iter()
            .map(change_line)
            .chain(report.skipped.iter().map(skipped_line))
            .chain(std::iter::once(report.tally()))
            .collect(),
        Format::Json => {
            let transitions: Vec<serde_json::Value> = report
                .transitions()
                .iter()
                .map(|((before, after), n)| {
                    serde_json::json!({"before": before.as_str(), "after": after.as_str(), "count": n})
                })
                .collect();
            let skipped: Vec<serde_json::Value> = report
                .skipped
                .iter()
                .map(|s| serde_json::json!({"id": s.id, "repo": s.repo, "target": s.target, "reason": s.reason.to_string()}))
                .collect();
            report
                .changes
                .iter()
                .map(|c| change_json(c).to_string())
                .chain(std::iter::once(
                    serde_json::json!({
                        "replayed": report.replayed,
                        "changed": report.changes.len(),
                        "transitions": transitions,
                        "not_replayable": skipped,
                    })
                    .to_string(),
                ))
                .collect()
        }
    }
}
