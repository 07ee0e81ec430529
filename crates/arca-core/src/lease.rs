//! The lease store's data layer, indexed so that nothing ever needs all leases in memory.
//!
//! Layout (inside the barrier):
//! - `sys/expire/id/<lease id>`: the lease (lease ids contain `/`, giving folders that
//!   `sys/leases/lookup/<prefix>/` lists)
//! - `sys/expire/due/<unix time, 12 digits>/<enc id>`: expiry index; the expiration manager
//!   reads only the earliest folder(s)
//! - `sys/expire/token/<token hash>/<enc id>`: leases obtained by a token, revoked with it
//! - `sys/expire/irrevocable/<enc id>`: leases whose revocation kept failing
//!
//! A lease and its index entries are written in one transaction, so a crash never leaves a
//! lease without its expiry entry (which would keep it valid forever) or the reverse.

use std::sync::Arc;

use arca_sdk::{Error, Result, Storage, StorageExt, TxnOp};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

const ID_PREFIX: &str = "sys/expire/id/";
const DUE_PREFIX: &str = "sys/expire/due/";
const TOKEN_PREFIX: &str = "sys/expire/token/";
const IRREVOCABLE_PREFIX: &str = "sys/expire/irrevocable/";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LeaseKind {
    #[default]
    Secret,
    /// The lease of a token itself: expiry revokes the token.
    Token,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LeaseEntry {
    pub lease_id: String,
    pub kind: LeaseKind,
    /// For secrets: the token that obtained it. For token leases: the token itself.
    pub token_hash: String,
    /// The request path that created the secret ("database/creds/ro").
    pub path: String,
    pub mount_accessor: String,
    pub internal_data: Map<String, Value>,
    /// The secret's response data, kept for renewals that return data (as Vault does).
    pub data: Map<String, Value>,
    pub issue_time: i64,
    pub expire_time: i64,
    pub last_renewal_time: i64,
    /// Renewals never extend past this (0: none).
    pub max_expire_time: i64,
    pub renewable: bool,
    pub namespace: String,
    /// When the expiration manager should next act on it (expiry, or the next retry).
    pub due_time: i64,
    pub revoke_attempts: u32,
    pub irrevocable: bool,
    pub irrevocable_reason: String,
}

fn enc(lease_id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(lease_id.as_bytes())
}

fn dec(encoded: &str) -> Option<String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

fn due_key(due: i64, lease_id: &str) -> String {
    format!("{DUE_PREFIX}{:012}/{}", due.max(0), enc(lease_id))
}

impl LeaseEntry {
    pub fn ttl(&self, now: i64) -> i64 {
        (self.expire_time - now).max(0)
    }

    /// `sys/leases/lookup` answer.
    pub fn lookup_data(&self, now: i64) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(
            "expire_time".into(),
            if self.expire_time == 0 {
                Value::Null
            } else {
                json!(crate::time::rfc3339_secs(self.expire_time))
            },
        );
        m.insert("id".into(), json!(self.lease_id));
        m.insert(
            "issue_time".into(),
            json!(crate::time::rfc3339_secs(self.issue_time)),
        );
        m.insert(
            "last_renewal".into(),
            if self.last_renewal_time == 0 {
                Value::Null
            } else {
                json!(crate::time::rfc3339_secs(self.last_renewal_time))
            },
        );
        m.insert("renewable".into(), json!(self.renewable));
        m.insert("ttl".into(), json!(self.ttl(now)));
        if self.irrevocable {
            m.insert("irrevocable".into(), json!(true));
            m.insert("irrevocable_reason".into(), json!(self.irrevocable_reason));
        }
        m
    }
}

pub struct LeaseStore {
    storage: Arc<dyn Storage>,
}

impl LeaseStore {
    pub fn new(storage: Arc<dyn Storage>) -> Self {
        LeaseStore { storage }
    }

    fn index_ops(entry: &LeaseEntry) -> Vec<TxnOp> {
        let mut ops = Vec::with_capacity(3);
        // A lease that never expires (a token without a TTL) is never due: no due entry.
        if !entry.irrevocable {
            if entry.due_time != 0 {
                ops.push(TxnOp::Put {
                    key: due_key(entry.due_time, &entry.lease_id),
                    value: Vec::new(),
                });
            }
        } else {
            ops.push(TxnOp::Put {
                key: format!("{IRREVOCABLE_PREFIX}{}", enc(&entry.lease_id)),
                value: Vec::new(),
            });
        }
        if entry.kind == LeaseKind::Secret && !entry.token_hash.is_empty() {
            ops.push(TxnOp::Put {
                key: format!(
                    "{TOKEN_PREFIX}{}/{}",
                    entry.token_hash,
                    enc(&entry.lease_id)
                ),
                value: Vec::new(),
            });
        }
        ops
    }

    fn unindex_ops(entry: &LeaseEntry) -> Vec<TxnOp> {
        let mut ops = vec![
            TxnOp::Delete {
                key: due_key(entry.due_time, &entry.lease_id),
            },
            TxnOp::Delete {
                key: format!("{IRREVOCABLE_PREFIX}{}", enc(&entry.lease_id)),
            },
        ];
        if entry.kind == LeaseKind::Secret && !entry.token_hash.is_empty() {
            ops.push(TxnOp::Delete {
                key: format!(
                    "{TOKEN_PREFIX}{}/{}",
                    entry.token_hash,
                    enc(&entry.lease_id)
                ),
            });
        }
        ops
    }

