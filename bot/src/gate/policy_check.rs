//! The informational `signoff/policy` check (SPEC §8) on a change that edits the policy
//! file: the head's version is linted (failure, annotated at line:column, when it is
//! invalid) and otherwise replayed over the repository's decisions of the last 30 days
//! (success, saying how many it would alter and listing them). It never gates: the gate
//! keeps the base branch's policy and its own status. Forge-neutral: the forge decides
//! how to show it (`Forge::show_policy_check`).
//!
//! The head's file is untrusted input: the core caps its size and aliases; what it says
//! reaches the details only escaped, and the details name only the decisions it changes
//! (time, target, revision, old and new outcome, new summary), never the directory.

use super::Result;
use crate::app::App;
use crate::event::Repo;
use crate::forge::policy_check::{Annotation, AnnotationLevel, PolicyCheck};
use crate::forge::{Change, Forge, ForgeError, StatusState};
use crate::replay::record::Candidate;
use crate::replay::{Report, replay, time};
use crate::store::Store;
use crate::store::history::HistoryFilter;
use std::sync::Arc;

/// How far back the check replays.
pub const WINDOW_DAYS: i64 = 30;
/// Changed decisions listed on the details; the rest are counted.
const LISTED: usize = 100;
/// Diagnostics annotated; the rest are counted.
const MAX_ANNOTATIONS: usize = 200;

/// After the gate answered a change: shows the policy check when the change edits the
/// policy file. Its failures are logged, never passed on: the gate's answer stands.
pub async fn after_gate(app: &App, forge: &dyn Forge, repo: &Repo, change: &Change) {
    if let Err(e) = show(app, forge, repo, change).await {
        tracing::warn!(repo = %repo, number = change.number, error = %e, "cannot show the policy check");
    }
}

async fn show(app: &App, forge: &dyn Forge, repo: &Repo, change: &Change) -> Result<()> {
    if !forge.shows_policy_checks() {
        return Ok(());
    }
    let path = forge.policy_path();
    let forge_name = forge.kind().as_str();
    let repo_name = repo.to_string();
    // One check per head, not one per event on it.
    if app
        .store
        .policy_check_shown(forge_name, &repo_name, &change.head_sha)
        .await?
    {
        return Ok(());
    }
    let paths = forge
        .change_paths(repo, change.number, &change.head_sha)
        .await?;
    if !paths.iter().any(|p| p == path) {
        return Ok(());
    }
    let context = format!("{}/policy", app.config.status_context);
    // A file the forge refuses to give as a policy (a symbolic link, say) is what the
    // gate would refuse after the merge: say so rather than show nothing.
    let file = match forge.policy_file(repo, &change.head_sha).await {
        Ok(file) => Ok(file),
        Err(ForgeError::Fatal(reason)) => Err(reason),
        Err(e) => return Err(e.into()),
    };
    let check = match file {
        Err(reason) => PolicyCheck {
            number: change.number,
            sha: change.head_sha.clone(),
            context,
            state: StatusState::Failure,
            title: "The new policy file cannot be read".to_owned(),
            markdown: format!(
                "`{path}` cannot be read as a policy: {}. After this change is merged the `signoff` gate fails closed until it can.\n",
                escape(&reason)
            ),
            annotations: Vec::new(),
        },
        Ok(None) => PolicyCheck {
            number: change.number,
            sha: change.head_sha.clone(),
            context,
            state: StatusState::Success,
            title: "This change removes the policy file".to_owned(),
            markdown: format!(
                "This change removes `{path}`: after it, only the organisation's policy (if any) applies to this repository.\n"
            ),
            annotations: Vec::new(),
        },
        Ok(Some(text)) => {
            let history = HistoryFilter {
                forge: Some(forge_name.to_owned()),
                repo: Some(repo_name.clone()),
                since: Some(
                    crate::store::now_ms().saturating_sub(WINDOW_DAYS.saturating_mul(86_400_000)),
                ),
                kind: None,
            };
            let deadline = std::time::Instant::now()
                + std::time::Duration::from_secs(app.config.policy_check.replay_secs);
            let mut check = check_text(&app.store, &history, path, &text, deadline).await?;
            check.number = change.number;
            change.head_sha.clone_into(&mut check.sha);
            check.context = context;
            check
        }
    };
    forge.show_policy_check(repo, &check).await?;
    app.store
        .record_policy_check(
            forge_name,
            &repo_name,
            &change.head_sha,
            crate::store::now_ms(),
        )
        .await?;
    tracing::info!(repo = %repo, number = change.number, state = check.state.as_str(), "policy check shown");
    Ok(())
}

