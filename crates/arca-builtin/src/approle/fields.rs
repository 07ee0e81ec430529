//! The per-field endpoints of a role (`role/<name>/policies`, `/secret-id-num-uses`,
//! `/token-ttl`, `/role-id`, ...): read one setting, update it, or reset it to its default.

use arca_sdk::duration::format_go_duration;
use arca_sdk::token_fields::{normalize_policies, validate_cidrs};
use arca_sdk::{Error, FieldData, Response, Result};
use serde_json::{json, Map, Value};

use super::role::{checked_cidrs, list_or_null, Role};
use super::AppRole;
use crate::auth_common::generic_name;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RoleField {
    LocalSecretIds,
    Policies,
    BoundCidrList,
    SecretIdBoundCidrs,
    TokenBoundCidrs,
    BindSecretId,
    SecretIdNumUses,
    SecretIdTtl,
    Period,
    TokenNumUses,
    TokenTtl,
    TokenMaxTtl,
    RoleId,
}

fn missing(what: &str) -> Error {
    Error::invalid(format!("missing {what}"))
}

fn read_data(role: &Role, field: RoleField) -> Response {
    let t = &role.token;
    let mut m = Map::new();
    let mut warnings = Vec::new();
    match field {
        RoleField::LocalSecretIds => {
            m.insert("local_secret_ids".into(), json!(role.local_secret_ids));
        }
        RoleField::Policies => {
            m.insert("token_policies".into(), json!(t.token_policies));
            if !t.legacy.policies.is_empty() {
                m.insert("policies".into(), json!(t.legacy.policies));
            }
        }
        RoleField::BoundCidrList => {
            m.insert(
                "bound_cidr_list".into(),
                list_or_null(&role.secret_id_bound_cidrs),
            );
            warnings.push("The \"bound_cidr_list\" field is deprecated and will be removed. Please use \"secret_id_bound_cidrs\" instead.".to_string());
        }
        RoleField::SecretIdBoundCidrs => {
            m.insert(
                "secret_id_bound_cidrs".into(),
                list_or_null(&role.secret_id_bound_cidrs),
            );
        }
        RoleField::TokenBoundCidrs => {
            m.insert(
                "token_bound_cidrs".into(),
                list_or_null(&t.token_bound_cidrs),
            );
        }
        RoleField::BindSecretId => {
            m.insert("bind_secret_id".into(), json!(role.bind_secret_id));
        }
        RoleField::SecretIdNumUses => {
            m.insert("secret_id_num_uses".into(), json!(role.secret_id_num_uses));
        }
        RoleField::SecretIdTtl => {
            m.insert("secret_id_ttl".into(), json!(role.secret_id_ttl));
        }
        RoleField::Period => {
            m.insert("token_period".into(), json!(t.token_period));
            if t.legacy.period > 0 {
                m.insert("period".into(), json!(t.legacy.period));
            }
        }
        RoleField::TokenNumUses => {
            m.insert("token_num_uses".into(), json!(t.token_num_uses));
        }
        RoleField::TokenTtl => {
            m.insert("token_ttl".into(), json!(t.token_ttl));
        }
        RoleField::TokenMaxTtl => {
            m.insert("token_max_ttl".into(), json!(t.token_max_ttl));
        }
        RoleField::RoleId => {
            m.insert("role_id".into(), Value::String(role.role_id.clone()));
        }
    }
    let mut resp = Response::data(m);
    resp.warnings = warnings;
    resp
}

impl AppRole {
    pub(super) async fn field_read(
        &self,
        d: FieldData<'_>,
        field: RoleField,
    ) -> Result<Option<Response>> {
        let name = generic_name(&d, "role_name")?;
        let _guard = self.role_lock(&name).read().await;
        Ok(self.load_role(&name).await?.map(|r| read_data(&r, field)))
    }

