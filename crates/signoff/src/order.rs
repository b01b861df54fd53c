//! One compiled stable sort for the crate's short, cold lists (diagnostics, problems).
//!
//! `slice::sort_by` is compiled once per element type and comparison: each call site
//! costs 4–9 KB of wasm (docs/simulator.md, "Size"). Here the standard library's sort runs
//! once, in [`stable_order`], on indices, comparing through `&dyn Fn`; a caller adds only
//! its comparison and a small permutation. The indirect call makes each comparison
//! slower, so this is for lists of diagnostics, not for the evaluator's hot lists.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Sorts `items` stably by `compare`: the order `items.sort_by(compare)` gives.
pub fn stable_sort_by<T>(items: &mut Vec<T>, compare: impl Fn(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    // The indices are all in range; `get` only keeps the code free of panics.
    let order = stable_order(items.len(), &|a, b| match (items.get(a), items.get(b)) {
        (Some(a), Some(b)) => compare(a, b),
        _ => Ordering::Equal,
    });
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take)),
    );
}

/// The indices `0..len` in the stable order `compare` gives them; not inlined, so that
/// every caller shares this one instantiation of the standard library's sort.
#[inline(never)]
fn stable_order(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// The set of `items`, built by insertion: `collect()` into a `BTreeSet` sorts a vector
/// first, one more compiled sort per element type, for lists a policy keeps short.
pub(crate) fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    set.extend(items);
    set
}

/// The map of `entries` (a later value replaces an earlier one under the same key, as
/// with `collect()`), built by insertion for the reason [`set_of`] gives.
pub(crate) fn map_of<K: Ord, V>(entries: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(entries);
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        // Pairs compared by their first element only, so equal keys show stability.
        let items: Vec<(u8, usize)> = [
            3u8, 1, 2, 1, 3, 0, 2, 1, 3, 3, 0, 2, 1, 1, 2, 0, 3, 1, 2, 0, 1, 2, 3, 0,
        ]
        .iter()
        .enumerate()
        .map(|(i, &k)| (k, i))
        .collect();
        let mut ours = items.clone();
        stable_sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
        let mut std = items;
        std.sort_by_key(|a| a.0);
        assert_eq!(ours, std);
        assert!(ours.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn sets_and_maps_built_by_insertion_equal_collected_ones() {
        let names = ["carol", "alice", "bob", "alice"];
        assert_eq!(set_of(names), names.into_iter().collect::<BTreeSet<_>>());
        let pairs = [("b", 1), ("a", 2), ("b", 3)];
        assert_eq!(map_of(pairs), pairs.into_iter().collect::<BTreeMap<_, _>>());
        assert_eq!(map_of(pairs)["b"], 3);
    }

    #[test]
    fn leaves_short_lists_alone() {
        let mut empty: Vec<String> = Vec::new();
        stable_sort_by(&mut empty, |a, b| a.cmp(b));
        assert!(empty.is_empty());
        let mut one = vec!["b".to_owned()];
        stable_sort_by(&mut one, |a, b| a.cmp(b));
        assert_eq!(one, ["b"]);
    }
}