/// The check for a policy text (`number`, `sha` and `context` left for the caller to fill
/// in).
pub async fn check_text(
    store: &Store,
    history: &HistoryFilter,
    path: &str,
    text: &str,
    deadline: std::time::Instant,
) -> Result<PolicyCheck> {
    let mut diagnostics = signoff::lint(text, path, None);
    let parsed = signoff::PolicySet::parse(text, path);
    if let (Err(errors), false) = (
        &parsed,
        diagnostics.iter().any(signoff::Diagnostic::is_error),
    ) {
        diagnostics.extend(errors.iter().cloned());
    }
    let annotations: Vec<Annotation> = diagnostics
        .iter()
        .take(MAX_ANNOTATIONS)
        .map(|d| Annotation {
            path: path.to_owned(),
            span: d.span,
            level: if d.is_error() {
                AnnotationLevel::Failure
            } else {
                AnnotationLevel::Warning
            },
            message: format!("{} [{}]", one_line(&d.message), d.code),
        })
        .collect();
    // Any error fails the check, whether the parser or the linter found it.
    let policy = match parsed {
        Ok(policy) if !diagnostics.iter().any(signoff::Diagnostic::is_error) => policy,
        _ => {
            let errors: Vec<&signoff::Diagnostic> =
                diagnostics.iter().filter(|d| d.is_error()).collect();
            let first = errors.first().map_or_else(String::new, |d| {
                format!(": first at line {}, column {}", d.span.line, d.span.col)
            });
            let count = errors.len().max(1);
            return Ok(PolicyCheck {
                number: 0,
                sha: String::new(),
                context: String::new(),
                state: StatusState::Failure,
                title: super::verdict::clip(&format!(
                    "The new policy file is invalid ({count} error{}){first}",
                    if count == 1 { "" } else { "s" }
                )),
                markdown: invalid_markdown(&diagnostics, path),
                annotations,
            });
        }
    };
    let candidate = Arc::new(Candidate {
        repo: policy,
        org: None,
    });
    // The head's file is the author's: its replay is bounded by time.
    let report = replay(store, history, candidate, Some(deadline)).await?;
    let title = if report.stopped {
        format!(
            "This change would alter {} of the {} decisions replayed before the time limit (of the last {WINDOW_DAYS} days)",
            report.changes.len(),
            report.replayed
        )
    } else {
        format!(
            "This change would alter {} of the last {} decisions in this repository ({WINDOW_DAYS} days)",
            report.changes.len(),
            report.replayed
        )
    };
    Ok(PolicyCheck {
        number: 0,
        sha: String::new(),
        context: String::new(),
        state: StatusState::Success,
        title: super::verdict::clip(&title),
        markdown: report_markdown(&report, &diagnostics),
        annotations,
    })
}

/// One line, without the characters Markdown or a code fence would act on.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Text for a Markdown table cell or line: Markdown's active characters escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        if "\\`*_[]<>|#!~&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn invalid_markdown(diagnostics: &[signoff::Diagnostic], path: &str) -> String {
    let mut out = format!(
        "The new `{path}` does not parse; the gate keeps using the base branch's policy.\n\n"
    );
    for d in diagnostics.iter().take(MAX_ANNOTATIONS) {
        out.push_str(&format!(
            "- line {}, column {}: {} {} \\[{}\\]\n",
            d.span.line,
            d.span.col,
            if d.is_error() { "error" } else { "warning" },
            escape(&d.message),
            escape(&d.code)
        ));
    }
    if diagnostics.len() > MAX_ANNOTATIONS {
        out.push_str(&format!(
            "\nand {} more\n",
            diagnostics.len() - MAX_ANNOTATIONS
        ));
    }
    out
}

fn report_markdown(report: &Report, diagnostics: &[signoff::Diagnostic]) -> String {
    let mut out = format!(
        "Replayed against this repository's decisions of the last {WINDOW_DAYS} days: {}.\n\nThis check is informational; the `signoff` gate keeps using the base branch's policy until this change is merged.\n",
        escape(&report.tally())
    );
    if report.stopped {
        out.push_str(
            "\nThe replay stopped at its time limit (`policy_check.replay_secs`): later decisions were not replayed; `signoff replay` replays them all.\n",
        );
    }
    if !report.changes.is_empty() {
        out.push_str(
            "\n| time | target | revision | decision | new summary |\n|---|---|---|---|---|\n",
        );
        for c in report.changes.iter().take(LISTED) {
            let rev: String = c
                .revision
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(12)
                .collect();
            out.push_str(&format!(
                "| {} | {} | `{}` | {} → **{}** | {} |\n",
                time(c.at),
                escape(&c.target),
                rev,
                c.before.as_str(),
                c.after.as_str(),
                escape(&c.summary)
            ));
        }
        if report.changes.len() > LISTED {
            out.push_str(&format!(
                "\nand {} more (`signoff replay` lists them all)\n",
                report.changes.len() - LISTED
            ));
        }
    }
    if !report.skipped.is_empty() {
        out.push_str(&format!(
            "\n{} recorded decisions could not be replayed (recorded before their inputs were kept, or unreadable).\n",
            report.skipped.len()
        ));
    }
    let warnings = diagnostics.iter().filter(|d| !d.is_error()).count();
    if warnings > 0 {
        out.push_str(&format!(
            "\n{warnings} warning{} annotated on the file.\n",
            if warnings == 1 { "" } else { "s" }
        ));
    }
    out
}