    pub(super) async fn field_update(
        &self,
        d: FieldData<'_>,
        field: RoleField,
    ) -> Result<Option<Response>> {
        let name = generic_name(&d, "role_name")?;
        let _guard = self.role_lock(&name).write().await;
        let mut role = self.existing_role(&name).await?;
        let previous_role_id = role.role_id.clone();
        let t = &mut role.token;
        match field {
            RoleField::LocalSecretIds => return Err(Error::UnsupportedOperation),
            RoleField::Policies => {
                if let Some(p) = d.strings("token_policies")? {
                    t.token_policies = normalize_policies(p);
                    t.legacy.policies = if d.is_set("policies") {
                        t.token_policies.clone()
                    } else {
                        Vec::new()
                    };
                } else if let Some(p) = d.strings("policies")? {
                    t.token_policies = normalize_policies(p);
                    t.legacy.policies = t.token_policies.clone();
                } else {
                    return Err(missing("token_policies"));
                }
            }
            RoleField::BoundCidrList | RoleField::SecretIdBoundCidrs => {
                let name = if field == RoleField::BoundCidrList {
                    "bound_cidr_list"
                } else {
                    "secret_id_bound_cidrs"
                };
                let cidrs = d.strings(name)?.unwrap_or_default();
                if cidrs.is_empty() {
                    return Err(missing("bound_cidr_list"));
                }
                role.secret_id_bound_cidrs = checked_cidrs(cidrs)?;
            }
            RoleField::TokenBoundCidrs => {
                let cidrs = d
                    .strings("token_bound_cidrs")?
                    .ok_or_else(|| missing("token_bound_cidrs"))?;
                validate_cidrs(&cidrs).map_err(|e| {
                    Error::invalid(format!("failed to parse token_bound_cidrs: {e}"))
                })?;
                if t.token_strictly_bind_ip && !cidrs.is_empty() {
                    return Err(Error::invalid(
                        "'token_strictly_bind_ip' conflicts with 'token_bound_cidrs'; set only one",
                    ));
                }
                t.token_bound_cidrs = cidrs;
            }
            RoleField::BindSecretId => {
                role.bind_secret_id = d
                    .bool("bind_secret_id")?
                    .ok_or_else(|| missing("bind_secret_id"))?;
            }
            RoleField::SecretIdNumUses => {
                let n = d
                    .int("secret_id_num_uses")?
                    .ok_or_else(|| missing("secret_id_num_uses"))?;
                if n < 0 {
                    return Err(Error::invalid("secret_id_num_uses cannot be negative"));
                }
                role.secret_id_num_uses = n as u64;
            }
            RoleField::SecretIdTtl => {
                role.secret_id_ttl = d
                    .duration("secret_id_ttl")?
                    .ok_or_else(|| missing("secret_id_ttl"))?
                    .as_secs();
            }
            RoleField::Period => {
                let period = if let Some(p) = d.duration("token_period")? {
                    t.token_period = p.as_secs();
                    t.legacy.period = if d.is_set("period") {
                        t.token_period
                    } else {
                        0
                    };
                    p
                } else if let Some(p) = d.duration("period")? {
                    t.token_period = p.as_secs();
                    t.legacy.period = t.token_period;
                    p
                } else {
                    return Err(missing("period"));
                };
                let max = self.system.max_lease_ttl();
                if period > max {
                    return Err(Error::invalid(format!(
                        "period of {:?} is greater than the backend's maximum lease TTL of {:?}",
                        format_go_duration(period),
                        format_go_duration(max)
                    )));
                }
                if t.token_type == "batch" && t.token_period != 0 {
                    return Err(Error::invalid("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens"));
                }
            }
            RoleField::TokenNumUses => {
                let n = d
                    .int("token_num_uses")?
                    .ok_or_else(|| missing("token_num_uses"))?;
                if n < 0 {
                    return Err(Error::invalid("'token_num_uses' cannot be negative"));
                }
                t.token_num_uses = n as u64;
                if t.token_type == "batch" && n != 0 {
                    return Err(Error::invalid("'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count"));
                }
            }
            RoleField::TokenTtl => {
                t.token_ttl = d
                    .duration("token_ttl")?
                    .ok_or_else(|| missing("token_ttl"))?
                    .as_secs();
                t.legacy.ttl = 0;
                if t.token_max_ttl > 0 && t.token_ttl > t.token_max_ttl {
                    return Err(Error::invalid(
                        "token_ttl should not be greater than token_max_ttl",
                    ));
                }
            }
            RoleField::TokenMaxTtl => {
                t.token_max_ttl = d
                    .duration("token_max_ttl")?
                    .ok_or_else(|| missing("token_max_ttl"))?
                    .as_secs();
                t.legacy.max_ttl = 0;
                if t.token_max_ttl > 0 && t.token_ttl > t.token_max_ttl {
                    return Err(Error::invalid(
                        "token_max_ttl should be greater than or equal to token_ttl",
                    ));
                }
            }
            RoleField::RoleId => {
                let id = d.string("role_id")?;
                if id.is_empty() {
                    return Err(missing("role_id"));
                }
                role.role_id = id;
            }
        }
        self.save_role(&role, &previous_role_id).await?;
        Ok(None)
    }

    pub(super) async fn field_delete(
        &self,
        d: FieldData<'_>,
        field: RoleField,
    ) -> Result<Option<Response>> {
        let name = generic_name(&d, "role_name")?;
        let _guard = self.role_lock(&name).write().await;
        let Some(mut role) = self.load_role(&name).await? else {
            return Ok(None);
        };
        let previous_role_id = role.role_id.clone();
        let t = &mut role.token;
        match field {
            RoleField::LocalSecretIds | RoleField::RoleId => {
                return Err(Error::UnsupportedOperation)
            }
            RoleField::Policies => {
                t.token_policies.clear();
                t.legacy.policies.clear();
            }
            RoleField::BoundCidrList | RoleField::SecretIdBoundCidrs => {
                role.secret_id_bound_cidrs.clear()
            }
            RoleField::TokenBoundCidrs => t.token_bound_cidrs.clear(),
            RoleField::BindSecretId => role.bind_secret_id = true,
            RoleField::SecretIdNumUses => role.secret_id_num_uses = 0,
            RoleField::SecretIdTtl => role.secret_id_ttl = 0,
            RoleField::Period => {
                t.token_period = 0;
                t.legacy.period = 0;
            }
            RoleField::TokenNumUses => t.token_num_uses = 0,
            RoleField::TokenTtl => {
                t.token_ttl = 0;
                t.legacy.ttl = 0;
            }
            RoleField::TokenMaxTtl => {
                t.token_max_ttl = 0;
                t.legacy.max_ttl = 0;
            }
        }
        self.save_role(&role, &previous_role_id).await?;
        Ok(None)
    }
}
