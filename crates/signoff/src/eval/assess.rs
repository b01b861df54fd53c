//! The decision in ids: everything the outcome depends on, computed once per request.
//! [`Context::decide`] reads the verdict from it; [`Context::evaluate`] builds the
//! explanation (names, candidates, labels, summary) from the same numbers, so the two
//! cannot disagree.

use super::context::{Context, Pool, UserId, need};
use super::criteria::Values;
use super::distinct::{self, LeafSlots};
use super::grants::{self, Detail, Standings};
use super::scratch;
use super::spare::{self, Spare};
use super::windows;
use crate::compile::{Count, Req};
use crate::decision::{Exemption, Outcome, WindowHit};
use crate::model::{Grant, Request};
use jiff::Timestamp;
use std::mem::take;
use std::ops::Range;

/// A leaf requirement measured against one request.
pub(crate) struct LeafState<'a> {
    /// Role holders in the source, before the request's exclusions.
    pub pool: &'a Pool,
    /// The pool's size once the request's exclusions are taken out. For a verdict, only
    /// where a percentage needs it; otherwise the size before them (nothing reads it).
    pub pool_len: usize,
    pub need: u32,
    /// Where this leaf's approvers (in its pool, sorted) are in `Assessment::approved`:
    /// listed only for an explanation or a policy with distinct approvers (otherwise an
    /// empty range, and `approvals` alone serves).
    pub approved: Range<usize>,
    /// How many approvers are in the pool.
    pub approvals: usize,
}

/// One effective policy measured against one request.
pub(crate) struct PolicyState {
    /// Index into the policy set's policies.
    pub index: usize,
    /// Where its leaves are in `Assessment::leaves`, in the policy's leaf order.
    pub leaves: Range<usize>,
    /// With distinct approvers, who the matching assigned to each leaf.
    pub assigned: Option<Vec<Vec<UserId>>>,
    pub satisfied: bool,
}

pub(crate) struct Assessment<'a> {
    /// Policies of every matching binding, once each, in file order.
    pub effective: Vec<usize>,
    pub window: Option<WindowHit>,
    pub exempt: Option<Exemption>,
    /// Who the request keeps out of every pool, sorted.
    pub excluded: Vec<UserId>,
    pub standings: Standings,
    pub leaves: Vec<LeafState<'a>>,
    /// Every leaf's approvers, one after another (see `LeafState::approved`).
    pub approved: Vec<UserId>,
    pub policies: Vec<PolicyState>,
    /// Rejecters in the pool of some requirement, sorted.
    pub rejected_by: Vec<UserId>,
    pub decision: Outcome,
}

impl<'p> Context<'p> {
    pub(crate) fn assess(
        &self,
        request: &Request,
        grants: &[Grant],
        now: Timestamp,
        detail: Detail,
    ) -> Assessment<'_> {
        let mut spare = spare::take_spare();
        let values = Values::of(&request.attributes);
        let effective = self.effective_policies(request, &values, take(&mut spare.effective));
        let window = windows::blocking(self, request, &values, now);
        // Looked up once for the exemption's super-admin test and the exclusions.
        let requester = self.id(&request.requester);
        let exempt = self.exemption(request, requester);
        let excluded = grants::excluded(self, request, requester, &mut spare);
        let standings =
            grants::standings(self, request, grants, now, &excluded, detail, &mut spare);
        let mut out = Assessment {
            effective,
            window,
            exempt,
            excluded,
            standings,
            leaves: Vec::new(),
            approved: take(&mut spare.approved),
            policies: take(&mut spare.policies),
            rejected_by: take(&mut spare.rejected_by),
            decision: Outcome::Pending,
        };
        let leaf_count: usize = out
            .effective
            .iter()
            .filter_map(|&p| self.policy.policies.get(p))
            .map(|p| p.leaves.len())
            .sum();
        out.leaves.reserve_exact(leaf_count);
        let explain = detail == Detail::Explanation;
        if explain {
            out.approved
                .reserve_exact(leaf_count * out.standings.approvers.len());
        }
        out.policies.reserve_exact(out.effective.len());
        // The approvers as a bitmap over the words their ids span, so that each leaf
        // finds its approvers, in id order, by ANDing a few words with its pool's instead
        // of testing every approver's bit.
        let first_word = out
            .standings
            .approvers
            .iter()
            .min()
            .map_or(0, |&id| word_of(id));
        let span = out
            .standings
            .approvers
            .iter()
            .max()
            .map_or(0, |&id| word_of(id) + 1 - first_word);
        let mut on_stack = [0u64; APPROVER_WORDS_ON_STACK];
        let mut on_heap = Vec::new();
        let approver_words = scratch::words(&mut on_stack, &mut on_heap, span);
        for &id in &out.standings.approvers {
            if let Some(word) = approver_words.get_mut(word_of(id) - first_word) {
                *word |= 1 << (id % 64);
            }
        }
        for &index in &out.effective {
            let Some(policy) = self.policy.policies.get(index) else {
                continue;
            };
            // `decide` needs only how many approvers each leaf has, unless the matching
            // of distinct approvers needs who they are.
            let list_approvers = explain || policy.distinct;
            let first = out.leaves.len();
            for (leaf_index, leaf) in policy.leaves.iter().enumerate() {
                let pool = self.pool_set(request.kind, index, leaf_index);
                // Only a percentage needs the pool's size after the exclusions, and only an
                // explanation shows it: a verdict skips counting them for the other leaves.
                let pool_len = if explain || matches!(leaf.count, Count::Percent(_)) {
                    let excluded_here =
                        out.excluded.iter().filter(|id| pool.contains(**id)).count();
                    pool.ids.len().saturating_sub(excluded_here)
                } else {
                    pool.ids.len()
                };
                // Approvers are eligible, so never excluded: the pool alone decides.
                let start = out.approved.len();
                let pool_words = pool.set.words.get(first_word..).unwrap_or_default();
                let mut approvals = 0;
                for (k, (&approvers, &members)) in approver_words.iter().zip(pool_words).enumerate()
                {
                    // Bit by bit rather than `count_ones`: the baseline x86-64 target has
                    // no popcount instruction, and few bits are set.
                    let mut both = approvers & members;
                    let base = UserId::try_from((first_word + k) * 64).unwrap_or(UserId::MAX);
                    while both != 0 {
                        approvals += 1;
                        if list_approvers {
                            out.approved.push(base + both.trailing_zeros());
                        }
                        both &= both - 1;
                    }
                }
                out.leaves.push(LeafState {
                    pool,
                    pool_len,
                    need: need(leaf, pool_len),
                    approved: start..out.approved.len(),
                    approvals,
                });
            }
            let leaves = first..out.leaves.len();
            // Without distinct approvers every approver in a leaf's pool counts for it, so
            // the leaf's own list serves; only the matching needs lists of its own.
            let assigned = policy.distinct.then(|| {
                let slots: Vec<LeafSlots<'_>> = out
                    .leaves
                    .get(leaves.clone())
                    .unwrap_or_default()
                    .iter()
                    .map(|s| LeafSlots {
                        need: s.need,
                        approved: out.approved.get(s.approved.clone()).unwrap_or_default(),
                    })
                    .collect();
                distinct::assign(&policy.requires, &slots)
            });
            let mut state = PolicyState {
                index,
                leaves,
                assigned,
                satisfied: false,
            };
            state.satisfied = policy.requires.iter().all(|r| out.satisfied(&state, r));
            out.policies.push(state);
        }
        let mut rejected_by = take(&mut out.rejected_by);
        rejected_by.extend(
            out.standings
                .rejecters
                .iter()
                .copied()
                .filter(|id| out.in_a_pool(*id)),
        );
        out.rejected_by = rejected_by;
        out.decision = if out.window.is_some() {
            Outcome::Blocked
        } else if out.effective.is_empty() {
            Outcome::NotRequired
        } else if out.exempt.is_some() {
            Outcome::Exempt
        } else if !out.rejected_by.is_empty() && self.policy.options.block_on_rejection {
            Outcome::Rejected
        } else if out.policies.iter().all(|p| p.satisfied) {
            Outcome::Approved
        } else {
            Outcome::Pending
        };
        out
    }
}

