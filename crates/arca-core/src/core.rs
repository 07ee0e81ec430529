//! The core: owns the barrier and the seal, and, while unsealed, the router, token store,
//! policy store and lease store. Lifecycle (init, unseal, seal) and mount management live
//! here; the request pipeline is in `request.rs`, token and lease orchestration in
//! `token_ops.rs` and `expiration.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use arca_sdk::{
    Backend, BackendContext, BackendKind, BackendType, Error, Result, SpecialPaths, Storage,
    StorageExt, StorageView,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use zeroize::Zeroizing;

use crate::barrier::Barrier;
use crate::crypto::{random_base62, random_key, random_uuid};
use crate::lease::LeaseStore;
use crate::mounts::{
    load_table, MountConfig, MountEntry, MountHandle, MountTable, RouteEntry, Router,
};
use crate::physical::Physical;
use crate::policy_store::PolicyStore;
use crate::seal::{self, SealConfig, SealError, ShareCollector};
use crate::token::TokenStore;

/// Server-wide settings the core needs.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    pub default_lease_ttl: Duration,
    pub max_lease_ttl: Duration,
    pub dev: bool,
    /// Name of the physical backend as `seal-status` reports it ("raft", "file", "inmem").
    pub storage_type: String,
    pub cluster_name: String,
    pub api_addr: String,
    pub cluster_addr: String,
    pub unsafe_allow_api_audit_creation: bool,
    /// Whether audit devices may have a `prefix` (OpenBao's `allow_audit_log_prefixing`).
    pub allow_audit_log_prefixing: bool,
    /// Audit devices declared in the config file, enabled at every unseal.
    pub config_audit_devices: Vec<crate::audit::DeviceSpec>,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            default_lease_ttl: Duration::from_secs(768 * 3600),
            max_lease_ttl: Duration::from_secs(768 * 3600),
            dev: false,
            storage_type: "inmem".into(),
            cluster_name: String::new(),
            api_addr: String::new(),
            cluster_addr: String::new(),
            unsafe_allow_api_audit_creation: false,
            allow_audit_log_prefixing: false,
            config_audit_devices: Vec::new(),
        }
    }
}

pub const VERSION: &str = "2.7.2";
pub const BUILD_DATE: &str = "2026-11-01T00:00:00Z";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterInfo {
    pub name: String,
    pub id: String,
}

/// Everything that exists only while unsealed.
pub struct Active {
    pub router: Router,
    pub tokens: TokenStore,
    pub policies: PolicyStore,
    pub leases: LeaseStore,
    pub audit: crate::audit::AuditBroker,
    pub cluster: ClusterInfo,
    /// Serialises changes to the mount tables.
    pub mount_lock: Mutex<()>,
    pub active_since: String,
    pub(crate) stop: tokio::sync::watch::Sender<bool>,
    pub(crate) remounts: dashmap::DashMap<String, crate::system::RemountStatus>,
}

/// Shares being collected for an unseal, and the state of rekey / generate-root attempts.
#[derive(Default)]
pub(crate) struct SealOps {
    pub unseal: ShareCollector,
    pub rekey: Option<crate::seal_ops::RekeyOperation>,
    pub generate_root: Option<crate::seal_ops::GenerateRootOperation>,
}

pub struct Core {
    pub config: CoreConfig,
    physical: Arc<dyn Physical>,
    pub(crate) barrier: Arc<Barrier>,
    registry: HashMap<String, BackendType>,
    active: ArcSwapOption<Active>,
    pub(crate) ops: Mutex<SealOps>,
    /// Serialises unseal/seal transitions.
    transition: Mutex<()>,
    self_ref: Weak<Core>,
    initialized: AtomicBool,
    pub started: Instant,
    /// Requests served since start, for `sys/metrics`.
    pub(crate) requests: std::sync::atomic::AtomicU64,
    pub(crate) request_errors: std::sync::atomic::AtomicU64,
}

/// What `sys/init` returns.
pub struct InitResult {
    pub shares: Vec<Zeroizing<Vec<u8>>>,
    pub root_token: String,
}

/// The seal state as `sys/seal-status` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct SealStatus {
    #[serde(rename = "type")]
    pub seal_type: String,
    pub initialized: bool,
    pub sealed: bool,
    pub t: usize,
    pub n: usize,
    pub progress: usize,
    pub nonce: String,
    pub version: String,
    pub build_date: String,
    pub migration: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    pub recovery_seal: bool,
    pub storage_type: String,
}

