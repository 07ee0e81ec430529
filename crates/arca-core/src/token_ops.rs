//! Token orchestration across stores: issuing tokens (with their leases), counting uses,
//! revoking a token tree together with every lease its tokens obtained and their cubbyholes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arca_sdk::token_fields::normalize_policies;
use arca_sdk::{now_unix, Auth, Error, Request, Result, StorageExt};
use serde_json::{Map, Value};

use crate::core::{Active, Core};
use crate::lease::{LeaseEntry, LeaseKind};
use crate::mounts::RouteEntry;
use crate::request::AuthOutput;
use crate::token::{plan_ttl, TokenEntry, TokenStore, TokenType};

/// Everything needed to mint a token.
#[derive(Debug, Clone, Default)]
pub struct TokenSpec {
    pub policies: Vec<String>,
    pub identity_policies: Vec<String>,
    pub no_default_policy: bool,
    pub meta: HashMap<String, String>,
    pub display_name: String,
    pub num_uses: u64,
    pub ttl: Duration,
    pub explicit_max_ttl: Duration,
    pub period: Duration,
    pub renewable: bool,
    pub token_type: TokenType,
    pub bound_cidrs: Vec<String>,
    /// Parent token (None: orphan).
    pub parent: Option<Arc<TokenEntry>>,
    /// "auth/token/create", "auth/userpass/login/bob", ...
    pub path: String,
    pub mount_accessor: String,
    pub mount_default_ttl: Duration,
    pub mount_max_ttl: Duration,
    pub entity_id: String,
    pub role: String,
    pub internal_data: Map<String, Value>,
    /// A client-chosen token id (root tokens in dev mode, `id` on create with sudo).
    pub fixed_id: Option<String>,
    /// Root tokens minted by init, generate-root and dev mode, which Vault keeps out of the
    /// expiration manager: no lease record (they never expire).
    pub no_lease: bool,
}

/// A freshly minted token.
pub struct IssuedToken {
    pub token: String,
    pub entry: Arc<TokenEntry>,
    /// Vault's warnings about TTLs that were capped.
    pub warnings: Vec<String>,
}

impl IssuedToken {
    pub fn auth_output(&self) -> AuthOutput {
        let e = &self.entry;
        AuthOutput {
            client_token: self.token.clone(),
            accessor: e.accessor.clone(),
            policies: e.all_policies(),
            token_policies: e.policies.clone(),
            identity_policies: e.identity_policies.clone(),
            metadata: if e.meta.is_empty() {
                None
            } else {
                Some(e.meta.clone())
            },
            lease_duration: if e.ttl != 0 { e.ttl } else { e.creation_ttl },
            renewable: e.renewable,
            entity_id: e.entity_id.clone(),
            token_type: e.token_type.as_str().to_string(),
            orphan: e.parent.is_empty(),
            mfa_requirement: None,
            num_uses: e.num_uses,
        }
    }
}

