//! SPEC §4 step 8: each policy's requirements against the eligible approvals.

use super::context::{Context, UserId, need};
use super::distinct::{self, LeafSlots};
use super::grants::Standings;
use crate::compile::{Count, Leaf, Req, Source};
use crate::decision::{Name, PolicyResult, RequirementResult};
use crate::model::Kind;
use std::collections::BTreeSet;

/// At most this many candidates are listed per requirement; the rest are counted.
pub const CANDIDATES_SHOWN: usize = 50;

/// A leaf requirement measured against this request.
struct LeafState<'a> {
    /// Role holders in the source, before the request's exclusions.
    base: &'a [UserId],
    pool_len: usize,
    need: u32,
    /// Approvers in the pool, sorted.
    approved: Vec<UserId>,
}

pub(crate) struct PolicyInputs<'a, 'p> {
    pub context: &'a Context<'p>,
    pub kind: Kind,
    pub excluded: &'a [UserId],
    pub standings: &'a Standings,
}

impl PolicyInputs<'_, '_> {
    fn in_pool(&self, base: &[UserId], id: UserId) -> bool {
        base.binary_search(&id).is_ok() && self.excluded.binary_search(&id).is_err()
    }

    /// Eligible users of a leaf who have not approved, in name order.
    fn candidates<'b>(&'b self, state: &'b LeafState<'b>) -> impl Iterator<Item = UserId> + 'b {
        state.base.iter().copied().filter(move |id| {
            self.excluded.binary_search(id).is_err()
                && self.standings.approvers.binary_search(id).is_err()
        })
    }
}

/// What the matching of a `distinct_approvers: true` policy left out, for `ignored` and
/// the summary.
pub(crate) struct Unplaced {
    /// Approvers in a pool of the policy whom the matching assigned to no slot, sorted.
    pub unassigned: Vec<UserId>,
    /// Per leaf: when it is short and someone in its pool who approved counts elsewhere,
    /// the other leaves whose holders could move into it (along alternating paths), in
    /// leaf order; a new approver in any of them would fill it. Empty otherwise.
    pub also_from: Vec<Vec<usize>>,
    /// Per leaf: who in its pool approved, sorted.
    pub approved: Vec<Vec<UserId>>,
}

pub(crate) fn evaluate_policy(
    inputs: &PolicyInputs<'_, '_>,
    index: usize,
) -> Option<(PolicyResult, Option<Unplaced>)> {
    let policy = inputs.context.policy.policies.get(index)?;
    let states: Vec<LeafState<'_>> = policy
        .leaves
        .iter()
        .enumerate()
        .map(|(leaf_index, leaf)| {
            let base = inputs.context.pool(inputs.kind, index, leaf_index);
            let excluded_here = inputs
                .excluded
                .iter()
                .filter(|id| base.binary_search(id).is_ok())
                .count();
            let pool_len = base.len() - excluded_here;
            let approvers = &inputs.standings.approvers;
            let mut approved = Vec::with_capacity(approvers.len().min(base.len()));
            approved.extend(
                approvers
                    .iter()
                    .copied()
                    .filter(|id| inputs.in_pool(base, *id)),
            );
            LeafState {
                base,
                pool_len,
                need: need(leaf, pool_len),
                approved,
            }
        })
        .collect();
    // Without distinct approvers every approver in a leaf's pool counts for it, so the
    // leaf's own list serves; only the matching needs lists of its own.
    let assigned: Option<Vec<Vec<UserId>>> = policy.distinct.then(|| {
        let slots: Vec<LeafSlots<'_>> = states
            .iter()
            .map(|s| LeafSlots {
                need: s.need,
                approved: &s.approved,
            })
            .collect();
        distinct::assign(&policy.requires, &slots)
    });
    let builder = TreeBuilder {
        inputs,
        leaves: &policy.leaves,
        states: &states,
        assigned: assigned.as_deref(),
    };
    let requirements: Vec<RequirementResult> =
        policy.requires.iter().map(|r| builder.build(r)).collect();
    let satisfied = requirements.iter().all(|r| r.satisfied);
    let unplaced = assigned.map(|assigned| unplaced(&states, assigned));
    Some((
        PolicyResult {
            name: policy.name.clone(),
            satisfied,
            requirements,
        },
        unplaced,
    ))
}

