//! The token store's data layer: entries stored by salted hash, an accessor index, a parent
//! index for the hierarchy, and an in-memory cache in front of them.
//!
//! Storage layout (inside the barrier, root namespace):
//! - `sys/token/salt`                       the HMAC salt
//! - `sys/token/id/<hash>`                  the entry, keyed by HMAC(salt, token)
//! - `sys/token/accessor/<hmac(accessor)>`  the entry's hash
//! - `sys/token/parent/<parent>/<child>`    hierarchy index
//! - `sys/token/roles/<name>`               token roles
//!
//! Invariant: a token's plaintext is never stored or logged; it exists only in the client's
//! hands and in the response that creates it. Orchestration (revoking a tree together with
//! its leases) lives in `core`, not here.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arca_sdk::{now_unix, Error, Result, Storage, StorageExt, TxnOp};
use base64::Engine;
use dashmap::DashMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::crypto::{random_base62, random_bytes, AeadKey, HmacKey};

pub const SERVICE_PREFIX: &str = "hvs.";
pub const BATCH_PREFIX: &str = "hvb.";
const SALT_PATH: &str = "sys/token/salt";
const BATCH_KEY_PATH: &str = "sys/token/batch-key";
const ID_PREFIX: &str = "sys/token/id/";
const ACCESSOR_PREFIX: &str = "sys/token/accessor/";
const PARENT_PREFIX: &str = "sys/token/parent/";
pub const ROLES_PREFIX: &str = "sys/token/roles/";
/// Token entries kept in memory at most (about 1 KiB each).
const CACHE_LIMIT: usize = 4_096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    #[default]
    Service,
    Batch,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Service => "service",
            TokenType::Batch => "batch",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TokenEntry {
    /// HMAC of the token: the storage key. Empty for batch tokens.
    pub hash: String,
    pub accessor: String,
    /// Hash of the parent token; empty for orphans.
    pub parent: String,
    pub policies: Vec<String>,
    pub identity_policies: Vec<String>,
    pub path: String,
    pub meta: HashMap<String, String>,
    pub display_name: String,
    /// Remaining uses; 0 is unlimited.
    pub num_uses: u64,
    pub creation_time: i64,
    /// TTL at creation, seconds (0: no expiry).
    pub creation_ttl: u64,
    /// TTL granted by the latest creation or renewal, seconds (0: as `creation_ttl`).
    pub ttl: u64,
    /// Unix time of expiry, 0 for never.
    pub expire_time: i64,
    /// Hard limit on `expire_time` (explicit max TTL or mount max), 0 for none.
    pub max_expire_time: i64,
    pub explicit_max_ttl: u64,
    pub period: u64,
    pub renewable: bool,
    pub last_renewal_time: i64,
    pub token_type: TokenType,
    pub bound_cidrs: Vec<String>,
    pub namespace: String,
    pub entity_id: String,
    pub role: String,
    /// The auth mount that issued the token (accessor), for revocation on disable.
    pub mount_accessor: String,
    /// Auth method's private data for renewals.
    pub internal_data: Map<String, Value>,
    /// Its last use has been spent; it is being revoked and no longer valid.
    pub pending_revocation: bool,
}

impl TokenEntry {
    pub fn is_root(&self) -> bool {
        self.policies.iter().any(|p| p == "root")
    }

    pub fn is_expired(&self, now: i64) -> bool {
        self.expire_time != 0 && self.expire_time <= now
    }

    /// Remaining TTL in seconds (0 for tokens that never expire).
    pub fn remaining_ttl(&self, now: i64) -> u64 {
        if self.expire_time == 0 {
            0
        } else {
            (self.expire_time - now).max(0) as u64
        }
    }

    pub fn all_policies(&self) -> Vec<String> {
        let mut all = self.policies.clone();
        for p in &self.identity_policies {
            if !all.contains(p) {
                all.push(p.clone());
            }
        }
        all
    }

