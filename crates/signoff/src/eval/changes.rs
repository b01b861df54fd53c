//! When time alone could change a decision. A gate that shows an answer must look again
//! when an approval expires or a window opens or closes, though no one acted: the bot
//! keeps the instant its answer's outcome changes beside the answer, holds the answer
//! then and evaluates again.

use super::context::Context;
use super::criteria::criteria_match;
use super::windows;
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
        let mut earliest: Option<Timestamp> = None;
        let mut consider = |t: Timestamp| {
            if t > now && earliest.is_none_or(|e| t < e) {
                earliest = Some(t);
            }
        };
        let expires_after = self.policy.options.expires_after;
        for grant in grants {
            consider(grant.at);
            // Expired once strictly older than the limit: one nanosecond past it.
            if let Some(limit) = expires_after {
                if let Some(t) = grant
                    .at
                    .checked_add(limit)
                    .ok()
                    .and_then(|t| t.checked_add(SignedDuration::from_nanos(1)).ok())
                {
                    consider(t);
                }
            }
        }
        for window in &self.policy.windows {
            if window.to == request.kind && criteria_match(&window.criteria, &request.attributes) {
                if let Some(t) = windows::next_boundary(&window.schedule, now) {
                    consider(t);
                }
            }
        }
        earliest
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
        let mut at = now;
        for _ in 0..MAX_STEPS {
            at = self.changes_after(request, grants, at)?;
            if self.decide(request, grants, at).decision != outcome {
                return Some(at);
            }
        }
        Some(at)
    }
}