    /// Stores a new lease with its indexes, atomically.
    pub async fn create(&self, entry: &LeaseEntry) -> Result<()> {
        self.storage.transaction(Self::create_ops(entry)?).await
    }

    /// The operations that store a new lease with its indexes, for callers that commit them
    /// together with their own (a token and its lease).
    pub fn create_ops(entry: &LeaseEntry) -> Result<Vec<TxnOp>> {
        let mut ops = vec![TxnOp::Put {
            key: format!("{ID_PREFIX}{}", entry.lease_id),
            value: serde_json::to_vec(entry).map_err(Error::internal)?,
        }];
        ops.extend(Self::index_ops(entry));
        Ok(ops)
    }

    /// Replaces a lease, moving its index entries from `old` to `new`, atomically.
    pub async fn replace(&self, old: &LeaseEntry, new: &LeaseEntry) -> Result<()> {
        let mut ops = Self::unindex_ops(old);
        ops.push(TxnOp::Put {
            key: format!("{ID_PREFIX}{}", new.lease_id),
            value: serde_json::to_vec(new).map_err(Error::internal)?,
        });
        ops.extend(Self::index_ops(new));
        self.storage.transaction(ops).await
    }

    /// Removes a lease and its indexes, atomically.
    pub async fn delete(&self, entry: &LeaseEntry) -> Result<()> {
        let mut ops = Self::unindex_ops(entry);
        ops.push(TxnOp::Delete {
            key: format!("{ID_PREFIX}{}", entry.lease_id),
        });
        self.storage.transaction(ops).await
    }

    pub async fn get(&self, lease_id: &str) -> Result<Option<LeaseEntry>> {
        if lease_id.is_empty() || arca_sdk::storage::validate_key(lease_id).is_err() {
            return Ok(None);
        }
        self.storage
            .get_json(&format!("{ID_PREFIX}{lease_id}"))
            .await
    }

    /// Lease ids that are due at or before `now`, earliest first, at most `limit`.
    pub async fn due(&self, now: i64, limit: usize) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut after = String::new();
        loop {
            let folders = self.storage.list_page(DUE_PREFIX, &after, 16).await?;
            if folders.is_empty() {
                return Ok(out);
            }
            for folder in &folders {
                let ts: i64 = folder.trim_end_matches('/').parse().unwrap_or(i64::MAX);
                if ts > now {
                    return Ok(out);
                }
                for item in self
                    .storage
                    .list_page(&format!("{DUE_PREFIX}{folder}"), "", limit - out.len())
                    .await?
                {
                    if let Some(id) = dec(&item) {
                        out.push(id);
                    }
                }
                if out.len() >= limit {
                    return Ok(out);
                }
            }
            after = folders.last().cloned().unwrap_or_default();
        }
    }

    /// The earliest due time, if any lease exists.
    pub async fn next_due(&self) -> Result<Option<i64>> {
        let first = self.storage.list_page(DUE_PREFIX, "", 1).await?;
        Ok(first
            .first()
            .and_then(|f| f.trim_end_matches('/').parse().ok()))
    }

    pub async fn by_token(&self, token_hash: &str) -> Result<Vec<String>> {
        Ok(self
            .storage
            .list(&format!("{TOKEN_PREFIX}{token_hash}/"))
            .await?
            .iter()
            .filter_map(|e| dec(e))
            .collect())
    }

    /// Lease ids under a prefix ("database/creds/"), at any depth.
    pub async fn ids_with_prefix(&self, prefix: &str) -> Result<Vec<String>> {
        let folder = match prefix.rfind('/') {
            Some(i) => &prefix[..=i],
            None => "",
        };
        let mut out = Vec::new();
        for key in self
            .storage
            .list_recursive(&format!("{ID_PREFIX}{folder}"))
            .await?
        {
            let id = &key[ID_PREFIX.len()..];
            if id.starts_with(prefix) {
                out.push(id.to_string());
            }
        }
        Ok(out)
    }

    /// One level of lease ids below a prefix (`sys/leases/lookup/<prefix>/`).
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.storage.list(&format!("{ID_PREFIX}{prefix}")).await
    }

    pub async fn irrevocable(&self) -> Result<Vec<String>> {
        Ok(self
            .storage
            .list(IRREVOCABLE_PREFIX)
            .await?
            .iter()
            .filter_map(|e| dec(e))
            .collect())
    }

    /// Removes index entries whose lease no longer exists; returns how many.
    pub async fn tidy(&self) -> Result<usize> {
        let mut removed = 0;
        for key in self.storage.list_recursive(DUE_PREFIX).await? {
            let Some(id) = key.rsplit('/').next().and_then(dec) else {
                continue;
            };
            if self.get(&id).await?.is_none() {
                self.storage.delete(&key).await?;
                removed += 1;
            }
        }
        for key in self.storage.list_recursive(TOKEN_PREFIX).await? {
            let Some(id) = key.rsplit('/').next().and_then(dec) else {
                continue;
            };
            if self.get(&id).await?.is_none() {
                self.storage.delete(&key).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Counts leases by walking the store (`sys/leases/count`); an admin call, not a hot path.
    pub async fn count(&self) -> Result<usize> {
        Ok(self.storage.list_recursive(ID_PREFIX).await?.len())
    }
}
