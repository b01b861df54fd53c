//! SPEC §4 steps 5 and 6: drop grants that cannot count, find each user's standing, and
//! decide who is eligible.

use super::context::{Context, UserId};
use super::scratch;
use super::spare::Spare;
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
    /// Eligible users whose standing is an approval: sorted by id (so by name) for an
    /// explanation, in no set order for a verdict.
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
    spare: &mut Spare,
) -> Vec<UserId> {
    let options = &context.policy.options;
    // Sized once: growing it from empty took two reallocations per decision.
    let mut out = std::mem::take(&mut spare.excluded);
    out.reserve(1 + request.contributors.len());
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

/// Up to this many grants, each user's latest is found in a table on the stack; more
/// take one allocation.
const GRANTS_ON_STACK: usize = 32;

/// An odd multiplier with well-spread bits, to hash ids into the table (rustc-hash's).
const MIX: u64 = 0xf135_7aea_2e62_a9c5;

/// The slot to probe after `slot` on the `step`-th step (from 1) in a table of `slots`
/// slots, a power of two. Triangular steps (1, 2, 3, …) rather than one slot at a time:
/// they visit every slot, so a free one is always reached, and users whose ids hash to
/// neighbouring slots do not pile into one run that every later grant must walk (grants
/// from thousands of chosen users could otherwise make each insertion cost the run).
fn next_slot(slot: usize, step: usize, slots: usize) -> usize {
    (slot + step) & (slots - 1)
}

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
    spare: &mut Spare,
) -> Standings {
    let options = &context.policy.options;
    let explain = detail == Detail::Explanation;
    let detailed = if explain { grants.len() } else { 0 };
    // Sized once: most grants end up in one of these lists.
    let mut approvers = std::mem::take(&mut spare.approvers);
    approvers.reserve(grants.len());
    let mut out = Standings {
        approvers,
        rejecters: std::mem::take(&mut spare.rejecters),
        approved_at: Vec::with_capacity(detailed),
        dropped: Vec::with_capacity(detailed),
    };
    // Each user's latest kept grant, in a table keyed by user: open addressing over at
    // least twice as many slots as grants, so a probe always reaches a free slot. A slot
    // holds the user's id plus one above the grant's input position (0 is free). It
    // replaced sorting the kept grants into runs by user, which cost about twice as much
    // (and left the approvers in id order, which only an explanation needs).
    let slots = (grants.len() * 2).next_power_of_two().max(2);
    let mut table_on_stack = [0u64; 2 * GRANTS_ON_STACK];
    let mut table_on_heap = Vec::new();
    let table = scratch::words(&mut table_on_stack, &mut table_on_heap, slots);
    let shift = 64 - slots.trailing_zeros();
    // The taken slots, in the order their users were first seen.
    let mut taken_on_stack = [0u64; GRANTS_ON_STACK];
    let mut taken_on_heap = Vec::new();
    let taken = scratch::words(&mut taken_on_stack, &mut taken_on_heap, grants.len());
    let mut taken_len = 0;
    let position = |entry: u64| (entry & u64::from(u32::MAX)) as usize;
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
            // Tokens are known, but never approve. Only an explanation says which.
            if explain {
                ignore(if context.tokens.contains(grant.by.as_str()) {
                    IgnoreReason::NotApprover
                } else {
                    IgnoreReason::UnknownUser
                });
            }
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
        // fits in the entry's low half; ids are below `UserId::MAX`, so id + 1 fits above.
        let Ok(position_bits) = u32::try_from(index) else {
            break;
        };
        let user_bits = u64::from(id) + 1;
        let entry = user_bits << 32 | u64::from(position_bits);
        let mut slot = (user_bits.wrapping_mul(MIX) >> shift) as usize;
        let mut step = 0;
        while let Some(held) = table.get_mut(slot) {
            if *held == 0 {
                *held = entry;
                if let Some(t) = taken.get_mut(taken_len) {
                    *t = slot as u64;
                    taken_len += 1;
                }
                break;
            }
            if *held >> 32 == user_bits {
                // The later grant stands; of two given at the same time, the later in
                // input order (this one).
                let earlier = position(*held);
                let superseded = match grants.get(earlier) {
                    Some(before) if before.at > grant.at => index,
                    _ => {
                        *held = entry;
                        earlier
                    }
                };
                if explain {
                    if let Some(grant) = grants.get(superseded) {
                        out.dropped.push(Dropped {
                            by: Name::from(grant.by.as_str()),
                            at: grant.at,
                            reason: IgnoreReason::Superseded,
                        });
                    }
                }
                break;
            }
            step += 1;
            slot = next_slot(slot, step, slots);
        }
    }
    // One bit per excluded id modulo 64: most users are cleared by a bit test, without
    // searching the list.
    let maybe_excluded = excluded.iter().fold(0u64, |bits, &e| bits | 1 << (e % 64));
    for &slot in taken.get(..taken_len).unwrap_or_default() {
        let Some(&entry) = table.get(slot as usize) else {
            continue;
        };
        let id = ((entry >> 32) - 1) as UserId;
        let Some(grant) = grants.get(position(entry)) else {
            continue;
        };
        if grant.action == Action::Revoke {
            continue;
        }
        let ineligible = if !context.has_role(id, request.kind) {
            Some(IgnoreReason::NotApprover)
        } else if maybe_excluded >> (id % 64) & 1 == 1 && excluded.binary_search(&id).is_ok() {
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
    // Users came in the order first seen. `rejected_by` lists rejecters by id (so by
    // name), and an explanation looks approvers up by id; a verdict only needs the
    // approvers as a set.
    out.rejecters.sort_unstable();
    if explain {
        out.approvers.sort_unstable();
        out.approved_at.sort_unstable_by_key(|&(id, _)| id);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::PolicySet;
    use crate::model::{Directory, Role, User};
    use crate::test_rng::Rng;
    use std::collections::BTreeMap;

    /// Standings agree with a plain reading of SPEC §4 steps 5 and 6 (each user's latest
    /// kept grant, the later in input order on a tie, stands), on many generated sets of
    /// up to 150 grants: more than the table keeps on the stack, with users whose ids
    /// collide in it, ties, unknown users, tokens, stale, expired and future grants, and
    /// excluded requesters and contributors.
    #[test]
    fn standings_agree_with_a_reference() {
        let text = "version: 1
policies:
  p: { requires: [{ any: 1 }] }
apply:
  - { policies: [p], to: deployment }
options:
  contributors_can_approve: false
  expires_after: 30m
";
        let policy = PolicySet::parse(text, "signoff.yml").unwrap();
        let users: Vec<String> = (0..120).map(|i| format!("user-{i:03}")).collect();
        let mut directory = Directory::default();
        for (i, name) in users.iter().enumerate() {
            let roles = if i % 7 == 3 {
                vec![]
            } else {
                vec![Role::DeploymentApprover]
            };
            directory.users.insert(
                name.clone(),
                User {
                    roles,
                    ..User::default()
                },
            );
        }
        directory.tokens.push("ci-token".to_owned());
        let context = Context::new(&policy, &directory);
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let mut rng = Rng(0x5eed_57a4_d195);
        let mut names = users.clone();
        names.extend(["ghost".to_owned(), "ci-token".to_owned()]);
        for case in 0..400 {
            let count = rng.below(if case % 4 == 0 { 150 } else { 40 });
            // Few users for some cases, so that most have several grants.
            let people = if case % 3 == 0 { 6 } else { names.len() };
            let grants: Vec<Grant> = (0..count)
                .map(|_| Grant {
                    by: names[rng.below(people.min(names.len()))].clone(),
                    action: rng.pick(&[
                        Action::Approve,
                        Action::Approve,
                        Action::Reject,
                        Action::Revoke,
                    ]),
                    revision: rng
                        .pick(&[None, Some("r1"), Some("r1"), Some("r0")])
                        .map(str::to_owned),
                    // Whole minutes from 40 before `now` to 5 after: many ties.
                    at: now
                        .checked_add(jiff::SignedDuration::from_mins(rng.below(46) as i64 - 40))
                        .unwrap(),
                    via: None,
                })
                .collect();
            let request: Request = serde_json::from_value(serde_json::json!({
                "kind": "deployment",
                "requester": names[rng.below(people.min(names.len()))],
                "revision": "r1",
                "contributors": [names[rng.below(names.len())], names[rng.below(names.len())]],
            }))
            .unwrap();
            let requester = context.id(&request.requester);
            let mut spare = Spare::default();
            let excluded = excluded(&context, &request, requester, &mut spare);
            let want = reference(&context, &request, &grants, now, &excluded);
            for detail in [Detail::Verdict, Detail::Explanation] {
                let got = standings(
                    &context, &request, &grants, now, &excluded, detail, &mut spare,
                );
                let mut approvers = got.approvers.clone();
                if detail == Detail::Explanation {
                    assert!(approvers.is_sorted(), "case {case}: approvers in id order");
                    assert_eq!(got.approved_at, want.approved_at, "case {case}");
                    let mut dropped: Vec<_> = got
                        .dropped
                        .iter()
                        .map(|d| (d.by.to_string(), d.at, d.reason))
                        .collect();
                    dropped.sort();
                    assert_eq!(dropped, want.dropped, "case {case}");
                }
                approvers.sort_unstable();
                assert_eq!(approvers, want.approvers, "case {case} {detail:?}");
                assert_eq!(got.rejecters, want.rejecters, "case {case} {detail:?}");
            }
        }
    }

    /// Triangular steps from any slot visit every slot of a power-of-two table once in
    /// its first `slots` probes: the insertion always finds a free slot.
    #[test]
    fn triangular_probing_visits_every_slot() {
        for slots in [2usize, 4, 8, 64, 1024] {
            for home in [0, 1, slots / 2, slots - 1] {
                let mut seen = vec![false; slots];
                let mut slot = home;
                for step in 1..=slots {
                    seen[slot] = true;
                    slot = next_slot(slot, step, slots);
                }
                assert!(seen.iter().all(|s| *s), "{slots} slots from {home}");
            }
        }
    }

    /// Users whose ids hash to a run of neighbouring slots, each home taken twice (as
    /// grants from chosen users could arrange): the second wave leaves the run in a few
    /// steps each, where one slot at a time walks to its end (about 190 probes each).
    #[test]
    fn neighbouring_homes_do_not_pile_up() {
        let slots = 1024;
        let mut table = vec![false; slots];
        let mut probes = 0;
        for home in (100..356).chain(100..356) {
            let mut slot = home;
            let mut step = 0;
            while table[slot] {
                probes += 1;
                step += 1;
                slot = next_slot(slot, step, slots);
            }
            table[slot] = true;
        }
        assert!(probes < 256 * 24, "{probes} probes for 512 insertions");
    }

    struct Want {
        approvers: Vec<UserId>,
        rejecters: Vec<UserId>,
        approved_at: Vec<(UserId, Timestamp)>,
        dropped: Vec<(String, Timestamp, IgnoreReason)>,
    }

    /// Each step written out over maps, as the specification reads.
    fn reference(
        context: &Context<'_>,
        request: &Request,
        grants: &[Grant],
        now: Timestamp,
        excluded: &[UserId],
    ) -> Want {
        let mut dropped = Vec::new();
        let mut by_user: BTreeMap<UserId, Vec<(Timestamp, usize)>> = BTreeMap::new();
        for (i, g) in grants.iter().enumerate() {
            let reason = match context.id(&g.by) {
                None if g.by == "ci-token" => Some(IgnoreReason::NotApprover),
                None => Some(IgnoreReason::UnknownUser),
                Some(_) if g.revision.as_deref().is_some_and(|r| r != "r1") => {
                    Some(IgnoreReason::Stale)
                }
                Some(_) if now.duration_since(g.at) > jiff::SignedDuration::from_mins(30) => {
                    Some(IgnoreReason::Expired)
                }
                Some(_) if g.at > now => Some(IgnoreReason::Future),
                Some(id) => {
                    by_user.entry(id).or_default().push((g.at, i));
                    None
                }
            };
            if let Some(reason) = reason {
                dropped.push((g.by.clone(), g.at, reason));
            }
        }
        let mut want = Want {
            approvers: Vec::new(),
            rejecters: Vec::new(),
            approved_at: Vec::new(),
            dropped: Vec::new(),
        };
        for (id, mut kept) in by_user {
            kept.sort();
            let (at, standing) = kept.pop().unwrap();
            for (at, i) in kept {
                dropped.push((grants[i].by.clone(), at, IgnoreReason::Superseded));
            }
            let grant = &grants[standing];
            let reason = if grant.action == Action::Revoke {
                continue;
            } else if !context.has_role(id, request.kind) {
                Some(IgnoreReason::NotApprover)
            } else if excluded.contains(&id) {
                Some(if grant.by == request.requester {
                    IgnoreReason::SelfApproval
                } else {
                    IgnoreReason::Contributor
                })
            } else {
                None
            };
            match (reason, grant.action) {
                (Some(reason), _) => dropped.push((grant.by.clone(), at, reason)),
                (None, Action::Approve) => {
                    want.approvers.push(id);
                    want.approved_at.push((id, at));
                }
                (None, _) => want.rejecters.push(id),
            }
        }
        dropped.sort();
        want.dropped = dropped;
        want
    }
}
