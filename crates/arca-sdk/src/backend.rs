//! The trait every secrets engine and auth method implements, and what it is given at mount.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::framework::BoxFuture;
use crate::storage::StorageView;
use crate::{Request, Response, Result};

/// Paths with special treatment in the core, relative to the mount. A trailing `*` makes an
/// entry a prefix.
#[derive(Debug, Clone, Default)]
pub struct SpecialPaths {
    /// Served without a token (login endpoints).
    pub unauthenticated: Vec<String>,
    /// Need `sudo` in addition to the operation's capability.
    pub root: Vec<String>,
}

impl SpecialPaths {
    pub fn matches(list: &[String], path: &str) -> bool {
        list.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => p == path || p.strip_suffix('/') == Some(path),
        })
    }
}

/// The effective user lockout settings of an auth mount (Vault's `user_lockout_config`):
/// after `threshold` failed logins within `counter_reset` of each other, a user is refused
/// for `duration`. Tuned per mount; unset values take Vault's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserLockoutConfig {
    pub threshold: u64,
    pub duration: Duration,
    pub counter_reset: Duration,
    pub disabled: bool,
}

impl Default for UserLockoutConfig {
    /// Vault's defaults: 5 failures, locked for 15 minutes, counter reset after 15 minutes.
    fn default() -> Self {
        UserLockoutConfig {
            threshold: 5,
            duration: Duration::from_secs(15 * 60),
            counter_reset: Duration::from_secs(15 * 60),
            disabled: false,
        }
    }
}

/// What a backend may ask of the core. Engines depend only on this interface.
pub trait SystemView: Send + Sync {
    /// The mount's effective default lease TTL (mount tune, else system default).
    fn default_lease_ttl(&self) -> Duration;
    /// The mount's effective maximum lease TTL.
    fn max_lease_ttl(&self) -> Duration;
    /// The mount's options (`version` for KV, ...), as currently tuned.
    fn mount_options(&self) -> HashMap<String, String>;
    /// Whether the server runs with in-memory storage and no durability (dev mode).
    fn is_dev(&self) -> bool {
        false
    }
    /// The mount's user lockout settings (auth mounts; tuned through `user_lockout_config`).
    fn user_lockout_config(&self) -> UserLockoutConfig {
        UserLockoutConfig::default()
    }
}

/// Everything a backend gets when mounted.
#[derive(Clone)]
pub struct BackendContext {
    /// The backend's own storage prefix inside the barrier.
    pub storage: StorageView,
    pub system: Arc<dyn SystemView>,
    pub mount_type: String,
    pub mount_uuid: String,
    pub mount_accessor: String,
    /// The options given at enable time (and changed by tune).
    pub options: HashMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// Mounted under `sys/mounts` at any path.
    Secrets,
    /// Mounted under `sys/auth` at `auth/<path>`.
    Auth,
}

#[async_trait]
pub trait Backend: Send + Sync {
    /// Answers a request routed to this mount (path relative to the mount).
    async fn handle(&self, req: &Request) -> Result<Option<Response>>;

    /// Whether the target of a write exists, to tell `create` from `update` in ACL checks.
    /// `None` when the backend does not distinguish.
    async fn existence(&self, _req: &Request) -> Result<Option<bool>> {
        Ok(None)
    }

    fn special_paths(&self) -> SpecialPaths {
        SpecialPaths::default()
    }

    /// The OpenAPI path items of this backend, keyed by full path below `/v1/`.
    fn openapi(&self, _mount_point: &str) -> Map<String, Value> {
        Map::new()
    }

    /// Called once after the backend is mounted or the server unsealed; engines start
    /// background work (auto-rotation, tidy) through `periodic` instead of their own tasks.
    async fn initialize(&self) -> Result<()> {
        Ok(())
    }

    /// How often the core should call `periodic`; `None` for never.
    fn periodic_interval(&self) -> Option<Duration> {
        None
    }

    async fn periodic(&self) -> Result<()> {
        Ok(())
    }

    /// Called when the mount is disabled or the server sealed.
    async fn cleanup(&self) {}

    /// The alias names (usernames, role IDs) this auth mount currently locks out after
    /// repeated failed logins, for `sys/locked-users`.
    async fn locked_users(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Lifts the lockout of one alias name (`sys/locked-users/<accessor>/unlock/<alias>`);
    /// succeeds when the alias was not locked.
    async fn unlock_user(&self, _alias: &str) -> Result<()> {
        Ok(())
    }

    /// Called when a token this auth method issued is renewed, so the method can refuse
    /// (the user or role is gone, its policies changed) or apply its current TTL settings,
    /// as Vault's login-renew callbacks do. `None`: nothing to add; `Err`: refuse.
    async fn renew_login(&self, _login: &LoginRenewal) -> Result<Option<RenewLimits>> {
        Ok(None)
    }

    /// Called after a tune changed the mount's options, so engines can react (KV upgrade).
    async fn options_changed(&self, _options: &HashMap<String, String>) -> Result<()> {
        Ok(())
    }
}

/// What an auth method is told about a token being renewed.
#[derive(Debug, Clone, Default)]
pub struct LoginRenewal {
    /// The login path below the mount ("login/alice", "login").
    pub path: String,
    pub metadata: HashMap<String, String>,
    pub internal_data: Map<String, Value>,
    /// The token's own policies (without identity policies).
    pub policies: Vec<String>,
}

/// The TTL settings an auth method wants a renewed token to follow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenewLimits {
    pub ttl: Duration,
    pub max_ttl: Duration,
    pub period: Duration,
}

/// Whether two policy lists grant the same, ignoring order, case, duplicates and `default`
/// (Vault's `EquivalentPolicies`).
pub fn equivalent_policies(a: &[String], b: &[String]) -> bool {
    let norm = |v: &[String]| {
        let mut out: Vec<String> = v
            .iter()
            .map(|p| p.trim().to_lowercase())
            .filter(|p| !p.is_empty() && p != "default")
            .collect();
        out.sort();
        out.dedup();
        out
    };
    norm(a) == norm(b)
}

/// Creates a backend of one type for a new mount.
pub type Factory =
    Arc<dyn Fn(BackendContext) -> BoxFuture<'static, Result<Arc<dyn Backend>>> + Send + Sync>;

/// A registered backend type.
#[derive(Clone)]
pub struct BackendType {
    pub name: &'static str,
    pub kind: BackendKind,
    pub factory: Factory,
    /// Version string reported in mount listings.
    pub version: &'static str,
}
