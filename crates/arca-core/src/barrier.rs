//! The security barrier: every value the core stores passes through here and reaches physical
//! storage only as AES-256-GCM ciphertext.
//!
//! Layout of a sealed value: `0x01 | term (u32 BE) | nonce (12) | ciphertext | tag (16)`,
//! with the storage path as associated data, so bytes copied to another key fail to decrypt.
//! The keyring (one key per term) is itself encrypted with the root key and stored at
//! `seal/keyring`; `sys/rotate` adds a term without rewriting data, because each value names
//! the term it was written with.
//!
//! Invariant: nothing below this module ever sees plaintext, and nothing above it sees keys.

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use arca_sdk::{Error, Result, Storage, TxnOp};
use async_trait::async_trait;
use base64::Engine;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{random_key, AeadKey, CryptoError};
use crate::physical::Physical;

/// Physical keys that hold seal material in the raw (each individually protected); the
/// barrier never reads or writes below this prefix.
pub const SEAL_PREFIX: &str = "seal/";
const KEYRING_PATH: &str = "seal/keyring";
const VALUE_VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum BarrierError {
    #[error("barrier is sealed")]
    Sealed,
    #[error("barrier is already initialized")]
    AlreadyInitialized,
    #[error("barrier keyring not found")]
    NoKeyring,
    #[error("the root key does not open the keyring")]
    WrongRootKey,
    #[error("entry {0:?} failed to decrypt: {1}")]
    Decrypt(String, CryptoError),
    #[error("entry {0:?} uses unknown key term {1}")]
    UnknownTerm(String, u32),
    #[error("key {0:?} is reserved for seal material")]
    Reserved(String),
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    #[error("physical storage: {0}")]
    Physical(#[from] crate::physical::PhysicalError),
    #[error("keyring is corrupt: {0}")]
    CorruptKeyring(String),
}

impl From<BarrierError> for Error {
    fn from(e: BarrierError) -> Self {
        match e {
            BarrierError::Sealed => Error::Sealed,
            BarrierError::Reserved(k) => Error::invalid(format!("key {k:?} is reserved")),
            BarrierError::Physical(p) => p.into(),
            other => Error::internal(other),
        }
    }
}

struct TermKey {
    term: u32,
    cipher: AeadKey,
    install_time: String,
    raw: Zeroizing<Vec<u8>>,
}

struct Keyring {
    active: u32,
    keys: BTreeMap<u32, TermKey>,
}

#[derive(Serialize, Deserialize)]
struct StoredKeyring {
    active_term: u32,
    keys: Vec<StoredTermKey>,
}

#[derive(Serialize, Deserialize)]
struct StoredTermKey {
    term: u32,
    key: String,
    install_time: String,
}

impl Drop for StoredTermKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

/// Key status as `sys/key-status` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyStatus {
    pub term: u32,
    pub install_time: String,
    pub encryptions: u64,
}

pub struct Barrier {
    physical: Arc<dyn Physical>,
    keyring: ArcSwapOption<Keyring>,
    root_key: ArcSwapOption<Zeroizing<Vec<u8>>>,
    encryptions: std::sync::atomic::AtomicU64,
}

fn now_rfc3339() -> String {
    crate::time::rfc3339_now()
}

impl Barrier {
    pub fn new(physical: Arc<dyn Physical>) -> Self {
        Barrier {
            physical,
            keyring: ArcSwapOption::empty(),
            root_key: ArcSwapOption::empty(),
            encryptions: 0.into(),
        }
    }

    pub fn physical(&self) -> &Arc<dyn Physical> {
        &self.physical
    }

    pub fn is_sealed(&self) -> bool {
        self.keyring.load().is_none()
    }

    pub async fn is_initialized(&self) -> Result<bool, BarrierError> {
        Ok(self.physical.get(KEYRING_PATH).await?.is_some())
    }

    /// Creates the first keyring term and stores it under `root_key`; leaves the barrier
    /// unsealed.
    pub async fn initialize(&self, root_key: &[u8]) -> Result<(), BarrierError> {
        if self.is_initialized().await? {
            return Err(BarrierError::AlreadyInitialized);
        }
        let first = random_key()?;
        let keyring = Keyring {
            active: 1,
            keys: BTreeMap::from([(1, term_key(1, &first[..], now_rfc3339())?)]),
        };
        self.persist_keyring(&keyring, root_key).await?;
        self.install(keyring, root_key);
        Ok(())
    }

