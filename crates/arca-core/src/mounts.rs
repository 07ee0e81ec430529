//! Mount tables and the router. Each mount is stored as its own entry (`core/mounts/<uuid>`
//! for secrets engines, `core/auth/<uuid>` for auth methods), so the number of mounts is not
//! capped by an entry size limit. The router answers "which mount serves this path" from an
//! immutable in-memory table swapped atomically on change: no lock on the request path.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use arca_sdk::{Backend, Result, SpecialPaths, Storage, StorageExt, SystemView, UserLockoutConfig};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub const MOUNTS_PREFIX: &str = "core/mounts/";
pub const AUTH_PREFIX: &str = "core/auth/";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountTable {
    Secrets,
    Auth,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct MountConfig {
    pub default_lease_ttl: u64,
    pub max_lease_ttl: u64,
    pub force_no_cache: bool,
    pub listing_visibility: String,
    pub audit_non_hmac_request_keys: Vec<String>,
    pub audit_non_hmac_response_keys: Vec<String>,
    pub passthrough_request_headers: Vec<String>,
    pub allowed_response_headers: Vec<String>,
    pub token_type: String,
    pub user_lockout_config: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MountEntry {
    pub uuid: String,
    pub table: MountTable,
    /// The path below the table's root, with trailing slash ("secret/", "userpass/").
    pub path: String,
    #[serde(rename = "type")]
    pub backend_type: String,
    pub description: String,
    pub accessor: String,
    pub config: MountConfig,
    pub options: HashMap<String, String>,
    pub local: bool,
    pub seal_wrap: bool,
    pub external_entropy_access: bool,
    pub namespace: String,
    pub plugin_version: String,
    pub running_version: String,
}

impl Default for MountEntry {
    fn default() -> Self {
        MountEntry {
            uuid: String::new(),
            table: MountTable::Secrets,
            path: String::new(),
            backend_type: String::new(),
            description: String::new(),
            accessor: String::new(),
            config: MountConfig::default(),
            options: HashMap::new(),
            local: false,
            seal_wrap: false,
            external_entropy_access: false,
            namespace: String::new(),
            plugin_version: String::new(),
            running_version: String::new(),
        }
    }
}

impl MountEntry {
    /// The path below `/v1/` that routes to this mount.
    pub fn route_path(&self) -> String {
        match self.table {
            MountTable::Secrets => self.path.clone(),
            MountTable::Auth => format!("auth/{}", self.path),
        }
    }

    pub fn storage_key(&self) -> String {
        match self.table {
            MountTable::Secrets => format!("{MOUNTS_PREFIX}{}", self.uuid),
            MountTable::Auth => format!("{AUTH_PREFIX}{}", self.uuid),
        }
    }

    /// The prefix of the mount's own storage view inside the barrier.
    pub fn view_prefix(&self) -> String {
        match (self.table, self.backend_type.as_str()) {
            (MountTable::Secrets, "system") => "sys/".into(),
            (MountTable::Auth, "token") => "sys/token-backend/".into(),
            (MountTable::Secrets, _) => format!("logical/{}/", self.uuid),
            (MountTable::Auth, _) => format!("auth/{}/", self.uuid),
        }
    }

    /// The mount as `sys/mounts` and `sys/auth` show it.
    /// The core's own mounts (token store, cubbyhole, system, identity): never moved or
    /// disabled, and shown without options.
    pub fn is_core_mount(&self) -> bool {
        matches!(
            self.backend_type.as_str(),
            "token" | "cubbyhole" | "system" | "identity"
        )
    }

    pub fn to_json(&self, system_default: Duration, system_max: Duration) -> Value {
        let _ = (system_default, system_max);
        let mut config = json!({
            "default_lease_ttl": self.config.default_lease_ttl,
            "max_lease_ttl": self.config.max_lease_ttl,
            "force_no_cache": self.config.force_no_cache,
        });
        if self.table == MountTable::Auth {
            config["token_type"] = json!(if self.config.token_type.is_empty() {
                "default-service"
            } else {
                self.config.token_type.as_str()
            });
        }
        if !self.config.listing_visibility.is_empty() {
            config["listing_visibility"] = json!(self.config.listing_visibility);
        }
        if let Some(lockout) = &self.config.user_lockout_config {
            config["user_lockout_config"] = Value::Object(crate::user_lockout::display(lockout));
        }
        for (name, list) in [
            (
                "audit_non_hmac_request_keys",
                &self.config.audit_non_hmac_request_keys,
            ),
            (
                "audit_non_hmac_response_keys",
                &self.config.audit_non_hmac_response_keys,
            ),
            (
                "passthrough_request_headers",
                &self.config.passthrough_request_headers,
            ),
            (
                "allowed_response_headers",
                &self.config.allowed_response_headers,
            ),
        ] {
            if !list.is_empty() {
                config[name] = json!(list);
            }
        }
        // As Vault: the core's own mounts have no options and no deprecation status; mounts
        // an operator enabled show their options (`{}` when none) and "supported".
        let core_mount = self.is_core_mount();
        let mut out = json!({
            "accessor": self.accessor,
            "config": config,
            "description": self.description,
            "external_entropy_access": self.external_entropy_access,
            "local": self.local,
            "options": if core_mount && self.options.is_empty() { Value::Null } else { json!(self.options) },
            "plugin_version": self.plugin_version,
            "running_plugin_version": self.running_version,
            "running_sha256": "",
            "seal_wrap": self.seal_wrap,
            "type": self.backend_type,
            "uuid": self.uuid,
        });
        if !core_mount {
            out["deprecation_status"] = json!("supported");
        }
        out
    }
}

/// Loads every stored mount of one table.
pub async fn load_table(storage: &dyn Storage, table: MountTable) -> Result<Vec<MountEntry>> {
    let prefix = match table {
        MountTable::Secrets => MOUNTS_PREFIX,
        MountTable::Auth => AUTH_PREFIX,
    };
    let mut out = Vec::new();
    for key in storage.list(prefix).await? {
        if let Some(entry) = storage
            .get_json::<MountEntry>(&format!("{prefix}{key}"))
            .await?
        {
            out.push(entry);
        }
    }
    Ok(out)
}

/// The live, tunable settings of one mount, shared by the router and the backend's
/// `SystemView`.
pub struct MountHandle {
    pub entry: ArcSwap<MountEntry>,
    pub system_default_ttl: Duration,
    pub system_max_ttl: Duration,
    pub dev: bool,
}

impl MountHandle {
    pub fn effective_default_ttl(&self) -> Duration {
        self.configured_default_ttl().min(self.effective_max_ttl())
    }

    /// The mount's default TTL (else the system's) before the max caps it: what Vault's tune
    /// read shows.
    pub fn configured_default_ttl(&self) -> Duration {
        let e = self.entry.load();
        if e.config.default_lease_ttl == 0 {
            self.system_default_ttl
        } else {
            Duration::from_secs(e.config.default_lease_ttl)
        }
    }

    pub fn effective_max_ttl(&self) -> Duration {
        let e = self.entry.load();
        if e.config.max_lease_ttl == 0 {
            self.system_max_ttl
        } else {
            Duration::from_secs(e.config.max_lease_ttl)
        }
    }
}

impl SystemView for MountHandle {
    fn default_lease_ttl(&self) -> Duration {
        self.effective_default_ttl()
    }

    fn max_lease_ttl(&self) -> Duration {
        self.effective_max_ttl()
    }

    fn mount_options(&self) -> HashMap<String, String> {
        self.entry.load().options.clone()
    }

    fn is_dev(&self) -> bool {
        self.dev
    }

    fn user_lockout_config(&self) -> UserLockoutConfig {
        let e = self.entry.load();
        crate::user_lockout::effective(&e.backend_type, e.config.user_lockout_config.as_ref())
    }
}

/// One routable mount.
pub struct RouteEntry {
    pub handle: Arc<MountHandle>,
    pub backend: Arc<dyn Backend>,
    pub special: SpecialPaths,
    /// The route path ("secret/", "auth/userpass/").
    pub route: String,
}

impl RouteEntry {
    pub fn entry(&self) -> Arc<MountEntry> {
        self.handle.entry.load_full()
    }
}

#[derive(Default)]
pub struct RouteTable {
    by_route: HashMap<String, Arc<RouteEntry>>,
}

impl RouteTable {
    pub fn entries(&self) -> impl Iterator<Item = &Arc<RouteEntry>> {
        self.by_route.values()
    }

    pub fn get(&self, route: &str) -> Option<&Arc<RouteEntry>> {
        self.by_route.get(route)
    }
}

#[derive(Default)]
pub struct Router {
    table: ArcSwap<RouteTable>,
}

impl Router {
    pub fn new() -> Self {
        Router::default()
    }

    /// Longest-prefix match: the mount serving `path` and the path relative to it.
    pub fn route(&self, path: &str) -> Option<(Arc<RouteEntry>, String)> {
        let table = self.table.load();
        let mut end = path.len();
        while let Some(i) = path[..end].rfind('/') {
            if let Some(e) = table.by_route.get(&path[..=i]) {
                return Some((e.clone(), path[i + 1..].to_string()));
            }
            end = i;
        }
        // "secret" (no slash) addresses the mount root like "secret/". Mounts never nest, so
        // this check can come last, off the common path.
        if !path.ends_with('/') {
            if let Some(e) = table.by_route.get(&format!("{path}/")) {
                return Some((e.clone(), String::new()));
            }
        }
        None
    }

    pub fn snapshot(&self) -> Arc<RouteTable> {
        self.table.load_full()
    }

    /// The mount whose route is exactly `route`.
    pub fn get(&self, route: &str) -> Option<Arc<RouteEntry>> {
        self.table.load().by_route.get(route).cloned()
    }

    pub fn insert(&self, entry: Arc<RouteEntry>) {
        self.table.rcu(|t| {
            let mut by_route = t.by_route.clone();
            by_route.insert(entry.route.clone(), entry.clone());
            RouteTable { by_route }
        });
    }

    pub fn remove(&self, route: &str) -> Option<Arc<RouteEntry>> {
        let mut removed = None;
        self.table.rcu(|t| {
            let mut by_route = t.by_route.clone();
            removed = by_route.remove(route);
            RouteTable { by_route }
        });
        removed
    }

    pub fn clear(&self) {
        self.table.store(Arc::new(RouteTable::default()));
    }

    /// Whether `route` would conflict with an existing mount (equal, above or below it).
    pub fn conflicts(&self, route: &str) -> Option<String> {
        let table = self.table.load();
        table
            .by_route
            .keys()
            .find(|existing| existing.starts_with(route) || route.starts_with(existing.as_str()))
            .cloned()
    }
}
