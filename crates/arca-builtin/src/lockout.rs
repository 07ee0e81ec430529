//! User lockout after repeated failed logins, shared by the auth methods that support it
//! (userpass, AppRole), with Vault's semantics: failures of one alias (username, role ID)
//! are counted while they come within `lockout_counter_reset` of each other; at
//! `lockout_threshold` the alias is refused (403) for `lockout_duration`; a successful login
//! clears the count. Counts live in memory; a lock is also persisted in the mount's storage
//! so a restart does not lift it. The login path only reads memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use arca_sdk::{
    now_unix, Error, Result, Storage, StorageExt, StorageView, SystemView, UserLockoutConfig,
};
use serde::{Deserialize, Serialize};

/// Failed logins of one alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Failures {
    count: u64,
    last_failure: i64,
    /// Whether the lock is recorded in storage (so lifting it must delete the record).
    #[serde(skip)]
    persisted: bool,
}

/// What storage keeps for a locked alias.
#[derive(Debug, Serialize, Deserialize)]
struct StoredLock {
    alias: String,
    count: u64,
    last_failure: i64,
}

pub struct LoginLockout {
    /// The `lockout/` view of the mount's storage; keys are hex-encoded aliases, since
    /// role IDs may hold any character.
    storage: StorageView,
    system: Arc<dyn SystemView>,
    failures: Mutex<HashMap<String, Failures>>,
    /// Orders the storage writes of locks and unlocks, so an unlock cannot be undone by a
    /// lock persisted concurrently.
    persist: tokio::sync::Mutex<()>,
}

fn is_locked(f: &Failures, cfg: &UserLockoutConfig, now: i64) -> bool {
    f.count >= cfg.threshold && now - f.last_failure < cfg.duration.as_secs() as i64
}

impl LoginLockout {
    pub fn new(storage: &StorageView, system: Arc<dyn SystemView>) -> Self {
        LoginLockout {
            storage: storage.sub_view("lockout/"),
            system,
            failures: Mutex::new(HashMap::new()),
            persist: tokio::sync::Mutex::new(()),
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Failures>> {
        // A panic while holding this lock cannot leave the map inconsistent (each update
        // is one insert or remove), so a poisoned lock is still usable.
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn config(&self) -> Option<UserLockoutConfig> {
        let cfg = self.system.user_lockout_config();
        (!cfg.disabled).then_some(cfg)
    }

    /// Loads the persisted locks (at mount and unseal).
    pub async fn load(&self) -> Result<()> {
        let mut loaded = HashMap::new();
        for key in self.storage.list("").await? {
            if let Some(lock) = self.storage.get_json::<StoredLock>(&key).await? {
                loaded.insert(
                    lock.alias,
                    Failures {
                        count: lock.count,
                        last_failure: lock.last_failure,
                        persisted: true,
                    },
                );
            }
        }
        *self.map() = loaded;
        Ok(())
    }

    /// Refuses a login of a locked alias with Vault's "permission denied".
    pub fn check(&self, alias: &str) -> Result<()> {
        let Some(cfg) = self.config() else {
            return Ok(());
        };
        let map = self.map();
        match map.get(alias) {
            Some(f) if is_locked(f, &cfg, now_unix()) => Err(Error::PermissionDenied),
            _ => Ok(()),
        }
    }

    /// Counts a failed login (bad password, unknown secret ID) of an existing alias.
    pub async fn record_failure(&self, alias: &str) -> Result<()> {
        let Some(cfg) = self.config() else {
            return Ok(());
        };
        let _order = self.persist.lock().await;
        let now = now_unix();
        let record = {
            let mut map = self.map();
            let previous = map.get(alias).copied();
            let count = match previous {
                Some(p) if now <= p.last_failure + cfg.counter_reset.as_secs() as i64 => {
                    p.count.saturating_add(1)
                }
                _ => 1,
            };
            let record = Failures {
                count,
                last_failure: now,
                persisted: previous.is_some_and(|p| p.persisted),
            };
            map.insert(alias.to_string(), record);
            record
        };
        if record.count >= cfg.threshold {
            let stored = StoredLock {
                alias: alias.to_string(),
                count: record.count,
                last_failure: record.last_failure,
            };
            self.storage.put_json(&hex::encode(alias), &stored).await?;
            if let Some(f) = self.map().get_mut(alias) {
                f.persisted = true;
            }
        }
        Ok(())
    }

    /// Clears the failures of an alias after a successful login.
    pub async fn record_success(&self, alias: &str) -> Result<()> {
        let removed = {
            let mut map = self.map();
            if map.is_empty() {
                return Ok(());
            }
            map.remove(alias)
        };
        if removed.is_some_and(|f| f.persisted) {
            let _order = self.persist.lock().await;
            self.storage.delete(&hex::encode(alias)).await?;
        }
        Ok(())
    }

    /// The aliases locked right now, sorted.
    pub fn locked(&self) -> Vec<String> {
        let cfg = self.system.user_lockout_config();
        let now = now_unix();
        let mut out: Vec<String> = self
            .map()
            .iter()
            .filter(|(_, f)| is_locked(f, &cfg, now))
            .map(|(alias, _)| alias.clone())
            .collect();
        out.sort();
        out
    }

    /// Lifts the lock and forgets the failures of an alias.
    pub async fn unlock(&self, alias: &str) -> Result<()> {
        let _order = self.persist.lock().await;
        self.map().remove(alias);
        self.storage.delete(&hex::encode(alias)).await
    }

    /// Forgets failures that can no longer count or lock (periodic housekeeping).
    pub async fn tidy(&self) -> Result<()> {
        let cfg = self.system.user_lockout_config();
        let horizon = cfg.duration.max(cfg.counter_reset).as_secs() as i64;
        let _order = self.persist.lock().await;
        let now = now_unix();
        let stale: Vec<(String, bool)> = {
            let mut map = self.map();
            let stale: Vec<(String, bool)> = map
                .iter()
                .filter(|(_, f)| now - f.last_failure > horizon)
                .map(|(a, f)| (a.clone(), f.persisted))
                .collect();
            for (alias, _) in &stale {
                map.remove(alias);
            }
            stale
        };
        for (alias, persisted) in stale {
            if persisted {
                self.storage.delete(&hex::encode(&alias)).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn cfg(threshold: u64) -> UserLockoutConfig {
        UserLockoutConfig {
            threshold,
            duration: Duration::from_secs(900),
            counter_reset: Duration::from_secs(900),
            disabled: false,
        }
    }

    #[test]
    fn locks_at_threshold_within_duration() {
        let c = cfg(3);
        let f = |count, last_failure| Failures {
            count,
            last_failure,
            persisted: false,
        };
        let cases = [
            (f(2, 1000), 1001, false),
            (f(3, 1000), 1001, true),
            (f(3, 1000), 1000 + 899, true),
            (f(3, 1000), 1000 + 900, false),
            (f(9, 1000), 1500, true),
        ];
        for (failures, now, want) in cases {
            assert_eq!(is_locked(&failures, &c, now), want, "{failures:?} at {now}");
        }
    }
}
