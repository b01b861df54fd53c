//! When time alone could change a decision. A gate that shows an answer must look again
//! when an approval expires or a window opens or closes, though no one acted: the bot
//! keeps the instant its answer's outcome changes beside the answer, holds the answer
//! then and evaluates again.

use super::context::Context;
use super::criteria::{Values, criteria_match};
use super::windows;
use crate::compile::Schedule;
use crate::model::{Grant, Request};
use jiff::{SignedDuration, Timestamp};

/// Instants [`Context::outcome_changes_after`] looks at before it stops.
const MAX_STEPS: usize = 64;

impl Context<'_> {
    /// The earliest instant after `now` at which the same request and grants could be
    /// decided otherwise, or `None` when time alone never changes the decision: a grant
    /// dated after `now` comes into effect, a grant passes `expires_after`, a window that
    /// applies to the request opens or closes. Never later than a real change; it may be
    /// earlier (the evaluation there can give the same answer, and names the next one).
    pub fn changes_after(
        &self,
        request: &Request,
        grants: &[Grant],
        now: Timestamp,
    ) -> Option<Timestamp> {
        Instants::new(self, request, grants, now).after(now)
    }

    /// The first instant after `now` at which time alone changes the outcome of the
    /// same request and grants, or `None` when it never does. Looks at the next
    /// [`Context::changes_after`] instants in turn, at most 64 of them (about a month of
    /// a weekly window's openings and closings); past them, the last one looked at, which
    /// is still never later than the change.
    pub fn outcome_changes_after(
        &self,
        request: &Request,
        grants: &[Grant],
        now: Timestamp,
    ) -> Option<Timestamp> {
        let outcome = self.decide(request, grants, now).decision;
        let mut instants = Instants::new(self, request, grants, now);
        let mut at = now;
        for _ in 0..MAX_STEPS {
            at = instants.after(at)?;
            if self.decide(request, grants, at).decision != outcome {
                return Some(at);
            }
        }
        Some(at)
    }
}

/// The instants time could change a decision at, for stepping through them in order:
/// the grants' (sorted once) and each applicable window's next opening or closing, kept
/// until it is passed. A step then converts local times only for the windows whose
/// boundary it passed, not for all of them (a policy may hold thousands of windows; with
/// every one converted at each of the 64 steps, a 1 MB policy took over half a second).
struct Instants<'p> {
    /// Every grant's time and expiry, ascending.
    grants: Vec<Timestamp>,
    /// Each applicable window and its first boundary after the last instant asked about
    /// (`None`: none; looked for again, as an absolute window's is cheap and a weekly
    /// window always has one).
    windows: Vec<(&'p Schedule, Option<Timestamp>)>,
}

impl<'p> Instants<'p> {
    fn new(context: &Context<'p>, request: &Request, grants: &[Grant], now: Timestamp) -> Self {
        let expires_after = context.policy.options.expires_after;
        let mut times: Vec<Timestamp> = Vec::with_capacity(grants.len() * 2);
        for grant in grants {
            times.push(grant.at);
            // Expired once strictly older than the limit: one nanosecond past it.
            if let Some(limit) = expires_after {
                if let Some(t) = grant
                    .at
                    .checked_add(limit)
                    .ok()
                    .and_then(|t| t.checked_add(SignedDuration::from_nanos(1)).ok())
                {
                    times.push(t);
                }
            }
        }
        times.sort_unstable();
        times.dedup();
        let values = Values::of(&request.attributes);
        let windows = context
            .policy
            .windows
            .iter()
            .filter(|w| w.to == request.kind && criteria_match(&w.criteria, &values))
            .map(|w| (&w.schedule, windows::next_boundary(&w.schedule, now)))
            .collect();
        Instants {
            grants: times,
            windows,
        }
    }

    /// The first instant strictly after `at`; `at` never goes back from one call to the
    /// next (the first is the `now` the instants were made for).
    fn after(&mut self, at: Timestamp) -> Option<Timestamp> {
        let mut earliest = self
            .grants
            .get(self.grants.partition_point(|t| *t <= at))
            .copied();
        for (schedule, next) in &mut self.windows {
            // The first boundary after an earlier instant, when later than `at`, is the
            // first after `at` as well.
            if next.is_none_or(|t| t <= at) {
                *next = windows::next_boundary(schedule, at);
            }
            if let Some(t) = *next {
                if earliest.is_none_or(|e| t < e) {
                    earliest = Some(t);
                }
            }
        }
        earliest
    }
}
