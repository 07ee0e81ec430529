//! Engine-level tests on an in-memory storage: version bookkeeping through real requests,
//! the stored layout, pagination, and the v1 → v2 upgrade (including crash recovery).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arca_sdk::{
    Backend, BackendContext, Error, Operation, Request, Response, Result, Storage, StorageView,
    SystemView, TxnOp,
};
use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::Kv;

use arca_sdk::MemoryStorage as MemStorage;

struct Sys;

impl SystemView for Sys {
    fn default_lease_ttl(&self) -> Duration {
        Duration::from_secs(2_764_800)
    }
    fn max_lease_ttl(&self) -> Duration {
        Duration::from_secs(2_764_800)
    }
    fn mount_options(&self) -> HashMap<String, String> {
        HashMap::new()
    }
}

struct Mount {
    mem: Arc<MemStorage>,
    kv: Kv,
}

async fn mount_on(mem: Arc<MemStorage>, version: &str) -> Mount {
    let ctx = BackendContext {
        storage: StorageView::new(mem.clone(), "logical/x/"),
        system: Arc::new(Sys),
        mount_type: "kv".into(),
        mount_uuid: "x".into(),
        mount_accessor: "kv_x".into(),
        options: HashMap::from([("version".to_string(), version.to_string())]),
    };
    Mount {
        mem,
        kv: Kv::new(ctx).await.unwrap(),
    }
}

async fn mount(version: &str) -> Mount {
    mount_on(Arc::new(MemStorage::default()), version).await
}

impl Mount {
    async fn call(&self, op: Operation, path: &str, body: Value) -> Result<Option<Response>> {
        let mut req = Request::new(op, path);
        if let Value::Object(m) = body {
            req.data = m;
        }
        self.kv.handle(&req).await
    }

    async fn ok(&self, op: Operation, path: &str, body: Value) -> Option<Response> {
        self.call(op, path, body)
            .await
            .unwrap_or_else(|e| panic!("{op:?} {path}: {e}"))
    }

    async fn data(&self, op: Operation, path: &str, body: Value) -> Map<String, Value> {
        self.ok(op, path, body).await.unwrap().data.unwrap()
    }

    async fn put(&self, path: &str, data: Value) -> u64 {
        let d = self
            .data(
                Operation::Update,
                &format!("data/{path}"),
                json!({ "data": data }),
            )
            .await;
        d["version"].as_u64().unwrap()
    }

    fn keys(&self) -> Vec<String> {
        self.mem.entries().keys().cloned().collect()
    }
}

#[tokio::test]
async fn write_read_versions_and_layout() {
    let m = mount("2").await;
    assert_eq!(m.put("a", json!({"v": 1})).await, 1);
    assert_eq!(m.put("a", json!({"v": 2})).await, 2);
    assert_eq!(m.put("a/1", json!({"other": true})).await, 1);

    let latest = m.data(Operation::Read, "data/a", json!({})).await;
    assert_eq!(latest["data"], json!({"v": 2}));
    assert_eq!(latest["metadata"]["version"], 2);
    let first = m
        .data(Operation::Read, "data/a", json!({"version": "1"}))
        .await;
    assert_eq!(first["data"], json!({"v": 1}));
    let nested = m.data(Operation::Read, "data/a/1", json!({})).await;
    assert_eq!(nested["data"], json!({"other": true}));

    // Metadata entries per key; only non-current versions have entries of their own, keyed
    // with the version first so "a" v1 and the key "a/1" never meet.
    assert_eq!(
        m.keys(),
        vec![
            "logical/x/v2/meta/a",
            "logical/x/v2/meta/a/1",
            "logical/x/v2/ver/1/a",
        ]
    );
    // A version that does not exist is a bare 404.
    assert!(m
        .ok(Operation::Read, "data/a", json!({"version": 9}))
        .await
        .is_none());
}