const CLUSTER_INFO_PATH: &str = "core/cluster";

impl Core {
    pub fn new(
        physical: Arc<dyn Physical>,
        config: CoreConfig,
        backends: Vec<BackendType>,
    ) -> Arc<Core> {
        let registry = backends
            .into_iter()
            .map(|b| (b.name.to_string(), b))
            .collect();
        Arc::new_cyclic(|weak| Core {
            config,
            barrier: Arc::new(Barrier::new(physical.clone())),
            physical,
            registry,
            active: ArcSwapOption::empty(),
            ops: Mutex::new(SealOps::default()),
            transition: Mutex::new(()),
            self_ref: weak.clone(),
            initialized: AtomicBool::new(false),
            started: Instant::now(),
            requests: 0.into(),
            request_errors: 0.into(),
        })
    }

    pub(crate) fn arc(&self) -> Result<Arc<Core>> {
        self.self_ref.upgrade().ok_or(Error::Sealed)
    }

    pub fn physical(&self) -> &Arc<dyn Physical> {
        &self.physical
    }

    /// The unsealed state, or `Sealed`.
    pub fn active(&self) -> Result<Arc<Active>> {
        self.active.load_full().ok_or(Error::Sealed)
    }

    pub fn is_sealed(&self) -> bool {
        self.active.load().is_none()
    }

    pub fn backend_type(&self, name: &str) -> Option<&BackendType> {
        self.registry.get(name)
    }

    pub fn backend_types(&self) -> impl Iterator<Item = &BackendType> {
        self.registry.values()
    }

    pub(crate) fn barrier_storage(&self) -> Arc<dyn Storage> {
        self.barrier.clone()
    }

    pub async fn is_initialized(&self) -> Result<bool> {
        if self.initialized.load(Ordering::Acquire) {
            return Ok(true);
        }
        let init = SealConfig::load(&*self.physical)
            .await
            .map_err(seal_err)?
            .is_some();
        if init {
            self.initialized.store(true, Ordering::Release);
        }
        Ok(init)
    }

    pub async fn seal_config(&self) -> Result<Option<SealConfig>> {
        SealConfig::load(&*self.physical).await.map_err(seal_err)
    }

    pub async fn seal_status(&self) -> Result<SealStatus> {
        let config = self.seal_config().await?;
        let ops = self.ops.lock().await;
        let active = self.active.load_full();
        let cluster = active.as_ref().map(|a| a.cluster.clone());
        Ok(SealStatus {
            seal_type: config
                .as_ref()
                .map(|c| c.seal_type.clone())
                .unwrap_or_else(|| "shamir".into()),
            initialized: config.is_some(),
            sealed: active.is_none(),
            t: config.as_ref().map(|c| c.secret_threshold).unwrap_or(0),
            n: config.as_ref().map(|c| c.secret_shares).unwrap_or(0),
            progress: ops.unseal.progress(),
            nonce: ops.unseal.nonce.clone(),
            version: VERSION.into(),
            build_date: BUILD_DATE.into(),
            migration: false,
            cluster_name: cluster.as_ref().map(|c| c.name.clone()),
            cluster_id: cluster.map(|c| c.id),
            recovery_seal: false,
            storage_type: self.config.storage_type.clone(),
        })
    }

    /// `sys/init`: creates the keys, the keyring, the default mounts and the root token,
    /// and leaves the server sealed (as Vault does).
    pub async fn initialize(&self, shares: usize, threshold: usize) -> Result<InitResult> {
        let _guard = self.transition.lock().await;
        if self.is_initialized().await? {
            return Err(Error::invalid("Vault is already initialized"));
        }
        let config =
            SealConfig::shamir(shares, threshold).map_err(|e| Error::invalid(e.to_string()))?;
        let root_key = random_key().map_err(Error::internal)?;
        let unseal_key = random_key().map_err(Error::internal)?;
        self.barrier.initialize(&root_key[..]).await?;
        seal::store_root_key(&*self.physical, &unseal_key[..], &root_key[..])
            .await
            .map_err(seal_err)?;
        let cluster = ClusterInfo {
            name: if self.config.cluster_name.is_empty() {
                format!(
                    "vault-cluster-{}",
                    &random_uuid().map_err(Error::internal)?[..8]
                )
            } else {
                self.config.cluster_name.clone()
            },
            id: random_uuid().map_err(Error::internal)?,
        };
        self.barrier.put_json(CLUSTER_INFO_PATH, &cluster).await?;
        let root_token = match self.post_unseal().await {
            Ok(()) => self.create_root_token(None).await,
            Err(e) => Err(e),
        };
        self.pre_seal().await;
        let root_token = root_token?;
        // Written last: a crash before this point leaves the server uninitialized, so the
        // operator can simply run init again on an empty store.
        config.store(&*self.physical).await.map_err(seal_err)?;
        self.initialized.store(true, Ordering::Release);
        let shares = seal::split(&unseal_key[..], shares, threshold).map_err(seal_err)?;
        tracing::info!("core: security barrier initialized");
        Ok(InitResult { shares, root_token })
    }

