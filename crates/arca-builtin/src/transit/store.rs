//! Where keys live in the mount's storage (inside the barrier): `policy/<name>` holds the
//! policy and `archive/<name>/<version>` each key version, so a rotation writes one new
//! version instead of rewriting the whole ring, and trimming deletes single entries. Changes
//! to a key are one transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use arca_sdk::{Error, Result, Storage, StorageExt, StorageView, TxnOp};
use serde::Serialize;
use zeroize::Zeroizing;

use super::keyring::{KeyVersion, Keyring};
use super::keytype::KeyType;
use super::stored::{StoredKeyEntry, StoredPolicy};

pub const POLICY_PREFIX: &str = "policy/";

pub fn policy_key(name: &str) -> String {
    format!("{POLICY_PREFIX}{name}")
}

fn version_prefix(name: &str) -> String {
    format!("archive/{name}/")
}

fn version_key(name: &str, number: i64) -> String {
    format!("archive/{name}/{number}")
}

/// JSON of a value that may hold key material, wiped when dropped.
pub fn secret_json<T: Serialize>(value: &T) -> Result<Zeroizing<Vec<u8>>> {
    serde_json::to_vec(value)
        .map(Zeroizing::new)
        .map_err(|e| Error::internal(format!("encoding key: {e}")))
}

fn decode<T: serde::de::DeserializeOwned>(bytes: Vec<u8>, what: &str) -> Result<T> {
    let bytes = Zeroizing::new(bytes);
    serde_json::from_slice(&bytes).map_err(|e| Error::internal(format!("decoding {what}: {e}")))
}

pub async fn read_policy(storage: &StorageView, name: &str) -> Result<Option<StoredPolicy>> {
    match storage.get(&policy_key(name)).await? {
        None => Ok(None),
        Some(bytes) => decode(bytes, "key policy").map(Some),
    }
}

pub async fn read_entry(storage: &StorageView, name: &str, number: i64) -> Result<StoredKeyEntry> {
    match storage.get(&version_key(name, number)).await? {
        Some(bytes) => decode(bytes, "key version"),
        None => Err(Error::internal(format!(
            "key {name:?} is missing stored version {number}"
        ))),
    }
}

/// Builds the in-memory keyring of a stored policy, reading its live versions.
pub async fn load_ring(storage: &StorageView, policy: StoredPolicy) -> Result<Keyring> {
    let key_type = KeyType::from_stored_id(policy.key_type).map_err(|t| {
        Error::Unsupported(format!(
            "transit keys of type {t} are not available in Arca"
        ))
    })?;
    let mut versions = BTreeMap::new();
    for number in Keyring::first_live_version(&policy)..=policy.latest_version {
        let entry = read_entry(storage, &policy.name, number).await?;
        let version = KeyVersion::from_stored(key_type, policy.derived, &entry)?;
        versions.insert(number, Arc::new(version));
    }
    Ok(Keyring {
        policy,
        key_type,
        versions,
    })
}

pub async fn load(storage: &StorageView, name: &str) -> Result<Option<Keyring>> {
    match read_policy(storage, name).await? {
        None => Ok(None),
        Some(policy) => load_ring(storage, policy).await.map(Some),
    }
}

/// Every stored version from `from` to the latest, for backups.
pub async fn read_entries(
    storage: &StorageView,
    name: &str,
    from: i64,
    latest: i64,
) -> Result<Vec<(i64, StoredKeyEntry)>> {
    let mut out = Vec::new();
    for number in from.max(1)..=latest {
        out.push((number, read_entry(storage, name, number).await?));
    }
    Ok(out)
}

/// Writes the policy, new versions and deletions of old versions in one transaction.
pub async fn save(
    storage: &StorageView,
    policy: &StoredPolicy,
    new_versions: &[(i64, &StoredKeyEntry)],
    removed_versions: impl IntoIterator<Item = i64>,
) -> Result<()> {
    let mut ops = Vec::with_capacity(new_versions.len() + 1);
    for (number, entry) in new_versions {
        ops.push(TxnOp::Put {
            key: version_key(&policy.name, *number),
            value: secret_json(entry)?.to_vec(),
        });
    }
    for number in removed_versions {
        ops.push(TxnOp::Delete {
            key: version_key(&policy.name, number),
        });
    }
    let mut stripped = policy.clone();
    stripped.keys.clear();
    ops.push(TxnOp::Put {
        key: policy_key(&policy.name),
        value: serde_json::to_vec(&stripped).map_err(Error::internal)?,
    });
    storage.transaction(ops).await
}

/// Removes a key and all its versions; the policy goes first so a crash half-way leaves no
/// visible key, only unreachable version entries that a re-creation overwrites.
pub async fn delete(storage: &StorageView, name: &str) -> Result<()> {
    storage.delete(&policy_key(name)).await?;
    storage.delete_prefix(&version_prefix(name)).await
}

/// Removes version entries left behind by an interrupted delete before a key of the same
/// name is created.
pub async fn clear_versions(storage: &StorageView, name: &str) -> Result<()> {
    storage.delete_prefix(&version_prefix(name)).await
}

/// The version numbers that have an entry in storage.
pub async fn stored_versions(storage: &StorageView, name: &str) -> Result<Vec<i64>> {
    Ok(storage
        .list(&version_prefix(name))
        .await?
        .iter()
        .filter_map(|k| k.parse().ok())
        .collect())
}
