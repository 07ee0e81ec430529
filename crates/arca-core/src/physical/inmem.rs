//! In-memory physical storage, for dev mode and tests: a sorted map behind a read-write lock.

use std::collections::BTreeMap;
use std::sync::RwLock;

use async_trait::async_trait;

use super::{list_one_level, Physical, PhysicalError, PhysicalResult, TxnOp, MAX_VALUE_SIZE};

#[derive(Default)]
pub struct InmemBackend {
    entries: RwLock<BTreeMap<String, Vec<u8>>>,
}

impl InmemBackend {
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of every entry, for tests that inspect what reached storage.
    pub fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        let map = self.entries.read().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

#[async_trait]
impl Physical for InmemBackend {
    async fn get(&self, key: &str) -> PhysicalResult<Option<Vec<u8>>> {
        let map = self.entries.read().unwrap_or_else(|p| p.into_inner());
        Ok(map.get(key).cloned())
    }

    async fn list_page(
        &self,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> PhysicalResult<Vec<String>> {
        let map = self.entries.read().unwrap_or_else(|p| p.into_inner());
        list_one_level(prefix, after, limit, |start| {
            Ok(map
                .range::<str, _>((std::ops::Bound::Included(start), std::ops::Bound::Unbounded))
                .map(|(k, _)| Ok(k.clone())))
        })
    }

    async fn transaction(&self, ops: Vec<TxnOp>) -> PhysicalResult<()> {
        for op in &ops {
            if let TxnOp::Put { value, .. } = op {
                if value.len() > MAX_VALUE_SIZE {
                    return Err(PhysicalError::TooLarge(value.len()));
                }
            }
        }
        let mut map = self.entries.write().unwrap_or_else(|p| p.into_inner());
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

    fn kind(&self) -> &'static str {
        "inmem"
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn conformance() {
        super::super::conformance::run(&super::InmemBackend::new()).await;
    }
}