    /// The `auth/token/lookup` answer. `id` is the token when the caller presented it.
    pub fn lookup_data(&self, id: &str) -> Map<String, Value> {
        let now = now_unix();
        let mut m = Map::new();
        m.insert("accessor".into(), json!(self.accessor));
        m.insert("creation_time".into(), json!(self.creation_time));
        m.insert("creation_ttl".into(), json!(self.creation_ttl));
        m.insert("display_name".into(), json!(self.display_name));
        m.insert("entity_id".into(), json!(self.entity_id));
        m.insert(
            "expire_time".into(),
            if self.expire_time == 0 {
                Value::Null
            } else {
                json!(crate::time::rfc3339_secs(self.expire_time))
            },
        );
        m.insert("explicit_max_ttl".into(), json!(self.explicit_max_ttl));
        m.insert("id".into(), json!(id));
        if !self.identity_policies.is_empty() {
            m.insert("identity_policies".into(), json!(self.identity_policies));
        }
        m.insert(
            "issue_time".into(),
            json!(crate::time::rfc3339_secs(self.creation_time)),
        );
        if self.last_renewal_time != 0 {
            m.insert(
                "last_renewal".into(),
                json!(crate::time::rfc3339_secs(self.last_renewal_time)),
            );
            m.insert("last_renewal_time".into(), json!(self.last_renewal_time));
        }
        m.insert(
            "meta".into(),
            if self.meta.is_empty() {
                Value::Null
            } else {
                json!(self.meta)
            },
        );
        // Vault shows -1 for a token on its last use (revocation pending).
        let num_uses = if self.pending_revocation {
            -1
        } else {
            self.num_uses as i64
        };
        m.insert("num_uses".into(), json!(num_uses));
        m.insert("orphan".into(), json!(self.parent.is_empty()));
        m.insert("path".into(), json!(self.path));
        if self.period != 0 {
            m.insert("period".into(), json!(self.period));
        }
        m.insert("policies".into(), json!(self.policies));
        m.insert("renewable".into(), json!(self.renewable));
        if !self.role.is_empty() {
            m.insert("role".into(), json!(self.role));
        }
        if !self.bound_cidrs.is_empty() {
            m.insert("bound_cidrs".into(), json!(self.bound_cidrs));
        }
        m.insert("ttl".into(), json!(self.remaining_ttl(now)));
        m.insert("type".into(), json!(self.token_type.as_str()));
        m
    }
}

/// Storage and cache of token entries.
pub struct TokenStore {
    storage: Arc<dyn Storage>,
    salt: HmacKey,
    batch_key: AeadKey,
    cache: DashMap<String, Arc<TokenEntry>>,
    /// Bumped by every delete: a lookup that read an entry from storage caches it only if no
    /// delete happened meanwhile, so a revoked token never comes back through the cache.
    deletions: std::sync::atomic::AtomicU64,
    /// Serialises updates and deletes: an update never writes back a token that a
    /// concurrent revocation has just deleted.
    writes: tokio::sync::Mutex<()>,
}

fn b64url() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

impl TokenStore {
    /// Loads (or creates on first use) the salt and the batch-token key.
    pub async fn open(storage: Arc<dyn Storage>) -> Result<TokenStore> {
        let salt = load_or_create_secret(&*storage, SALT_PATH).await?;
        let batch = load_or_create_secret(&*storage, BATCH_KEY_PATH).await?;
        Ok(TokenStore {
            salt: HmacKey::new(&salt),
            batch_key: AeadKey::new(&batch).map_err(Error::internal)?,
            storage,
            cache: DashMap::new(),
            deletions: 0.into(),
            writes: tokio::sync::Mutex::new(()),
        })
    }

    pub fn hash(&self, token: &str) -> String {
        self.salt.sign_hex(token.as_bytes())
    }

    fn accessor_key(&self, accessor: &str) -> String {
        format!(
            "{ACCESSOR_PREFIX}{}",
            self.salt
                .sign_hex(format!("accessor:{accessor}").as_bytes())
        )
    }

    /// Creates a random service token string and its accessor.
    pub fn new_service_token() -> Result<(String, String)> {
        let token = format!(
            "{SERVICE_PREFIX}{}",
            random_base62(24).map_err(Error::internal)?
        );
        let accessor = random_base62(24).map_err(Error::internal)?;
        Ok((token, accessor))
    }