    /// Creates a root token (init, dev mode, generate-root).
    pub async fn create_root_token(&self, fixed_id: Option<&str>) -> Result<String> {
        let active = self.active()?;
        self.issue_root_token(&active, fixed_id).await
    }

    /// `sys/unseal` with one key share.
    pub async fn unseal_with_share(&self, share: &str) -> Result<SealStatus> {
        let config = self.seal_config().await?.ok_or(Error::NotInitialized)?;
        if !self.is_sealed() {
            return self.seal_status().await;
        }
        let key = seal::decode_share(share).map_err(|e| Error::invalid(e.to_string()))?;
        let combined = {
            let mut ops = self.ops.lock().await;
            if ops.unseal.nonce.is_empty() {
                ops.unseal = ShareCollector::new(random_uuid().map_err(Error::internal)?);
            }
            ops.unseal
                .add(key)
                .map_err(|e| Error::invalid(e.to_string()))?;
            if ops.unseal.progress() < config.secret_threshold {
                None
            } else {
                let combined = seal::combine(ops.unseal.shares(), config.secret_threshold);
                ops.unseal.reset();
                Some(combined)
            }
        };
        if let Some(combined) = combined {
            let unseal_key = combined.map_err(|e| Error::invalid(e.to_string()))?;
            self.unseal_with_key(&unseal_key).await?;
        }
        self.seal_status().await
    }

    /// Forgets the shares given so far.
    pub async fn reset_unseal(&self) -> Result<SealStatus> {
        self.ops.lock().await.unseal.reset();
        self.seal_status().await
    }

    /// Unseals with the full unseal key (dev mode, and the last step of `sys/unseal`).
    pub async fn unseal_with_key(&self, unseal_key: &[u8]) -> Result<()> {
        let _guard = self.transition.lock().await;
        if !self.is_sealed() {
            return Ok(());
        }
        let root_key = seal::load_root_key(&*self.physical, unseal_key).await.map_err(|e| match e {
            SealError::WrongKey => Error::invalid("failed to unseal: the combined key does not decrypt the root key (wrong or mismatched key shares)"),
            other => seal_err(other),
        })?;
        self.barrier.unseal(&root_key).await?;
        if let Err(e) = self.post_unseal().await {
            tracing::error!(error = %e, "core: post-unseal setup failed, sealing again");
            self.pre_seal().await;
            return Err(e);
        }
        tracing::info!("core: vault is unsealed");
        Ok(())
    }

    /// `sys/seal`.
    pub async fn seal(&self) -> Result<()> {
        let _guard = self.transition.lock().await;
        if self.is_sealed() {
            return Ok(());
        }
        self.pre_seal().await;
        tracing::info!("core: vault is sealed");
        Ok(())
    }

    /// Builds the unsealed state: stores, mount tables, backends, background tasks.
    async fn post_unseal(&self) -> Result<()> {
        let storage = self.barrier_storage();
        let cluster = storage
            .get_json::<ClusterInfo>(CLUSTER_INFO_PATH)
            .await?
            .ok_or_else(|| Error::internal("cluster information missing"))?;
        let (stop, _) = tokio::sync::watch::channel(false);
        let active = Arc::new(Active {
            router: Router::new(),
            tokens: TokenStore::open(storage.clone()).await?,
            policies: PolicyStore::open(storage.clone()).await?,
            leases: LeaseStore::new(storage.clone()),
            audit: crate::audit::AuditBroker::new(
                storage.clone(),
                self.config.allow_audit_log_prefixing,
            ),
            cluster,
            mount_lock: Mutex::new(()),
            active_since: crate::time::rfc3339_now(),
            stop,
            remounts: dashmap::DashMap::new(),
        });
        self.load_mounts(&active).await?;
        self.active.store(Some(active.clone()));
        if let Err(e) = self.setup_audit(&active).await {
            self.active.store(None);
            return Err(e);
        }
        self.start_background(&active);
        Ok(())
    }