impl Core {
    /// Mints a token from a spec: computes TTLs, stores it (service) or encodes it (batch),
    /// and registers its lease.
    pub async fn issue_token(&self, active: &Active, spec: TokenSpec) -> Result<IssuedToken> {
        let now = now_unix();
        let mut policies = normalize_policies(spec.policies.clone());
        if !spec.no_default_policy
            && !policies.iter().any(|p| p == "root")
            && !policies.iter().any(|p| p == "default")
        {
            policies.push("default".into());
            policies.sort();
        }
        if policies.iter().any(|p| p == "root") && policies.len() > 1 {
            policies.retain(|p| p != "default");
        }
        let is_root = policies.iter().any(|p| p == "root");
        let plan = plan_ttl(
            now,
            spec.ttl,
            spec.period,
            spec.explicit_max_ttl,
            spec.mount_default_ttl,
            spec.mount_max_ttl,
            is_root
                && spec.ttl.is_zero()
                && spec.period.is_zero()
                && spec.explicit_max_ttl.is_zero(),
        );
        if plan.ttl.is_zero() && !is_root && plan.max_expire != 0 {
            return Err(Error::invalid(
                "token TTL would be zero: the explicit or mount maximum TTL has passed",
            ));
        }
        let mut entry = TokenEntry {
            hash: String::new(),
            accessor: String::new(),
            parent: spec
                .parent
                .as_ref()
                .map(|p| p.hash.clone())
                .unwrap_or_default(),
            policies,
            identity_policies: spec.identity_policies.clone(),
            path: spec.path.clone(),
            meta: spec.meta.clone(),
            display_name: spec.display_name.clone(),
            num_uses: spec.num_uses,
            creation_time: now,
            creation_ttl: plan.ttl.as_secs(),
            ttl: plan.ttl.as_secs(),
            expire_time: if plan.ttl.is_zero() {
                0
            } else {
                now + plan.ttl.as_secs() as i64
            },
            max_expire_time: plan.max_expire,
            explicit_max_ttl: spec.explicit_max_ttl.as_secs(),
            period: spec.period.as_secs(),
            renewable: spec.renewable && !plan.ttl.is_zero(),
            last_renewal_time: 0,
            token_type: spec.token_type,
            bound_cidrs: spec.bound_cidrs.clone(),
            namespace: String::new(),
            entity_id: spec.entity_id.clone(),
            role: spec.role.clone(),
            mount_accessor: spec.mount_accessor.clone(),
            internal_data: spec.internal_data.clone(),
            pending_revocation: false,
        };
        if spec.token_type == TokenType::Batch {
            if is_root && plan.ttl.is_zero() {
                return Err(Error::invalid(
                    "batch tokens cannot be root tokens without a TTL",
                ));
            }
            entry.renewable = false;
            let token = active.tokens.encode_batch(&entry)?;
            return Ok(IssuedToken {
                token,
                entry: Arc::new(entry),
                warnings: plan.warnings,
            });
        }
        let (token, accessor) = TokenStore::new_service_token()?;
        let token = match &spec.fixed_id {
            Some(id) => {
                if active.tokens.lookup(id).await?.is_some() {
                    return Err(Error::invalid("cannot create a token with a duplicate ID"));
                }
                id.clone()
            }
            None => token,
        };
        entry.accessor = accessor;
        // The lease is written in the same transaction as the token: no token without its
        // expiry, and one commit per token. Tokens that never expire get one too (never due),
        // as in Vault, so revoke-prefix on their path reaches them.
        let lease_ops = if spec.no_lease && entry.expire_time == 0 {
            Vec::new()
        } else {
            let hash = active.tokens.hash(&token);
            let lease = LeaseEntry {
                lease_id: format!("{}/{}", spec.path.trim_end_matches('/'), hash),
                kind: LeaseKind::Token,
                token_hash: hash,
                path: spec.path.clone(),
                mount_accessor: spec.mount_accessor.clone(),
                issue_time: now,
                expire_time: entry.expire_time,
                max_expire_time: entry.max_expire_time,
                renewable: entry.renewable,
                due_time: entry.expire_time,
                ..Default::default()
            };
            crate::lease::LeaseStore::create_ops(&lease)?
        };
        let entry = active
            .tokens
            .store_new_with(&token, entry, lease_ops)
            .await?;
        Ok(IssuedToken {
            token,
            entry,
            warnings: plan.warnings,
        })
    }

    pub(crate) async fn issue_root_token(
        &self,
        active: &Active,
        fixed_id: Option<&str>,
    ) -> Result<String> {
        let issued = self
            .issue_token(
                active,
                TokenSpec {
                    policies: vec!["root".into()],
                    display_name: "root".into(),
                    path: "auth/token/root".into(),
                    fixed_id: fixed_id.map(str::to_string),
                    renewable: false,
                    no_lease: true,
                    ..Default::default()
                },
            )
            .await?;
        Ok(issued.token)
    }

    /// A login answered with `Auth`: mint the token with the auth mount's limits.
    pub(crate) async fn issue_login_token(
        &self,
        active: &Active,
        req: &Request,
        route: &RouteEntry,
        auth: Auth,
    ) -> Result<AuthOutput> {
        let mount = route.entry();
        if mount.table != crate::mounts::MountTable::Auth {
            return Err(Error::internal("a secrets engine returned a login"));
        }
        let token_type = match (auth.token_type.as_str(), mount.config.token_type.as_str()) {
            ("batch", _) | ("", "default-batch") | ("", "batch") => TokenType::Batch,
            _ => TokenType::Service,
        };
        let mut display_name = mount.path.trim_end_matches('/').replace('/', "-");
        if !auth.display_name.is_empty() {
            display_name = format!("{display_name}-{}", auth.display_name);
        }
        let spec = TokenSpec {
            policies: auth.policies.clone(),
            identity_policies: auth.identity_policies.clone(),
            no_default_policy: auth.no_default_policy,
            meta: auth.metadata.clone(),
            display_name,
            num_uses: auth.num_uses,
            ttl: if auth.ttl.is_zero() || auth.max_ttl.is_zero() {
                auth.ttl
            } else {
                auth.ttl.min(auth.max_ttl)
            },
            explicit_max_ttl: if auth.explicit_max_ttl.is_zero() {
                auth.max_ttl
            } else if auth.max_ttl.is_zero() {
                auth.explicit_max_ttl
            } else {
                auth.explicit_max_ttl.min(auth.max_ttl)
            },
            period: auth.period,
            renewable: auth.renewable,
            token_type,
            bound_cidrs: auth.bound_cidrs.clone(),
            parent: None,
            path: format!("{}{}", route.route, req.path),
            mount_accessor: mount.accessor.clone(),
            mount_default_ttl: route.handle.effective_default_ttl(),
            mount_max_ttl: route.handle.effective_max_ttl(),
            entity_id: String::new(),
            role: String::new(),
            internal_data: auth.internal_data.clone(),
            fixed_id: None,
            no_lease: false,
        };
        let issued = self.issue_token(active, spec).await?;
        Ok(issued.auth_output())
    }

