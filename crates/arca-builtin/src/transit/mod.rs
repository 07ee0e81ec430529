//! The transit secrets engine ("encryption as a service"), compatible with Vault's and
//! OpenBao's `transit`: named keys with versions, encryption, signing, HMAC, hashing,
//! random bytes, export, backup and restore, and automatic rotation.
//!
//! Keys are parsed once into aws-lc-rs objects and served from an in-memory cache
//! (`cache`); every change to a key happens under the mount's write lock, is persisted in
//! one storage transaction (`store`) and then replaces the cached keyring, so the cache is
//! never stale and a failed write leaves both storage and cache as they were.

mod b64;
mod batch;
mod bigdec;
mod cache;
mod crypt;
mod der;
mod error;
mod gotime;
mod hashes;
mod keyring;
mod keytype;
mod material;
mod paths;
mod paths_config;
mod paths_crypt;
mod paths_export;
mod paths_hmac;
mod paths_keys;
mod paths_sign;
mod paths_util;
mod rotation;
mod signing;
mod store;
mod stored;

use std::sync::Arc;
use std::time::Duration;

use arca_sdk::{
    Backend, BackendContext, BackendKind, BackendType, Error, PathRouter, Request, Response,
    Result, Storage, StorageView,
};
use async_trait::async_trait;
use serde_json::{Map, Value};

use cache::KeyCache;
use keyring::Keyring;

/// How often the core calls `periodic`; each call only compares in-memory due times, so
/// it is cheap, and rotations happen within this delay of falling due.
const PERIODIC_INTERVAL: Duration = Duration::from_secs(5);

pub struct Transit {
    storage: StorageView,
    router: PathRouter<Transit>,
    cache: KeyCache,
    /// Serialises every change to keys and every load into the cache, so a load can never
    /// put an older keyring over a newer one.
    writes: tokio::sync::Mutex<()>,
    rotation: rotation::Schedule,
}

pub fn backend_type() -> BackendType {
    BackendType {
        name: "transit",
        kind: BackendKind::Secrets,
        version: "",
        factory: Arc::new(|ctx: BackendContext| {
            Box::pin(async move { Ok(Arc::new(Transit::new(ctx.storage)) as Arc<dyn Backend>) })
        }),
    }
}

/// Vault's `GenericNameRegex`: word characters, with `-`, `.` and `@` inside.
fn valid_name(name: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = name.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            word(first)
                && word(last)
                && bytes
                    .iter()
                    .all(|&b| word(b) || b == b'-' || b == b'.' || b == b'@')
        }
        _ => false,
    }
}

/// A key name from the path; names Vault's routes would not match are unsupported paths.
fn key_name(d: &arca_sdk::FieldData<'_>) -> Result<String> {
    let name = d.string("name")?;
    if !valid_name(&name) {
        return Err(Error::UnsupportedPath);
    }
    Ok(name)
}

impl Transit {
    pub fn new(storage: StorageView) -> Self {
        Transit {
            storage,
            router: PathRouter::new(paths::all()),
            cache: KeyCache::default(),
            writes: tokio::sync::Mutex::new(()),
            rotation: rotation::Schedule::default(),
        }
    }

    /// The keyring of `name`, from the cache or loaded from storage.
    async fn key(&self, name: &str) -> Result<Option<Arc<Keyring>>> {
        if let Some(ring) = self.cache.get(name) {
            return Ok(Some(ring));
        }
        let _guard = self.writes.lock().await;
        self.key_locked(name).await
    }

    /// As `key`, for callers that already hold the write lock.
    async fn key_locked(&self, name: &str) -> Result<Option<Arc<Keyring>>> {
        if let Some(ring) = self.cache.get(name) {
            return Ok(Some(ring));
        }
        match store::load(&self.storage, name).await? {
            None => Ok(None),
            Some(ring) => Ok(Some(self.install(ring))),
        }
    }

    /// Puts a keyring that was just persisted (or loaded) into the cache and the schedule.
    fn install(&self, ring: Keyring) -> Arc<Keyring> {
        let ring = Arc::new(ring);
        self.rotation.note(&ring);
        self.cache.insert(ring.clone());
        ring
    }

    fn forget(&self, name: &str) {
        self.cache.remove(name);
        self.rotation.forget(name);
    }

    async fn read_config<T: serde::de::DeserializeOwned + Default>(&self, key: &str) -> Result<T> {
        match self.storage.get(key).await? {
            None => Ok(T::default()),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| Error::internal(format!("decoding {key}: {e}"))),
        }
    }
}

#[async_trait]
impl Backend for Transit {
    async fn handle(&self, req: &Request) -> Result<Option<Response>> {
        self.router.route(self, req).await
    }

    async fn existence(&self, req: &Request) -> Result<Option<bool>> {
        self.router.existence(self, req).await
    }

    fn openapi(&self, mount_point: &str) -> Map<String, Value> {
        self.router.openapi_paths(mount_point)
    }

    async fn initialize(&self) -> Result<()> {
        let config: paths_config::CacheConfig =
            self.read_config(paths_config::CACHE_CONFIG_KEY).await?;
        self.cache.set_limit(config.effective_size());
        Ok(())
    }

    fn periodic_interval(&self) -> Option<Duration> {
        Some(PERIODIC_INTERVAL)
    }

    async fn periodic(&self) -> Result<()> {
        self.auto_rotate().await
    }

    async fn cleanup(&self) {
        self.cache.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_vaults_pattern() {
        for good in ["a", "key", "my-key.v2@x", "A_1"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "-a", "a-", "a b", "a/b", ".", "..", "a..", "é"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    //! An in-memory `Storage` for unit tests of storage-backed logic.

    use arca_sdk::StorageView;

    use super::keyring::Keyring;
    use super::stored::KeyData;

    /// Restores a base64 backup document into fresh in-memory storage and loads it.
    pub async fn restored(backup: &str) -> Keyring {
        let data: KeyData =
            serde_json::from_slice(&super::b64::decode(backup.trim()).unwrap()).unwrap();
        let name = data.policy.name.clone();
        let storage = StorageView::new(std::sync::Arc::new(MemStorage::default()), "");
        super::paths_export::restore_data(&storage, data, &name)
            .await
            .unwrap();
        super::store::load(&storage, &name).await.unwrap().unwrap()
    }

    pub use arca_sdk::MemoryStorage as MemStorage;
}