    /// Stores a new service entry (with its indexes) for `token`.
    pub async fn store_new(&self, token: &str, entry: TokenEntry) -> Result<Arc<TokenEntry>> {
        self.store_new_with(token, entry, Vec::new()).await
    }

    /// Stores a new entry together with `extra` operations (its lease) in one transaction:
    /// a token never exists without its lease, and creating one costs one commit.
    pub async fn store_new_with(
        &self,
        token: &str,
        mut entry: TokenEntry,
        extra: Vec<TxnOp>,
    ) -> Result<Arc<TokenEntry>> {
        entry.hash = self.hash(token);
        let entry = Arc::new(entry);
        let mut ops = vec![
            TxnOp::Put {
                key: format!("{ID_PREFIX}{}", entry.hash),
                value: serde_json::to_vec(&*entry).map_err(Error::internal)?,
            },
            TxnOp::Put {
                key: self.accessor_key(&entry.accessor),
                value: entry.hash.clone().into_bytes(),
            },
        ];
        if !entry.parent.is_empty() {
            ops.push(TxnOp::Put {
                key: format!("{PARENT_PREFIX}{}/{}", entry.parent, entry.hash),
                value: Vec::new(),
            });
        }
        ops.extend(extra);
        self.storage.transaction(ops).await?;
        self.cache_insert(entry.clone());
        Ok(entry)
    }

    /// Caches an entry, keeping the cache bounded: past `CACHE_LIMIT` entries a slice of
    /// them is dropped (they are read back from storage when used again), so memory does not
    /// grow with the number of live tokens.
    fn cache_insert(&self, entry: Arc<TokenEntry>) {
        if self.cache.len() >= CACHE_LIMIT {
            let mut seen = 0usize;
            self.cache.retain(|_, _| {
                seen += 1;
                seen > CACHE_LIMIT / 8
            });
        }
        self.cache.insert(entry.hash.clone(), entry);
    }

    /// Serialises a batch token: the entry itself, encrypted, is the token.
    pub fn encode_batch(&self, entry: &TokenEntry) -> Result<String> {
        let plain = serde_json::to_vec(entry).map_err(Error::internal)?;
        let sealed = self
            .batch_key
            .seal(b"batch-token", &plain)
            .map_err(Error::internal)?;
        Ok(format!("{BATCH_PREFIX}{}", b64url().encode(sealed)))
    }

    fn decode_batch(&self, token: &str) -> Option<TokenEntry> {
        let raw = b64url().decode(token.strip_prefix(BATCH_PREFIX)?).ok()?;
        let plain = self.batch_key.open(b"batch-token", &raw).ok()?;
        serde_json::from_slice(&plain).ok()
    }

    /// Finds a token's entry; `None` when unknown or expired.
    pub async fn lookup(&self, token: &str) -> Result<Option<Arc<TokenEntry>>> {
        if token.starts_with(BATCH_PREFIX) {
            let Some(entry) = self.decode_batch(token) else {
                return Ok(None);
            };
            if entry.is_expired(now_unix()) {
                return Ok(None);
            }
            // A batch token lives no longer than its parent.
            if !entry.parent.is_empty() && self.lookup_hash(&entry.parent).await?.is_none() {
                return Ok(None);
            }
            return Ok(Some(Arc::new(entry)));
        }
        let hash = self.hash(token);
        self.lookup_hash(&hash).await
    }

    pub async fn lookup_hash(&self, hash: &str) -> Result<Option<Arc<TokenEntry>>> {
        use std::sync::atomic::Ordering::SeqCst;
        let entry = match self.cache.get(hash).map(|e| e.clone()) {
            Some(e) => e,
            None => {
                let deletions = self.deletions.load(SeqCst);
                match self
                    .storage
                    .get_json::<TokenEntry>(&format!("{ID_PREFIX}{hash}"))
                    .await?
                {
                    Some(e) => {
                        let e = Arc::new(e);
                        if self.deletions.load(SeqCst) == deletions {
                            self.cache_insert(e.clone());
                        }
                        e
                    }
                    None => return Ok(None),
                }
            }
        };
        if entry.is_expired(now_unix()) || entry.pending_revocation {
            return Ok(None);
        }
        Ok(Some(entry))
    }

