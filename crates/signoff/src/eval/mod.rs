//! The evaluator (SPEC §4). Pure: the same policy, directory, request, grants and `now`
//! always give the same decision.

mod assess;
mod changes;
mod context;
mod criteria;
mod distinct;
mod grants;
mod requirements;
mod scratch;
mod spare;
mod summary;
mod user_index;
mod windows;

pub use context::Context;
pub(crate) use context::need as need_for;
pub(crate) use criteria::Pattern;
pub use requirements::CANDIDATES_SHOWN;
pub(crate) use requirements::LeafLabel;

use crate::compile::{CompiledPolicy, PolicySet};
use crate::decision::{
    Decision, ExemptReason, Exemption, IgnoreReason, Ignored, Name, PolicyVerdict, Verdict,
};
use crate::model::{Grant, Input, Kind, Request};
use context::UserId;
use criteria::Values;
use grants::Detail;
use jiff::Timestamp;

/// Evaluates one request; builds the directory index on the way. To evaluate many
/// requests against one directory, build a [`Context`] once and call [`Context::evaluate`].
pub fn evaluate(policy: &PolicySet, input: &Input) -> Decision {
    Context::new(policy, &input.directory).evaluate(&input.request, &input.grants, input.now)
}

impl<'p> Context<'p> {
    pub fn evaluate(&self, request: &Request, grants: &[Grant], now: Timestamp) -> Decision {
        let mut assessment = self.assess(request, grants, now, Detail::Explanation);
        // Never candidates: the excluded and everyone who approved (both sorted, merged).
        let not_candidates = merge_sorted(&assessment.excluded, &assessment.standings.approvers);
        let mut policies = Vec::with_capacity(assessment.policies.len());
        policies.extend(assessment.policies.iter().filter_map(|state| {
            requirements::explain_policy(self, &assessment, &not_candidates, state)
        }));
        let rejected_by: Vec<Name> = assessment
            .rejected_by
            .iter()
            .map(|id| self.name(*id))
            .collect();
        // Moved into the decision below rather than copied.
        let dropped = std::mem::take(&mut assessment.standings.dropped);
        let standings = &assessment.standings;
        // Sized once: each approver and rejecter adds at most one entry below.
        let mut ignored: Vec<(Timestamp, Ignored)> = Vec::with_capacity(
            dropped.len() + standings.approvers.len() + standings.rejecters.len(),
        );
        ignored.extend(dropped.into_iter().map(|d| {
            (
                d.at,
                Ignored {
                    by: d.by,
                    reason: d.reason,
                },
            )
        }));
        for &id in &standings.approvers {
            if !assessment.in_a_pool(id) {
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
        // Per policy with distinct approvers, what its matching left out; no list at all
        // when no policy has distinct approvers (the usual case).
        let unplaced: Vec<Option<requirements::Unplaced>> =
            if assessment.policies.iter().any(|p| p.assigned.is_some()) {
                assessment
                    .policies
                    .iter()
                    .map(|state| requirements::unplaced(&assessment, state))
                    .collect()
            } else {
                Vec::new()
            };
        // SPEC §4.9: in a pool, yet counted nowhere: every effective policy whose pool
        // holds them has distinct approvers and placed them in no slot.
        if unplaced.iter().any(Option::is_some) {
            for &id in &standings.approvers {
                let counted = assessment
                    .policies
                    .iter()
                    .zip(&unplaced)
                    .any(|(state, left_out)| {
                        assessment.in_policy_pool(state, id)
                            && left_out
                                .as_ref()
                                .is_none_or(|u| u.unassigned.binary_search(&id).is_err())
                    });
                if assessment.in_a_pool(id) && !counted {
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
        for &id in standings
            .rejecters
            .iter()
            .filter(|id| !assessment.in_a_pool(**id))
        {
            ignored.push((
                now,
                Ignored {
                    by: self.name(id),
                    reason: IgnoreReason::NoMatchingRequirement,
                },
            ));
        }
        // Time, then name, then reason: the same list whatever order grants came in (only
        // identical entries compare equal, so an unstable sort gives the same list).
        ignored
            .sort_unstable_by(|(ta, a), (tb, b)| (ta, &a.by, a.reason).cmp(&(tb, &b.by, b.reason)));
        let ignored: Vec<Ignored> = ignored.into_iter().map(|(_, i)| i).collect();

        let mut out = Decision {
            decision: assessment.decision,
            summary: String::new(),
            policies,
            rejected_by,
            ignored,
            exempt: assessment.exempt.take(),
            window: assessment.window.take(),
        };
        out.summary = summary::summarize(&out, request, self, &assessment.effective, &unplaced);
        out
    }

    /// The outcome, the applicable policies with whether each is satisfied, and
    /// `rejected_by`: what [`Context::evaluate`] decides, without building the
    /// explanation (no candidates, labels, ignored grants or summary). For bulk use, such
    /// as replaying many requests.
    pub fn decide(&self, request: &Request, grants: &[Grant], now: Timestamp) -> Verdict<'p> {
        let assessment = self.assess(request, grants, now, Detail::Verdict);
        let mut policies = Vec::with_capacity(assessment.policies.len());
        policies.extend(assessment.policies.iter().filter_map(|state| {
            let policy: &'p CompiledPolicy = self.policy.policies.get(state.index)?;
            Some(PolicyVerdict {
                name: policy.name.as_str(),
                satisfied: state.satisfied,
            })
        }));
        Verdict {
            decision: assessment.decision,
            policies,
            rejected_by: assessment
                .rejected_by
                .iter()
                .map(|&id| self.user_name(id))
                .collect(),
        }
    }

    /// SPEC §4 step 1: policies of every matching binding, once each, in file order.
    fn effective_policies(
        &self,
        request: &Request,
        values: &Values<'_>,
        mut out: Vec<usize>,
    ) -> Vec<usize> {
        out.reserve(self.policy.policies.len());
        let environment = request.attributes.environment.as_deref();
        // Another environment (rare) is matched against every binding, listed here: a
        // second loop of its own cost the browser module more.
        let every: Vec<usize>;
        let candidates = match self.candidate_bindings(request.kind, environment) {
            Some(candidates) => candidates,
            None => {
                every = (0..self.policy.bindings.len()).collect();
                &every
            }
        };
        for &index in candidates {
            self.add_if_bound(index, request, values, &mut out);
        }
        out
    }

    /// Adds binding `index`'s policies not yet in `out` if it matches the request.
    #[inline]
    fn add_if_bound(
        &self,
        index: usize,
        request: &Request,
        values: &Values<'_>,
        out: &mut Vec<usize>,
    ) {
        let Some(binding) = self.policy.bindings.get(index) else {
            return;
        };
        if binding.kind != request.kind {
            return;
        }
        if request.kind == Kind::Config {
            if let Some(kinds) = &binding.config {
                if !request.config.is_some_and(|k| kinds.contains(&k)) {
                    return;
                }
            }
        }
        if !criteria::criteria_match(&binding.criteria, values) {
            return;
        }
        for &p in &binding.policies {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }

    /// SPEC §4 step 4. `requester_id` is the requester's id, if a directory user.
    fn exemption(&self, request: &Request, requester_id: Option<UserId>) -> Option<Exemption> {
        let rule = self
            .policy
            .exceptions
            .get(context::kind_index(request.kind))?;
        let requester = &request.requester;
        // A directory user the lists cannot name skips them; anyone else is looked up.
        let named = requester_id.is_none_or(|id| self.exempt_by_name(request.kind, id));
        let reason = if rule.super_admins && requester_id.is_some_and(|id| self.is_super_admin(id))
        {
            ExemptReason::SuperAdmin
        } else if named && rule.users.contains(requester) {
            ExemptReason::User
        } else if named && rule.groups.iter().any(|g| self.in_group(requester, g)) {
            ExemptReason::Group
        } else if rule.tokens.contains(requester) && self.tokens.contains(requester.as_str()) {
            ExemptReason::Token
        } else {
            return None;
        };
        Some(Exemption { reason })
    }
}

/// The union of two sorted lists without repeats, sorted.
fn merge_sorted(a: &[UserId], b: &[UserId]) -> Vec<UserId> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        let id = x.min(y);
        i += usize::from(x == id);
        j += usize::from(y == id);
        if out.last() != Some(&id) {
            out.push(id);
        }
    }
    for &id in a
        .get(i..)
        .unwrap_or_default()
        .iter()
        .chain(b.get(j..).unwrap_or_default())
    {
        if out.last() != Some(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The merge gives what concatenating, sorting and removing repeats gives.
    #[test]
    fn merged_lists_are_the_sorted_union() {
        let cases: [(&[UserId], &[UserId]); 6] = [
            (&[], &[]),
            (&[1, 5], &[]),
            (&[], &[2, 3]),
            (&[1, 4, 9], &[2, 4, 10, 11]),
            (&[3, 3, 7], &[3, 7, 7]),
            (&[8], &[1, 2, 8]),
        ];
        for (a, b) in cases {
            let mut want: Vec<UserId> = a.iter().chain(b).copied().collect();
            want.sort_unstable();
            want.dedup();
            assert_eq!(merge_sorted(a, b), want, "{a:?} {b:?}");
        }
    }

    /// The environment index gives the policies that matching every binding gives, for
    /// requests of every kind, environments in any case, missing, or not ASCII, and
    /// bindings of every kind whose environment criterion is plain text (in any case,
    /// repeated), a glob, or absent.
    #[test]
    fn environment_index_agrees_with_matching_every_binding() {
        let text = "version: 1
policies:
  a: { requires: [{ any: 1 }] }
  b: { requires: [{ any: 1 }] }
  c: { requires: [{ any: 1 }] }
  d: { requires: [{ any: 1 }] }
  e: { requires: [{ any: 1 }] }
apply:
  - { policies: [e], to: deployment, where: { environment: [Production, production] } }
  - { policies: [a], to: deployment }
  - { policies: [b], to: deployment, where: { environment: [staging, prod-*] } }
  - { policies: [c, a], to: deployment, where: { environment: [PRODUCTION], app: [web] } }
  - { policies: [d], to: deployment, where: { environment: [\u{130}stanbul, \u{212A}elvin] } }
  - { policies: [b], to: config, where: { environment: [production] } }
  - { policies: [d], to: deployment, where: { environment: [qa, staging] } }
  - { policies: [c], to: pull_request }
  - { policies: [e], to: pull_request, where: { environment: [production] } }
  - { policies: [a], to: config }
";
        index_agrees_with_matching_every_binding(text);
    }

    /// The same with more index entries than are filtered by their environment glob
    /// (`FILTERED_AT_MOST`): 130 unkeyed bindings under 130 texts, the lists kept whole.
    #[test]
    fn environment_index_kept_whole_agrees_with_matching_every_binding() {
        let mut text = String::from(
            "version: 1\npolicies:\n  a: { requires: [{ any: 1 }] }\n  b: { requires: [{ any: 1 }] }\napply:\n",
        );
        for i in 0..130 {
            text.push_str(&format!(
                "  - {{ policies: [a], to: deployment, where: {{ environment: [env-{i}] }} }}\n"
            ));
            let glob = ["prod-*", "staging", "qa*"][i % 3];
            text.push_str(&format!(
                "  - {{ policies: [b], to: deployment, where: {{ environment: [{glob}, x{i}-*] }} }}\n"
            ));
        }
        text.push_str(
            "  - { policies: [a], to: deployment, where: { environment: [production] } }\n",
        );
        index_agrees_with_matching_every_binding(&text);
    }

    fn index_agrees_with_matching_every_binding(text: &str) {
        let policy = PolicySet::parse(text, "signoff.yml").unwrap();
        let directory = crate::model::Directory::default();
        let context = Context::new(&policy, &directory);
        let environments = [
            None,
            Some("production"),
            Some("Production"),
            Some("PRODUCTION"),
            Some("staging"),
            Some("prod-eu"),
            Some("qa"),
            Some("kelvin"),
            Some("\u{212A}elvin"),
            Some("i\u{307}stanbul"),
            Some(""),
            Some("other"),
            Some("env-7"),
            Some("x7-a"),
        ];
        for environment in environments {
            for app in [None, Some("web")] {
                for kind in Kind::ALL {
                    let mut request: Request =
                        serde_json::from_str(r#"{"kind": "deployment", "requester": "someone"}"#)
                            .unwrap();
                    request.kind = kind;
                    request.attributes.environment = environment.map(str::to_owned);
                    request.attributes.app = app.map(str::to_owned);
                    let values = Values::of(&request.attributes);
                    let mut every = Vec::new();
                    for index in 0..policy.bindings.len() {
                        context.add_if_bound(index, &request, &values, &mut every);
                    }
                    assert_eq!(
                        context.effective_policies(&request, &values, Vec::new()),
                        every,
                        "{environment:?} {app:?} {kind:?}"
                    );
                }
            }
        }
    }
}