#[tokio::test]
async fn max_versions_trimming_deletes_old_version_entries() {
    let m = mount("2").await;
    m.ok(Operation::Update, "metadata/k", json!({"max_versions": 2}))
        .await;
    for i in 1..=4 {
        m.put("k", json!({ "v": i })).await;
    }
    let meta = m.data(Operation::Read, "metadata/k", json!({})).await;
    assert_eq!(meta["current_version"], 4);
    assert_eq!(meta["oldest_version"], 3);
    assert_eq!(
        meta["versions"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["3", "4"]
    );
    let stored: Vec<String> = m
        .keys()
        .into_iter()
        .filter(|k| k.contains("/ver/"))
        .collect();
    assert_eq!(
        stored,
        vec!["logical/x/v2/ver/3/k"],
        "trimmed versions are gone"
    );
    assert!(m
        .ok(Operation::Read, "data/k", json!({"version": 2}))
        .await
        .is_none());
    // The mount's config raises the effective maximum (OpenBao takes the larger).
    m.ok(Operation::Update, "config", json!({"max_versions": 3}))
        .await;
    m.put("k", json!({"v": 5})).await;
    let meta = m.data(Operation::Read, "metadata/k", json!({})).await;
    assert_eq!(meta["versions"].as_object().unwrap().len(), 3);
}

#[tokio::test]
async fn check_and_set() {
    let m = mount("2").await;
    let write = |cas: Value| json!({"data": {"x": 1}, "options": {"cas": cas}});
    let err = m
        .call(Operation::Update, "data/c", write(json!(1)))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::CheckAndSet("check-and-set parameter did not match the current version".into())
    );
    assert!(m.keys().is_empty(), "a refused write changes nothing");
    m.ok(Operation::Update, "data/c", write(json!(0))).await;
    m.ok(Operation::Update, "data/c", write(json!(1))).await;
    let err = m
        .call(Operation::Update, "data/c", write(json!("abc")))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "error parsing check-and-set parameter");
    m.ok(
        Operation::Update,
        "metadata/c",
        json!({"cas_required": true}),
    )
    .await;
    let err = m
        .call(Operation::Update, "data/c", json!({"data": {"x": 2}}))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "check-and-set parameter required for this call"
    );
    let meta = m.data(Operation::Read, "metadata/c", json!({})).await;
    assert_eq!(meta["current_version"], 2);
}

#[tokio::test]
async fn delete_undelete_destroy() {
    let m = mount("2").await;
    for i in 1..=3 {
        m.put("d", json!({ "v": i })).await;
    }
    // Soft delete of the latest: 404 with the metadata in the body.
    m.ok(Operation::Delete, "data/d", json!({})).await;
    let resp = m.ok(Operation::Read, "data/d", json!({})).await.unwrap();
    assert_eq!(resp.status, Some(404));
    let body = resp.data.unwrap();
    assert_eq!(body["data"], Value::Null);
    assert_ne!(body["metadata"]["deletion_time"], "");
    assert_eq!(body["metadata"]["destroyed"], false);

    m.ok(Operation::Update, "undelete/d", json!({"versions": [3]}))
        .await;
    let back = m.data(Operation::Read, "data/d", json!({})).await;
    assert_eq!(back["data"], json!({"v": 3}));
    assert_eq!(back["metadata"]["deletion_time"], "");

    // Destroy the current and an older version: data gone, undelete cannot bring it back.
    m.ok(Operation::Update, "destroy/d", json!({"versions": "1,3"}))
        .await;
    m.ok(Operation::Update, "undelete/d", json!({"versions": [1, 3]}))
        .await;
    for v in [1, 3] {
        let resp = m
            .ok(Operation::Read, "data/d", json!({ "version": v }))
            .await
            .unwrap();
        assert_eq!(resp.status, Some(404));
        assert_eq!(resp.data.unwrap()["metadata"]["destroyed"], true);
    }
    let stored: Vec<String> = m
        .keys()
        .into_iter()
        .filter(|k| k.contains("/ver/"))
        .collect();
    assert_eq!(stored, vec!["logical/x/v2/ver/2/d"]);
    let raw = m.mem.entries()["logical/x/v2/meta/d"].clone();
    let meta: super::v2::KeyMeta = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        meta.data, None,
        "the destroyed current version's data is gone"
    );

    // Empty and bad version lists are refused.
    let err = m
        .call(Operation::Update, "delete/d", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "No version number provided");
    let err = m
        .call(Operation::Update, "destroy/d", json!({"versions": "abc"}))
        .await
        .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("Field validation failed: error converting input for field \"versions\""));

    // Deleting all metadata removes every entry of the key.
    m.ok(Operation::Delete, "metadata/d", json!({})).await;
    assert!(m.keys().is_empty());
}

#[tokio::test]
async fn delete_version_after_sets_deletion_times() {
    let m = mount("2").await;
    m.ok(
        Operation::Update,
        "config",
        json!({"delete_version_after": "1h"}),
    )
    .await;
    let w = m
        .data(Operation::Update, "data/t", json!({"data": {"a": 1}}))
        .await;
    assert_ne!(w["deletion_time"], "", "a future deletion time is set");
    let r = m.data(Operation::Read, "data/t", json!({})).await;
    assert_eq!(
        r["data"],
        json!({"a": 1}),
        "not deleted before the time passes"
    );
    // The key's smaller value wins; a disabled mount setting turns it off.
    m.ok(
        Operation::Update,
        "metadata/t",
        json!({"delete_version_after": "1s"}),
    )
    .await;
    let meta = m.data(Operation::Read, "metadata/t", json!({})).await;
    assert_eq!(meta["delete_version_after"], "1s");
    m.ok(
        Operation::Update,
        "config",
        json!({"delete_version_after": "-1s"}),
    )
    .await;
    let cfg = m.data(Operation::Read, "config", json!({})).await;
    assert_eq!(cfg["delete_version_after"], "-1s");
    let w = m
        .data(Operation::Update, "data/t", json!({"data": {"a": 2}}))
        .await;
    assert_eq!(w["deletion_time"], "");
}

