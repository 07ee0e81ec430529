//! AppRole secret IDs: issuing (generated or custom), LIST of accessors, lookup and destroy
//! by secret ID or by accessor. A secret ID is stored only as its HMAC; its entry and its
//! accessor index are written and deleted together in one transaction.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use arca_sdk::time::rfc3339;
use arca_sdk::{Error, FieldData, Request, Response, Result, Storage, StorageExt, TxnOp};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::role::{check_cidr_subset, checked_cidrs, Role};
use super::AppRole;
use crate::auth_common::{generic_name, list_page_args, put_json_op};

/// A secret ID's properties as stored under `<prefix><hmac(role)>/<hmac(secret ID)>`.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct SecretIdEntry {
    pub secret_id_accessor: String,
    /// Logins left; zero means unlimited.
    pub secret_id_num_uses: u64,
    pub secret_id_ttl: u64,
    /// Unix nanoseconds; `expiration_time` zero means never.
    pub creation_time: i64,
    pub expiration_time: i64,
    pub last_updated_time: i64,
    pub metadata: BTreeMap<String, String>,
    pub cidr_list: Vec<String>,
    pub token_bound_cidrs: Vec<String>,
}

/// The accessor index entry. It names the role folder too, so tidy can tell a dangling
/// accessor from a live one without scanning every role.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct AccessorEntry {
    pub secret_id_hmac: String,
    pub role_hmac: String,
}

pub(super) fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Go's RFC 3339 form of a time, and of its zero value for "never".
fn format_time(nanos: i64) -> String {
    if nanos == 0 {
        return "0001-01-01T00:00:00Z".into();
    }
    rfc3339(
        nanos.div_euclid(1_000_000_000),
        nanos.rem_euclid(1_000_000_000) as u32,
    )
}

impl SecretIdEntry {
    pub fn is_expired(&self, now: i64) -> bool {
        self.expiration_time != 0 && now >= self.expiration_time
    }

    fn to_response(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("secret_id_accessor".into(), json!(self.secret_id_accessor));
        m.insert("secret_id_num_uses".into(), json!(self.secret_id_num_uses));
        m.insert("secret_id_ttl".into(), json!(self.secret_id_ttl));
        m.insert(
            "creation_time".into(),
            json!(format_time(self.creation_time)),
        );
        m.insert(
            "expiration_time".into(),
            json!(format_time(self.expiration_time)),
        );
        m.insert(
            "last_updated_time".into(),
            json!(format_time(self.last_updated_time)),
        );
        m.insert("metadata".into(), json!(self.metadata));
        m.insert("cidr_list".into(), json!(self.cidr_list));
        m.insert("token_bound_cidrs".into(), json!(self.token_bound_cidrs));
        m
    }
}

/// Vault's `ParseArbitraryKeyValues`: the metadata of a secret ID may be a JSON object
/// (possibly base64-encoded) or `k=v` pairs separated by commas; values must not be empty.
pub(super) fn parse_metadata(raw: Option<Value>) -> Result<BTreeMap<String, String>> {
    let bad = |why: String| Error::invalid(format!("failed to parse metadata: {why}"));
    let mut out = BTreeMap::new();
    let text = match raw {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Object(m)) => {
            for (k, v) in m {
                match v {
                    Value::String(s) => out.insert(k, s),
                    other => out.insert(k, other.to_string()),
                };
            }
            return check_values(out).map_err(bad);
        }
        Some(Value::String(s)) => s.trim().to_string(),
        Some(other) => return Err(bad(format!("unexpected value {other}"))),
    };
    if text.is_empty() {
        return Ok(out);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&text)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| text.clone());
    if let Ok(map) = serde_json::from_str::<BTreeMap<String, String>>(&decoded) {
        return check_values(map).map_err(bad);
    }
    for pair in decoded.split(',') {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let Some((k, v)) = pair.split_once('=') else {
            return Err(bad(format!(
                "invalid key/value pair {pair:?}: format must be key=value"
            )));
        };
        out.insert(k.trim().to_string(), v.trim().to_string());
    }
    check_values(out).map_err(bad)
}

