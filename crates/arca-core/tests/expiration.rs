//! The expiration manager, driven through the core's public request API with an in-process
//! engine that issues leased credentials and records (or refuses) their revocation. No engine
//! that ships in Arca issues secret leases yet, so this engine exists only in this test.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arca_core::mounts::MountTable;
use arca_core::physical::{EmbeddedBackend, InmemBackend, Physical, PhysicalResult, TxnOp};
use arca_core::{ClientRequest, Core, CoreConfig};
use arca_sdk::{
    Backend, BackendContext, BackendKind, BackendType, Error, Operation, Request, Response, Result,
    SecretLease,
};
use async_trait::async_trait;
use serde_json::{json, Map, Value};

/// Issues `creds/<name>` secrets with a 60s lease (max 120s) and records revocations.
#[derive(Default)]
struct Ledger {
    issued: AtomicUsize,
    revoked: Mutex<Vec<String>>,
    /// Revocations to refuse before accepting again.
    failures_left: AtomicU32,
    ttl_secs: AtomicU32,
}

struct Leasing {
    ledger: Arc<Ledger>,
}

#[async_trait]
impl Backend for Leasing {
    async fn handle(&self, req: &Request) -> Result<Option<Response>> {
        match req.operation {
            Operation::Read if req.path.starts_with("creds/") => {
                let n = self.ledger.issued.fetch_add(1, Ordering::SeqCst);
                let user = format!("user-{n}");
                let mut data = Map::new();
                data.insert("username".into(), json!(user));
                let mut internal = Map::new();
                internal.insert("username".into(), json!(user));
                let ttl = self.ledger.ttl_secs.load(Ordering::SeqCst).max(1);
                Ok(Some(Response {
                    data: Some(data),
                    secret: Some(SecretLease {
                        ttl: Duration::from_secs(ttl as u64),
                        max_ttl: Duration::from_secs(120),
                        renewable: true,
                        internal_data: internal,
                        advisory_only: false,
                    }),
                    ..Default::default()
                }))
            }
            Operation::Renew => Ok(Some(Response {
                secret: Some(SecretLease {
                    ttl: req.lease.as_ref().map(|l| l.increment).unwrap_or_default(),
                    ..Default::default()
                }),
                ..Default::default()
            })),
            Operation::Revoke => {
                if self
                    .ledger
                    .failures_left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |f| f.checked_sub(1))
                    .is_ok()
                {
                    return Err(Error::internal("database unreachable"));
                }
                let user = req.lease.as_ref().unwrap().internal_data["username"]
                    .as_str()
                    .unwrap()
                    .to_string();
                self.ledger.revoked.lock().unwrap().push(user);
                Ok(None)
            }
            _ => Err(Error::UnsupportedPath),
        }
    }
}

fn leasing_type(ledger: Arc<Ledger>) -> BackendType {
    BackendType {
        name: "leasing",
        kind: BackendKind::Secrets,
        version: "",
        factory: Arc::new(move |_ctx: BackendContext| {
            let ledger = ledger.clone();
            Box::pin(async move { Ok(Arc::new(Leasing { ledger }) as Arc<dyn Backend>) })
        }),
    }
}

struct Harness {
    core: Arc<Core>,
    ledger: Arc<Ledger>,
    root: String,
    unseal_key: Vec<u8>,
}

async fn start(physical: Arc<dyn Physical>) -> Harness {
    let ledger = Arc::new(Ledger::default());
    ledger.ttl_secs.store(60, Ordering::SeqCst);
    let core = Core::new(
        physical,
        CoreConfig::default(),
        vec![
            leasing_type(ledger.clone()),
            arca_builtin::cubbyhole::backend_type(),
        ],
    );
    let init = core.initialize(1, 1).await.unwrap();
    core.unseal_with_key(&init.shares[0]).await.unwrap();
    core.mount(Core::new_entry(MountTable::Secrets, "db/", "leasing"))
        .await
        .unwrap();
    Harness {
        core,
        ledger,
        root: init.root_token,
        unseal_key: init.shares[0].to_vec(),
    }
}

