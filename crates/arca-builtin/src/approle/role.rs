//! AppRole roles: the stored entry, its role-ID index, and `role/<name>` create, read,
//! update, delete and LIST.

use arca_sdk::duration::format_go_duration;
use arca_sdk::token_fields::{cidrs_subset, validate_cidrs, TokenParams};
use arca_sdk::{
    Error, FieldData, Operation, Request, Response, Result, Storage, StorageExt, TxnOp,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{AppRole, MAX_HMAC_INPUT};
use crate::auth_common::{generic_name, list_page_args, put_json_op};

/// A role as stored. No `Debug`: it names the role ID, a credential.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Role {
    /// Lowercased name (role names are case-insensitive).
    pub name: String,
    pub role_id: String,
    pub bind_secret_id: bool,
    pub secret_id_bound_cidrs: Vec<String>,
    pub secret_id_num_uses: u64,
    /// Seconds; zero means secret IDs do not expire.
    pub secret_id_ttl: u64,
    /// Secret IDs kept under the `_local` prefixes (not replicated, in Vault's terms).
    pub local_secret_ids: bool,
    #[serde(flatten)]
    pub token: TokenParams,
}

impl Default for Role {
    fn default() -> Self {
        Role {
            name: String::new(),
            role_id: String::new(),
            bind_secret_id: true,
            secret_id_bound_cidrs: Vec::new(),
            secret_id_num_uses: 0,
            secret_id_ttl: 0,
            local_secret_ids: false,
            token: TokenParams::default(),
        }
    }
}

/// The role-ID index entry.
#[derive(Serialize, Deserialize)]
pub(super) struct RoleIdIndex {
    pub name: String,
}

pub(super) fn role_key(name: &str) -> String {
    format!("role/{}", name.to_lowercase())
}

impl Role {
    pub fn secret_id_prefix(&self) -> &'static str {
        if self.local_secret_ids {
            "secret_id_local/"
        } else {
            "secret_id/"
        }
    }

    pub fn accessor_prefix(&self) -> &'static str {
        if self.local_secret_ids {
            "accessor_local/"
        } else {
            "accessor/"
        }
    }

    /// A role must demand something of a login.
    pub fn check_constraints(&self) -> Result<()> {
        if self.bind_secret_id
            || !self.secret_id_bound_cidrs.is_empty()
            || !self.token.token_bound_cidrs.is_empty()
        {
            Ok(())
        } else {
            Err(Error::invalid(
                "at least one constraint should be enabled on the role",
            ))
        }
    }

    /// The role as `role/<name>` reads show it.
    fn to_response(&self) -> Map<String, Value> {
        let mut data = Map::new();
        data.insert("bind_secret_id".into(), json!(self.bind_secret_id));
        data.insert(
            "secret_id_bound_cidrs".into(),
            list_or_null(&self.secret_id_bound_cidrs),
        );
        data.insert("secret_id_num_uses".into(), json!(self.secret_id_num_uses));
        data.insert("secret_id_ttl".into(), json!(self.secret_id_ttl));
        data.insert("local_secret_ids".into(), json!(self.local_secret_ids));
        self.token.write_auth_data(&mut data);
        data
    }
}

/// Vault shows an unset list as `null`.
pub(super) fn list_or_null(v: &[String]) -> Value {
    if v.is_empty() {
        Value::Null
    } else {
        json!(v)
    }
}

/// Validates a CIDR list given for a role or secret ID.
pub(super) fn checked_cidrs(cidrs: Vec<String>) -> Result<Vec<String>> {
    validate_cidrs(&cidrs)
        .map_err(|e| Error::invalid(format!("failed to validate CIDR blocks: {e}")))?;
    Ok(cidrs)
}