    /// Resolves an accessor to the entry's hash.
    pub async fn hash_for_accessor(&self, accessor: &str) -> Result<Option<String>> {
        Ok(self
            .storage
            .get(&self.accessor_key(accessor))
            .await?
            .and_then(|b| String::from_utf8(b).ok()))
    }

    /// Replaces a stored entry (renewal, use count, orphaning). A token deleted meanwhile
    /// stays deleted: the update is refused as for an unknown token.
    pub async fn update(&self, entry: TokenEntry) -> Result<Arc<TokenEntry>> {
        let _writing = self.writes.lock().await;
        let key = format!("{ID_PREFIX}{}", entry.hash);
        if self.storage.get(&key).await?.is_none() {
            return Err(Error::PermissionDenied);
        }
        let entry = Arc::new(entry);
        self.storage.put_json(&key, &*entry).await?;
        self.cache_insert(entry.clone());
        Ok(entry)
    }

    /// Hashes of the direct children of a token.
    pub async fn children(&self, hash: &str) -> Result<Vec<String>> {
        self.storage.list(&format!("{PARENT_PREFIX}{hash}/")).await
    }

    /// Removes one entry and its indexes (not its children or leases).
    pub async fn delete(&self, entry: &TokenEntry) -> Result<()> {
        let _writing = self.writes.lock().await;
        let mut ops = vec![
            TxnOp::Delete {
                key: format!("{ID_PREFIX}{}", entry.hash),
            },
            TxnOp::Delete {
                key: self.accessor_key(&entry.accessor),
            },
        ];
        if !entry.parent.is_empty() {
            ops.push(TxnOp::Delete {
                key: format!("{PARENT_PREFIX}{}/{}", entry.parent, entry.hash),
            });
        }
        self.storage.transaction(ops).await?;
        // After the storage delete: a lookup that read the entry before it will not cache it.
        self.deletions
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.cache.remove(&entry.hash);
        Ok(())
    }

    /// Detaches the children of `hash`: they become orphans.
    pub async fn orphan_children(&self, hash: &str) -> Result<()> {
        for child in self.children(hash).await? {
            if let Some(entry) = self.lookup_hash(&child).await? {
                let mut e = (*entry).clone();
                e.parent.clear();
                match self.update(e).await {
                    // Revoked meanwhile: nothing left to orphan.
                    Ok(_) | Err(Error::PermissionDenied) => {}
                    Err(e) => return Err(e),
                }
            }
            self.storage
                .delete(&format!("{PARENT_PREFIX}{hash}/{child}"))
                .await?;
        }
        Ok(())
    }

