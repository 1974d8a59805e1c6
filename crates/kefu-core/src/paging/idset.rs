//! A compact set of the record ids a paged stream has handed out, so a
//! record the server serves twice (a shifted page, a repeated page, an
//! overlapping total) is handed out once.
//!
//! Each id is kept as a 64-bit keyed hash (SipHash with a key drawn per set,
//! so a server cannot aim collisions): 8 bytes an id in one sorted vector,
//! plus a small hash set of the latest ids that is merged into the vector
//! every [`RECENT`] ids. A million ids take about 8 MB (and at most
//! [`RECENT`] × 16 bytes more); two distinct ids collide with probability
//! about n²/2⁶⁵, 3·10⁻⁸ at a million.

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// Ids kept in the hash set before they are merged into the sorted vector.
pub const RECENT: usize = 16 * 1024;

/// The set; see the module documentation for its memory.
#[derive(Debug, Default)]
pub struct IdSet {
    keys: RandomState,
    sorted: Vec<u64>,
    recent: HashSet<u64, BuildHasherDefault<Prehashed>>,
}

impl IdSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `id`; true if it was not there yet.
    pub fn insert(&mut self, id: &str) -> bool {
        let h = self.keys.hash_one(id);
        if self.recent.contains(&h) || self.sorted.binary_search(&h).is_ok() {
            return false;
        }
        self.recent.insert(h);
        if self.recent.len() >= RECENT {
            self.merge();
        }
        true
    }

    /// Whether `id` was inserted.
    pub fn contains(&self, id: &str) -> bool {
        let h = self.keys.hash_one(id);
        self.recent.contains(&h) || self.sorted.binary_search(&h).is_ok()
    }

    /// Ids in the set.
    pub fn len(&self) -> usize {
        self.sorted.len() + self.recent.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held, for the documentation's figures and the tests.
    pub fn heap_bytes(&self) -> usize {
        self.sorted.capacity() * 8 + self.recent.capacity() * 9
    }

    /// Merges the recent ids into the sorted vector in place, from the
    /// back: linear, and no second copy of the vector.
    fn merge(&mut self) {
        let mut fresh: Vec<u64> = self.recent.drain().collect();
        fresh.sort_unstable();
        let old = self.sorted.len();
        // Exact: doubling would leave up to half the vector unused.
        self.sorted.reserve_exact(fresh.len());
        self.sorted.resize(old + fresh.len(), 0);
        let (mut i, mut j, mut k) = (old, fresh.len(), self.sorted.len());
        while j > 0 {
            k -= 1;
            if i > 0 && self.sorted[i - 1] > fresh[j - 1] {
                self.sorted[k] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[k] = fresh[j - 1];
                j -= 1;
            }
        }
    }
}

/// The set's values are hashes already.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_id_is_new_once_across_merges() {
        let mut set = IdSet::new();
        let n = RECENT * 3 + 17;
        for i in 0..n {
            assert!(set.insert(&format!("id-{i}")), "{i}");
        }
        for i in (0..n).step_by(7) {
            assert!(!set.insert(&format!("id-{i}")), "{i}");
            assert!(set.contains(&format!("id-{i}")));
        }
        assert!(!set.contains("id-x"));
        assert_eq!(set.len(), n);
        assert!(set.sorted.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_million_ids_take_about_eight_megabytes() {
        let mut set = IdSet::new();
        for i in 0..1_000_000u32 {
            set.insert(&i.to_string());
        }
        assert_eq!(set.len(), 1_000_000);
        assert!(set.heap_bytes() < 12 << 20, "{} bytes", set.heap_bytes());
    }
}