    /// Counts one use of a limited-use token. Returns true when this was its last use (the
    /// caller revokes it once the request is done).
    pub(crate) async fn use_token(&self, active: &Active, entry: &Arc<TokenEntry>) -> Result<bool> {
        if entry.num_uses == 0 || entry.hash.is_empty() {
            return Ok(false);
        }
        // Re-read under the store so concurrent uses of one token cannot both pass.
        let current = active
            .tokens
            .lookup_hash(&entry.hash)
            .await?
            .ok_or(Error::PermissionDenied)?;
        if current.num_uses == 0 {
            return Err(Error::PermissionDenied);
        }
        let mut updated = (*current).clone();
        updated.num_uses -= 1;
        let last = updated.num_uses == 0;
        if last {
            // Zero uses left would read as "unlimited": mark it dead; the caller revokes it
            // after the request, and a crash in between cannot resurrect it.
            updated.pending_revocation = true;
        }
        active.tokens.update(updated).await?;
        Ok(last)
    }

    /// Revokes a token, all its descendants, their leases and cubbyholes.
    pub async fn revoke_token_tree(&self, hash: &str) -> Result<()> {
        let active = self.active()?;
        // Depth-first, children before parents, without recursion.
        let mut stack = vec![(hash.to_string(), false)];
        while let Some((h, expanded)) = stack.pop() {
            if !expanded {
                stack.push((h.clone(), true));
                for child in active.tokens.children(&h).await? {
                    stack.push((child, false));
                }
                continue;
            }
            self.revoke_single_token(&active, &h).await?;
        }
        Ok(())
    }

    /// Revokes a token only; its children become orphans.
    pub async fn revoke_token_orphan(&self, hash: &str) -> Result<()> {
        let active = self.active()?;
        active.tokens.orphan_children(hash).await?;
        self.revoke_single_token(&active, hash).await
    }

    async fn revoke_single_token(&self, active: &Active, hash: &str) -> Result<()> {
        for lease_id in active.leases.by_token(hash).await? {
            // Boxed: revoking a token lease revokes a token, which revokes leases.
            Box::pin(self.revoke_lease(&lease_id, false)).await?;
        }
        let entry = match active.tokens.lookup_hash_any(hash).await? {
            Some(e) => e,
            None => return Ok(()),
        };
        if let Some(cubby) = active.router.get("cubbyhole/") {
            let prefix = format!("{}{}/", cubby.entry().view_prefix(), hash);
            self.barrier_storage().delete_prefix(&prefix).await?;
        }
        // The token's own lease (non-expiring tokens have one too).
        let lease_id = format!("{}/{}", entry.path.trim_end_matches('/'), entry.hash);
        if let Some(lease) = active.leases.get(&lease_id).await? {
            active.leases.delete(&lease).await?;
        }
        active.tokens.delete(&entry).await?;
        Ok(())
    }

    /// Revokes every token issued through an auth mount (when it is disabled).
    pub(crate) async fn revoke_tokens_of_mount(&self, accessor: &str) -> Result<()> {
        let active = self.active()?;
        let storage = self.barrier_storage();
        for hash in storage.list("sys/token/id/").await? {
            if let Some(entry) = active.tokens.lookup_hash_any(&hash).await? {
                if entry.mount_accessor == accessor {
                    self.revoke_token_tree(&hash).await?;
                }
            }
        }
        Ok(())
    }

