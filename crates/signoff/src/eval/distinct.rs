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

/// Kuhn's augmenting paths over slots (a leaf needing N has N slots): each person in
/// name order looks for a slot through the slots in order, moving earlier holders along
/// when that frees one.
///
/// Slots of one leaf are interchangeable, and two facts keep the search cheap without
/// changing its outcome: a leaf's occupied slots are always a prefix of its slots (a slot,
/// once taken, stays taken), and within one search the slots already tried of a leaf are a
/// prefix too. So a leaf is just its holders in slot order plus how many of its slots this
/// search has tried, and the search is a loop over an explicit stack rather than recursion:
/// `any: 2000` with 2000 approvers was O(n³) steps and n nested calls, enough to hang the
/// simulator and overflow the stack.
fn match_choice(choice: &[usize], leaves: &[LeafSlots<'_>]) -> Vec<Vec<UserId>> {
    let capacity: Vec<usize> = leaves
        .iter()
        .map(|l| (l.need as usize).min(l.approved.len()))
        .collect();
    let mut people: Vec<UserId> = choice
        .iter()
        .filter_map(|&leaf| leaves.get(leaf))
        .flat_map(|l| l.approved.iter().copied())
        .collect();
    people.sort_unstable();
    people.dedup();
    let mut search = Search {
        choice,
        leaves,
        capacity,
        holders: vec![Vec::new(); leaves.len()],
        tried: Vec::new(),
    };
    for &person in &people {
        search.augment(person);
    }
    let mut assigned = search.holders;
    for list in &mut assigned {
        list.sort_unstable();
    }
    assigned
}

struct Search<'c, 'l, 'a> {
    choice: &'c [usize],
    leaves: &'l [LeafSlots<'a>],
    /// Slots per leaf: its need, or fewer when fewer people could fill it.
    capacity: Vec<usize>,
    /// Each leaf's holders, by slot.
    holders: Vec<Vec<UserId>>,
    /// Per leaf, how many of its slots the current search has tried.
    tried: Vec<usize>,
}

/// One person looking for a slot: where in `choice` they are, and the slot whose holder
/// they asked to move, if any.
struct Frame {
    person: UserId,
    position: usize,
    waiting: Option<(usize, usize)>,
}

