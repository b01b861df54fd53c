//! SPEC §4 steps 5 and 6: drop grants that cannot count, find each user's standing, and
//! decide who is eligible.

use super::context::{Context, UserId};
use super::scratch;
use crate::decision::{IgnoreReason, Name};
use crate::model::{Action, Grant, Request};
use jiff::Timestamp;

/// A grant that did not count, with when it was given (for a stable order).
#[derive(Debug, Clone)]
pub(crate) struct Dropped {
    pub by: Name,
    pub at: Timestamp,
    pub reason: IgnoreReason,
}

/// The outcome of normalising grants.
#[derive(Debug, Default)]
pub(crate) struct Standings {
    /// Eligible users whose standing is an approval, sorted by id (so by name).
    pub approvers: Vec<UserId>,
    /// Eligible users whose standing is a rejection, sorted.
    pub rejecters: Vec<UserId>,
    /// When each eligible approver's standing approval was given, sorted by user.
    pub approved_at: Vec<(UserId, Timestamp)>,
    pub dropped: Vec<Dropped>,
}

impl Standings {
    /// When this eligible approver's standing approval was given.
    pub fn approved_at(&self, id: UserId) -> Option<Timestamp> {
        let found = self
            .approved_at
            .binary_search_by_key(&id, |&(user, _)| user)
            .ok()?;
        self.approved_at.get(found).map(|&(_, at)| at)
    }
}

