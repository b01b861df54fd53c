//! The adapters' in-memory caches of forge answers: reused for a while, bounded in size.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most entries a cache holds before it starts over (a bound on memory; the forge is
/// asked again for what was dropped).
pub const MAX_ENTRIES: usize = 10_000;

/// key → (when the forge answered, the answer).
pub type Timed<V> = Mutex<HashMap<String, (Instant, V)>>;

/// The answer under `key` if the forge gave it less than `ttl` ago.
pub fn fresh<V: Clone>(map: &Timed<V>, key: &str, ttl: Duration) -> Option<V> {
    let map = map.lock().ok()?;
    let (at, value) = map.get(key)?;
    (at.elapsed() < ttl).then(|| value.clone())
}

/// Keeps the forge's answer `value` under `key`, as of now.
pub fn remember<V>(map: &Timed<V>, key: String, value: V) {
    keep(map, key, (Instant::now(), value));
}

/// Keeps `value` under `key` for good (for answers that cannot change, such as a
/// commit's files); a full map starts over.
pub fn keep<V>(map: &Mutex<HashMap<String, V>>, key: String, value: V) {
    if let Ok(mut map) = map.lock() {
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, value);
    }
}