impl Search<'_, '_, '_> {
    fn fits(&self, person: UserId, leaf: usize) -> bool {
        self.leaves
            .get(leaf)
            .is_some_and(|l| l.approved.binary_search(&person).is_ok())
    }

    /// The next untried slot `person` fits, from `frame.position` on, marked tried.
    fn next_slot(&mut self, frame: &mut Frame) -> Option<(usize, usize)> {
        while let Some(&leaf) = self.choice.get(frame.position) {
            let tried = self.tried.get(leaf).copied().unwrap_or(usize::MAX);
            if tried < self.capacity.get(leaf).copied().unwrap_or(0)
                && self.fits(frame.person, leaf)
            {
                if let Some(t) = self.tried.get_mut(leaf) {
                    *t += 1;
                }
                return Some((leaf, tried));
            }
            frame.position += 1;
        }
        None
    }

    /// Finds `person` a slot, moving holders along an augmenting path; false when none.
    fn augment(&mut self, person: UserId) -> bool {
        self.tried = vec![0; self.leaves.len()];
        let mut stack = vec![Frame {
            person,
            position: 0,
            waiting: None,
        }];
        // Whether the frame just popped found a slot.
        let mut moved = false;
        while let Some(mut frame) = stack.pop() {
            if let Some((leaf, slot)) = frame.waiting.take() {
                if moved {
                    // The holder moved on: take their slot and tell the frame below.
                    if let Some(h) = self.holders.get_mut(leaf).and_then(|h| h.get_mut(slot)) {
                        *h = frame.person;
                    }
                    continue;
                }
            }
            let Some((leaf, slot)) = self.next_slot(&mut frame) else {
                moved = false;
                continue;
            };
            let holder = self.holders.get(leaf).and_then(|h| h.get(slot)).copied();
            match holder {
                None => {
                    if let Some(h) = self.holders.get_mut(leaf) {
                        h.push(frame.person);
                    }
                    moved = true;
                }
                Some(other) => {
                    frame.waiting = Some((leaf, slot));
                    stack.push(frame);
                    stack.push(Frame {
                        person: other,
                        position: 0,
                        waiting: None,
                    });
                }
            }
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slot-by-slot recursive Kuhn this module used before: the reference the
    /// prefix-based search must agree with, assignment for assignment.
    fn reference(choice: &[usize], leaves: &[LeafSlots<'_>]) -> Vec<Vec<UserId>> {
        fn augment(
            person: UserId,
            slot_leaf: &[usize],
            leaves: &[LeafSlots<'_>],
            holder: &mut [Option<UserId>],
            seen: &mut [bool],
        ) -> bool {
            for (slot, &leaf) in slot_leaf.iter().enumerate() {
                if !leaves[leaf].approved.contains(&person) || seen[slot] {
                    continue;
                }
                seen[slot] = true;
                let free = match holder[slot] {
                    None => true,
                    Some(other) => augment(other, slot_leaf, leaves, holder, seen),
                };
                if free {
                    holder[slot] = Some(person);
                    return true;
                }
            }
            false
        }
        let mut slot_leaf = Vec::new();
        for &leaf in choice {
            slot_leaf.extend(std::iter::repeat_n(
                leaf,
                (leaves[leaf].need as usize).min(leaves[leaf].approved.len()),
            ));
        }
        let mut people: Vec<UserId> = choice
            .iter()
            .flat_map(|&l| leaves[l].approved.iter().copied())
            .collect();
        people.sort_unstable();
        people.dedup();
        let mut holder = vec![None; slot_leaf.len()];
        for &person in &people {
            let mut seen = vec![false; slot_leaf.len()];
            augment(person, &slot_leaf, leaves, &mut holder, &mut seen);
        }
        let mut assigned = vec![Vec::new(); leaves.len()];
        for (slot, who) in holder.iter().enumerate() {
            if let Some(person) = who {
                assigned[slot_leaf[slot]].push(*person);
            }
        }
        for list in &mut assigned {
            list.sort_unstable();
        }
        assigned
    }

    #[test]
    fn same_assignment_as_slot_by_slot_kuhn() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        for _ in 0..20_000 {
            let people = 1 + next(9) as u32;
            let leaf_count = 1 + next(5) as usize;
            let approved: Vec<Vec<UserId>> = (0..leaf_count)
                .map(|_| (0..people).filter(|_| next(3) > 0).collect::<Vec<UserId>>())
                .collect();
            let needs: Vec<u32> = (0..leaf_count).map(|_| 1 + next(4) as u32).collect();
            let leaves: Vec<LeafSlots<'_>> = approved
                .iter()
                .zip(&needs)
                .map(|(a, n)| LeafSlots {
                    need: *n,
                    approved: a,
                })
                .collect();
            let mut choice: Vec<usize> = (0..leaf_count).filter(|_| next(4) > 0).collect();
            if next(2) == 0 {
                choice.reverse();
            }
            assert_eq!(
                match_choice(&choice, &leaves),
                reference(&choice, &leaves),
                "{needs:?} {approved:?} {choice:?}"
            );
        }
    }

    #[test]
    fn thousands_of_approvers_for_one_leaf_are_fast_and_shallow() {
        let approved: Vec<UserId> = (0..5_000).collect();
        let leaves = [
            LeafSlots {
                need: 5_000,
                approved: &approved,
            },
            LeafSlots {
                need: 3,
                approved: &approved[..10],
            },
        ];
        let assigned = match_choice(&[1, 0], &leaves);
        assert_eq!(assigned[1].len(), 3);
        assert_eq!(assigned[0].len(), 4_997);
        assert!(
            assigned[1]
                .iter()
                .all(|p| assigned[0].binary_search(p).is_err())
        );
    }
}