#[tokio::test]
async fn patch_merges_into_a_new_version() {
    let m = mount("2").await;
    m.put("p", json!({"a": 1, "b": {"c": 2, "d": 3}})).await;
    let w = m
        .data(
            Operation::Patch,
            "data/p",
            json!({"data": {"a": null, "b": {"c": 9}, "e": "new"}}),
        )
        .await;
    assert_eq!(w["version"], 2);
    let r = m.data(Operation::Read, "data/p", json!({})).await;
    assert_eq!(r["data"], json!({"b": {"c": 9, "d": 3}, "e": "new"}));
    let old = m
        .data(Operation::Read, "data/p", json!({"version": 1}))
        .await;
    assert_eq!(old["data"], json!({"a": 1, "b": {"c": 2, "d": 3}}));
    let missing = m
        .ok(Operation::Patch, "data/none", json!({"data": {"a": 1}}))
        .await
        .unwrap();
    assert_eq!((missing.status, missing.data), (Some(404), None));
}

#[tokio::test]
async fn metadata_list_is_paginated() {
    let m = mount("2").await;
    for k in ["b", "a", "dir/x", "c"] {
        m.put(k, json!({"x": 1})).await;
    }
    let list = |after: &str, limit: i64| json!({"after": after, "limit": limit});
    let page = m.data(Operation::List, "metadata/", list("", 2)).await;
    assert_eq!(page["keys"], json!(["a", "b"]));
    let page = m.data(Operation::List, "metadata/", list("b", 2)).await;
    assert_eq!(page["keys"], json!(["c", "dir/"]));
    assert!(m
        .ok(Operation::List, "metadata/", list("dir/", 2))
        .await
        .is_none());
    let page = m.data(Operation::List, "metadata/dir/", json!({})).await;
    assert_eq!(page["keys"], json!(["x"]));
    let err = m
        .call(Operation::List, "metadata/", json!({"limit": "x"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("field \"limit\""));
}

#[tokio::test]
async fn v1_read_write_list_and_advisory_lease() {
    let m = mount("1").await;
    m.ok(
        Operation::Update,
        "app/db",
        json!({"password": "p", "ttl": "1h"}),
    )
    .await;
    let r = m.ok(Operation::Read, "app/db", json!({})).await.unwrap();
    let lease = r.secret.unwrap();
    assert!(lease.advisory_only);
    assert_eq!(lease.ttl.as_secs(), 3600);
    assert_eq!(r.data.unwrap()["password"], "p");
    let l = m.data(Operation::List, "app/", json!({})).await;
    assert_eq!(l["keys"], json!(["db"]));
    let err = m
        .call(Operation::Update, "app/", json!({"a": 1}))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "cannot write to a path ending in '/'");
    let err = m
        .call(Operation::Update, "app/x", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "missing data fields");
    m.ok(Operation::Delete, "app/db", json!({})).await;
    assert!(m.ok(Operation::Read, "app/db", json!({})).await.is_none());
}

#[tokio::test]
async fn upgrade_keeps_data_and_recovers_from_a_crash() {
    let mem = Arc::new(MemStorage::default());
    let m = mount_on(mem.clone(), "1").await;
    for i in 0..700 {
        m.ok(
            Operation::Update,
            &format!("f{}/k{i}", i % 3),
            json!({ "i": i }),
        )
        .await;
    }
    m.ok(Operation::Update, "top", json!({"a": "b"})).await;
    let opts = HashMap::from([("version".to_string(), "2".to_string())]);
    m.kv.options_changed(&opts).await.unwrap();
    assert_eq!(m.kv.version().await, 2);
    let r = m.data(Operation::Read, "data/f1/k1", json!({})).await;
    assert_eq!(r["data"], json!({"i": 1}));
    assert_eq!(r["metadata"]["version"], 1);
    let meta = m.data(Operation::Read, "metadata/top", json!({})).await;
    assert_eq!(meta["oldest_version"], 1);
    assert!(
        m.keys().iter().all(|k| !k.starts_with("logical/x/v1/")),
        "no v1 entry is left"
    );
    assert_eq!(m.keys().len(), 701);

    // A crash after some keys moved but before the tune committed: the mount is still v1
    // when it comes back, and the move is undone.
    let mem2 = Arc::new(MemStorage::default());
    {
        let mut map = mem2.entries();
        map.insert("logical/x/v1/kept".into(), br#"{"a":1}"#.to_vec());
        map.insert(
            "logical/x/v2/upgrade".into(),
            br#"{"started":1,"done":false}"#.to_vec(),
        );
        let mut meta = super::v2::KeyMeta::new_key();
        meta.data = Some(json!({"b": 2}));
        meta.add_version(1, None, 1);
        map.insert(
            "logical/x/v2/meta/moved".into(),
            serde_json::to_vec(&meta).unwrap(),
        );
    }
    let back = mount_on(mem2.clone(), "1").await;
    assert_eq!(back.data(Operation::Read, "moved", json!({})).await["b"], 2);
    assert_eq!(back.data(Operation::Read, "kept", json!({})).await["a"], 1);
    assert_eq!(back.keys(), vec!["logical/x/v1/kept", "logical/x/v1/moved"]);
    // The same crash, but the tune had committed (mount is v2): the move is finished.
    {
        let mut map = mem2.entries();
        map.insert(
            "logical/x/v2/upgrade".into(),
            br#"{"started":1,"done":false}"#.to_vec(),
        );
    }
    let fwd = mount_on(mem2.clone(), "2").await;
    assert_eq!(
        fwd.data(Operation::Read, "data/moved", json!({})).await["data"]["b"],
        2
    );
    assert!(fwd.keys().iter().all(|k| k.contains("/v2/meta/")));
}

#[tokio::test]
async fn existence_tells_create_from_update() {
    let m = mount("2").await;
    let req = Request::new(Operation::Update, "data/e");
    assert_eq!(m.kv.existence(&req).await.unwrap(), Some(false));
    m.put("e", json!({"a": 1})).await;
    assert_eq!(m.kv.existence(&req).await.unwrap(), Some(true));
    let cfg = Request::new(Operation::Update, "config");
    assert_eq!(m.kv.existence(&cfg).await.unwrap(), None);
    let m1 = mount("1").await;
    let req = Request::new(Operation::Update, "x");
    assert_eq!(m1.kv.existence(&req).await.unwrap(), Some(false));
}

/// A storage that counts how many keys its list calls returned, to prove pages stay pages.
struct Counting {
    inner: MemStorage,
    listed: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl Storage for Counting {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: Vec<u8>) -> Result<()> {
        self.inner.put(key, value).await
    }
    async fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(key).await
    }
    async fn list_page(&self, prefix: &str, after: &str, limit: usize) -> Result<Vec<String>> {
        let page = self.inner.list_page(prefix, after, limit).await?;
        self.listed
            .fetch_add(page.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(page)
    }
    async fn transaction(&self, ops: Vec<TxnOp>) -> Result<()> {
        self.inner.transaction(ops).await
    }
}

#[tokio::test]
async fn listing_100k_keys_pages_through_storage() {
    let store = Arc::new(Counting {
        inner: MemStorage::default(),
        listed: Default::default(),
    });
    {
        let mut map = store.inner.entries();
        let meta = serde_json::to_vec(&super::v2::KeyMeta::new_key()).unwrap();
        for i in 0..100_000 {
            map.insert(format!("logical/x/v2/meta/big/k{i:06}"), meta.clone());
        }
    }
    let ctx = BackendContext {
        storage: StorageView::new(store.clone(), "logical/x/"),
        system: Arc::new(Sys),
        mount_type: "kv".into(),
        mount_uuid: "x".into(),
        mount_accessor: "kv_x".into(),
        options: HashMap::from([("version".to_string(), "2".to_string())]),
    };
    let kv = Kv::new(ctx).await.unwrap();
    let mut after = String::new();
    let mut total = 0;
    let mut pages = 0;
    loop {
        let mut req = Request::new(Operation::List, "metadata/big/");
        req.data.insert("after".into(), json!(after));
        req.data.insert("limit".into(), json!(1000));
        let Some(resp) = kv.handle(&req).await.unwrap() else {
            break;
        };
        let keys = resp.data.unwrap()["keys"].as_array().unwrap().clone();
        assert_eq!(keys.len(), 1000);
        total += keys.len();
        pages += 1;
        after = keys.last().unwrap().as_str().unwrap().to_string();
    }
    assert_eq!((total, pages), (100_000, 100));
    assert_eq!(
        store.listed.load(std::sync::atomic::Ordering::Relaxed),
        100_000,
        "the storage handed out each key once, never the whole folder per page"
    );
}