fn check_values(m: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, String> {
    for (k, v) in &m {
        if !k.is_empty() && v.is_empty() {
            return Err(format!("invalid value for key {k:?}"));
        }
    }
    Ok(m)
}

impl AppRole {
    /// Where a secret ID of `role` is stored.
    pub(super) fn secret_id_key(&self, role: &Role, secret_id_hmac: &str) -> Result<String> {
        Ok(format!(
            "{}{}/{secret_id_hmac}",
            role.secret_id_prefix(),
            self.hmac(&role.name)?
        ))
    }

    pub(super) fn accessor_key(&self, role: &Role, accessor: &str) -> Result<String> {
        self.accessor_key_in(role.accessor_prefix(), accessor)
    }

    pub(super) fn accessor_key_in(&self, prefix: &str, accessor: &str) -> Result<String> {
        Ok(format!("{prefix}{}", self.hmac(accessor)?))
    }

    /// The two deletions that remove a secret ID and its accessor.
    pub(super) fn delete_ops(
        &self,
        role: &Role,
        entry_key: String,
        entry: &SecretIdEntry,
    ) -> Result<Vec<TxnOp>> {
        Ok(vec![
            TxnOp::Delete {
                key: self.accessor_key(role, &entry.secret_id_accessor)?,
            },
            TxnOp::Delete { key: entry_key },
        ])
    }

    pub(super) async fn secret_id_generate(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let secret_id = uuid::Uuid::new_v4().to_string();
        self.issue_secret_id(&d, secret_id).await
    }

    pub(super) async fn secret_id_custom(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let secret_id = d.string("secret_id")?;
        if secret_id.is_empty() {
            return Err(Error::invalid("missing secret_id"));
        }
        self.issue_secret_id(&d, secret_id).await
    }

    async fn issue_secret_id(
        &self,
        d: &FieldData<'_>,
        secret_id: String,
    ) -> Result<Option<Response>> {
        let name = generic_name(d, "role_name")?;
        let _guard = self.role_lock(&name).read().await;
        let Some(role) = self.load_role(&name).await? else {
            return Err(Error::not_found(format!("role {name:?} does not exist")));
        };
        if !role.bind_secret_id {
            return Err(Error::invalid("bind_secret_id is not set on the role"));
        }
        let cidr_list = checked_cidrs(d.strings("cidr_list")?.unwrap_or_default())?;
        check_cidr_subset(&role.secret_id_bound_cidrs, &cidr_list)?;
        let token_cidrs = d.strings("token_bound_cidrs")?.unwrap_or_default();
        arca_sdk::token_fields::validate_cidrs(&token_cidrs)
            .map_err(|e| Error::invalid(format!("failed to validate token CIDR blocks: {e}")))?;
        check_cidr_subset(&role.token.token_bound_cidrs, &token_cidrs)?;
        let num_uses = match d.int("num_uses")? {
            Some(n) if n < 0 => return Err(Error::invalid("num_uses cannot be negative")),
            Some(n) => {
                let n = n as u64;
                let limit = role.secret_id_num_uses;
                if limit > 0 && (n == 0 || n > limit) {
                    return Err(Error::invalid(
                        "num_uses cannot be higher than the role's secret_id_num_uses",
                    ));
                }
                n
            }
            None => role.secret_id_num_uses,
        };
        let ttl = match d.duration("ttl")? {
            Some(t) => {
                let t = t.as_secs();
                let limit = role.secret_id_ttl;
                if limit > 0 && (t == 0 || t > limit) {
                    return Err(Error::invalid(
                        "ttl cannot be longer than the role's secret_id_ttl",
                    ));
                }
                t
            }
            None => role.secret_id_ttl,
        };
        // Capped by the mount's max lease TTL, as Vault does.
        let ttl = ttl.min(self.system.max_lease_ttl().as_secs());
        let metadata = parse_metadata(d.raw("metadata"))?;

        let secret_id_hmac = self.hmac(&secret_id)?;
        let role_hmac = self.hmac(&role.name)?;
        let entry_key = format!("{}{role_hmac}/{secret_id_hmac}", role.secret_id_prefix());
        let _secret_guard = self.secret_id_lock(&secret_id_hmac).lock().await;
        if self.storage.get(&entry_key).await?.is_some() {
            return Err(Error::invalid("SecretID is already registered"));
        }
        let now = now_nanos();
        let entry = SecretIdEntry {
            secret_id_accessor: uuid::Uuid::new_v4().to_string(),
            secret_id_num_uses: num_uses,
            secret_id_ttl: ttl,
            creation_time: now,
            expiration_time: if ttl == 0 {
                0
            } else {
                now + (ttl as i64) * 1_000_000_000
            },
            last_updated_time: now,
            metadata,
            cidr_list,
            token_bound_cidrs: token_cidrs,
        };
        self.storage
            .transaction(vec![
                put_json_op(
                    self.accessor_key(&role, &entry.secret_id_accessor)?,
                    &AccessorEntry {
                        secret_id_hmac: secret_id_hmac.clone(),
                        role_hmac,
                    },
                )?,
                put_json_op(entry_key, &entry)?,
            ])
            .await?;
        let mut data = Map::new();
        data.insert("secret_id".into(), json!(secret_id));
        data.insert("secret_id_accessor".into(), json!(entry.secret_id_accessor));
        data.insert("secret_id_ttl".into(), json!(ttl));
        data.insert("secret_id_num_uses".into(), json!(num_uses));
        Ok(Some(Response::data(data)))
    }

    /// The role of a secret-ID endpoint, which must exist (400 otherwise, where Vault
    /// answers 500).
    async fn role_for_secret_ids(&self, d: &FieldData<'_>) -> Result<Role> {
        let name = generic_name(d, "role_name")?;
        self.load_role(&name)
            .await?
            .ok_or_else(|| Error::invalid(format!("role {name:?} does not exist")))
    }

    pub(super) async fn secret_id_list(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let role = self.role_for_secret_ids(&d).await?;
        let (after, limit) = list_page_args(&d)?;
        let folder = format!("{}{}/", role.secret_id_prefix(), self.hmac(&role.name)?);
        let hmacs = self.storage.list_page(&folder, &after, limit).await?;
        let mut accessors = Vec::with_capacity(hmacs.len());
        for h in hmacs {
            if let Some(entry) = self
                .storage
                .get_json::<SecretIdEntry>(&format!("{folder}{h}"))
                .await?
            {
                accessors.push(entry.secret_id_accessor);
            }
        }
        if accessors.is_empty() {
            return Ok(None);
        }
        Ok(Some(Response::list(accessors)))
    }

    fn required(d: &FieldData<'_>, field: &str) -> Result<String> {
        let v = d.string(field)?;
        if v.is_empty() {
            return Err(Error::invalid(format!("missing {field}")));
        }
        Ok(v)
    }

    pub(super) async fn secret_id_lookup(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let secret_id = Self::required(&d, "secret_id")?;
        let role = self.role_for_secret_ids(&d).await?;
        let key = self.secret_id_key(&role, &self.hmac(&secret_id)?)?;
        Ok(self
            .storage
            .get_json::<SecretIdEntry>(&key)
            .await?
            .map(|e| Response::data(e.to_response())))
    }

    pub(super) async fn secret_id_destroy(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let secret_id = Self::required(&d, "secret_id")?;
        let role = self.role_for_secret_ids(&d).await?;
        let secret_id_hmac = self.hmac(&secret_id)?;
        self.destroy_secret_id(&role, &secret_id_hmac).await?;
        Ok(None)
    }

    /// Deletes a secret ID and its accessor; false when there was none.
    async fn destroy_secret_id(&self, role: &Role, secret_id_hmac: &str) -> Result<bool> {
        let key = self.secret_id_key(role, secret_id_hmac)?;
        let _guard = self.secret_id_lock(secret_id_hmac).lock().await;
        let Some(entry) = self.storage.get_json::<SecretIdEntry>(&key).await? else {
            return Ok(false);
        };
        let ops = self.delete_ops(role, key, &entry)?;
        self.storage.transaction(ops).await?;
        Ok(true)
    }

    async fn accessor_entry(&self, role: &Role, accessor: &str) -> Result<Option<AccessorEntry>> {
        self.storage
            .get_json(&self.accessor_key(role, accessor)?)
            .await
    }

    pub(super) async fn accessor_lookup(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let accessor = Self::required(&d, "secret_id_accessor")?;
        let role = self.role_for_secret_ids(&d).await?;
        let Some(index) = self.accessor_entry(&role, &accessor).await? else {
            // Vault answers 404 with the reason in the data.
            let mut data = Map::new();
            data.insert(
                "error".into(),
                json!(format!(
                    "failed to find accessor entry for secret_id_accessor: {accessor:?}"
                )),
            );
            let mut resp = Response::data(data);
            resp.status = Some(404);
            return Ok(Some(resp));
        };
        let key = self.secret_id_key(&role, &index.secret_id_hmac)?;
        Ok(self
            .storage
            .get_json::<SecretIdEntry>(&key)
            .await?
            .map(|e| Response::data(e.to_response())))
    }

    pub(super) async fn accessor_destroy(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let accessor = Self::required(&d, "secret_id_accessor")?;
        let role = self.role_for_secret_ids(&d).await?;
        let Some(index) = self.accessor_entry(&role, &accessor).await? else {
            return Err(Error::invalid(format!(
                "failed to find accessor entry for secret_id_accessor: {accessor:?}"
            )));
        };
        if !self.destroy_secret_id(&role, &index.secret_id_hmac).await? {
            return Err(Error::PermissionDenied);
        }
        Ok(None)
    }

    /// Deletes every secret ID of a role (when the role is deleted).
    pub(super) async fn flush_secret_ids(&self, role: &Role) -> Result<()> {
        let folder = format!("{}{}/", role.secret_id_prefix(), self.hmac(&role.name)?);
        loop {
            let batch = self.storage.list_page(&folder, "", 256).await?;
            if batch.is_empty() {
                return Ok(());
            }
            let mut ops = Vec::with_capacity(batch.len() * 2);
            for h in &batch {
                let key = format!("{folder}{h}");
                let _guard = self.secret_id_lock(h).lock().await;
                match self.storage.get_json::<SecretIdEntry>(&key).await? {
                    Some(entry) => ops.extend(self.delete_ops(role, key, &entry)?),
                    None => ops.push(TxnOp::Delete { key }),
                }
            }
            self.storage.transaction(ops).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_forms() {
        let want: BTreeMap<String, String> = [("env".to_string(), "prod".to_string())]
            .into_iter()
            .collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(r#"{"env":"prod"}"#);
        for input in [
            json!(r#"{"env":"prod"}"#),
            json!("env=prod"),
            json!(" env = prod ,"),
            json!(b64),
            json!({"env": "prod"}),
        ] {
            assert_eq!(
                parse_metadata(Some(input.clone())).unwrap(),
                want,
                "{input}"
            );
        }
        assert!(parse_metadata(None).unwrap().is_empty());
        assert!(parse_metadata(Some(json!("novalue"))).is_err());
        assert!(parse_metadata(Some(json!("k="))).is_err());
        assert!(parse_metadata(Some(json!([1]))).is_err());
    }

    #[test]
    fn times_format_as_go() {
        assert_eq!(format_time(0), "0001-01-01T00:00:00Z");
        assert_eq!(
            format_time(1_700_000_000_500_000_000),
            "2023-11-14T22:13:20.5Z"
        );
    }
}
