//! The in-memory cache of parsed keyrings. Reads take a shared lock and clone an `Arc`; every
//! change to a key replaces or removes its entry, so the cache is never stale. `cache-config`
//! bounds it (least recently used entries are evicted); 0 means unbounded, as in Vault.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use super::keyring::Keyring;

struct Slot {
    ring: Arc<Keyring>,
    last_used: AtomicU64,
}

#[derive(Default)]
pub struct KeyCache {
    slots: RwLock<HashMap<String, Slot>>,
    /// Maximum number of entries; 0 is unbounded.
    limit: AtomicUsize,
    clock: AtomicU64,
}

impl KeyCache {
    pub fn get(&self, name: &str) -> Option<Arc<Keyring>> {
        let slots = self.slots.read().unwrap_or_else(|p| p.into_inner());
        let slot = slots.get(name)?;
        if self.limit.load(Ordering::Relaxed) > 0 {
            let tick = self.clock.fetch_add(1, Ordering::Relaxed);
            slot.last_used.store(tick, Ordering::Relaxed);
        }
        Some(slot.ring.clone())
    }

    pub fn insert(&self, ring: Arc<Keyring>) {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut slots = self.slots.write().unwrap_or_else(|p| p.into_inner());
        slots.insert(
            ring.name().to_string(),
            Slot {
                ring,
                last_used: AtomicU64::new(tick),
            },
        );
        Self::evict(&mut slots, self.limit.load(Ordering::Relaxed));
    }

    pub fn remove(&self, name: &str) {
        let mut slots = self.slots.write().unwrap_or_else(|p| p.into_inner());
        slots.remove(name);
    }

    pub fn clear(&self) {
        let mut slots = self.slots.write().unwrap_or_else(|p| p.into_inner());
        slots.clear();
    }

    pub fn set_limit(&self, limit: usize) {
        self.limit.store(limit, Ordering::Relaxed);
        let mut slots = self.slots.write().unwrap_or_else(|p| p.into_inner());
        Self::evict(&mut slots, limit);
    }

    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.slots.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn evict(slots: &mut HashMap<String, Slot>, limit: usize) {
        if limit == 0 {
            return;
        }
        while slots.len() > limit {
            let oldest = slots
                .iter()
                .min_by_key(|(_, s)| s.last_used.load(Ordering::Relaxed))
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    slots.remove(&k);
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transit::keyring::NewKey;
    use crate::transit::keytype::KeyType;
    use std::time::Duration;

    fn ring(name: &str) -> Arc<Keyring> {
        Arc::new(Keyring::new(&NewKey {
            name: name.into(),
            key_type: KeyType::Aes256Gcm96,
            derived: false,
            convergent: false,
            exportable: false,
            allow_plaintext_backup: false,
            auto_rotate_period: Duration::ZERO,
            key_size: 0,
        }))
    }

    #[test]
    fn evicts_least_recently_used() {
        let cache = KeyCache::default();
        cache.set_limit(2);
        cache.insert(ring("a"));
        cache.insert(ring("b"));
        assert!(cache.get("a").is_some());
        cache.insert(ring("c"));
        assert!(cache.get("b").is_none(), "b was least recently used");
        assert!(cache.get("a").is_some());
        assert!(cache.get("c").is_some());
        cache.set_limit(0);
        for n in 0..50 {
            cache.insert(ring(&format!("k{n}")));
        }
        assert_eq!(cache.len(), 52);
        cache.remove("a");
        assert!(cache.get("a").is_none());
    }
}
