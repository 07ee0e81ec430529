//! export, backup and restore. Exported keys use Go's encodings (PKCS#1/SEC1 PEM by default,
//! PKCS#8 or SPKI for `der`/`pem`); backups are Vault's `KeyData` document, base64 encoded.

use std::collections::BTreeMap;
use std::sync::Arc;

use arca_sdk::{Error, FieldData, Request, Response, Result, StorageView};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::b64;
use super::der;
use super::gotime::Stamp;
use super::keyring::{KeyVersion, Keyring};
use super::keytype::KeyType;
use super::material::{self, Material};
use super::store;
use super::stored::{ArchivedKeys, Bytes, KeyData, StoredKeyEntry, VersionStamp};
use super::{key_name, valid_name, Transit};

#[derive(Clone, Copy, PartialEq, Eq)]
enum ExportType {
    Encryption,
    Signing,
    Hmac,
    Public,
    CertificateChain,
}

fn unknown(kt: KeyType, export: &str) -> Error {
    Error::invalid(format!(
        "unknown key type {} for export type {export}",
        kt.name()
    ))
}

fn pem_trimmed(label: &str, der: &[u8]) -> String {
    der::pem(label, der).trim().to_string()
}

/// One version in the requested export form (Vault's `getExportKey`).
fn export_version(
    ring: &Keyring,
    key: &KeyVersion,
    export: ExportType,
    export_name: &str,
    format: &str,
) -> Result<Zeroizing<String>> {
    let kt = ring.key_type;
    let raw_only = |what: &str| -> Result<()> {
        if format == "der" || format == "pem" {
            return Err(Error::invalid(format!(
                "unknown format for {what} key; supported values are `` or `raw`"
            )));
        }
        Ok(())
    };
    let no_raw = |what: &str| -> Result<()> {
        if format == "raw" {
            return Err(Error::invalid(format!(
                "unknown key format for {what} key; supported values are ``, `der`, or `pem`"
            )));
        }
        Ok(())
    };
    let out = match (export, &key.material) {
        (ExportType::Hmac, _) => {
            raw_only("HMAC")?;
            b64::encode(&key.hmac_key)
        }
        (ExportType::Encryption, Material::Aead { raw, .. }) => {
            raw_only("HMAC")?;
            b64::encode(raw)
        }
        (ExportType::Encryption | ExportType::Signing, Material::Rsa(rsa)) => {
            no_raw("rsa")?;
            let c = rsa.components()?;
            match format {
                "" => der::pem("RSA PRIVATE KEY", &der::rsa_pkcs1_private(&c)).to_string(),
                "der" => b64::encode(&der::rsa_pkcs8(&c)),
                _ => der::pem("PRIVATE KEY", &der::rsa_pkcs8(&c)).to_string(),
            }
        }
        (ExportType::Signing, Material::Ecdsa(ec)) => {
            no_raw("ec")?;
            let oid = material::ec_curve_oid(kt);
            match format {
                "" => pem_trimmed(
                    "EC PRIVATE KEY",
                    &der::ec_private_sec1(Some(oid), &ec.scalar, &ec.point),
                ),
                "der" => b64::encode(&der::ec_pkcs8(oid, &ec.scalar, &ec.point)),
                _ => pem_trimmed("PRIVATE KEY", &der::ec_pkcs8(oid, &ec.scalar, &ec.point)),
            }
        }
        (ExportType::Signing, Material::Ed25519 { raw, .. }) => match format {
            "" | "raw" => b64::encode(raw),
            "der" => b64::encode(&der::ed25519_pkcs8(&raw[..32])),
            _ => pem_trimmed("PRIVATE KEY", &der::ed25519_pkcs8(&raw[..32])),
        },
        (ExportType::Public, Material::Ecdsa(ec)) => {
            no_raw("ec")?;
            let spki = der::ec_spki(material::ec_curve_oid(kt), &ec.point);
            match format {
                "der" => b64::encode(&spki),
                _ => pem_trimmed("PUBLIC KEY", &spki),
            }
        }
        (ExportType::Public, Material::Ed25519 { pair, .. }) => {
            let public = aws_lc_rs::signature::KeyPair::public_key(pair)
                .as_ref()
                .to_vec();
            match format {
                "" | "raw" => key.public_key.trim().to_string(),
                "der" => b64::encode(&der::ed25519_spki(&public)),
                _ => pem_trimmed("PUBLIC KEY", &der::ed25519_spki(&public)),
            }
        }
        (ExportType::Public, Material::Rsa(rsa)) => {
            no_raw("rsa")?;
            match format {
                "der" => b64::encode(&rsa.spki),
                _ => der::pem("PUBLIC KEY", &rsa.spki).to_string(),
            }
        }
        (ExportType::CertificateChain, _) => {
            if key.certificate_chain.is_empty() {
                return Err(Error::invalid(
                    "selected key version does not have a certificate chain imported",
                ));
            }
            key.certificate_chain
                .iter()
                .map(|c| pem_trimmed("CERTIFICATE", c))
                .collect::<Vec<_>>()
                .join("\n")
        }
        _ => return Err(unknown(kt, export_name)),
    };
    Ok(Zeroizing::new(out))
}