fn unplaced(states: &[LeafState<'_>], assigned: Vec<Vec<UserId>>) -> Unplaced {
    let placed = |id: &UserId| assigned.iter().any(|a| a.contains(id));
    let mut unassigned: Vec<UserId> = states
        .iter()
        .flat_map(|s| s.approved.iter().copied())
        .filter(|id| !placed(id))
        .collect();
    unassigned.sort_unstable();
    unassigned.dedup();
    let counted = |leaf: usize| assigned.get(leaf).map_or(&[][..], Vec::as_slice);
    let also_from = states
        .iter()
        .enumerate()
        .map(|(leaf, state)| {
            let short = counted(leaf).len() < state.need as usize;
            let elsewhere = state.approved.iter().any(|id| !counted(leaf).contains(id));
            if !short || !elsewhere {
                return Vec::new();
            }
            // Leaves whose holders could move, directly or along a chain, into this one.
            let mut reached = vec![leaf];
            loop {
                let next = (0..states.len()).find(|m| {
                    !reached.contains(m)
                        && counted(*m).iter().any(|holder| {
                            reached.iter().any(|&r| {
                                states
                                    .get(r)
                                    .is_some_and(|s| s.approved.binary_search(holder).is_ok())
                            })
                        })
                });
                match next {
                    Some(m) => reached.push(m),
                    None => break,
                }
            }
            reached.retain(|&m| m != leaf);
            reached.sort_unstable();
            reached
        })
        .collect();
    Unplaced {
        unassigned,
        also_from,
        approved: states.iter().map(|s| s.approved.clone()).collect(),
    }
}

/// Is this user in the pool of any leaf of the policy?
pub(crate) fn in_any_pool(inputs: &PolicyInputs<'_, '_>, index: usize, id: UserId) -> bool {
    let Some(policy) = inputs.context.policy.policies.get(index) else {
        return false;
    };
    (0..policy.leaves.len())
        .any(|leaf| inputs.in_pool(inputs.context.pool(inputs.kind, index, leaf), id))
}

struct TreeBuilder<'a, 'b, 'p> {
    inputs: &'a PolicyInputs<'b, 'p>,
    leaves: &'a [Leaf],
    states: &'a [LeafState<'a>],
    /// With distinct approvers, who is assigned to each leaf.
    assigned: Option<&'a [Vec<UserId>]>,
}

