//! Key management: create, read (versions, creation times, public keys), list, delete,
//! configure, rotate, trim and soft delete.

use std::time::Duration;

use arca_sdk::{Error, FieldData, Request, Response, Result, Storage};
use serde_json::{json, Map, Value};

use super::b64;
use super::der;
use super::keyring::{Keyring, NewKey, KDF_HKDF_SHA256};
use super::keytype::{KeyType, HMAC_MAX_KEY_SIZE, HMAC_MIN_KEY_SIZE};
use super::material::Material;
use super::{key_name, store, Transit};

/// Vault refuses automatic rotation more often than hourly.
pub const MIN_AUTO_ROTATE: Duration = Duration::from_secs(3600);

pub fn check_auto_rotate(period: Duration) -> Result<()> {
    if !period.is_zero() && period < MIN_AUTO_ROTATE {
        return Err(Error::invalid(
            "auto rotate period must be 0 to disable or at least an hour",
        ));
    }
    Ok(())
}

/// A key type by name; types Vault has and Arca does not are reported as unsupported.
pub fn parse_key_type(name: &str) -> Result<KeyType> {
    match KeyType::from_name(name) {
        Some(t) => Ok(t),
        None if name == "xchacha20-poly1305" || name == "external-key" => Err(Error::Unsupported(
            format!("transit keys of type {name} are not available in Arca"),
        )),
        None => Err(Error::invalid(format!("unknown key type {name}"))),
    }
}

/// Checks the options of a key about to be created (Vault's `GetPolicy` upsert checks).
pub fn check_new_key(opts: &NewKey) -> Result<()> {
    let t = opts.key_type;
    if t.is_symmetric_aead() {
        if opts.convergent && !opts.derived {
            return Err(Error::invalid(
                "convergent encryption requires derivation to be enabled",
            ));
        }
    } else if t == KeyType::Ed25519 {
        if opts.convergent {
            return Err(Error::invalid(format!(
                "convergent encryption not supported for keys of type {}",
                t.name()
            )));
        }
    } else if opts.derived || opts.convergent {
        return Err(Error::invalid(format!(
            "key derivation and convergent encryption not supported for keys of type {}",
            t.name()
        )));
    }
    Ok(())
}

fn stamp_json(s: &Option<super::stored::VersionStamp>) -> Option<Value> {
    s.as_ref()
        .map(|s| json!({"time": s.time, "version": s.version}))
}

/// Vault's `formatKeyPolicy`.
pub fn format_key(ring: &Keyring, context: &[u8]) -> Result<Map<String, Value>> {
    let p = &ring.policy;
    let t = ring.key_type;
    let mut data = Map::new();
    data.insert("name".into(), json!(p.name));
    data.insert("type".into(), json!(t.name()));
    data.insert("derived".into(), json!(p.derived));
    data.insert("deletion_allowed".into(), json!(p.deletion_allowed));
    data.insert(
        "min_available_version".into(),
        json!(p.min_available_version),
    );
    data.insert(
        "min_decryption_version".into(),
        json!(p.min_decryption_version),
    );
    data.insert(
        "min_encryption_version".into(),
        json!(p.min_encryption_version),
    );
    data.insert("latest_version".into(), json!(p.latest_version));
    data.insert("exportable".into(), json!(p.exportable));
    data.insert(
        "allow_plaintext_backup".into(),
        json!(p.allow_plaintext_backup),
    );
    data.insert("supports_encryption".into(), json!(t.supports_encryption()));
    data.insert("supports_decryption".into(), json!(t.supports_encryption()));
    data.insert("supports_signing".into(), json!(t.supports_signing()));
    data.insert("supports_derivation".into(), json!(t.supports_derivation()));
    data.insert(
        "auto_rotate_period".into(),
        json!(ring.auto_rotate_period().as_secs()),
    );
    data.insert("imported_key".into(), json!(p.imported));
    data.insert("soft_deleted".into(), json!(p.soft_deleted));
    if p.key_size != 0 {
        data.insert("key_size".into(), json!(p.key_size));
    }
    if p.imported {
        data.insert(
            "imported_key_allow_rotation".into(),
            json!(p.allow_imported_key_rotation),
        );
    }
    if let Some(v) = stamp_json(&p.backup_info) {
        data.insert("backup_info".into(), v);
    }
    if let Some(v) = stamp_json(&p.restore_info) {
        data.insert("restore_info".into(), v);
    }
    if p.derived {
        if p.kdf == KDF_HKDF_SHA256 {
            data.insert("kdf".into(), json!("hkdf_sha256"));
        } else {
            data.insert("kdf".into(), json!("hmac-sha256-counter"));
            data.insert("kdf_mode".into(), json!("hmac-sha256-counter"));
        }
        data.insert(
            "convergent_encryption".into(),
            json!(p.convergent_encryption),
        );
        if p.convergent_encryption {
            data.insert(
                "convergent_encryption_version".into(),
                json!(p.convergent_version),
            );
        }
    }
    if t.is_symmetric_aead() {
        let keys: Map<String, Value> = ring
            .versions
            .iter()
            .map(|(n, v)| (n.to_string(), json!(v.creation_unix)))
            .collect();
        data.insert("keys".into(), Value::Object(keys));
    } else if t.supports_signing() {
        let mut keys = Map::new();
        for (n, v) in &ring.versions {
            let public_key = match &v.material {
                Material::Rsa(rsa) => der::pem("PUBLIC KEY", &rsa.spki).to_string(),
                Material::Ed25519 { .. } if p.derived => {
                    if context.is_empty() {
                        String::new()
                    } else {
                        let pair = ring.derived_ed25519(context, *n).map_err(|e| {
                            Error::internal(format!(
                                "failed to derive key to return public component: {e}"
                            ))
                        })?;
                        b64::encode(aws_lc_rs::signature::KeyPair::public_key(&pair).as_ref())
                    }
                }
                _ => v.public_key.clone(),
            };
            let name = match t {
                KeyType::Ed25519 => "ed25519",
                t if t.is_rsa() => t.name(),
                t => t.curve_name(),
            };
            let chain: Vec<String> = v
                .certificate_chain
                .iter()
                .map(|c| der::pem("CERTIFICATE", c).trim().to_string())
                .collect();
            keys.insert(
                n.to_string(),
                json!({
                    "certificate_chain": chain.join("\n"),
                    "creation_time": v.created.text,
                    "name": name,
                    "public_key": public_key,
                }),
            );
        }
        data.insert("keys".into(), Value::Object(keys));
    }
    Ok(data)
}