    /// Every accessor (for `auth/token/accessors`), paginated by entry hash.
    pub async fn accessors(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for hash in self.storage.list(ID_PREFIX).await? {
            if let Some(e) = self
                .storage
                .get_json::<TokenEntry>(&format!("{ID_PREFIX}{hash}"))
                .await?
            {
                out.push(e.accessor);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Drops dangling index entries (tidy): accessors and parent links of missing tokens.
    pub async fn tidy(&self) -> Result<(usize, usize)> {
        let mut accessors_removed = 0;
        for key in self.storage.list(ACCESSOR_PREFIX).await? {
            let full = format!("{ACCESSOR_PREFIX}{key}");
            let Some(hash) = self
                .storage
                .get(&full)
                .await?
                .and_then(|b| String::from_utf8(b).ok())
            else {
                continue;
            };
            if self
                .storage
                .get(&format!("{ID_PREFIX}{hash}"))
                .await?
                .is_none()
            {
                self.storage.delete(&full).await?;
                accessors_removed += 1;
            }
        }
        let mut parents_removed = 0;
        for parent in self.storage.list(PARENT_PREFIX).await? {
            let parent = parent.trim_end_matches('/').to_string();
            let parent_exists = self
                .storage
                .get(&format!("{ID_PREFIX}{parent}"))
                .await?
                .is_some();
            for child in self.children(&parent).await? {
                let child_exists = self
                    .storage
                    .get(&format!("{ID_PREFIX}{child}"))
                    .await?
                    .is_some();
                if !parent_exists || !child_exists {
                    self.storage
                        .delete(&format!("{PARENT_PREFIX}{parent}/{child}"))
                        .await?;
                    parents_removed += 1;
                }
            }
        }
        Ok((accessors_removed, parents_removed))
    }

    /// Forgets the cached entry (after an out-of-band change).
    pub fn invalidate(&self, hash: &str) {
        self.cache.remove(hash);
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }
}

async fn load_or_create_secret(
    storage: &dyn Storage,
    path: &str,
) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    if let Some(v) = storage.get(path).await? {
        return Ok(zeroize::Zeroizing::new(v));
    }
    let fresh = random_bytes(32).map_err(Error::internal)?;
    storage.put(path, fresh.to_vec()).await?;
    Ok(fresh)
}

/// TTL arithmetic for a new token, as Vault computes it.
pub struct TtlPlan {
    pub ttl: Duration,
    pub max_expire: i64,
    /// Vault's "capped accordingly" warnings, for the response.
    pub warnings: Vec<String>,
}

/// Vault's warning when a TTL is cut to what the max allows.
pub fn ttl_capped_warning(ttl: Duration, max: Duration) -> String {
    format!(
        "TTL of {:?} exceeded the effective max_ttl of {:?}; TTL value is capped accordingly",
        human_duration(ttl),
        human_duration(max)
    )
}

/// Vault's `humanDuration`: Go's duration text without zero minutes and seconds ("5h", "1h30s").
pub fn human_duration(d: Duration) -> String {
    let mut s = arca_sdk::duration::format_go_duration(d);
    if s.ends_with("m0s") {
        s.truncate(s.len() - 2);
    }
    if let Some(i) = s.find("h0m") {
        s.replace_range(i + 1..i + 3, "");
    }
    s
}

/// Computes the effective TTL of a new token from what was asked and the mount limits, as
/// Vault's `CalculateTTL`: the mount max (or a smaller explicit max) caps the TTL and the
/// period. `ttl`/`period`/`explicit_max` zero mean unset.
pub fn plan_ttl(
    now: i64,
    requested_ttl: Duration,
    period: Duration,
    explicit_max: Duration,
    mount_default: Duration,
    mount_max: Duration,
    is_root_without_ttl: bool,
) -> TtlPlan {
    let mut warnings = Vec::new();
    if is_root_without_ttl {
        return TtlPlan {
            ttl: Duration::ZERO,
            max_expire: 0,
            warnings,
        };
    }
    let mut max_ttl = mount_max;
    if !explicit_max.is_zero() && (max_ttl.is_zero() || explicit_max < max_ttl) {
        max_ttl = explicit_max;
    }
    let (mut ttl, max_expire) = if !period.is_zero() {
        let mut period = period;
        if !max_ttl.is_zero() && period > max_ttl {
            warnings.push(format!(
                "period of {:?} exceeded the effective max_ttl of {:?}; period value is capped accordingly",
                human_duration(period),
                human_duration(max_ttl)
            ));
            period = max_ttl;
        }
        let max_expire = if explicit_max.is_zero() {
            0
        } else {
            now + explicit_max.as_secs() as i64
        };
        (period, max_expire)
    } else {
        let ttl = if requested_ttl.is_zero() {
            mount_default
        } else {
            requested_ttl
        };
        let max_expire = if max_ttl.is_zero() {
            0
        } else {
            now + max_ttl.as_secs() as i64
        };
        (ttl, max_expire)
    };
    if max_expire != 0 && now + ttl.as_secs() as i64 > max_expire {
        let capped = Duration::from_secs((max_expire - now).max(0) as u64);
        warnings.push(ttl_capped_warning(ttl, capped));
        ttl = capped;
    }
    TtlPlan {
        ttl,
        max_expire,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_plans() {
        let d = Duration::from_secs;
        let now = 1000;
        let cases = [
            // (ttl, period, explicit_max, default, max, root) -> (ttl, max_expire)
            ((0, 0, 0, 3600, 7200, false), (3600, now + 7200)),
            ((60, 0, 0, 3600, 7200, false), (60, now + 7200)),
            ((9000, 0, 0, 3600, 7200, false), (7200, now + 7200)),
            ((0, 0, 100, 3600, 7200, false), (100, now + 100)),
            ((0, 300, 0, 3600, 7200, false), (300, 0)),
            ((0, 300, 200, 3600, 7200, false), (200, now + 200)),
            ((0, 0, 0, 3600, 7200, true), (0, 0)),
        ];
        for ((t, p, e, df, mx, root), (want_ttl, want_max)) in cases {
            let plan = plan_ttl(now, d(t), d(p), d(e), d(df), d(mx), root);
            assert_eq!(
                (plan.ttl.as_secs(), plan.max_expire),
                (want_ttl, want_max),
                "{t} {p} {e}"
            );
        }
    }

    #[test]
    fn capped_ttls_warn_as_vault() {
        let d = Duration::from_secs;
        let plan = plan_ttl(0, d(5 * 3600), d(0), d(0), d(3600), d(7200), false);
        assert_eq!(plan.ttl, d(7200));
        assert_eq!(
            plan.warnings,
            vec![
                r#"TTL of "5h" exceeded the effective max_ttl of "2h"; TTL value is capped accordingly"#
            ]
        );
        let plan = plan_ttl(0, d(0), d(5 * 3600), d(0), d(3600), d(7200), false);
        assert_eq!((plan.ttl, plan.max_expire), (d(7200), 0));
        assert!(plan.warnings[0].starts_with(r#"period of "5h" exceeded"#));
        assert_eq!(human_duration(d(3630)), "1h30s");
        assert_eq!(human_duration(d(90)), "1m30s");
        assert!(plan_ttl(0, d(60), d(0), d(0), d(3600), d(7200), false)
            .warnings
            .is_empty());
    }

    /// A use-count or renewal update racing a revocation must not bring the token back.
    #[tokio::test]
    async fn an_update_never_resurrects_a_deleted_token() {
        let storage: Arc<dyn Storage> = Arc::new(arca_sdk::MemoryStorage::default());
        let store = TokenStore::open(storage).await.unwrap();
        let (token, accessor) = TokenStore::new_service_token().unwrap();
        let entry = TokenEntry {
            accessor,
            num_uses: 3,
            ..Default::default()
        };
        let stored = store.store_new(&token, entry).await.unwrap();
        let mut used = (*stored).clone();
        used.num_uses = 2;
        store.delete(&stored).await.unwrap();
        assert!(matches!(
            store.update(used).await,
            Err(Error::PermissionDenied)
        ));
        assert!(store.lookup(&token).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn cache_stays_bounded_and_evicted_entries_are_read_back() {
        let storage: Arc<dyn Storage> = Arc::new(arca_sdk::MemoryStorage::default());
        let store = TokenStore::open(storage).await.unwrap();
        let mut tokens = Vec::new();
        for i in 0..CACHE_LIMIT + 100 {
            let (token, accessor) = TokenStore::new_service_token().unwrap();
            let entry = TokenEntry {
                accessor,
                display_name: format!("t{i}"),
                ..Default::default()
            };
            store.store_new(&token, entry).await.unwrap();
            tokens.push(token);
        }
        assert!(store.cache.len() <= CACHE_LIMIT, "{}", store.cache.len());
        let mut misses = 0;
        for (i, token) in tokens.iter().enumerate() {
            if !store.cache.contains_key(&store.hash(token)) {
                misses += 1;
            }
            let found = store
                .lookup(token)
                .await
                .unwrap()
                .expect("token still exists");
            assert_eq!(found.display_name, format!("t{i}"));
        }
        assert!(misses > 0, "some entries must have been evicted");
    }
}