    /// Opens the keyring with the root key.
    pub async fn unseal(&self, root_key: &[u8]) -> Result<(), BarrierError> {
        let sealed = self
            .physical
            .get(KEYRING_PATH)
            .await?
            .ok_or(BarrierError::NoKeyring)?;
        let cipher = AeadKey::new(root_key)?;
        let plain = Zeroizing::new(
            cipher
                .open(KEYRING_PATH.as_bytes(), &sealed)
                .map_err(|_| BarrierError::WrongRootKey)?,
        );
        let stored: StoredKeyring = serde_json::from_slice(&plain)
            .map_err(|e| BarrierError::CorruptKeyring(e.to_string()))?;
        let mut keys = BTreeMap::new();
        for k in &stored.keys {
            let raw = Zeroizing::new(
                base64::engine::general_purpose::STANDARD
                    .decode(&k.key)
                    .map_err(|e| BarrierError::CorruptKeyring(e.to_string()))?,
            );
            keys.insert(k.term, term_key(k.term, &raw, k.install_time.clone())?);
        }
        if !keys.contains_key(&stored.active_term) {
            return Err(BarrierError::CorruptKeyring("active term missing".into()));
        }
        self.install(
            Keyring {
                active: stored.active_term,
                keys,
            },
            root_key,
        );
        Ok(())
    }

    fn install(&self, keyring: Keyring, root_key: &[u8]) {
        self.root_key
            .store(Some(Arc::new(Zeroizing::new(root_key.to_vec()))));
        self.keyring.store(Some(Arc::new(keyring)));
    }

    /// Forgets every key held in memory.
    pub fn seal(&self) {
        self.keyring.store(None);
        self.root_key.store(None);
    }

    /// Adds a new term and makes it active; existing values keep their term.
    pub async fn rotate(&self) -> Result<KeyStatus, BarrierError> {
        let current = self.keyring.load_full().ok_or(BarrierError::Sealed)?;
        let root = self.root_key.load_full().ok_or(BarrierError::Sealed)?;
        let next = current.active + 1;
        let fresh = random_key()?;
        let mut keys = BTreeMap::new();
        for (term, k) in &current.keys {
            keys.insert(*term, term_key(*term, &k.raw, k.install_time.clone())?);
        }
        let install_time = now_rfc3339();
        keys.insert(next, term_key(next, &fresh[..], install_time.clone())?);
        let keyring = Keyring { active: next, keys };
        self.persist_keyring(&keyring, &root).await?;
        self.keyring.store(Some(Arc::new(keyring)));
        Ok(KeyStatus {
            term: next,
            install_time,
            encryptions: 0,
        })
    }