    /// Extends a token's TTL by `increment` (or its period), within its limits. A token
    /// issued by an auth method is renewed only if that method agrees (user or role still
    /// there, same policies), and then follows the method's current TTL settings.
    pub async fn renew_token(
        &self,
        entry: &TokenEntry,
        increment: Duration,
    ) -> Result<(Arc<TokenEntry>, Vec<String>)> {
        let active = self.active()?;
        if entry.token_type == TokenType::Batch {
            return Err(Error::invalid("batch tokens cannot be renewed"));
        }
        if entry.expire_time == 0 || !entry.renewable {
            return Err(Error::invalid("lease is not renewable"));
        }
        let limits = self.ask_auth_method(&active, entry).await?;
        let now = now_unix();
        let mount_max = self.mount_max_ttl_for_accessor(&active, &entry.mount_accessor);
        let period = match limits {
            Some(l) if !l.period.is_zero() => l.period.as_secs(),
            Some(_) => 0,
            None => entry.period,
        };
        let mut ttl = if period > 0 {
            Duration::from_secs(period)
        } else if !increment.is_zero() {
            increment
        } else if let Some(l) = limits.filter(|l| !l.ttl.is_zero()) {
            l.ttl
        } else {
            Duration::from_secs(entry.creation_ttl)
        };
        let mut max_expire = entry.max_expire_time;
        if let Some(l) = limits.filter(|l| !l.max_ttl.is_zero() && period == 0) {
            let role_max = entry.creation_time + l.max_ttl.as_secs() as i64;
            max_expire = if max_expire == 0 {
                role_max
            } else {
                max_expire.min(role_max)
            };
        }
        // The mount's current max applies from the token's creation, as in Vault (a tune that
        // lowers it also shortens renewals of existing tokens).
        if period == 0 && !mount_max.is_zero() {
            let mount_cap = entry.creation_time + mount_max.as_secs() as i64;
            if max_expire == 0 || mount_cap < max_expire {
                max_expire = mount_cap;
            }
        }
        let mut warnings = Vec::new();
        if max_expire != 0 && now + ttl.as_secs() as i64 > max_expire {
            let capped = Duration::from_secs((max_expire - now).max(0) as u64);
            warnings.push(crate::token::ttl_capped_warning(ttl, capped));
            ttl = capped;
        }
        let mut updated = entry.clone();
        let old_lease_id = format!("{}/{}", entry.path.trim_end_matches('/'), entry.hash);
        updated.expire_time = now + ttl.as_secs() as i64;
        updated.last_renewal_time = now;
        updated.ttl = ttl.as_secs();
        updated.period = period;
        let updated = active.tokens.update(updated).await?;
        if let Some(old) = active.leases.get(&old_lease_id).await? {
            let mut new = old.clone();
            new.expire_time = updated.expire_time;
            new.due_time = updated.expire_time;
            new.last_renewal_time = now;
            active.leases.replace(&old, &new).await?;
        }
        Ok((updated, warnings))
    }

    /// Lets the auth method that issued a token accept or refuse its renewal.
    async fn ask_auth_method(
        &self,
        active: &Active,
        entry: &TokenEntry,
    ) -> Result<Option<arca_sdk::RenewLimits>> {
        let table = active.router.snapshot();
        let Some(route) = table.entries().find(|r| {
            r.entry().accessor == entry.mount_accessor
                && r.entry().table == crate::mounts::MountTable::Auth
        }) else {
            return Ok(None);
        };
        if route.entry().backend_type == "token" {
            return Ok(None);
        }
        let login = arca_sdk::LoginRenewal {
            path: entry
                .path
                .strip_prefix(route.route.as_str())
                .unwrap_or(&entry.path)
                .to_string(),
            metadata: entry.meta.clone(),
            internal_data: entry.internal_data.clone(),
            policies: entry.policies.clone(),
        };
        route.backend.renew_login(&login).await
    }

    fn mount_max_ttl_for_accessor(&self, active: &Active, accessor: &str) -> Duration {
        self.mount_ttls_for_accessor(active, accessor).1
    }

    /// A mount's effective default and max lease TTLs (its tuned values, else the system's).
    pub(crate) fn mount_ttls_for_accessor(
        &self,
        active: &Active,
        accessor: &str,
    ) -> (Duration, Duration) {
        active
            .router
            .snapshot()
            .entries()
            .find(|r| r.entry().accessor == accessor)
            .map(|r| {
                (
                    r.handle.effective_default_ttl(),
                    r.handle.effective_max_ttl(),
                )
            })
            .unwrap_or((self.config.default_lease_ttl, self.config.max_lease_ttl))
    }
}

impl TokenStore {
    /// Like `lookup_hash`, but also finds expired entries (for revocation).
    pub async fn lookup_hash_any(&self, hash: &str) -> Result<Option<Arc<TokenEntry>>> {
        Ok(self
            .storage()
            .get_json::<TokenEntry>(&format!("sys/token/id/{hash}"))
            .await?
            .map(Arc::new))
    }
}
