//! The AppRole auth method: roles with a role ID, secret IDs issued against them, and
//! `login` with both.
//!
//! Storage layout inside the mount's view (nothing secret is stored in the clear):
//! - `salt`: the mount's HMAC key, created at first mount;
//! - `role/<name>`: a role; `role_id/<hmac(role_id)>`: index from role ID to role name;
//! - `secret_id/<hmac(role name)>/<hmac(secret ID)>` (or `secret_id_local/`): a secret ID's
//!   properties; `accessor/<hmac(accessor)>` (or `accessor_local/`): accessor to secret ID.
//! - `lockout/`: persisted user lockouts (see `crate::lockout`).
//!
//! A login costs one role read (the role-ID index is cached in memory and checked against
//! the role it leads to), one secret-ID read, and for limited-use secret IDs one write, done
//! under a per-secret-ID lock so that a secret ID with one use left logs in exactly once.

mod fields;
mod login;
mod paths;
mod role;
mod secret_id;
#[cfg(test)]
mod tests;
mod tidy;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock, RwLock, Weak};

use arca_sdk::{
    Backend, BackendContext, BackendKind, BackendType, Error, Request, Response, Result,
    SpecialPaths, StorageExt, StorageView, SystemView,
};
use async_trait::async_trait;
use aws_lc_rs::hmac;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::lockout::LoginLockout;

const SALT_KEY: &str = "salt";
/// Vault refuses to HMAC longer values (role names, role IDs, secret IDs).
const MAX_HMAC_INPUT: usize = 4096;
const ROLE_LOCKS: usize = 64;
const SECRET_ID_LOCKS: usize = 256;

/// The stored HMAC key; hex so the entry stays printable JSON.
#[derive(Serialize, Deserialize)]
struct StoredSalt {
    key: String,
}

pub struct AppRole {
    storage: StorageView,
    system: Arc<dyn SystemView>,
    lockout: LoginLockout,
    /// Keys every stored index (role IDs, secret IDs, accessors, role names); loaded or
    /// created by `initialize`.
    hmac_key: OnceLock<hmac::Key>,
    /// Serialise changes to one role (readers: secret-ID issue, lookups).
    role_locks: Vec<tokio::sync::RwLock<()>>,
    /// Serialise every read-modify-write of one secret ID (logins counting uses, destroy).
    secret_id_locks: Vec<tokio::sync::Mutex<()>>,
    /// `hmac(role_id)` to role name, filled from the index; always checked against the role.
    role_id_cache: RwLock<HashMap<String, String>>,
    tidy_running: AtomicBool,
    self_ref: Weak<AppRole>,
    router: arca_sdk::PathRouter<AppRole>,
}

pub fn backend_type() -> BackendType {
    BackendType {
        name: "approle",
        kind: BackendKind::Auth,
        version: "",
        factory: Arc::new(|ctx: BackendContext| {
            Box::pin(async move { Ok(AppRole::new(ctx) as Arc<dyn Backend>) })
        }),
    }
}

impl AppRole {
    fn new(ctx: BackendContext) -> Arc<Self> {
        Arc::new_cyclic(|weak| AppRole {
            lockout: LoginLockout::new(&ctx.storage, ctx.system.clone()),
            storage: ctx.storage,
            system: ctx.system,
            hmac_key: OnceLock::new(),
            role_locks: (0..ROLE_LOCKS).map(|_| Default::default()).collect(),
            secret_id_locks: (0..SECRET_ID_LOCKS).map(|_| Default::default()).collect(),
            role_id_cache: RwLock::new(HashMap::new()),
            tidy_running: AtomicBool::new(false),
            self_ref: weak.clone(),
            router: arca_sdk::PathRouter::new(paths::paths()),
        })
    }

    /// The hex HMAC-SHA256 of `value` under the mount's key.
    fn hmac(&self, value: &str) -> Result<String> {
        if value.len() > MAX_HMAC_INPUT {
            return Err(Error::invalid(format!(
                "value is longer than maximum of {MAX_HMAC_INPUT} bytes"
            )));
        }
        let key = self
            .hmac_key
            .get()
            .ok_or_else(|| Error::internal("approle: HMAC key not loaded"))?;
        Ok(hex::encode(hmac::sign(key, value.as_bytes()).as_ref()))
    }

    fn role_lock(&self, name: &str) -> &tokio::sync::RwLock<()> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        name.to_lowercase().hash(&mut h);
        &self.role_locks[(h.finish() as usize) % ROLE_LOCKS]
    }

    /// The lock of a secret ID, chosen by its HMAC (uniformly distributed hex).
    fn secret_id_lock(&self, secret_id_hmac: &str) -> &tokio::sync::Mutex<()> {
        let index = secret_id_hmac
            .get(..2)
            .and_then(|b| u8::from_str_radix(b, 16).ok())
            .unwrap_or(0);
        &self.secret_id_locks[index as usize % SECRET_ID_LOCKS]
    }

    async fn load_or_create_key(&self) -> Result<()> {
        if self.hmac_key.get().is_some() {
            return Ok(());
        }
        let bytes = match self.storage.get_json::<StoredSalt>(SALT_KEY).await? {
            Some(stored) => hex::decode(&stored.key)
                .map_err(|_| Error::internal("approle: stored HMAC key is corrupt"))?,
            None => {
                let mut fresh = vec![0u8; 32];
                aws_lc_rs::rand::fill(&mut fresh)
                    .map_err(|_| Error::internal("approle: no randomness for the HMAC key"))?;
                self.storage
                    .put_json(
                        SALT_KEY,
                        &StoredSalt {
                            key: hex::encode(&fresh),
                        },
                    )
                    .await?;
                fresh
            }
        };
        let _ = self.hmac_key.set(hmac::Key::new(hmac::HMAC_SHA256, &bytes));
        Ok(())
    }
}

#[async_trait]
impl Backend for AppRole {
    async fn handle(&self, req: &Request) -> Result<Option<Response>> {
        self.router.route(self, req).await
    }

    async fn existence(&self, req: &Request) -> Result<Option<bool>> {
        self.router.existence(self, req).await
    }

    /// A token is renewed only while its role exists; it then follows the role's TTLs.
    async fn renew_login(
        &self,
        login: &arca_sdk::LoginRenewal,
    ) -> Result<Option<arca_sdk::RenewLimits>> {
        let name = login
            .internal_data
            .get("role_name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some(role) = self.load_role(&name).await? else {
            return Err(arca_sdk::Error::invalid(format!(
                "role {name:?} does not exist during renewal"
            )));
        };
        Ok(Some(role.token.renew_limits()))
    }

    fn special_paths(&self) -> SpecialPaths {
        SpecialPaths {
            unauthenticated: vec!["login".into()],
            root: Vec::new(),
        }
    }

    fn openapi(&self, mount_point: &str) -> Map<String, Value> {
        self.router.openapi_paths(mount_point)
    }

    async fn initialize(&self) -> Result<()> {
        self.load_or_create_key().await?;
        self.lockout.load().await
    }

    /// Expired secret IDs are swept every minute, as in Vault.
    fn periodic_interval(&self) -> Option<std::time::Duration> {
        Some(std::time::Duration::from_secs(60))
    }

    async fn periodic(&self) -> Result<()> {
        self.lockout.tidy().await?;
        self.tidy_secret_ids().await
    }

    async fn locked_users(&self) -> Result<Vec<String>> {
        Ok(self.lockout.locked())
    }

    async fn unlock_user(&self, alias: &str) -> Result<()> {
        self.lockout.unlock(alias).await
    }
}
