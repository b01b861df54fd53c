//! SPEC §4 steps 5 and 6: drop grants that cannot count, find each user's standing, and
//! decide who is eligible.

use super::context::{Context, UserId};
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
/// allowed, and contributors unless they may approve.
pub(crate) fn excluded(context: &Context<'_>, request: &Request) -> Vec<UserId> {
    let options = &context.policy.options;
    let mut out = Vec::new();
    if !options.self_approval {
        out.extend(context.id(&request.requester));
    }
    if !options.contributors_can_approve {
        out.extend(request.contributors.iter().filter_map(|c| context.id(c)));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether the caller explains the decision: only then are the dropped grants (with
/// their names) and the times of approvals recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    Verdict,
    Explanation,
}

/// `excluded` is what [`excluded`] gives for this request.
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
    // Kept grants as (user, time, input position).
    let mut kept: Vec<(UserId, Timestamp, usize)> = Vec::with_capacity(grants.len());
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
        if let Some(limit) = options.expires_after {
            if now.duration_since(grant.at) > limit {
                ignore(IgnoreReason::Expired);
                continue;
            }
        }
        if grant.at > now {
            ignore(IgnoreReason::Future);
            continue;
        }
        kept.push((id, grant.at, index));
    }
    // One sort by (user, time, input order): each user's latest grant ends their run and
    // stands, the others are superseded; and the lists below come out in user order.
    kept.sort_unstable();
    let mut runs = kept.iter().peekable();
    while let Some(&(id, _, index)) = runs.next() {
        let Some(grant) = grants.get(index) else {
            continue;
        };
        if runs.peek().is_some_and(|&&(next, _, _)| next == id) {
            if explain {
                out.dropped.push(Dropped {
                    by: Name::from(grant.by.as_str()),
                    at: grant.at,
                    reason: IgnoreReason::Superseded,
                });
            }
            continue;
        }
        if grant.action == Action::Revoke {
            continue;
        }
        let ineligible = if !context.has_role(id, request.kind) {
            Some(IgnoreReason::NotApprover)
        } else if excluded.binary_search(&id).is_ok() {
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
