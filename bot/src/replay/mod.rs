//! `signoff replay`: a candidate policy evaluated on the recorded inputs of past
//! decisions, and the decisions it would change. Shared by the command line and the
//! `signoff/policy` check on a pull request that changes the policy file.

pub mod record;

use crate::gate::verdict::GateOutcome;
use crate::store::Store;
use crate::store::audit::TargetKind;
use crate::store::history::{HistoryFilter, RecordedDecision};
use record::{Candidate, NotReplayable, redecide};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// Records read per page: large enough to keep both cores busy, small enough to bound
/// memory whatever the log's size.
const PAGE: i64 = 4_000;

/// A decision the candidate would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub repo: String,
    pub kind: TargetKind,
    pub target: String,
    pub revision: String,
    pub before: GateOutcome,
    pub after: GateOutcome,
    pub summary: String,
}

/// A recorded decision that could not be replayed, named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub id: i64,
    pub repo: String,
    pub target: String,
    pub reason: NotReplayable,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Decisions replayed (the unreplayable ones not counted).
    pub replayed: usize,
    /// In the order they were recorded.
    pub changes: Vec<Change>,
    pub skipped: Vec<Skipped>,
    /// The time limit ended the replay: the decisions after those replayed were not
    /// looked at.
    pub stopped: bool,
}

impl Report {
    /// How many changed from each outcome to each other.
    pub fn transitions(&self) -> BTreeMap<(GateOutcome, GateOutcome), usize> {
        let mut out = BTreeMap::new();
        for c in &self.changes {
            *out.entry((c.before, c.after)).or_insert(0) += 1;
        }
        out
    }

    /// `N replayed, M would change: a approved→pending, …[, K not replayable]`.
    pub fn tally(&self) -> String {
        let mut out = format!(
            "{} replayed, {} would change",
            self.replayed,
            self.changes.len()
        );
        let transitions: Vec<String> = self
            .transitions()
            .iter()
            .map(|((before, after), n)| format!("{n} {}→{}", before.as_str(), after.as_str()))
            .collect();
        if !transitions.is_empty() {
            out.push_str(": ");
            out.push_str(&transitions.join(", "));
        }
        if !self.skipped.is_empty() {
            out.push_str(&format!(", {} not replayable", self.skipped.len()));
        }
        out
    }
}

/// Time as RFC 3339 (UTC) from Unix milliseconds.
pub fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Replays every recorded decision the filter selects, oldest first; with a `deadline`,
/// stops there (`Report::stopped`): the candidate may be an untrusted file.
pub async fn replay(
    store: &Store,
    filter: &HistoryFilter,
    candidate: Arc<Candidate>,
    deadline: Option<Instant>,
) -> Result<Report, sqlx::Error> {
    let mut report = Report::default();
    let mut page = store.history_page(filter, i64::MIN, PAGE).await?;
    while !page.is_empty() {
        let after = page.last().map_or(i64::MAX, |r| r.id);
        // Evaluate this page on blocking threads while the next one is read.
        let working = tokio::task::spawn_blocking({
            let candidate = Arc::clone(&candidate);
            move || replay_page(page, &candidate, deadline)
        });
        let next = store.history_page(filter, after, PAGE).await;
        let done = working
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("replay worker: {e}")))?;
        report.replayed += done.replayed;
        report.changes.extend(done.changes);
        report.skipped.extend(done.skipped);
        let next = next?;
        if done.stopped || (!next.is_empty() && past(deadline)) {
            report.stopped = true;
            break;
        }
        page = next;
    }
    Ok(report)
}

fn past(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// Splits a page over the machine's cores.
fn replay_page(
    page: Vec<RecordedDecision>,
    candidate: &Candidate,
    deadline: Option<Instant>,
) -> Report {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let size = page.len().div_ceil(cores).max(1);
    let parts: Vec<Report> = std::thread::scope(|scope| {
        let workers: Vec<_> = page
            .chunks(size)
            .map(|chunk| {
                (
                    chunk,
                    scope.spawn(move || replay_chunk(chunk, candidate, deadline)),
                )
            })
            .collect();
        workers
            .into_iter()
            .map(|(chunk, worker)| {
                // A worker that died still accounts for every record it held.
                worker.join().unwrap_or_else(|_| Report {
                    skipped: chunk
                        .iter()
                        .map(|r| Skipped {
                            id: r.id,
                            repo: r.repo.clone(),
                            target: r.target.clone(),
                            reason: NotReplayable::Unreadable("evaluation failed".to_owned()),
                        })
                        .collect(),
                    ..Report::default()
                })
            })
            .collect()
    });
    let mut out = Report::default();
    for part in parts {
        out.replayed += part.replayed;
        out.changes.extend(part.changes);
        out.skipped.extend(part.skipped);
        out.stopped |= part.stopped;
    }
    out
}

fn replay_chunk(
    chunk: &[RecordedDecision],
    candidate: &Candidate,
    deadline: Option<Instant>,
) -> Report {
    let mut out = Report::default();
    for r in chunk {
        if past(deadline) {
            out.stopped = true;
            break;
        }
        let skip = |reason| Skipped {
            id: r.id,
            repo: r.repo.clone(),
            target: r.target.clone(),
            reason,
        };
        let Some(before) = r.decision else {
            out.skipped.push(skip(NotReplayable::UnknownDecision));
            continue;
        };
        match redecide(&r.record, before, candidate) {
            Err(reason) => out.skipped.push(skip(reason)),
            Ok(now) => {
                out.replayed += 1;
                if now.outcome != before {
                    out.changes.push(Change {
                        id: r.id,
                        at: r.at,
                        repo: r.repo.clone(),
                        kind: r.kind,
                        target: r.target.clone(),
                        revision: r.revision.clone(),
                        before,
                        after: now.outcome,
                        summary: now.summary.unwrap_or_default(),
                    });
                }
            }
        }
    }
    out
}