    pub fn key_status(&self) -> Result<KeyStatus, BarrierError> {
        let keyring = self.keyring.load();
        let keyring = keyring.as_ref().ok_or(BarrierError::Sealed)?;
        let active = &keyring.keys[&keyring.active];
        Ok(KeyStatus {
            term: active.term,
            install_time: active.install_time.clone(),
            encryptions: self.encryptions.load(std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// The root key currently in memory (for re-wrapping it under a new unseal key).
    pub fn root_key(&self) -> Result<Zeroizing<Vec<u8>>, BarrierError> {
        let root = self.root_key.load();
        let root = root.as_ref().ok_or(BarrierError::Sealed)?;
        Ok(Zeroizing::new(root.to_vec()))
    }

    async fn persist_keyring(
        &self,
        keyring: &Keyring,
        root_key: &[u8],
    ) -> Result<(), BarrierError> {
        let stored = StoredKeyring {
            active_term: keyring.active,
            keys: keyring
                .keys
                .values()
                .map(|k| StoredTermKey {
                    term: k.term,
                    key: base64::engine::general_purpose::STANDARD.encode(&k.raw[..]),
                    install_time: k.install_time.clone(),
                })
                .collect(),
        };
        let plain = Zeroizing::new(
            serde_json::to_vec(&stored).map_err(|e| BarrierError::CorruptKeyring(e.to_string()))?,
        );
        let sealed = AeadKey::new(root_key)?.seal(KEYRING_PATH.as_bytes(), &plain)?;
        self.physical.put(KEYRING_PATH, sealed).await?;
        Ok(())
    }

    fn encrypt(&self, key: &str, plaintext: &[u8]) -> Result<Vec<u8>, BarrierError> {
        if key.starts_with(SEAL_PREFIX) {
            return Err(BarrierError::Reserved(key.to_string()));
        }
        let keyring = self.keyring.load();
        let keyring = keyring.as_ref().ok_or(BarrierError::Sealed)?;
        let active = &keyring.keys[&keyring.active];
        let mut out = Vec::with_capacity(5 + 12 + plaintext.len() + 16);
        out.push(VALUE_VERSION);
        out.extend_from_slice(&active.term.to_be_bytes());
        active
            .cipher
            .seal_into(key.as_bytes(), plaintext, &mut out)?;
        self.encryptions
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(out)
    }

    fn decrypt(&self, key: &str, sealed: &[u8]) -> Result<Vec<u8>, BarrierError> {
        let keyring = self.keyring.load();
        let keyring = keyring.as_ref().ok_or(BarrierError::Sealed)?;
        if sealed.len() < 5 || sealed[0] != VALUE_VERSION {
            return Err(BarrierError::Decrypt(
                key.to_string(),
                CryptoError::Truncated,
            ));
        }
        let term = u32::from_be_bytes([sealed[1], sealed[2], sealed[3], sealed[4]]);
        let tk = keyring
            .keys
            .get(&term)
            .ok_or_else(|| BarrierError::UnknownTerm(key.to_string(), term))?;
        tk.cipher
            .open(key.as_bytes(), &sealed[5..])
            .map_err(|e| BarrierError::Decrypt(key.to_string(), e))
    }
}

fn term_key(term: u32, raw: &[u8], install_time: String) -> Result<TermKey, BarrierError> {
    Ok(TermKey {
        term,
        cipher: AeadKey::new(raw)?,
        install_time,
        raw: Zeroizing::new(raw.to_vec()),
    })
}

#[async_trait]
impl Storage for Barrier {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if self.is_sealed() {
            return Err(Error::Sealed);
        }
        match self.physical.get(key).await.map_err(BarrierError::from)? {
            None => Ok(None),
            Some(sealed) => Ok(Some(self.decrypt(key, &sealed)?)),
        }
    }

    async fn put(&self, key: &str, value: Vec<u8>) -> Result<()> {
        let sealed = self.encrypt(key, &value)?;
        self.physical
            .put(key, sealed)
            .await
            .map_err(BarrierError::from)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        if self.is_sealed() {
            return Err(Error::Sealed);
        }
        if key.starts_with(SEAL_PREFIX) {
            return Err(BarrierError::Reserved(key.to_string()).into());
        }
        self.physical
            .delete(key)
            .await
            .map_err(BarrierError::from)?;
        Ok(())
    }

    async fn list_page(&self, prefix: &str, after: &str, limit: usize) -> Result<Vec<String>> {
        if self.is_sealed() {
            return Err(Error::Sealed);
        }
        let mut keys = self
            .physical
            .list_page(prefix, after, limit)
            .await
            .map_err(BarrierError::from)?;
        if prefix.is_empty() {
            keys.retain(|k| k != SEAL_PREFIX);
        }
        Ok(keys)
    }

    async fn transaction(&self, ops: Vec<TxnOp>) -> Result<()> {
        let mut sealed_ops = Vec::with_capacity(ops.len());
        for op in ops {
            sealed_ops.push(match op {
                TxnOp::Put { key, value } => {
                    let sealed = self.encrypt(&key, &value)?;
                    TxnOp::Put { key, value: sealed }
                }
                TxnOp::Delete { key } => {
                    if key.starts_with(SEAL_PREFIX) {
                        return Err(BarrierError::Reserved(key).into());
                    }
                    TxnOp::Delete { key }
                }
            });
        }
        self.physical
            .transaction(sealed_ops)
            .await
            .map_err(BarrierError::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physical::InmemBackend;

    async fn barrier() -> (Arc<InmemBackend>, Barrier) {
        let physical = Arc::new(InmemBackend::new());
        let barrier = Barrier::new(physical.clone());
        barrier.initialize(&[9u8; 32]).await.unwrap();
        (physical, barrier)
    }

    #[tokio::test]
    async fn stores_only_ciphertext() {
        let (physical, barrier) = barrier().await;
        barrier
            .put("a/b", b"very-secret-value".to_vec())
            .await
            .unwrap();
        assert_eq!(
            barrier.get("a/b").await.unwrap().unwrap(),
            b"very-secret-value"
        );
        for (_, v) in physical.snapshot() {
            assert!(!v.windows(17).any(|w| w == b"very-secret-value"));
        }
    }

    #[tokio::test]
    async fn bytes_copied_to_another_key_do_not_decrypt() {
        let (physical, barrier) = barrier().await;
        barrier.put("one", b"v".to_vec()).await.unwrap();
        let raw = physical.get("one").await.unwrap().unwrap();
        physical.put("two", raw).await.unwrap();
        assert!(barrier.get("two").await.is_err());
    }

    #[tokio::test]
    async fn rotation_keeps_old_values_readable_and_survives_unseal() {
        let (_physical, barrier) = barrier().await;
        barrier.put("old", b"1".to_vec()).await.unwrap();
        let status = barrier.rotate().await.unwrap();
        assert_eq!(status.term, 2);
        barrier.put("new", b"2".to_vec()).await.unwrap();
        barrier.seal();
        assert!(matches!(barrier.get("old").await, Err(Error::Sealed)));
        assert!(matches!(
            barrier.unseal(&[1u8; 32]).await,
            Err(BarrierError::WrongRootKey)
        ));
        barrier.unseal(&[9u8; 32]).await.unwrap();
        assert_eq!(barrier.get("old").await.unwrap().unwrap(), b"1");
        assert_eq!(barrier.get("new").await.unwrap().unwrap(), b"2");
        assert_eq!(barrier.key_status().unwrap().term, 2);
    }

    #[tokio::test]
    async fn seal_material_is_out_of_reach() {
        let (_physical, barrier) = barrier().await;
        assert!(barrier.put("seal/keyring", b"x".to_vec()).await.is_err());
        assert!(barrier.delete("seal/keyring").await.is_err());
        assert!(!barrier
            .list_page("", "", 0)
            .await
            .unwrap()
            .contains(&"seal/".to_string()));
    }
}