    async fn pre_seal(&self) {
        if let Some(active) = self.active.swap(None) {
            let _ = active.stop.send(true);
            for entry in active.router.snapshot().entries() {
                entry.backend.cleanup().await;
            }
            active.router.clear();
            active.audit.close_all();
        }
        self.barrier.seal();
    }

    /// Default mounts Vault always has.
    fn default_mounts() -> Vec<MountEntry> {
        vec![
            MountEntry {
                table: MountTable::Secrets,
                path: "cubbyhole/".into(),
                backend_type: "cubbyhole".into(),
                description: "per-token private secret storage".into(),
                local: true,
                ..Default::default()
            },
            MountEntry {
                table: MountTable::Secrets,
                path: "sys/".into(),
                backend_type: "system".into(),
                description: "system endpoints used for control, policy and debugging".into(),
                ..Default::default()
            },
            MountEntry {
                table: MountTable::Auth,
                path: "token/".into(),
                backend_type: "token".into(),
                description: "token based credentials".into(),
                ..Default::default()
            },
        ]
    }

    async fn load_mounts(&self, active: &Arc<Active>) -> Result<()> {
        let storage = self.barrier_storage();
        let mut entries = load_table(&*storage, MountTable::Secrets).await?;
        entries.extend(load_table(&*storage, MountTable::Auth).await?);
        for default in Self::default_mounts() {
            let exists = entries
                .iter()
                .any(|e| e.table == default.table && e.backend_type == default.backend_type);
            if !exists {
                let entry = self.complete_entry(default)?;
                storage.put_json(&entry.storage_key(), &entry).await?;
                entries.push(entry);
            }
        }
        for entry in entries {
            let route = self.instantiate(active, entry).await?;
            active.router.insert(route);
        }
        Ok(())
    }

    /// Fills in identifiers of a new mount entry.
    pub(crate) fn complete_entry(&self, mut entry: MountEntry) -> Result<MountEntry> {
        if entry.uuid.is_empty() {
            entry.uuid = random_uuid().map_err(Error::internal)?;
        }
        if entry.accessor.is_empty() {
            let prefix = match entry.table {
                MountTable::Auth => "auth_",
                MountTable::Secrets => "",
            };
            entry.accessor = format!(
                "{prefix}{}_{}",
                entry.backend_type.replace('-', "_"),
                &hex::encode(
                    crate::crypto::random_bytes(4)
                        .map_err(Error::internal)?
                        .as_slice()
                )
            );
        }
        Ok(entry)
    }

    /// Creates the backend for a mount entry and its route.
    pub(crate) async fn instantiate(
        &self,
        active: &Arc<Active>,
        entry: MountEntry,
    ) -> Result<Arc<RouteEntry>> {
        let route = entry.route_path();
        let handle = Arc::new(MountHandle {
            entry: arc_swap::ArcSwap::from_pointee(entry.clone()),
            system_default_ttl: self.config.default_lease_ttl,
            system_max_ttl: self.config.max_lease_ttl,
            dev: self.config.dev,
        });
        let backend: Arc<dyn Backend> = match (entry.table, entry.backend_type.as_str()) {
            (MountTable::Secrets, "system") => {
                Arc::new(crate::system::SystemBackend::new(self.self_ref.clone()))
            }
            (MountTable::Auth, "token") => Arc::new(crate::token_backend::TokenBackend::new(
                self.self_ref.clone(),
            )),
            (table, ty) => {
                let bt = self.registry.get(ty).ok_or_else(|| {
                    Error::invalid(format!("plugin not found in the catalog: {ty}"))
                })?;
                let expected = match table {
                    MountTable::Secrets => BackendKind::Secrets,
                    MountTable::Auth => BackendKind::Auth,
                };
                if bt.kind != expected {
                    return Err(Error::invalid(format!(
                        "plugin not found in the catalog: {ty}"
                    )));
                }
                let ctx = BackendContext {
                    storage: StorageView::new(self.barrier_storage(), entry.view_prefix()),
                    system: handle.clone(),
                    mount_type: ty.to_string(),
                    mount_uuid: entry.uuid.clone(),
                    mount_accessor: entry.accessor.clone(),
                    options: entry.options.clone(),
                };
                (bt.factory)(ctx).await?
            }
        };
        backend.initialize().await?;
        let special = backend.special_paths();
        let _ = active;
        Ok(Arc::new(RouteEntry {
            handle,
            backend,
            special,
            route,
        }))
    }