/// Vault's check that a secret ID's blocks lie within the role's.
pub(super) fn check_cidr_subset(role: &[String], secret_id: &[String]) -> Result<()> {
    if secret_id.is_empty() || cidrs_subset(role, secret_id) {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "failed to verify subset relationship between CIDR blocks on the role {role:?} and CIDR blocks on the secret ID {secret_id:?}"
    )))
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl AppRole {
    pub(super) async fn load_role(&self, name: &str) -> Result<Option<Role>> {
        self.storage.get_json(&role_key(name)).await
    }

    /// Loads the role named by the path, which must exist for updates of its fields
    /// (Vault answers 404 `unsupported path` otherwise).
    pub(super) async fn existing_role(&self, name: &str) -> Result<Role> {
        self.load_role(name).await?.ok_or(Error::UnsupportedPath)
    }

    /// Persists a role and its role-ID index in one transaction, refusing a role ID that
    /// another role uses. The caller holds the role's write lock.
    pub(super) async fn save_role(&self, role: &Role, previous_role_id: &str) -> Result<()> {
        role.check_constraints()?;
        let index_key = format!("role_id/{}", self.hmac(&role.role_id)?);
        if let Some(owner) = self.storage.get_json::<RoleIdIndex>(&index_key).await? {
            if owner.name != role.name {
                return Err(Error::invalid("role_id already in use"));
            }
        }
        let mut ops = vec![put_json_op(role_key(&role.name), role)?];
        if !previous_role_id.is_empty() && previous_role_id != role.role_id {
            let old = self.hmac(previous_role_id)?;
            ops.push(TxnOp::Delete {
                key: format!("role_id/{old}"),
            });
            self.forget_role_id(&old);
        }
        ops.push(put_json_op(
            index_key,
            &RoleIdIndex {
                name: role.name.clone(),
            },
        )?);
        self.storage.transaction(ops).await
    }

    fn forget_role_id(&self, role_id_hmac: &str) {
        self.role_id_cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(role_id_hmac);
    }

    /// The role a role ID belongs to, or None. The cache only saves the index read: the
    /// role it points to must still carry this role ID.
    pub(super) async fn role_by_role_id(&self, role_id: &str) -> Result<Option<Role>> {
        let id_hmac = self.hmac(role_id)?;
        let cached = self
            .role_id_cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id_hmac)
            .cloned();
        if let Some(name) = cached {
            if let Some(role) = self.load_role(&name).await? {
                if crate::auth_common::constant_time_eq(&role.role_id, role_id) {
                    return Ok(Some(role));
                }
            }
            self.forget_role_id(&id_hmac);
        }
        let Some(index) = self
            .storage
            .get_json::<RoleIdIndex>(&format!("role_id/{id_hmac}"))
            .await?
        else {
            return Ok(None);
        };
        let Some(role) = self.load_role(&index.name).await? else {
            return Ok(None);
        };
        if !crate::auth_common::constant_time_eq(&role.role_id, role_id) {
            return Ok(None);
        }
        self.role_id_cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id_hmac, role.name.clone());
        Ok(Some(role))
    }

    pub(super) async fn role_exists(&self, _req: &Request, d: FieldData<'_>) -> Result<bool> {
        let name = generic_name(&d, "role_name")?;
        Ok(self.load_role(&name).await?.is_some())
    }

    pub(super) async fn role_list(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let (after, limit) = list_page_args(&d)?;
        let keys = self.storage.list_page("role/", &after, limit).await?;
        if keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(Response::list(keys)))
    }

    pub(super) async fn role_read(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = generic_name(&d, "role_name")?;
        let _guard = self.role_lock(&name).read().await;
        let Some(role) = self.load_role(&name).await? else {
            return Ok(None);
        };
        let mut resp = Response::data(role.to_response());
        if role.check_constraints().is_err() {
            resp.warnings.push("Role does not have any constraints set on it. Updates to this role will require a constraint to be set".into());
        }
        Ok(Some(resp))
    }

    pub(super) async fn role_write(
        &self,
        req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = generic_name(&d, "role_name")?.to_lowercase();
        if name.len() > MAX_HMAC_INPUT {
            return Err(Error::invalid(format!(
                "role_name is longer than maximum of {MAX_HMAC_INPUT} bytes"
            )));
        }
        let _guard = self.role_lock(&name).write().await;
        let existing = self.load_role(&name).await?;
        let creating = existing.is_none();
        if creating && req.operation != Operation::Create {
            return Err(Error::not_found(format!(
                "role name {name:?} doesn't exist"
            )));
        }
        let mut role = existing.unwrap_or_else(|| Role {
            name: name.clone(),
            ..Default::default()
        });
        let mut warnings = Vec::new();

        // "default-service" and "default-batch" mean nothing on a role: Vault adjusts them.
        let mut token_type = d.str("token_type")?;
        if let Some(t) = token_type.as_deref() {
            if let Some(plain) = t.strip_prefix("default-") {
                if plain == "service" || plain == "batch" {
                    warnings.push(format!(
                        "default-{plain} has no useful meaning; adjusting to {plain}"
                    ));
                    token_type = Some(plain.to_string());
                }
            }
        }
        role.token.update_from_auth_with_type(&d, token_type)?;

        if let Some(local) = d.bool("local_secret_ids")? {
            if !creating {
                return Err(Error::invalid(
                    "local_secret_ids can only be modified during role creation",
                ));
            }
            role.local_secret_ids = local;
        }
        let previous_role_id = role.role_id.clone();
        if let Some(id) = d.str("role_id")? {
            role.role_id = id;
        } else if creating {
            role.role_id = new_uuid();
        }
        if role.role_id.is_empty() {
            return Err(Error::invalid(
                "invalid role_id supplied, or failed to generate a role_id",
            ));
        }
        if let Some(b) = d.bool("bind_secret_id")? {
            role.bind_secret_id = b;
        }
        let cidrs = match d.strings("secret_id_bound_cidrs")? {
            Some(c) => Some(c),
            None => d.strings("bound_cidr_list")?,
        };
        if let Some(c) = cidrs {
            role.secret_id_bound_cidrs = checked_cidrs(c)?;
        }
        if let Some(n) = d.int("secret_id_num_uses")? {
            if n < 0 {
                return Err(Error::invalid("secret_id_num_uses cannot be negative"));
            }
            role.secret_id_num_uses = n as u64;
        }
        if let Some(ttl) = d.duration("secret_id_ttl")? {
            role.secret_id_ttl = ttl.as_secs();
        }
        let max = self.system.max_lease_ttl();
        if role.token.token_period > max.as_secs() {
            return Err(Error::invalid(format!(
                "period of {:?} is greater than the backend's maximum lease TTL of {:?}",
                format_go_duration(std::time::Duration::from_secs(role.token.token_period)),
                format_go_duration(max)
            )));
        }
        if role.token.token_max_ttl > max.as_secs() {
            warnings.push("token_max_ttl is greater than the backend mount's maximum TTL value; issued tokens' max TTL value will be truncated".into());
        }
        let previous = if creating {
            ""
        } else {
            previous_role_id.as_str()
        };
        self.save_role(&role, previous).await?;
        if warnings.is_empty() {
            return Ok(None);
        }
        Ok(Some(Response {
            warnings,
            ..Default::default()
        }))
    }

    pub(super) async fn role_delete(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = generic_name(&d, "role_name")?;
        let _guard = self.role_lock(&name).write().await;
        let Some(role) = self.load_role(&name).await? else {
            return Ok(None);
        };
        self.flush_secret_ids(&role).await?;
        let id_hmac = self.hmac(&role.role_id)?;
        self.storage
            .transaction(vec![
                TxnOp::Delete {
                    key: format!("role_id/{id_hmac}"),
                },
                TxnOp::Delete {
                    key: role_key(&role.name),
                },
            ])
            .await?;
        self.forget_role_id(&id_hmac);
        Ok(None)
    }
}
