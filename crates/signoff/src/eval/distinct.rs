//! `distinct_approvers: true`: one person fills at most one slot of a policy. Some
//! choice of `any_of` branches must let a maximum bipartite matching of approvers to
//! slots fill every slot. People are tried in name order and slots in the order written,
//! so the assignment depends only on who approved, never on the order grants arrived in.

use super::context::UserId;
use crate::compile::Req;

/// Above this many branch choices we stop enumerating: a policy that large is a
/// mistake, and the evaluator must stay fast on every input.
const MAX_CHOICES: usize = 256;

/// What the matcher needs to know about a leaf requirement.
pub(crate) struct LeafSlots<'a> {
    pub need: u32,
    /// Approvers in the leaf's pool, sorted.
    pub approved: &'a [UserId],
}

/// Who is assigned to each leaf. Leaves outside the chosen branches get nobody.
pub(crate) fn assign(requires: &[Req], leaves: &[LeafSlots<'_>]) -> Vec<Vec<UserId>> {
    let choices = choices_all(requires);
    let mut best: Option<(usize, Vec<Vec<UserId>>)> = None;
    for choice in &choices {
        let assigned = match_choice(choice, leaves);
        let filled: usize = assigned.iter().map(Vec::len).sum();
        let full = choice.iter().all(|&leaf| {
            let need = leaves.get(leaf).map_or(0, |l| l.need as usize);
            assigned.get(leaf).map_or(0, Vec::len) >= need
        });
        if full {
            return assigned;
        }
        if best.as_ref().is_none_or(|(f, _)| filled > *f) {
            best = Some((filled, assigned));
        }
    }
    best.map(|(_, a)| a)
        .unwrap_or_else(|| vec![Vec::new(); leaves.len()])
}

/// Every way of picking one branch per `any_of`: each a list of leaf indices.
fn choices_all(requires: &[Req]) -> Vec<Vec<usize>> {
    requires
        .iter()
        .fold(vec![Vec::new()], |acc, req| product(&acc, &choices(req)))
}

fn choices(req: &Req) -> Vec<Vec<usize>> {
    match req {
        Req::Leaf(i) => vec![vec![*i]],
        Req::AllOf(children) => choices_all(children),
        Req::AnyOf(children) => {
            let mut out: Vec<Vec<usize>> = children.iter().flat_map(choices).collect();
            out.truncate(MAX_CHOICES);
            out
        }
    }
}

fn product(left: &[Vec<usize>], right: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for l in left {
        for r in right {
            if out.len() >= MAX_CHOICES {
                return out;
            }
            out.push(l.iter().chain(r).copied().collect());
        }
    }
    out
}

/// Kuhn's augmenting paths over slots (a leaf needing N has N slots).
fn match_choice(choice: &[usize], leaves: &[LeafSlots<'_>]) -> Vec<Vec<UserId>> {
    let mut slot_leaf: Vec<usize> = Vec::new();
    for &leaf in choice {
        if let Some(l) = leaves.get(leaf) {
            let slots = (l.need as usize).min(l.approved.len());
            slot_leaf.extend(std::iter::repeat_n(leaf, slots));
        }
    }
    let mut people: Vec<UserId> = choice
        .iter()
        .filter_map(|&leaf| leaves.get(leaf))
        .flat_map(|l| l.approved.iter().copied())
        .collect();
    people.sort_unstable();
    people.dedup();
    let mut holder: Vec<Option<UserId>> = vec![None; slot_leaf.len()];
    for &person in &people {
        let mut seen = vec![false; slot_leaf.len()];
        augment(person, &slot_leaf, leaves, &mut holder, &mut seen);
    }
    let mut assigned = vec![Vec::new(); leaves.len()];
    for (slot, who) in holder.iter().enumerate() {
        if let (Some(person), Some(&leaf)) = (who, slot_leaf.get(slot)) {
            if let Some(list) = assigned.get_mut(leaf) {
                list.push(*person);
            }
        }
    }
    for list in &mut assigned {
        list.sort_unstable();
    }
    assigned
}

fn augment(
    person: UserId,
    slot_leaf: &[usize],
    leaves: &[LeafSlots<'_>],
    holder: &mut [Option<UserId>],
    seen: &mut [bool],
) -> bool {
    for (slot, &leaf) in slot_leaf.iter().enumerate() {
        let fits = leaves
            .get(leaf)
            .is_some_and(|l| l.approved.binary_search(&person).is_ok());
        if !fits || seen.get(slot).copied().unwrap_or(true) {
            continue;
        }
        if let Some(s) = seen.get_mut(slot) {
            *s = true;
        }
        let current = holder.get(slot).copied().flatten();
        let free = match current {
            None => true,
            Some(other) => augment(other, slot_leaf, leaves, holder, seen),
        };
        if free {
            if let Some(h) = holder.get_mut(slot) {
                *h = Some(person);
            }
            return true;
        }
    }
    false
}
