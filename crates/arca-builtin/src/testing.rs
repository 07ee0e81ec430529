//! Test support for engine unit tests: an in-memory `Storage`, a `SystemView` with fixed
//! settings, and a helper to send a request to a backend.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arca_sdk::{
    Backend, BackendContext, BackendType, Operation, Request, Response, Result, Storage,
    StorageView, SystemView, TxnOp, UserLockoutConfig,
};
use async_trait::async_trait;
use serde_json::Value;

#[derive(Default)]
pub struct MemStorage {
    pub data: Mutex<BTreeMap<String, Vec<u8>>>,
}

#[async_trait]
impl Storage for MemStorage {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.data.lock().unwrap().get(key).cloned())
    }

    async fn put(&self, key: &str, value: Vec<u8>) -> Result<()> {
        self.data.lock().unwrap().insert(key.to_string(), value);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.data.lock().unwrap().remove(key);
        Ok(())
    }

    async fn list_page(&self, prefix: &str, after: &str, limit: usize) -> Result<Vec<String>> {
        let data = self.data.lock().unwrap();
        let mut out: Vec<String> = Vec::new();
        for key in data.keys().filter(|k| k.starts_with(prefix)) {
            let rest = &key[prefix.len()..];
            let item = match rest.find('/') {
                Some(i) => rest[..=i].to_string(),
                None => rest.to_string(),
            };
            if out.last() != Some(&item) && item.as_str() > after {
                out.push(item);
            }
        }
        out.dedup();
        if limit > 0 {
            out.truncate(limit);
        }
        Ok(out)
    }

    async fn transaction(&self, ops: Vec<TxnOp>) -> Result<()> {
        let mut data = self.data.lock().unwrap();
        for op in ops {
            match op {
                TxnOp::Put { key, value } => {
                    data.insert(key, value);
                }
                TxnOp::Delete { key } => {
                    data.remove(&key);
                }
            }
        }
        Ok(())
    }
}

pub struct TestSystem {
    pub lockout: UserLockoutConfig,
}

impl SystemView for TestSystem {
    fn default_lease_ttl(&self) -> Duration {
        Duration::from_secs(768 * 3600)
    }
    fn max_lease_ttl(&self) -> Duration {
        Duration::from_secs(768 * 3600)
    }
    fn mount_options(&self) -> HashMap<String, String> {
        HashMap::new()
    }
    fn user_lockout_config(&self) -> UserLockoutConfig {
        self.lockout
    }
}

/// A mounted backend over fresh in-memory storage.
pub struct Mounted {
    pub backend: Arc<dyn Backend>,
    pub storage: Arc<MemStorage>,
}

pub async fn mount(bt: BackendType, lockout: UserLockoutConfig) -> Mounted {
    let storage = Arc::new(MemStorage::default());
    let ctx = BackendContext {
        storage: StorageView::new(storage.clone(), "auth/test/"),
        system: Arc::new(TestSystem { lockout }),
        mount_type: bt.name.to_string(),
        mount_uuid: "test".into(),
        mount_accessor: "auth_test_1".into(),
        options: HashMap::new(),
    };
    let backend = (bt.factory)(ctx).await.unwrap();
    backend.initialize().await.unwrap();
    Mounted { backend, storage }
}

impl Mounted {
    pub async fn call(&self, op: Operation, path: &str, body: Value) -> Result<Option<Response>> {
        self.call_from(op, path, body, "127.0.0.1".parse().unwrap())
            .await
    }

    pub async fn call_from(
        &self,
        op: Operation,
        path: &str,
        body: Value,
        from: IpAddr,
    ) -> Result<Option<Response>> {
        let mut req = Request::new(op, path);
        if let Value::Object(m) = body {
            req.data = m;
        }
        req.remote_addr = Some(from);
        req.mount_point = "auth/test/".into();
        if op == Operation::Update && self.backend.existence(&req).await? == Some(false) {
            req.operation = Operation::Create;
        }
        self.backend.handle(&req).await
    }

    /// The data of a successful call.
    pub async fn data(&self, op: Operation, path: &str, body: Value) -> Value {
        let resp = self.call(op, path, body).await.unwrap().unwrap();
        Value::Object(resp.data.unwrap_or_default())
    }

    /// Whether any stored value contains `needle`.
    pub fn storage_contains(&self, needle: &str) -> bool {
        self.storage
            .data
            .lock()
            .unwrap()
            .values()
            .any(|v| String::from_utf8_lossy(v).contains(needle))
    }
}