/// Approvers whose ids span up to this many words (64 users each) are kept as a bitmap on
/// the stack; a wider span takes one allocation.
const APPROVER_WORDS_ON_STACK: usize = 32;

/// The bitmap word that holds this id.
fn word_of(id: UserId) -> usize {
    (id / 64) as usize
}

/// The lists go back to this thread's spares for its next decision.
impl Drop for Assessment<'_> {
    fn drop(&mut self) {
        spare::give_back(Spare {
            effective: take(&mut self.effective),
            excluded: take(&mut self.excluded),
            approvers: take(&mut self.standings.approvers),
            rejecters: take(&mut self.standings.rejecters),
            approved: take(&mut self.approved),
            policies: take(&mut self.policies),
            rejected_by: take(&mut self.rejected_by),
        });
    }
}

impl Assessment<'_> {
    /// Leaf `i` of a policy (its index in the policy's leaves).
    pub fn leaf(&self, policy: &PolicyState, i: usize) -> Option<&LeafState<'_>> {
        self.leaves
            .get(policy.leaves.start.checked_add(i)?)
            .filter(|_| i < policy.leaves.len())
    }

    /// The approvers in a leaf's pool, sorted.
    pub fn approved(&self, leaf: &LeafState<'_>) -> &[UserId] {
        self.approved.get(leaf.approved.clone()).unwrap_or_default()
    }

    /// Who counts toward leaf `i` of a policy.
    pub fn counted<'s>(&'s self, policy: &'s PolicyState, i: usize) -> &'s [UserId] {
        match &policy.assigned {
            Some(assigned) => assigned.get(i).map_or(&[], Vec::as_slice),
            None => self.leaf(policy, i).map_or(&[], |l| self.approved(l)),
        }
    }

    /// Does leaf `i` have the approvals it needs?
    pub fn leaf_satisfied(&self, policy: &PolicyState, i: usize) -> bool {
        self.leaf(policy, i).is_some_and(|l| {
            let counted = match &policy.assigned {
                Some(assigned) => assigned.get(i).map_or(0, Vec::len),
                None => l.approvals,
            };
            counted >= l.need as usize
        })
    }

    pub fn satisfied(&self, policy: &PolicyState, req: &Req) -> bool {
        match req {
            Req::Leaf(i) => self.leaf_satisfied(policy, *i),
            Req::AnyOf(children) => children.iter().any(|c| self.satisfied(policy, c)),
            Req::AllOf(children) => children.iter().all(|c| self.satisfied(policy, c)),
        }
    }

    /// Is this user in the pool of any requirement of this policy?
    pub fn in_policy_pool(&self, policy: &PolicyState, id: UserId) -> bool {
        self.excluded.binary_search(&id).is_err()
            && self
                .leaves
                .get(policy.leaves.clone())
                .unwrap_or_default()
                .iter()
                .any(|l| l.pool.contains(id))
    }

    /// Is this user in the pool of any requirement of an effective policy?
    pub fn in_a_pool(&self, id: UserId) -> bool {
        self.excluded.binary_search(&id).is_err() && self.leaves.iter().any(|l| l.pool.contains(id))
    }
}