/// Vault's backup document for a keyring: live versions in `policy.keys`, every available
/// version in `archived_keys` (indexed from `archive_min_version`).
async fn backup_document(storage: &StorageView, ring: &Keyring) -> Result<KeyData> {
    let p = &ring.policy;
    let entries =
        store::read_entries(storage, &p.name, p.min_available_version, p.latest_version).await?;
    let mut policy = p.clone();
    policy.archive_version = p.latest_version;
    policy.archive_min_version = p.min_available_version;
    let first_live = Keyring::first_live_version(p);
    policy.keys = entries
        .iter()
        .filter(|(n, _)| *n >= first_live)
        .map(|(n, e)| (n.to_string(), e.clone()))
        .collect::<BTreeMap<_, _>>();
    let mut archived = Vec::with_capacity(entries.len() + 1);
    if p.min_available_version == 0 {
        archived.push(StoredKeyEntry::empty());
    }
    archived.extend(entries.into_iter().map(|(_, e)| e));
    Ok(KeyData {
        policy,
        archived_keys: Some(ArchivedKeys { keys: archived }),
    })
}

/// Stores a backup document as key `name` and returns the keyring it describes. Versions
/// come from the archive, overridden by the live ones in the policy, as Vault merges them.
pub async fn restore_data(storage: &StorageView, mut data: KeyData, name: &str) -> Result<Keyring> {
    let mut policy = std::mem::take(&mut data.policy);
    policy.name = name.to_string();
    let key_type = KeyType::from_stored_id(policy.key_type).map_err(|t| {
        Error::Unsupported(format!(
            "transit keys of type {t} are not available in Arca"
        ))
    })?;
    if policy.latest_version < 1 {
        return Err(Error::invalid("backup holds no key versions"));
    }
    if policy.min_decryption_version == 0 {
        policy.min_decryption_version = 1;
    }
    let mut entries: BTreeMap<i64, StoredKeyEntry> = BTreeMap::new();
    if let Some(archive) = data.archived_keys.take() {
        let base = policy.archive_min_version;
        for (i, entry) in archive.keys.into_iter().enumerate() {
            let number = base + i as i64;
            if number >= 1 && number <= policy.latest_version {
                entries.insert(number, entry);
            }
        }
    }
    for (number, entry) in std::mem::take(&mut policy.keys) {
        let number: i64 = number
            .parse()
            .map_err(|_| Error::invalid(format!("invalid key version {number:?} in backup")))?;
        entries.insert(number, entry);
    }
    let first_available = policy.min_available_version.max(1);
    for number in first_available..=policy.latest_version {
        if !entries.contains_key(&number) {
            return Err(Error::invalid(format!(
                "backup is missing key version {number}"
            )));
        }
    }
    entries.retain(|n, _| *n >= first_available);
    // Vault adds an HMAC key to the latest version when it lacks one (keys made before 0.8).
    if let Some(latest) = entries.get_mut(&policy.latest_version) {
        if latest.hmac_key.is_none() {
            latest.hmac_key = Some(match (&latest.key, key_type) {
                (Some(k), KeyType::Hmac) => k.clone(),
                _ => Bytes(material::random_bytes(32)?),
            });
        }
    }
    let first_live = Keyring::first_live_version(&policy);
    let mut versions = BTreeMap::new();
    for (number, entry) in &entries {
        if *number >= first_live {
            let version = KeyVersion::from_stored(key_type, policy.derived, entry)?;
            versions.insert(*number, Arc::new(version));
        }
    }
    policy.restore_info = Some(VersionStamp {
        time: Stamp::now().text,
        version: policy.latest_version,
    });
    let mut ring = Keyring {
        policy,
        key_type,
        versions,
    };
    ring.sync_archive_fields();
    // Versions of a key being overwritten go in the same transaction, so a failed restore
    // leaves the old key intact.
    let stale: Vec<i64> = store::stored_versions(storage, name)
        .await?
        .into_iter()
        .filter(|n| !entries.contains_key(n))
        .collect();
    let new: Vec<(i64, &StoredKeyEntry)> = entries.iter().map(|(n, e)| (*n, e)).collect();
    store::save(storage, &ring.policy, &new, stale).await?;
    Ok(ring)
}