    /// Validates and normalises a mount path given by a client.
    pub fn normalize_mount_path(path: &str) -> Result<String> {
        let p = path.trim_matches('/');
        if p.is_empty() {
            return Err(Error::invalid("mount path cannot be empty"));
        }
        if p.split('/').any(|s| s.is_empty() || s == "." || s == "..")
            || p.contains(['\0', '*', '+', '%'])
        {
            return Err(Error::invalid(format!("invalid mount path {path:?}")));
        }
        Ok(format!("{p}/"))
    }

    /// `sys/mounts/<path>` (and `sys/auth/<path>`) enable.
    pub async fn mount(&self, mut entry: MountEntry) -> Result<()> {
        let active = self.active()?;
        let _lock = active.mount_lock.lock().await;
        entry.path = Self::normalize_mount_path(&entry.path)?;
        if entry.table == MountTable::Secrets {
            for reserved in ["sys/", "auth/", "cubbyhole/", "identity/"] {
                if entry.path.starts_with(reserved) || reserved.starts_with(entry.path.as_str()) {
                    return Err(Error::invalid(format!("cannot mount {:?}", entry.path)));
                }
            }
            if matches!(
                entry.backend_type.as_str(),
                "system" | "cubbyhole" | "identity" | "token"
            ) {
                return Err(Error::invalid(format!(
                    "mount type of {:?} is not mountable",
                    entry.backend_type
                )));
            }
        } else if entry.backend_type == "token" {
            return Err(Error::invalid("mount type of \"token\" is not mountable"));
        }
        let route = entry.route_path();
        if let Some(existing) = active.router.conflicts(&route) {
            return Err(Error::invalid(format!(
                "path is already in use at {existing}"
            )));
        }
        if !self.registry.contains_key(&entry.backend_type) {
            return Err(Error::invalid(format!(
                "plugin not found in the catalog: {}",
                entry.backend_type
            )));
        }
        let entry = self.complete_entry(entry)?;
        let route_entry = self.instantiate(&active, entry.clone()).await?;
        self.barrier.put_json(&entry.storage_key(), &entry).await?;
        active.router.insert(route_entry);
        tracing::info!(path = %route, r#type = %entry.backend_type, "core: successful mount");
        Ok(())
    }

    /// Disables a mount: revokes its leases (and, for auth mounts, its tokens), then
    /// deletes its data and its table entry.
    pub async fn unmount(&self, route: &str) -> Result<()> {
        let active = self.active()?;
        let _lock = active.mount_lock.lock().await;
        let Some(route_entry) = active.router.get(route) else {
            return Ok(());
        };
        let entry = route_entry.entry();
        if entry.is_core_mount() {
            return Err(Error::invalid(format!("cannot unmount {route:?}")));
        }
        self.revoke_prefix(route, true).await?;
        if entry.table == MountTable::Auth {
            self.revoke_tokens_of_mount(&entry.accessor).await?;
        }
        active.router.remove(route);
        route_entry.backend.cleanup().await;
        self.barrier_storage()
            .delete_prefix(&entry.view_prefix())
            .await?;
        self.barrier.delete(&entry.storage_key()).await?;
        tracing::info!(path = %route, "core: successfully unmounted");
        Ok(())
    }

    /// Applies a tune to a mount's config (and options), persisting it.
    pub async fn tune(
        &self,
        route: &str,
        change: impl FnOnce(&mut MountEntry) -> Result<()>,
    ) -> Result<()> {
        let active = self.active()?;
        let _lock = active.mount_lock.lock().await;
        let route_entry = active.router.get(route).ok_or_else(|| {
            Error::invalid(format!(
                "tune of path {route:?} failed: no mount entry found"
            ))
        })?;
        let mut entry = (*route_entry.entry()).clone();
        let old_options = entry.options.clone();
        change(&mut entry)?;
        // As Vault: only a default above the mount's own max is refused; the mount's max
        // overrides the system's.
        if entry.config.max_lease_ttl != 0
            && entry.config.default_lease_ttl > entry.config.max_lease_ttl
        {
            return Err(Error::invalid(format!(
                "backend max lease TTL of {} would be less than backend default lease TTL of {}",
                entry.config.max_lease_ttl, entry.config.default_lease_ttl
            )));
        }
        if entry.options != old_options {
            route_entry.backend.options_changed(&entry.options).await?;
        }
        self.barrier.put_json(&entry.storage_key(), &entry).await?;
        route_entry.handle.entry.store(Arc::new(entry));
        Ok(())
    }

    /// Moves a mount to a new path: its data stays (it is keyed by UUID); its leases are
    /// revoked, as in Vault.
    pub async fn remount(&self, from: &str, to: &str) -> Result<()> {
        let active = self.active()?;
        let _lock = active.mount_lock.lock().await;
        let route_entry = active
            .router
            .get(from)
            .ok_or_else(|| Error::invalid(format!("no matching mount at {from:?}")))?;
        let mut entry = (*route_entry.entry()).clone();
        if entry.is_core_mount() {
            return Err(Error::invalid(format!("cannot remount {from:?}")));
        }
        let (table, path) = match to.strip_prefix("auth/") {
            Some(rest) => (MountTable::Auth, rest),
            None => (MountTable::Secrets, to),
        };
        if table != entry.table {
            return Err(Error::invalid(
                "cannot move a mount between the secrets and auth tables",
            ));
        }
        entry.path = Self::normalize_mount_path(path)?;
        let new_route = entry.route_path();
        if table == MountTable::Secrets {
            for reserved in ["sys/", "auth/", "cubbyhole/", "identity/"] {
                if new_route.starts_with(reserved) {
                    return Err(Error::invalid(format!(
                        "cannot remount to destination {new_route:?}: reserved path"
                    )));
                }
            }
        }
        if let Some(existing) = active.router.conflicts(&new_route) {
            if existing != from {
                return Err(Error::invalid(format!(
                    "path already in use at {existing:?}"
                )));
            }
        }
        // As Vault: the leases of a moved mount (and so the tokens of a moved auth method)
        // are revoked, through the mount while it is still at its old path. A revocation that
        // fails stops the move before anything changed.
        self.revoke_prefix(from, false).await?;
        self.barrier.put_json(&entry.storage_key(), &entry).await?;
        active.router.remove(from);
        route_entry.handle.entry.store(Arc::new(entry));
        let moved = Arc::new(RouteEntry {
            handle: route_entry.handle.clone(),
            backend: route_entry.backend.clone(),
            special: route_entry.special.clone(),
            route: new_route.clone(),
        });
        active.router.insert(moved);
        // Leases created through the old path while the first pass ran: the mount is found by
        // accessor, so they are revoked through it at its new path.
        if let Err(e) = self.revoke_prefix(from, false).await {
            tracing::warn!(error = %e, mount = %from, "core: remount left leases to the expiration loop");
        }
        Ok(())
    }

    /// A new mount entry from a client's enable request.
    pub fn new_entry(table: MountTable, path: &str, backend_type: &str) -> MountEntry {
        MountEntry {
            table,
            path: path.to_string(),
            backend_type: backend_type.to_string(),
            config: MountConfig::default(),
            ..Default::default()
        }
    }

    /// The special paths of a route, for ACL decisions outside a request.
    pub fn special_paths_of(&self, route: &RouteEntry) -> SpecialPaths {
        route.special.clone()
    }

    /// A random id for requests created inside the core (wrapping, lease revocation).
    pub fn new_request_id() -> String {
        random_uuid().unwrap_or_default()
    }

    pub fn random_id(len: usize) -> Result<String> {
        random_base62(len).map_err(Error::internal)
    }
}

pub(crate) fn seal_err(e: SealError) -> Error {
    match e {
        SealError::InvalidConfig(m) => Error::InvalidRequest(m),
        SealError::InvalidShare(m) => Error::InvalidRequest(m),
        SealError::WrongKey => Error::invalid(e.to_string()),
        SealError::Physical(p) => p.into(),
        other => Error::internal(other),
    }
}
