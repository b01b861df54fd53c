//! Directory names to ids: every grant looks its author up, so this is the hottest
//! lookup of a decision. A table of ids with open addressing, hashed from a name's first
//! and last words (every word of a name longer than 16 bytes), and compared in place
//! against the directory's names. Hand-written rather than a `HashMap<&str, u32>` (FxHash
//! and hashbrown took about 73 instructions a lookup on the reference workload, this about
//! a third of that): a name of up to 16 bytes hashes in two loads and two multiplications,
//! and the table holds only ids, the names being the directory's own.

use super::context::{UserId, same_bytes};

/// Marks a free slot: no directory holds 2^32 - 1 users.
const FREE: UserId = UserId::MAX;

/// An odd multiplier with well-spread bits (rustc-hash's).
const MIX: u64 = 0xf135_7aea_2e62_a9c5;

#[derive(Debug, Clone, Default)]
pub(crate) struct UserIndex {
    /// Ids by slot; at most half the slots are taken, so every probe reaches a free one.
    slots: Box<[UserId]>,
    /// The hash's high bits pick the slot: `64 - log2(slots.len())`.
    shift: u32,
}

impl UserIndex {
    /// Indexes `names` (a user's id is its position; names are distinct, as a directory's
    /// keys are: of equal names the first is found).
    pub fn new(names: &[&str]) -> UserIndex {
        let len = (names.len() * 2).next_power_of_two().max(8);
        let mut index = UserIndex {
            slots: vec![FREE; len].into_boxed_slice(),
            shift: 64 - len.trailing_zeros(),
        };
        let mask = len - 1;
        for (id, name) in names.iter().enumerate() {
            let Ok(id) = UserId::try_from(id) else {
                break;
            };
            let mut slot = index.home(name.as_bytes());
            while let Some(taken) = index.slots.get_mut(slot) {
                if *taken == FREE {
                    *taken = id;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
        index
    }

    /// The id of `name` among `names` (the list the index was built from). A name of 8
    /// to 16 bytes (most logins) is hashed and compared as its first and last words, with
    /// no call; other lengths take [`UserIndex::get_other`].
    #[inline]
    pub fn get(&self, names: &[&str], name: &str) -> Option<UserId> {
        let bytes = name.as_bytes();
        let (Some(first), Some(last)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) else {
            return self.get_other(names, name);
        };
        if bytes.len() > 16 {
            return self.get_other(names, name);
        }
        let (first, last) = (u64::from_le_bytes(*first), u64::from_le_bytes(*last));
        let words = |n: &[u8]| match (n.first_chunk::<8>(), n.last_chunk::<8>()) {
            (Some(f), Some(l)) => u64::from_le_bytes(*f) == first && u64::from_le_bytes(*l) == last,
            _ => false,
        };
        self.probe(step(step(start(bytes), first), last), names, |n| {
            n.len() == bytes.len() && words(n)
        })
    }

    #[inline(never)]
    fn get_other(&self, names: &[&str], name: &str) -> Option<UserId> {
        let wanted = name.as_bytes();
        self.probe(hash(wanted), names, |n| same_bytes(n, wanted))
    }

    /// The first id from `hash`'s slot on whose name `is_it` holds, up to a free slot.
    #[inline]
    fn probe(&self, hash: u64, names: &[&str], is_it: impl Fn(&[u8]) -> bool) -> Option<UserId> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut slot = (hash >> self.shift) as usize;
        loop {
            let id = *self.slots.get(slot)?;
            if id == FREE {
                return None;
            }
            if names.get(id as usize).is_some_and(|n| is_it(n.as_bytes())) {
                return Some(id);
            }
            slot = (slot + 1) & mask;
        }
    }

    fn home(&self, name: &[u8]) -> usize {
        (hash(name) >> self.shift) as usize
    }
}

/// The length, then the first and last eight bytes (which overlap below 16 and together
/// hold every byte up to 16), each folded in by a multiplication; a longer name folds in
/// every word, then the last; a shorter one its bytes read one at a time. (`get` computes
/// the first case in place.)
fn hash(name: &[u8]) -> u64 {
    let word = |chunk: Option<&[u8; 8]>| chunk.map_or(0, |c| u64::from_le_bytes(*c));
    let first_and_last = |h: u64| step(step(h, word(name.first_chunk())), word(name.last_chunk()));
    match name.len() {
        0..8 => step(
            start(name),
            name.iter().fold(0, |w, &b| w << 8 | u64::from(b)),
        ),
        8..=16 => first_and_last(start(name)),
        _ => {
            let mut h = start(name);
            for chunk in name.chunks_exact(8) {
                h = step(h, word(chunk.first_chunk()));
            }
            step(h, word(name.last_chunk()))
        }
    }
}

fn start(name: &[u8]) -> u64 {
    (name.len() as u64).wrapping_mul(MIX)
}

fn step(h: u64, word: u64) -> u64 {
    (h.rotate_left(26) ^ word).wrapping_mul(MIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_found_and_no_other() {
        let owned: Vec<String> = (0..3000)
            .map(|i| match i % 5 {
                0 => format!("u{i}"),
                // Every length from 1 to 20 bytes, across the hash's cases.
                4 => format!("{}{i}", "x".repeat(i % 17)),
                1 => format!("user{i:04}"),
                2 => format!("first.last{i}@example.com"),
                _ => format!("a-rather-long-login-name-{i}-with-a-tail"),
            })
            .collect();
        let names: Vec<&str> = owned.iter().map(String::as_str).collect();
        let index = UserIndex::new(&names);
        for (id, name) in names.iter().enumerate() {
            assert_eq!(index.get(&names, name), Some(id as UserId), "{name}");
        }
        for absent in [
            "",
            "u",
            "user",
            "user3000",
            "U1",
            "first.last2@example.co",
            "ü",
        ] {
            assert_eq!(index.get(&names, absent), None, "{absent}");
        }
        // A name differing from a known one in a single byte, anywhere.
        for name in &names {
            for i in 0..name.len() {
                let mut other = name.as_bytes().to_vec();
                other[i] ^= 0x20;
                if let Ok(other) = std::str::from_utf8(&other) {
                    let found = index.get(&names, other);
                    assert!(
                        found.is_none() || names[found.unwrap() as usize] == other,
                        "{other}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_empty_directory_finds_nobody() {
        let index = UserIndex::new(&[]);
        assert_eq!(index.get(&[], "alice"), None);
        assert_eq!(UserIndex::default().get(&[], "alice"), None);
    }
}