impl Harness {
    async fn call(
        &self,
        op: Operation,
        path: &str,
        data: Value,
        token: &str,
    ) -> Result<arca_core::ApiResponse> {
        let mut req = ClientRequest::new(op, path);
        req.token = token.to_string();
        if let Value::Object(m) = data {
            req.data = m;
        }
        self.core.handle(req).await
    }

    async fn creds(&self, token: &str) -> (String, String) {
        let r = self
            .call(Operation::Read, "db/creds/ro", json!({}), token)
            .await
            .unwrap();
        (
            r.lease_id,
            r.data.unwrap()["username"].as_str().unwrap().to_string(),
        )
    }

    fn revoked(&self) -> Vec<String> {
        self.ledger.revoked.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn leases_are_registered_renewed_and_revoked_through_the_mount() {
    let h = start(Arc::new(InmemBackend::new())).await;
    let (lease_id, user) = h.creds(&h.root).await;
    assert!(lease_id.starts_with("db/creds/ro/"), "{lease_id}");
    let look = h
        .call(
            Operation::Update,
            "sys/leases/lookup",
            json!({"lease_id": lease_id}),
            &h.root,
        )
        .await
        .unwrap();
    let d = look.data.unwrap();
    assert_eq!(d["renewable"], true);
    assert!(d["ttl"].as_i64().unwrap() <= 60);
    let renewed = h
        .call(
            Operation::Update,
            "sys/leases/renew",
            json!({"lease_id": lease_id, "increment": 3600}),
            &h.root,
        )
        .await
        .unwrap();
    assert_eq!(renewed.lease_id, lease_id);
    assert!(
        renewed.lease_duration <= 120,
        "renewal capped by the lease's max TTL"
    );
    assert!(!renewed.warnings.is_empty());
    h.call(
        Operation::Update,
        "sys/leases/revoke",
        json!({"lease_id": lease_id}),
        &h.root,
    )
    .await
    .unwrap();
    assert_eq!(h.revoked(), vec![user]);
    let gone = h
        .call(
            Operation::Update,
            "sys/leases/lookup",
            json!({"lease_id": lease_id}),
            &h.root,
        )
        .await;
    assert!(matches!(gone, Err(Error::InvalidRequest(_))));
    // Listing is sudo-protected and paginated by folder.
    h.creds(&h.root).await;
    let list = h
        .call(
            Operation::List,
            "sys/leases/lookup/db/creds/ro/",
            json!({}),
            &h.root,
        )
        .await
        .unwrap();
    assert_eq!(list.data.unwrap()["keys"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn expiry_revokes_through_the_mount() {
    let h = start(Arc::new(InmemBackend::new())).await;
    h.ledger.ttl_secs.store(1, Ordering::SeqCst);
    let (_, user) = h.creds(&h.root).await;
    for _ in 0..50 {
        if !h.revoked().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(h.revoked(), vec![user], "the expired lease was not revoked");
}

#[tokio::test]
async fn failing_revocations_are_retried_and_end_irrevocable_without_losing_the_record() {
    let h = start(Arc::new(InmemBackend::new())).await;
    h.ledger.failures_left.store(1000, Ordering::SeqCst);
    let (lease_id, _) = h.creds(&h.root).await;
    let mut now = arca_sdk::now_unix() + 61;
    for attempt in 1..=arca_core::expiration::MAX_REVOKE_ATTEMPTS {
        h.core.expire_due_at(now).await.unwrap();
        let look = h
            .call(
                Operation::Update,
                "sys/leases/lookup",
                json!({"lease_id": lease_id}),
                &h.root,
            )
            .await;
        assert!(
            look.is_ok(),
            "attempt {attempt}: the lease record was lost before its revocation succeeded"
        );
        now += 3600;
    }
    let list = h
        .call(
            Operation::Read,
            "sys/leases",
            json!({"type": "irrevocable"}),
            &h.root,
        )
        .await
        .unwrap();
    let d = list.data.unwrap();
    assert_eq!(d["lease_count"], 1, "{d:?}");
    assert!(d["leases"][0]["error"]
        .as_str()
        .unwrap()
        .contains("database unreachable"));
    // revoke-force removes it even though the mount still fails.
    h.call(
        Operation::Update,
        "sys/leases/revoke-force/db/creds",
        json!({}),
        &h.root,
    )
    .await
    .unwrap();
    let look = h
        .call(
            Operation::Update,
            "sys/leases/lookup",
            json!({"lease_id": lease_id}),
            &h.root,
        )
        .await;
    assert!(look.is_err());
}

#[tokio::test]
async fn one_failure_is_retried_then_revoked() {
    let h = start(Arc::new(InmemBackend::new())).await;
    h.ledger.failures_left.store(1, Ordering::SeqCst);
    let (_, user) = h.creds(&h.root).await;
    let later = arca_sdk::now_unix() + 61;
    h.core.expire_due_at(later).await.unwrap();
    assert!(h.revoked().is_empty());
    h.core.expire_due_at(later + 60).await.unwrap();
    assert_eq!(h.revoked(), vec![user]);
}

#[tokio::test]
async fn revoking_a_token_revokes_its_leases_and_unmount_revokes_the_rest() {
    let h = start(Arc::new(InmemBackend::new())).await;
    let child = h
        .call(
            Operation::Update,
            "auth/token/create",
            json!({"policies": ["root"]}),
            &h.root,
        )
        .await
        .unwrap();
    let child = child.auth.unwrap().client_token;
    let (_, u1) = h.creds(&child).await;
    let (_, u2) = h.creds(&h.root).await;
    h.call(
        Operation::Update,
        "auth/token/revoke",
        json!({"token": child}),
        &h.root,
    )
    .await
    .unwrap();
    assert_eq!(h.revoked(), vec![u1.clone()]);
    h.core.unmount("db/").await.unwrap();
    let mut all = h.revoked();
    all.sort();
    assert_eq!(all, vec![u1, u2]);
    let count = h
        .call(
            Operation::Read,
            "sys/leases/count",
            json!({"type": "all"}),
            &h.root,
        )
        .await
        .unwrap();
    assert_eq!(count.data.unwrap()["lease_count"], 0);
}

/// Counts physical reads of lease records, to prove unsealing does not load them.
struct CountingPhysical {
    inner: Arc<dyn Physical>,
    lease_reads: AtomicUsize,
    lease_lists: AtomicUsize,
}

#[async_trait]
impl Physical for CountingPhysical {
    async fn get(&self, key: &str) -> PhysicalResult<Option<Vec<u8>>> {
        if key.starts_with("sys/expire/id/") {
            self.lease_reads.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.get(key).await
    }
    async fn list_page(
        &self,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> PhysicalResult<Vec<String>> {
        if prefix.starts_with("sys/expire/id/") {
            self.lease_lists.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.list_page(prefix, after, limit).await
    }
    async fn transaction(&self, ops: Vec<TxnOp>) -> PhysicalResult<()> {
        self.inner.transaction(ops).await
    }
    fn kind(&self) -> &'static str {
        "counting"
    }
}

#[tokio::test]
async fn unseal_reads_no_lease_records() {
    let dir = tempfile::tempdir().unwrap();
    let key;
    {
        let h = start(Arc::new(
            EmbeddedBackend::open(dir.path(), 8 << 20).unwrap(),
        ))
        .await;
        let mut ids = HashMap::new();
        for _ in 0..2000 {
            let (id, user) = h.creds(&h.root).await;
            ids.insert(id, user);
        }
        key = h.unseal_key.clone();
        h.core.seal().await.unwrap();
    }
    // The writer thread of the previous store may hold the file briefly.
    let physical = loop {
        match EmbeddedBackend::open(dir.path(), 8 << 20) {
            Ok(p) => break p,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let counting = Arc::new(CountingPhysical {
        inner: Arc::new(physical),
        lease_reads: AtomicUsize::new(0),
        lease_lists: AtomicUsize::new(0),
    });
    let ledger = Arc::new(Ledger::default());
    let core = Core::new(
        counting.clone(),
        CoreConfig::default(),
        vec![
            leasing_type(ledger),
            arca_builtin::cubbyhole::backend_type(),
        ],
    );
    core.unseal_with_key(&key).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        counting.lease_reads.load(Ordering::SeqCst),
        0,
        "unseal read lease records"
    );
    assert_eq!(
        counting.lease_lists.load(Ordering::SeqCst),
        0,
        "unseal listed lease records"
    );
}
