//! The storage a backend sees: a key-value view of its own prefix inside the barrier.
//!
//! Keys are `/`-separated paths. `list` is one level deep with Vault's convention: a key
//! with further segments shows up once as `name/`. Lists are paginated (`after`, `limit`) so
//! huge folders never have to be loaded at once.

use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Error, Result};

/// One step of an atomic batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnOp {
    Put { key: String, value: Vec<u8> },
    Delete { key: String },
}

impl TxnOp {
    pub fn key(&self) -> &str {
        match self {
            TxnOp::Put { key, .. } | TxnOp::Delete { key } => key,
        }
    }
}

#[async_trait]
pub trait Storage: Send + Sync {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Returns once the write is durable.
    async fn put(&self, key: &str, value: Vec<u8>) -> Result<()>;
    /// Deleting a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<()>;
    /// Keys directly under `prefix` (which is empty or ends in `/`), sorted, strictly after
    /// `after` (empty: from the start), at most `limit` of them (0: all).
    async fn list_page(&self, prefix: &str, after: &str, limit: usize) -> Result<Vec<String>>;
    /// Applies every operation or none, durably.
    async fn transaction(&self, ops: Vec<TxnOp>) -> Result<()>;
}

/// Conveniences on top of any `Storage`, including `dyn Storage`.
#[async_trait]
pub trait StorageExt: Storage {
    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.list_page(prefix, "", 0).await
    }

    async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.get(key).await? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::internal(format!("decoding stored entry {key:?}: {e}"))),
        }
    }

    async fn put_json<T: Serialize + Sync>(&self, key: &str, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| Error::internal(format!("encoding entry {key:?}: {e}")))?;
        self.put(key, bytes).await
    }

    /// Every key below `prefix` at any depth (not folder markers), for deletion and tidy.
    async fn list_recursive(&self, prefix: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut pending = vec![prefix.to_string()];
        while let Some(folder) = pending.pop() {
            for key in self.list(&folder).await? {
                let full = format!("{folder}{key}");
                if key.ends_with('/') {
                    pending.push(full);
                } else {
                    out.push(full);
                }
            }
        }
        Ok(out)
    }

    /// Deletes every key below `prefix`, in batches.
    async fn delete_prefix(&self, prefix: &str) -> Result<()> {
        let keys = self.list_recursive(prefix).await?;
        for chunk in keys.chunks(512) {
            let ops = chunk
                .iter()
                .map(|k| TxnOp::Delete { key: k.clone() })
                .collect();
            self.transaction(ops).await?;
        }
        Ok(())
    }
}

impl<S: Storage + ?Sized> StorageExt for S {}

/// A view of another storage restricted to a prefix; the backend cannot see above it.
#[derive(Clone)]
pub struct StorageView {
    inner: Arc<dyn Storage>,
    prefix: String,
}

impl StorageView {
    pub fn new(inner: Arc<dyn Storage>, prefix: impl Into<String>) -> Self {
        StorageView {
            inner,
            prefix: prefix.into(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A narrower view below this one.
    pub fn sub_view(&self, prefix: &str) -> StorageView {
        StorageView {
            inner: self.inner.clone(),
            prefix: format!("{}{}", self.prefix, prefix),
        }
    }

    fn full(&self, key: &str) -> Result<String> {
        validate_key(key)?;
        Ok(format!("{}{}", self.prefix, key))
    }
}

/// Keys are storage paths: no empty or relative segments, so a view can never escape its
/// prefix.
pub fn validate_key(key: &str) -> Result<()> {
    let bad = key.split('/').enumerate().any(|(i, seg)| {
        seg == ".." || seg == "." || (seg.is_empty() && i > 0 && i + 1 < key.split('/').count())
    });
    if bad || key.starts_with('/') || key.contains('\0') {
        return Err(Error::invalid(format!("invalid storage key {key:?}")));
    }
    Ok(())
}

#[async_trait]
impl Storage for StorageView {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.inner.get(&self.full(key)?).await
    }

    async fn put(&self, key: &str, value: Vec<u8>) -> Result<()> {
        self.inner.put(&self.full(key)?, value).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(&self.full(key)?).await
    }

    async fn list_page(&self, prefix: &str, after: &str, limit: usize) -> Result<Vec<String>> {
        self.inner
            .list_page(&self.full(prefix)?, after, limit)
            .await
    }

    async fn transaction(&self, ops: Vec<TxnOp>) -> Result<()> {
        let mut full_ops = Vec::with_capacity(ops.len());
        for op in ops {
            full_ops.push(match op {
                TxnOp::Put { key, value } => TxnOp::Put {
                    key: self.full(&key)?,
                    value,
                },
                TxnOp::Delete { key } => TxnOp::Delete {
                    key: self.full(&key)?,
                },
            });
        }
        self.inner.transaction(full_ops).await
    }
}

/// A sorted in-memory `Storage` with the trait's listing semantics, for engine tests and
/// tools that need a storage without the core.
#[derive(Default)]
pub struct MemoryStorage {
    entries: std::sync::Mutex<std::collections::BTreeMap<String, Vec<u8>>>,
}

impl MemoryStorage {
    /// Direct access to the stored entries, for tests that plant or inspect raw values.
    pub fn entries(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, Vec<u8>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn map(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, Vec<u8>>> {
        self.entries()
    }

    /// Every stored (key, value), to check what reached storage.
    pub fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        self.map()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

#[async_trait]
impl Storage for MemoryStorage {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.map().get(key).cloned())
    }

    async fn put(&self, key: &str, value: Vec<u8>) -> Result<()> {
        self.map().insert(key.to_string(), value);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.map().remove(key);
        Ok(())
    }

    async fn list_page(&self, prefix: &str, after: &str, limit: usize) -> Result<Vec<String>> {
        let map = self.map();
        let mut out: Vec<String> = Vec::new();
        for key in map.range::<str, _>((
            std::ops::Bound::Included(prefix),
            std::ops::Bound::Unbounded,
        )) {
            let Some(rest) = key.0.strip_prefix(prefix) else {
                break;
            };
            let name = match rest.find('/') {
                Some(i) => &rest[..=i],
                None => rest,
            };
            if name.is_empty() || name <= after || out.last().map(String::as_str) == Some(name) {
                continue;
            }
            out.push(name.to_string());
            if limit > 0 && out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    async fn transaction(&self, ops: Vec<TxnOp>) -> Result<()> {
        let mut map = self.map();
        for op in ops {
            match op {
                TxnOp::Put { key, value } => {
                    map.insert(key, value);
                }
                TxnOp::Delete { key } => {
                    map.remove(&key);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut f = Box::pin(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn memory_storage_lists_one_level_with_pagination() {
        let m = MemoryStorage::default();
        for k in ["a/x", "a/y/z", "a/b", "ab", "c"] {
            block(m.put(k, vec![1])).unwrap();
        }
        assert_eq!(
            block(m.list_page("a/", "", 0)).unwrap(),
            vec!["b", "x", "y/"]
        );
        assert_eq!(block(m.list_page("a/", "b", 1)).unwrap(), vec!["x"]);
        assert_eq!(
            block(m.list_page("", "", 0)).unwrap(),
            vec!["a/", "ab", "c"]
        );
    }

    #[test]
    fn keys_cannot_escape_a_view() {
        for bad in ["../x", "a/../b", "/abs", "a//b", "./a", "a\0b"] {
            assert!(validate_key(bad).is_err(), "{bad} should be refused");
        }
        for good in ["", "a", "a/b", "a/b/", "folder/"] {
            assert!(validate_key(good).is_ok(), "{good} should be accepted");
        }
    }
}