fn decode_context(d: &FieldData<'_>) -> Result<Vec<u8>> {
    let raw = d.string("context")?;
    b64::decode(&raw).map_err(|_| Error::invalid("failed to base64-decode context"))
}

impl Transit {
    pub(super) async fn list_keys(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let after = d.string("after")?;
        let limit = d.int("limit")?.unwrap_or(0).max(0) as usize;
        let keys = self
            .storage
            .list_page(store::POLICY_PREFIX, &after, limit)
            .await?;
        if keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(Response::list(keys)))
    }

    pub(super) async fn read_key(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let Some(ring) = self.key(&name).await? else {
            return Ok(None);
        };
        let context = decode_context(&d)?;
        Ok(Some(Response::data(format_key(&ring, &context)?)))
    }

    pub(super) async fn create_key(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let derived = d.bool("derived")?.unwrap_or(false);
        let convergent = d.bool("convergent_encryption")?.unwrap_or(false);
        let auto_rotate_period = d.duration("auto_rotate_period")?.unwrap_or_default();
        check_auto_rotate(auto_rotate_period)?;
        if !derived && convergent {
            return Err(Error::invalid(
                "convergent encryption requires derivation to be enabled",
            ));
        }
        let key_type = parse_key_type(&d.str("type")?.unwrap_or_else(|| "aes256-gcm96".into()))?;
        let key_size = d.int("key_size")?.unwrap_or(0);
        if key_size != 0 {
            if key_type != KeyType::Hmac {
                return Err(Error::invalid(format!(
                    "key_size is not valid for algorithm {}",
                    key_type.name()
                )));
            }
            if key_size < HMAC_MIN_KEY_SIZE as i64 || key_size > HMAC_MAX_KEY_SIZE as i64 {
                return Err(Error::invalid(format!("invalid key_size {key_size}")));
            }
        }
        if !d.string("external_key_ref")?.is_empty() {
            return Err(Error::Unsupported(
                "external keys (external_key_ref) are not available in Arca".into(),
            ));
        }
        let opts = NewKey {
            name: name.clone(),
            key_type,
            derived,
            convergent,
            exportable: d.bool("exportable")?.unwrap_or(false),
            allow_plaintext_backup: d.bool("allow_plaintext_backup")?.unwrap_or(false),
            auto_rotate_period,
            key_size: key_size as usize,
        };
        let (ring, _created) = self.upsert(&opts).await?;
        Ok(Some(Response::data(format_key(&ring, &[])?)))
    }

    /// Returns the key, creating it with `opts` when it does not exist.
    pub(super) async fn upsert(&self, opts: &NewKey) -> Result<(std::sync::Arc<Keyring>, bool)> {
        let _guard = self.writes.lock().await;
        if let Some(existing) = self.key_locked(&opts.name).await? {
            return Ok((existing, false));
        }
        check_new_key(opts)?;
        let (ring, entry) = Keyring::new(opts).rotated()?;
        store::clear_versions(&self.storage, &opts.name).await?;
        store::save(&self.storage, &ring.policy, &[(1, &entry)], []).await?;
        Ok((self.install(ring), true))
    }

    pub(super) async fn delete_key(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let _guard = self.writes.lock().await;
        let Some(ring) = self.key_locked(&name).await? else {
            return Err(Error::invalid(format!(
                "error deleting policy {name}: could not delete key; not found"
            )));
        };
        if !ring.policy.deletion_allowed {
            return Err(Error::invalid(format!(
                "error deleting policy {name}: deletion is not allowed for this key"
            )));
        }
        self.forget(&name);
        store::delete(&self.storage, &name).await?;
        Ok(None)
    }

    pub(super) async fn rotate_key(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let _guard = self.writes.lock().await;
        let Some(ring) = self.key_locked(&name).await? else {
            return Err(Error::invalid("key not found"));
        };
        if !d.string("external_key_ref")?.is_empty() {
            return Err(Error::invalid(format!(
                "cannot use external_key_ref on key of type {}",
                ring.key_type.name()
            )));
        }
        let ring = self.rotate_locked(&ring).await?;
        Ok(Some(Response::data(format_key(&ring, &[])?)))
    }

    /// Adds a version to a key; the caller holds the write lock.
    pub(super) async fn rotate_locked(&self, ring: &Keyring) -> Result<std::sync::Arc<Keyring>> {
        if ring.policy.imported && !ring.policy.allow_imported_key_rotation {
            return Err(Error::invalid(format!(
                "imported key {} does not allow rotation within Vault",
                ring.name()
            )));
        }
        let (next, entry) = ring.rotated()?;
        store::save(&self.storage, &next.policy, &[(next.latest(), &entry)], []).await?;
        Ok(self.install(next))
    }

    pub(super) async fn configure_key(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let _guard = self.writes.lock().await;
        let Some(ring) = self.key_locked(&name).await? else {
            return Err(Error::invalid(format!(
                "no existing key named {name} could be found"
            )));
        };
        let mut p = ring.policy.clone();
        let mut warning = None;
        let mut changed = false;
        if let Some(min_dec) = d.int("min_decryption_version")? {
            if min_dec < 0 {
                return Err(Error::invalid("min decryption version cannot be negative"));
            }
            let min_dec = if min_dec == 0 {
                warning = Some("since Vault 0.3 (prior to the OpenBao fork), transit key numbering starts at 1; forcing minimum to 1");
                1
            } else {
                min_dec
            };
            if min_dec != p.min_decryption_version {
                if min_dec > p.latest_version {
                    return Err(Error::invalid(format!(
                        "cannot set min decryption version of {min_dec}, latest key version is {}",
                        p.latest_version
                    )));
                }
                p.min_decryption_version = min_dec;
                changed = true;
            }
        }
        if let Some(min_enc) = d.int("min_encryption_version")? {
            if min_enc < 0 {
                return Err(Error::invalid("min encryption version cannot be negative"));
            }
            if min_enc != p.min_encryption_version {
                if min_enc > p.latest_version {
                    return Err(Error::invalid(format!(
                        "cannot set min encryption version of {min_enc}, latest key version is {}",
                        p.latest_version
                    )));
                }
                p.min_encryption_version = min_enc;
                changed = true;
            }
        }
        if p.min_encryption_version > 0 && p.min_encryption_version < p.min_decryption_version {
            return Err(Error::invalid(format!(
                "cannot set min encryption/decryption values; min encryption version of {} must be greater than or equal to min decryption version of {}",
                p.min_encryption_version, p.min_decryption_version
            )));
        }
        if let Some(allowed) = d.bool("deletion_allowed")? {
            if allowed != p.deletion_allowed {
                p.deletion_allowed = allowed;
                changed = true;
            }
        }
        if p.min_decryption_version == 0 {
            p.min_decryption_version = 1;
            changed = true;
        }
        // Export and plaintext backup can be turned on, never off.
        if d.bool("exportable")? == Some(true) && !p.exportable {
            p.exportable = true;
            changed = true;
        }
        if d.bool("allow_plaintext_backup")? == Some(true) && !p.allow_plaintext_backup {
            p.allow_plaintext_backup = true;
            changed = true;
        }
        if let Some(period) = d.duration("auto_rotate_period")? {
            check_auto_rotate(period)?;
            let nanos = period.as_nanos() as i64;
            if nanos != p.auto_rotate_period {
                p.auto_rotate_period = nanos;
                changed = true;
            }
        }
        let ring = if changed {
            if p.min_available_version > p.min_encryption_version {
                return Err(Error::invalid(
                    "min encryption version should not be less than min available version",
                ));
            }
            if p.min_available_version > p.min_decryption_version {
                return Err(Error::invalid(
                    "min decryption version should not be less then min available version",
                ));
            }
            self.replace_policy(&ring, p).await?
        } else {
            ring
        };
        let mut resp = Response::data(format_key(&ring, &[])?);
        if let Some(w) = warning {
            resp.warnings.push(w.into());
        }
        Ok(Some(resp))
    }

    /// Persists a changed policy (same versions) and builds the keyring that goes with it,
    /// loading versions that a lower `min_decryption_version` brings back into use.
    async fn replace_policy(
        &self,
        ring: &Keyring,
        mut policy: super::stored::StoredPolicy,
    ) -> Result<std::sync::Arc<Keyring>> {
        let mut next = ring.clone_shallow();
        let first_live = Keyring::first_live_version(&policy);
        next.versions.retain(|n, _| *n >= first_live);
        for number in first_live..=policy.latest_version {
            if next.versions.contains_key(&number) {
                continue;
            }
            let entry = store::read_entry(&self.storage, &policy.name, number).await?;
            let version =
                super::keyring::KeyVersion::from_stored(next.key_type, policy.derived, &entry)?;
            next.versions.insert(number, std::sync::Arc::new(version));
        }
        policy.archive_version = policy.latest_version;
        policy.archive_min_version = policy.min_available_version;
        next.policy = policy;
        store::save(&self.storage, &next.policy, &[], []).await?;
        Ok(self.install(next))
    }

    pub(super) async fn trim_key(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let _guard = self.writes.lock().await;
        let Some(ring) = self.key_locked(&name).await? else {
            return Err(Error::invalid("invalid key name"));
        };
        let Some(min_available) = d.int("min_available_version")? else {
            return Err(Error::invalid("missing min_available_version"));
        };
        let p = &ring.policy;
        let refusal = if min_available < p.min_available_version {
            Some("minimum available version cannot be decremented")
        } else if p.min_encryption_version == 0 {
            Some("minimum available version cannot be set when minimum encryption version is not set")
        } else if p.min_decryption_version == 0 {
            Some("minimum available version cannot be set when minimum decryption version is not set")
        } else if min_available > p.min_encryption_version {
            Some("minimum available version cannot be greater than minmum encryption version")
        } else if min_available > p.min_decryption_version {
            Some("minimum available version cannot be greater than minimum decryption version")
        } else if min_available < 0 {
            Some("minimum available version cannot be negative")
        } else if min_available == 0 {
            Some("minimum available version should be positive")
        } else {
            None
        };
        if let Some(msg) = refusal {
            return Err(Error::invalid(msg));
        }
        let removed: Vec<i64> = (p.min_available_version.max(1)..min_available).collect();
        let mut next = ring.clone_shallow();
        next.policy.min_available_version = min_available;
        next.sync_archive_fields();
        store::save(&self.storage, &next.policy, &[], removed).await?;
        let ring = self.install(next);
        Ok(Some(Response::data(format_key(&ring, &[])?)))
    }

    async fn set_soft_deleted(&self, d: &FieldData<'_>, deleted: bool) -> Result<Option<Response>> {
        let name = key_name(d)?;
        let _guard = self.writes.lock().await;
        let Some(ring) = self.key_locked(&name).await? else {
            return Ok(None);
        };
        let unchanged = ring.policy.soft_deleted == deleted;
        let ring = if unchanged {
            ring
        } else {
            let mut next = ring.clone_shallow();
            next.policy.soft_deleted = deleted;
            store::save(&self.storage, &next.policy, &[], []).await?;
            self.install(next)
        };
        let mut resp = Response::data(format_key(&ring, &[])?);
        if unchanged {
            resp.warnings.push(
                if deleted {
                    "key was already marked as soft deleted"
                } else {
                    "key was already restored"
                }
                .into(),
            );
        }
        Ok(Some(resp))
    }

    pub(super) async fn soft_delete_key(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.set_soft_deleted(&d, true).await
    }

    pub(super) async fn soft_delete_restore_key(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.set_soft_deleted(&d, false).await
    }
}
