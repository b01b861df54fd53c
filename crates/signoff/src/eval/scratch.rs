//! Working space of one decision: `len` words, on the stack when `stack` is long enough
//! (no allocation for the common sizes), else in `heap`.

/// `len` zeroed words: the start of `stack`, or `heap` grown to `len`.
pub(crate) fn words<'a>(stack: &'a mut [u64], heap: &'a mut Vec<u64>, len: usize) -> &'a mut [u64] {
    match stack.get_mut(..len) {
        Some(words) => words,
        None => {
            heap.resize(len, 0);
            heap
        }
    }
}
