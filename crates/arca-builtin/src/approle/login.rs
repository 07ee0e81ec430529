//! AppRole `login`: role ID and (when the role binds one) secret ID, the CIDR bindings of
//! both, use counting, and the user lockout keyed by role ID. Bad credentials answer
//! OpenBao's "invalid role or secret ID" (400) and are counted for lockout.

use std::collections::HashMap;

use arca_sdk::token_fields::cidr_contains;
use arca_sdk::{Auth, Error, FieldData, Request, Response, Result, Storage, StorageExt};
use serde_json::{json, Map};

use super::role::Role;
use super::secret_id::{now_nanos, SecretIdEntry};
use super::AppRole;

const INVALID_CREDENTIALS: &str = "invalid role or secret ID";

fn source_allowed(req: &Request, cidrs: &[String]) -> bool {
    req.remote_addr
        .is_some_and(|ip| cidrs.iter().any(|c| cidr_contains(c, ip)))
}

fn source(req: &Request) -> String {
    req.remote_addr.map(|ip| ip.to_string()).unwrap_or_default()
}

impl AppRole {
    pub(super) async fn login(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let role_id = d.string("role_id")?.trim().to_string();
        if role_id.is_empty() {
            return Err(Error::invalid("missing role_id"));
        }
        self.lockout.check(&role_id)?;
        // An unknown role ID is not counted, as in Vault: only existing aliases lock.
        let Some(role) = self.role_by_role_id(&role_id).await? else {
            return Err(Error::invalid(INVALID_CREDENTIALS));
        };
        let mut metadata = HashMap::new();
        let mut token_cidrs = role.token.token_bound_cidrs.clone();
        if role.bind_secret_id {
            let secret_id = d.string("secret_id")?.trim().to_string();
            if secret_id.is_empty() {
                return Err(Error::invalid("missing secret_id"));
            }
            let Some(entry) = self.use_secret_id(req, &role, &secret_id).await? else {
                self.lockout.record_failure(&role_id).await?;
                return Err(Error::invalid(INVALID_CREDENTIALS));
            };
            if !entry.token_bound_cidrs.is_empty() {
                token_cidrs = entry.token_bound_cidrs;
            }
            metadata.extend(entry.metadata);
        }
        if !role.secret_id_bound_cidrs.is_empty()
            && !source_allowed(req, &role.secret_id_bound_cidrs)
        {
            return Err(Error::invalid(format!(
                "source address {:?} unauthorized by CIDR restrictions on the role",
                source(req)
            )));
        }
        self.lockout.record_success(&role_id).await?;
        metadata.insert("role_name".into(), role.name.clone());
        let mut internal = Map::new();
        internal.insert("role_name".into(), json!(role.name));
        let mut auth = Auth {
            metadata,
            alias_name: role.role_id.clone(),
            internal_data: internal,
            ..Default::default()
        };
        role.token.populate_login_auth(&mut auth, req.remote_addr)?;
        if !role.token.token_strictly_bind_ip {
            auth.bound_cidrs = token_cidrs;
        }
        Ok(Some(Response {
            auth: Some(auth),
            ..Default::default()
        }))
    }

    /// Checks a secret ID of `role` and counts one use of it, under its lock so that
    /// concurrent logins cannot spend the same use twice. None when it is unknown or
    /// expired. The CIDR bindings are checked before a use is spent.
    async fn use_secret_id(
        &self,
        req: &Request,
        role: &Role,
        secret_id: &str,
    ) -> Result<Option<SecretIdEntry>> {
        let secret_id_hmac = self.hmac(secret_id)?;
        let key = self.secret_id_key(role, &secret_id_hmac)?;
        let _guard = self.secret_id_lock(&secret_id_hmac).lock().await;
        let Some(mut entry) = self.storage.get_json::<SecretIdEntry>(&key).await? else {
            return Ok(None);
        };
        let now = now_nanos();
        if entry.is_expired(now) {
            // Tidy would remove it within a minute; a login must not wait for that.
            let ops = self.delete_ops(role, key, &entry)?;
            self.storage.transaction(ops).await?;
            return Ok(None);
        }
        if !entry.cidr_list.is_empty() {
            super::role::check_cidr_subset(&role.secret_id_bound_cidrs, &entry.cidr_list)?;
            if !source_allowed(req, &entry.cidr_list) {
                return Err(Error::invalid(format!(
                    "source address {:?} unauthorized through CIDR restrictions on the secret ID",
                    source(req)
                )));
            }
        }
        match entry.secret_id_num_uses {
            0 => {}
            1 => {
                let ops = self.delete_ops(role, key, &entry)?;
                self.storage.transaction(ops).await?;
            }
            n => {
                entry.secret_id_num_uses = n - 1;
                entry.last_updated_time = now;
                self.storage.put_json(&key, &entry).await?;
            }
        }
        Ok(Some(entry))
    }
}