impl Transit {
    pub(super) async fn export_key(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let export_name = d.string("type")?;
        let name = key_name(&d)?;
        let version = d.str("version")?.unwrap_or_default();
        let format = d.string("format")?;
        let export = match export_name.as_str() {
            "encryption-key" => ExportType::Encryption,
            "signing-key" => ExportType::Signing,
            "hmac-key" => ExportType::Hmac,
            "public-key" => ExportType::Public,
            "certificate-chain" => ExportType::CertificateChain,
            other => return Err(Error::invalid(format!("invalid export type: {other}"))),
        };
        if !matches!(format.as_str(), "" | "raw" | "der" | "pem") {
            return Err(Error::invalid(format!("invalid format: {format}")));
        }
        let Some(ring) = self.key(&name).await? else {
            return Ok(None);
        };
        let public_only = matches!(export, ExportType::Public | ExportType::CertificateChain);
        if !ring.policy.exportable && !public_only {
            return Err(Error::invalid("private key material is not exportable"));
        }
        ring.check_not_soft_deleted()?;
        let kt = ring.key_type;
        match export {
            ExportType::Encryption if !kt.supports_encryption() => {
                return Err(Error::invalid("encryption not supported for the key"))
            }
            ExportType::Signing if !kt.supports_signing() => {
                return Err(Error::invalid("signing not supported for the key"))
            }
            ExportType::CertificateChain if !kt.supports_signing() => {
                return Err(Error::invalid(
                    "certificate chain not supported for keys that do not support signing",
                ))
            }
            _ => {}
        }
        let mut keys = Map::new();
        if version.is_empty() {
            for (n, key) in &ring.versions {
                let value = export_version(&ring, key, export, &export_name, &format)?;
                keys.insert(n.to_string(), Value::String(value.to_string()));
            }
        } else {
            let number = if version == "latest" {
                ring.latest()
            } else {
                super::keyring::parse_go_int(version.strip_prefix('v').unwrap_or(&version))
                    .ok_or_else(|| Error::invalid("invalid key version"))?
            };
            if number < ring.policy.min_decryption_version {
                return Err(Error::invalid(
                    "version for export is below minimum decryption version",
                ));
            }
            let key = ring
                .versions
                .get(&number)
                .ok_or_else(|| Error::invalid("version does not exist or cannot be found"))?;
            let value = export_version(&ring, key, export, &export_name, &format)?;
            keys.insert(number.to_string(), Value::String(value.to_string()));
        }
        let mut data = Map::new();
        data.insert("name".into(), Value::String(ring.name().to_string()));
        data.insert("type".into(), Value::String(kt.name().to_string()));
        data.insert("keys".into(), Value::Object(keys));
        Ok(Some(Response::data(data)))
    }

    pub(super) async fn backup_key(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let _guard = self.writes.lock().await;
        let Some(ring) = self.key_locked(&name).await? else {
            return Err(Error::invalid(format!("key {name:?} not found")));
        };
        ring.check_not_soft_deleted()?;
        if !ring.policy.exportable {
            return Err(Error::invalid("exporting is disallowed on the policy"));
        }
        if !ring.policy.allow_plaintext_backup {
            return Err(Error::invalid(
                "plaintext backup is disallowed on the policy",
            ));
        }
        // Record the backup in the policy first, as Vault does.
        let mut next = ring.clone_shallow();
        next.policy.backup_info = Some(VersionStamp {
            time: Stamp::now().text,
            version: next.latest(),
        });
        store::save(&self.storage, &next.policy, &[], []).await?;
        let ring = self.install(next);
        let document = backup_document(&self.storage, &ring).await?;
        let json = store::secret_json(&document)?;
        let mut data = Map::new();
        data.insert("backup".into(), Value::String(b64::encode(&json)));
        Ok(Some(Response::data(data)))
    }

    pub(super) async fn restore_key(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let backup = d.string("backup")?;
        if backup.is_empty() {
            return Err(Error::invalid("'backup' must be supplied"));
        }
        let force = d.bool("force")?.unwrap_or(false);
        let requested_name = d.string("name")?;
        if requested_name.contains('/') {
            return Err(Error::invalid("key names cannot be paths"));
        }
        let bytes =
            Zeroizing::new(b64::decode(&backup).map_err(|e| Error::invalid(e.to_string()))?);
        let data: KeyData = serde_json::from_slice(&bytes)
            .map_err(|e| Error::invalid(format!("invalid backup: {e}")))?;
        let name = if requested_name.is_empty() {
            data.policy.name.clone()
        } else {
            requested_name
        };
        if !valid_name(&name) {
            return Err(Error::invalid("key names cannot be paths"));
        }
        let _guard = self.writes.lock().await;
        if !force && self.key_locked(&name).await?.is_some() {
            return Err(Error::invalid(format!("key {name:?} already exists")));
        }
        let ring = restore_data(&self.storage, data, &name).await?;
        self.install(ring);
        Ok(None)
    }
}
