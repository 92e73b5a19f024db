//! Parsed maps kept in memory, least recently used dropped past a byte budget; and the keys
//! recently found to have no map, so that frames of unmapped files do not ask the database on
//! every request.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lru::LruCache;

use super::parse::ParsedMap;

/// How long a key found without a map is not looked up again.
pub const MISSING_TTL: Duration = Duration::from_secs(30);
/// Keys remembered as missing, at most.
const MAX_MISSING: usize = 10_000;

/// (app, version, stored file name).
pub type Key = (String, String, String);

/// The cache; callers hold it under a lock for short, non-blocking steps only.
pub struct MapCache {
    maps: LruCache<Key, Arc<ParsedMap>>,
    missing: LruCache<Key, Instant>,
    bytes: usize,
    budget: usize,
}

/// What the cache knows of a key.
pub enum Cached {
    Map(Arc<ParsedMap>),
    Missing,
    Unknown,
}

impl MapCache {
    /// An empty cache of `budget` bytes.
    pub fn new(budget: usize) -> MapCache {
        let missing = NonZeroUsize::new(MAX_MISSING).expect("a positive bound");
        MapCache {
            maps: LruCache::unbounded(),
            missing: LruCache::new(missing),
            bytes: 0,
            budget,
        }
    }

    /// What is known of `key`, marking a map as recently used.
    pub fn get(&mut self, key: &Key) -> Cached {
        if let Some(map) = self.maps.get(key) {
            return Cached::Map(Arc::clone(map));
        }
        match self.missing.get(key) {
            Some(at) if at.elapsed() < MISSING_TTL => Cached::Missing,
            _ => Cached::Unknown,
        }
    }

    /// Keeps `map`, dropping the least recently used maps to stay in the budget; a map larger
    /// than the whole budget is not kept. Gives how many maps were dropped.
    pub fn insert(&mut self, key: Key, map: Arc<ParsedMap>) -> usize {
        self.remove(&key);
        if map.cost > self.budget {
            return 0;
        }
        let mut evicted = 0;
        while self.bytes + map.cost > self.budget {
            let Some((_, dropped)) = self.maps.pop_lru() else {
                break;
            };
            self.bytes -= dropped.cost;
            evicted += 1;
        }
        self.bytes += map.cost;
        self.maps.put(key, map);
        evicted
    }

    /// Remembers that `key` has no map.
    pub fn insert_missing(&mut self, key: Key) {
        self.missing.put(key, Instant::now());
    }

    /// Forgets `key`, map or missing.
    pub fn remove(&mut self, key: &Key) {
        if let Some(map) = self.maps.pop(key) {
            self.bytes -= map.cost;
        }
        self.missing.pop(key);
    }

    /// Bytes the kept maps take.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Maps kept.
    pub fn map_count(&self) -> usize {
        self.maps.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sourcemaps::parse::parse;

    fn map(cost: usize) -> Arc<ParsedMap> {
        let json = br#"{"version":3,"sources":[],"names":[],"mappings":""}"#;
        let mut parsed = parse(json).unwrap();
        parsed.cost = cost;
        Arc::new(parsed)
    }

    fn key(file: &str) -> Key {
        ("shop".into(), "1".into(), file.into())
    }

    #[test]
    fn the_least_recently_used_maps_go_past_the_budget() {
        let mut cache = MapCache::new(100);
        cache.insert(key("a"), map(40));
        cache.insert(key("b"), map(40));
        assert!(matches!(cache.get(&key("a")), Cached::Map(_)));
        assert_eq!(cache.insert(key("c"), map(40)), 1, "b dropped");
        assert!(matches!(cache.get(&key("b")), Cached::Unknown));
        assert!(matches!(cache.get(&key("a")), Cached::Map(_)));
        assert_eq!((cache.map_count(), cache.bytes()), (2, 80));
        cache.insert(key("huge"), map(1000));
        assert!(matches!(cache.get(&key("huge")), Cached::Unknown));
        assert_eq!(cache.bytes(), 80);
        cache.insert_missing(key("d"));
        assert!(matches!(cache.get(&key("d")), Cached::Missing));
        cache.remove(&key("a"));
        assert_eq!(cache.bytes(), 40);
    }
}
