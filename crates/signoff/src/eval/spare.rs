//! Lists a decision needs only while it is made, kept per thread for the next decision:
//! a bulk replay makes decisions by the million, and allocating and freeing these lists
//! each time cost about a twelfth of `decide` on the reference workload.

use super::assess::PolicyState;
use super::context::UserId;
use std::cell::Cell;
use std::mem::take;

/// Empty lists, each with the capacity its last use left it (up to [`KEPT`]).
#[derive(Default)]
pub(crate) struct Spare {
    pub effective: Vec<usize>,
    pub excluded: Vec<UserId>,
    pub approvers: Vec<UserId>,
    pub rejecters: Vec<UserId>,
    pub approved: Vec<UserId>,
    pub policies: Vec<PolicyState>,
    pub rejected_by: Vec<UserId>,
}

/// A list that grew past this many elements is freed rather than kept, so that one
/// huge request does not hold its memory for the rest of the thread's life.
const KEPT: usize = 4096;

thread_local! {
    static SPARE: Cell<Spare> = Cell::new(Spare::default());
}

/// This thread's spare lists (empty lists, without capacity, if another decision on this
/// thread holds them or the thread is ending).
pub(crate) fn take_spare() -> Spare {
    SPARE.try_with(Cell::take).unwrap_or_default()
}

/// Gives lists back for the next decision on this thread, emptied.
pub(crate) fn give_back(mut spare: Spare) {
    clear(&mut spare.effective);
    clear(&mut spare.excluded);
    clear(&mut spare.approvers);
    clear(&mut spare.rejecters);
    clear(&mut spare.approved);
    clear(&mut spare.policies);
    clear(&mut spare.rejected_by);
    // A thread that is ending drops them instead.
    let _ = SPARE.try_with(|cell| cell.set(spare));
}

fn clear<T>(list: &mut Vec<T>) {
    if list.capacity() > KEPT {
        drop(take(list));
    } else {
        list.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lists come back empty, with their capacity unless it grew past [`KEPT`]; and a
    /// second taker while they are out gets lists of its own.
    #[test]
    fn lists_come_back_empty_and_huge_ones_are_freed() {
        let mut spare = take_spare();
        spare.approvers.extend([3, 1, 2]);
        spare.effective.extend(0..KEPT + 1);
        let meanwhile = take_spare();
        assert!(meanwhile.approvers.is_empty() && meanwhile.approvers.capacity() == 0);
        give_back(spare);
        let again = take_spare();
        assert!(again.approvers.is_empty());
        assert!(
            again.approvers.capacity() >= 3,
            "kept for the next decision"
        );
        assert_eq!(again.effective.capacity(), 0, "freed: it grew past KEPT");
    }
}
