//! The evaluator (SPEC §4). Pure: the same policy, directory, request, grants and `now`
//! always give the same decision.

mod context;
mod criteria;
mod distinct;
mod grants;
mod requirements;
mod summary;
mod windows;

pub use context::Context;
pub(crate) use context::need as need_for;
pub use requirements::CANDIDATES_SHOWN;

use crate::compile::PolicySet;
use crate::decision::{Decision, ExemptReason, Exemption, IgnoreReason, Ignored, Name, Outcome};
use crate::model::{Grant, Input, Kind, Request};
use jiff::Timestamp;
use requirements::PolicyInputs;

/// Evaluates one request; builds the directory index on the way. To evaluate many
/// requests against one directory, build a [`Context`] once and call [`Context::evaluate`].
pub fn evaluate(policy: &PolicySet, input: &Input) -> Decision {
    Context::new(policy, &input.directory).evaluate(&input.request, &input.grants, input.now)
}

impl Context<'_> {
    pub fn evaluate(&self, request: &Request, grants: &[Grant], now: Timestamp) -> Decision {
        let effective = self.effective_policies(request);
        let window = windows::blocking(self, request, now);
        let exempt = self.exemption(request);
        let excluded = grants::excluded(self, request);
        let mut standings = grants::standings(self, request, grants, now, &excluded);
        // Moved into the decision below rather than copied.
        let dropped = std::mem::take(&mut standings.dropped);
        let inputs = PolicyInputs {
            context: self,
            kind: request.kind,
            excluded: &excluded,
            standings: &standings,
        };
        let mut policies = Vec::with_capacity(effective.len());
        // Per policy with distinct approvers, what its matching left out.
        let mut unplaced = Vec::with_capacity(effective.len());
        for &p in &effective {
            if let Some((result, left_out)) = requirements::evaluate_policy(&inputs, p) {
                policies.push(result);
                unplaced.push(left_out);
            }
        }
        let in_a_pool = |id| {
            effective
                .iter()
                .any(|&p| requirements::in_any_pool(&inputs, p, id))
        };

        let rejected_by: Vec<Name> = standings
            .rejecters
            .iter()
            .filter(|id| in_a_pool(**id))
            .map(|id| self.name(*id))
            .collect();
        let mut ignored: Vec<(Timestamp, Ignored)> = dropped
            .into_iter()
            .map(|d| {
                (
                    d.at,
                    Ignored {
                        by: d.by,
                        reason: d.reason,
                    },
                )
            })
            .collect();
        for &id in &standings.approvers {
            if !in_a_pool(id) {
                let at = standings.approved_at(id).unwrap_or(now);
                ignored.push((
                    at,
                    Ignored {
                        by: self.name(id),
                        reason: IgnoreReason::NoMatchingRequirement,
                    },
                ));
            }
        }
        // SPEC §4.9: in a pool, yet counted nowhere: every effective policy whose pool
        // holds them has distinct approvers and placed them in no slot.
        if unplaced.iter().any(Option::is_some) {
            for &id in &standings.approvers {
                let counted = effective.iter().zip(&unplaced).any(|(&p, left_out)| {
                    requirements::in_any_pool(&inputs, p, id)
                        && left_out
                            .as_ref()
                            .is_none_or(|u| u.unassigned.binary_search(&id).is_err())
                });
                if in_a_pool(id) && !counted {
                    ignored.push((
                        standings.approved_at(id).unwrap_or(now),
                        Ignored {
                            by: self.name(id),
                            reason: IgnoreReason::NotAssigned,
                        },
                    ));
                }
            }
        }
        for &id in standings.rejecters.iter().filter(|id| !in_a_pool(**id)) {
            ignored.push((
                now,
                Ignored {
                    by: self.name(id),
                    reason: IgnoreReason::NoMatchingRequirement,
                },
            ));
        }
        // Time, then name, then reason: the same list whatever order grants came in.
        ignored.sort_by(|(ta, a), (tb, b)| (ta, &a.by, a.reason).cmp(&(tb, &b.by, b.reason)));
        let ignored: Vec<Ignored> = ignored.into_iter().map(|(_, i)| i).collect();

        let decision = if window.is_some() {
            Outcome::Blocked
        } else if effective.is_empty() {
            Outcome::NotRequired
        } else if exempt.is_some() {
            Outcome::Exempt
        } else if !rejected_by.is_empty() && self.policy.options.block_on_rejection {
            Outcome::Rejected
        } else if policies.iter().all(|p| p.satisfied) {
            Outcome::Approved
        } else {
            Outcome::Pending
        };
        let mut out = Decision {
            decision,
            summary: String::new(),
            policies,
            rejected_by,
            ignored,
            exempt,
            window,
        };
        out.summary = summary::summarize(&out, request, self, &effective, &unplaced);
        out
    }

    /// SPEC §4 step 1: policies of every matching binding, once each, in file order.
    fn effective_policies(&self, request: &Request) -> Vec<usize> {
        let mut out = Vec::new();
        for binding in &self.policy.bindings {
            if binding.kind != request.kind {
                continue;
            }
            if request.kind == Kind::Config {
                if let Some(kinds) = &binding.config {
                    if !request.config.is_some_and(|k| kinds.contains(&k)) {
                        continue;
                    }
                }
            }
            if !criteria::criteria_match(&binding.criteria, &request.attributes) {
                continue;
            }
            for &p in &binding.policies {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// SPEC §4 step 4.
    fn exemption(&self, request: &Request) -> Option<Exemption> {
        let rule = self
            .policy
            .exceptions
            .get(context::kind_index(request.kind))?;
        let requester = &request.requester;
        let reason =
            if rule.super_admins && self.id(requester).is_some_and(|id| self.is_super_admin(id)) {
                ExemptReason::SuperAdmin
            } else if rule.users.contains(requester) {
                ExemptReason::User
            } else if rule.groups.iter().any(|g| self.in_group(requester, g)) {
                ExemptReason::Group
            } else if rule.tokens.contains(requester) && self.tokens.contains(requester.as_str()) {
                ExemptReason::Token
            } else {
                return None;
            };
        Some(Exemption { reason })
    }
}