impl TreeBuilder<'_, '_, '_> {
    fn names(&self, ids: impl IntoIterator<Item = UserId>) -> Vec<Name> {
        ids.into_iter()
            .map(|id| self.inputs.context.name(id))
            .collect()
    }

    /// Who counts toward leaf `i`.
    fn counted(&self, i: usize) -> &[UserId] {
        match self.assigned {
            Some(assigned) => assigned.get(i).map_or(&[], Vec::as_slice),
            None => self.states.get(i).map_or(&[], |s| s.approved.as_slice()),
        }
    }

    fn build(&self, req: &Req) -> RequirementResult {
        match req {
            Req::Leaf(i) => self.leaf(*i),
            Req::AnyOf(children) | Req::AllOf(children) => {
                let any = matches!(req, Req::AnyOf(_));
                let results: Vec<RequirementResult> =
                    children.iter().map(|c| self.build(c)).collect();
                let done = results.iter().filter(|r| r.satisfied).count();
                let (need, satisfied, unsatisfiable) = if any {
                    (1, done >= 1, results.iter().all(|r| r.unsatisfiable))
                } else {
                    (
                        results.len(),
                        done == results.len(),
                        results.iter().any(|r| r.unsatisfiable),
                    )
                };
                // The union of the branches' approvers, sorted, each name copied once.
                let mut approved: Vec<&Name> =
                    results.iter().flat_map(|r| r.approved_by.iter()).collect();
                approved.sort_unstable();
                approved.dedup();
                let approved_by: Vec<Name> = approved.into_iter().cloned().collect();
                let mut open = BTreeSet::new();
                if !satisfied {
                    self.open_candidates(req, &mut open);
                }
                let more = open.len().saturating_sub(CANDIDATES_SHOWN);
                let label = if any {
                    format!("one of {} options", results.len())
                } else {
                    format!("all of {} requirements", results.len())
                };
                let need = u32::try_from(need).unwrap_or(u32::MAX);
                let have = u32::try_from(done).unwrap_or(u32::MAX).min(need);
                let (any_of, all_of) = if any {
                    (Some(results), None)
                } else {
                    (None, Some(results))
                };
                RequirementResult {
                    label,
                    need,
                    have,
                    approved_by,
                    candidates: self.names(open.into_iter().take(CANDIDATES_SHOWN)),
                    candidates_more: u32::try_from(more).unwrap_or(u32::MAX),
                    satisfied,
                    unsatisfiable,
                    any_of,
                    all_of,
                }
            }
        }
    }

    /// Candidates of the unsatisfied leaves below a composite requirement.
    fn open_candidates(&self, req: &Req, out: &mut BTreeSet<UserId>) {
        match req {
            Req::Leaf(i) => {
                if let Some(state) = self.states.get(*i) {
                    let have = self.counted(*i).len();
                    if have < state.need as usize {
                        out.extend(self.inputs.candidates(state));
                    }
                }
            }
            Req::AnyOf(children) | Req::AllOf(children) => {
                for c in children {
                    self.open_candidates(c, out);
                }
            }
        }
    }

    fn leaf(&self, i: usize) -> RequirementResult {
        let (Some(leaf), Some(state)) = (self.leaves.get(i), self.states.get(i)) else {
            return RequirementResult {
                label: String::new(),
                need: 0,
                have: 0,
                approved_by: Vec::new(),
                candidates: Vec::new(),
                candidates_more: 0,
                satisfied: false,
                unsatisfiable: true,
                any_of: None,
                all_of: None,
            };
        };
        let counted = self.counted(i);
        let have = u32::try_from(counted.len())
            .unwrap_or(u32::MAX)
            .min(state.need);
        // Counted first so the list is allocated once at its size: the filter is cheap,
        // a large or growing allocation is not.
        let shown = self.inputs.candidates(state).take(CANDIDATES_SHOWN).count();
        let mut candidates = Vec::with_capacity(shown);
        candidates.extend(
            self.inputs
                .candidates(state)
                .take(CANDIDATES_SHOWN)
                .map(|id| self.inputs.context.name(id)),
        );
        let open = state.pool_len.saturating_sub(state.approved.len());
        let more = open.saturating_sub(candidates.len());
        RequirementResult {
            label: label(leaf, state.need),
            need: state.need,
            have,
            approved_by: self.names(counted.iter().copied()),
            candidates,
            candidates_more: u32::try_from(more).unwrap_or(u32::MAX),
            satisfied: have >= state.need,
            unsatisfiable: state.pool_len < state.need as usize,
            any_of: None,
            all_of: None,
        }
    }
}

/// "2 from group security", "all of john, jane, jessy", "50% (2) of group qa".
pub(crate) fn label(leaf: &Leaf, need: u32) -> String {
    let amount = match leaf.count {
        Count::Percent(h) => format!("{} ({need})", percent(h)),
        _ => need.to_string(),
    };
    match &leaf.source {
        Source::Any => format!("{amount} from anyone"),
        Source::Group(g) => format!("{amount} from group {g}"),
        Source::Users(users) if leaf.count == Count::Default => match users.as_slice() {
            [one] => format!("user {one}"),
            _ => format!("all of {}", users.join(", ")),
        },
        Source::Users(users) => format!("{amount} of {}", users.join(", ")),
        Source::From { users, groups } => format!("{amount} from {}", from_list(users, groups)),
    }
}

/// "groups a, b or users c" in short: "a, b, c" with groups marked.
pub(crate) fn from_list(users: &[String], groups: &[String]) -> String {
    groups
        .iter()
        .map(|g| format!("group {g}"))
        .chain(users.iter().cloned())
        .collect::<Vec<_>>()
        .join(", ")
}

fn percent(hundredths: u32) -> String {
    if hundredths % 100 == 0 {
        format!("{}%", hundredths / 100)
    } else {
        format!("{}.{:02}%", hundredths / 100, hundredths % 100).replace("0%", "%")
    }
}
