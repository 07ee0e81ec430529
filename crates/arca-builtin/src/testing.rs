//! Test support for engine unit tests: an in-memory `Storage`, a `SystemView` with fixed
//! settings, and a helper to send a request to a backend.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use arca_sdk::{
    Backend, BackendContext, BackendType, Operation, Request, Response, Result, StorageView,
    SystemView, UserLockoutConfig,
};
use serde_json::Value;

pub use arca_sdk::MemoryStorage as MemStorage;

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
            .entries()
            .values()
            .any(|v| String::from_utf8_lossy(v).contains(needle))
    }
}