/// Who a request keeps out of every pool, sorted: the requester unless self-approval is
/// allowed, and contributors unless they may approve. `requester` is the requester's id
/// (`None` when not a directory user). Inlined into its one caller.
#[inline]
pub(crate) fn excluded(
    context: &Context<'_>,
    request: &Request,
    requester: Option<UserId>,
) -> Vec<UserId> {
    let options = &context.policy.options;
    // Sized once: growing it from empty took two reallocations per decision.
    let mut out = Vec::with_capacity(1 + request.contributors.len());
    if !options.self_approval {
        out.extend(requester);
    }
    if !options.contributors_can_approve {
        out.extend(request.contributors.iter().filter_map(|c| context.id(c)));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Kept grants up to this many are sorted on the stack; more take one allocation.
const KEPT_ON_STACK: usize = 32;

/// Whether the caller explains the decision: only then are the dropped grants (with
/// their names) and the times of approvals recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    Verdict,
    Explanation,
}

/// `excluded` is what [`excluded`] gives for this request. Inlined into its one caller.
#[inline]
pub(crate) fn standings(
    context: &Context<'_>,
    request: &Request,
    grants: &[Grant],
    now: Timestamp,
    excluded: &[UserId],
    detail: Detail,
) -> Standings {
    let options = &context.policy.options;
    let explain = detail == Detail::Explanation;
    let detailed = if explain { grants.len() } else { 0 };
    // Sized once: most grants end up in one of these lists.
    let mut out = Standings {
        approvers: Vec::with_capacity(grants.len()),
        rejecters: Vec::new(),
        approved_at: Vec::with_capacity(detailed),
        dropped: Vec::with_capacity(detailed),
    };
    // Kept grants as one number each, the user's id above the input position: sorting
    // plain integers is several times cheaper than sorting (user, time, position)
    // tuples, and the times are only compared within a user's run below.
    let mut on_stack = [0u64; KEPT_ON_STACK];
    let mut on_heap = Vec::new();
    let buffer = scratch::words(&mut on_stack, &mut on_heap, grants.len());
    let mut kept_len = 0;
    // `now - at > limit` is `at < now - limit`: one bound per call and a timestamp
    // comparison per grant instead of a duration per grant. When `now - limit` is out of
    // range no grant is old enough to expire.
    let expired_before = options
        .expires_after
        .and_then(|limit| now.checked_sub(limit).ok());
    for (index, grant) in grants.iter().enumerate() {
        let mut ignore = |reason| {
            if explain {
                out.dropped.push(Dropped {
                    by: Name::from(grant.by.as_str()),
                    at: grant.at,
                    reason,
                });
            }
        };
        let Some(id) = context.id(&grant.by) else {
            // Tokens are known, but never approve.
            let reason = if context.tokens.contains(grant.by.as_str()) {
                IgnoreReason::NotApprover
            } else {
                IgnoreReason::UnknownUser
            };
            ignore(reason);
            continue;
        };
        let on_revision = match (&grant.revision, &request.revision) {
            (Some(given), Some(current)) => given == current,
            (Some(_), None) | (None, _) => true,
        };
        if options.invalidate_on_push && !on_revision {
            ignore(IgnoreReason::Stale);
            continue;
        }
        if expired_before.is_some_and(|bound| grant.at < bound) {
            ignore(IgnoreReason::Expired);
            continue;
        }
        if grant.at > now {
            ignore(IgnoreReason::Future);
            continue;
        }
        // No memory holds 2^32 grants (each is over a hundred bytes), so every position
        // fits in the key's low half.
        let Ok(position) = u32::try_from(index) else {
            break;
        };
        if let Some(slot) = buffer.get_mut(kept_len) {
            *slot = u64::from(id) << 32 | u64::from(position);
            kept_len += 1;
        }
    }
    // Sorted, each user's grants form a run in input order and the runs come in user
    // order (so the lists below need no sort of their own). The latest grant of a run
    // stands (the later in input order when two share a time); the others are superseded.
    let kept = buffer.get_mut(..kept_len).unwrap_or_default();
    if !kept.is_sorted() {
        kept.sort_unstable();
    }
    let user = |key: u64| (key >> 32) as UserId;
    let position = |key: u64| (key & u64::from(u32::MAX)) as usize;
    let mut excluded_rest = excluded;
    let mut next = 0;
    while let Some(&first) = kept.get(next) {
        let id = user(first);
        let run_start = next;
        next += 1;
        while kept.get(next).is_some_and(|&k| user(k) == id) {
            next += 1;
        }
        let run = kept.get(run_start..next).unwrap_or_default();
        // Most users gave one grant; for the others positions rise within the run, so
        // `max_by_key` (the last of equal maxima) picks the later of two grants given at
        // the same time.
        let standing = if run.len() == 1 {
            position(first)
        } else {
            let Some(latest) = run
                .iter()
                .map(|&k| position(k))
                .max_by_key(|&i| grants.get(i).map(|g| g.at))
            else {
                continue;
            };
            if explain {
                for i in run.iter().map(|&k| position(k)).filter(|&i| i != latest) {
                    if let Some(grant) = grants.get(i) {
                        out.dropped.push(Dropped {
                            by: Name::from(grant.by.as_str()),
                            at: grant.at,
                            reason: IgnoreReason::Superseded,
                        });
                    }
                }
            }
            latest
        };
        let Some(grant) = grants.get(standing) else {
            continue;
        };
        if grant.action == Action::Revoke {
            continue;
        }
        // Runs come in id order: the excluded below this id are passed for good (a walk
        // along the sorted list, not a search of it per user).
        while excluded_rest.first().is_some_and(|&e| e < id) {
            excluded_rest = excluded_rest.get(1..).unwrap_or_default();
        }
        let is_excluded = excluded_rest.first() == Some(&id);
        let ineligible = if !context.has_role(id, request.kind) {
            Some(IgnoreReason::NotApprover)
        } else if is_excluded {
            Some(if grant.by == request.requester && !options.self_approval {
                IgnoreReason::SelfApproval
            } else {
                IgnoreReason::Contributor
            })
        } else {
            None
        };
        if let Some(reason) = ineligible {
            if explain {
                out.dropped.push(Dropped {
                    by: Name::from(grant.by.as_str()),
                    at: grant.at,
                    reason,
                });
            }
            continue;
        }
        match grant.action {
            Action::Approve => {
                out.approvers.push(id);
                if explain {
                    out.approved_at.push((id, grant.at));
                }
            }
            Action::Reject => out.rejecters.push(id),
            Action::Revoke => {}
        }
    }
    out
}
