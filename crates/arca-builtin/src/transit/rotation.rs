//! Automatic rotation (`auto_rotate_period`). The schedule is kept in memory: built from
//! storage on the first periodic call after every mount or unseal (so it survives restarts,
//! the keys' latest creation times and periods being stored), and updated by every change
//! to a key. A periodic call then only compares due times.

use std::collections::HashMap;
use std::sync::Mutex;

use arca_sdk::{Result, Storage};

use super::gotime::Stamp;
use super::keyring::Keyring;
use super::{store, Transit};

/// Listing page size for the startup scan.
const SCAN_PAGE: usize = 1000;

#[derive(Default)]
struct State {
    scanned: bool,
    /// Key name → Unix time (nanoseconds) after which it must be rotated.
    due: HashMap<String, i128>,
}

#[derive(Default)]
pub struct Schedule {
    state: Mutex<State>,
}

/// When a key next falls due, or `None` if it does not rotate automatically.
fn due_time(ring: &Keyring) -> Option<i128> {
    let period = ring.auto_rotate_period();
    if period.is_zero()
        || ring.policy.soft_deleted
        || (ring.policy.imported && !ring.policy.allow_imported_key_rotation)
    {
        return None;
    }
    let latest = ring.versions.get(&ring.latest())?;
    let created = latest.created.unix as i128 * 1_000_000_000 + latest.created.nanos as i128;
    Some(created + period.as_nanos() as i128)
}

fn now_nanos() -> i128 {
    let now = Stamp::now();
    now.unix as i128 * 1_000_000_000 + now.nanos as i128
}

impl Schedule {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn note(&self, ring: &Keyring) {
        let mut state = self.state();
        match due_time(ring) {
            Some(due) => {
                state.due.insert(ring.name().to_string(), due);
            }
            None => {
                state.due.remove(ring.name());
            }
        }
    }

    pub fn forget(&self, name: &str) {
        self.state().due.remove(name);
    }

    fn scanned(&self) -> bool {
        self.state().scanned
    }

    fn mark_scanned(&self) {
        self.state().scanned = true;
    }

    fn due_now(&self) -> Vec<String> {
        let now = now_nanos();
        self.state()
            .due
            .iter()
            .filter(|(_, due)| **due < now)
            .map(|(name, _)| name.clone())
            .collect()
    }
}

impl Transit {
    /// Reads every stored policy once and schedules the keys that rotate automatically.
    async fn scan_for_rotation(&self) -> Result<()> {
        let mut after = String::new();
        loop {
            let names = self
                .storage
                .list_page(store::POLICY_PREFIX, &after, SCAN_PAGE)
                .await?;
            for name in &names {
                if let Some(policy) = store::read_policy(&self.storage, name).await? {
                    if policy.auto_rotate_period > 0 {
                        // Loading the key schedules it.
                        self.key(name).await?;
                    }
                }
            }
            match names.last() {
                Some(last) if names.len() == SCAN_PAGE => after = last.clone(),
                _ => break,
            }
        }
        self.rotation.mark_scanned();
        Ok(())
    }

    /// Rotates every key whose latest version is older than its `auto_rotate_period`.
    pub(super) async fn auto_rotate(&self) -> Result<()> {
        if !self.rotation.scanned() {
            self.scan_for_rotation().await?;
        }
        let mut first_error = None;
        for name in self.rotation.due_now() {
            let _guard = self.writes.lock().await;
            let ring = match self.key_locked(&name).await {
                Ok(Some(ring)) => ring,
                Ok(None) => {
                    self.rotation.forget(&name);
                    continue;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            // The key may have been rotated or reconfigured since it was scheduled.
            if due_time(&ring).is_none_or(|due| due >= now_nanos()) {
                self.rotation.note(&ring);
                continue;
            }
            tracing::info!(key = %name, "transit: automatically rotating key");
            if let Err(e) = self.rotate_locked(&ring).await {
                tracing::warn!(key = %name, error = %e, "transit: automatic rotation failed");
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
