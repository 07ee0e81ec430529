//! KV version 2: versioned secrets with metadata, soft deletion, check-and-set and
//! paginated listing, as OpenBao's `kv-v2` answers them.
//!
//! Storage layout inside the mount's view (every entry its own storage key):
//!
//! | key | holds |
//! |---|---|
//! | `v2/config` | the mount's [`Config`] |
//! | `v2/meta/<path>` | the key's [`KeyMeta`], including the data of its current version |
//! | `v2/ver/<n>/<path>` | the data of version `n` of `<path>`, once it is no longer current |
//! | `v2/upgrade` | the v1 → v2 migration marker (see `kv::upgrade`) |
//!
//! Why the current version's data sits in the metadata entry: a read of the latest version,
//! the hot path, is then one storage get and one JSON parse. A write rewrites the metadata
//! entry anyway (new version number), so keeping the current data there costs nothing
//! extra; the version it replaces moves to its own `v2/ver/` entry in the same transaction.
//! A path with many versions therefore never rewrites its older versions.
//!
//! Version keys put the version number first: `v2/ver/<n>/<path>` splits unambiguously
//! into a number and a path, so `a` and `a/1` can never share an entry. Listing walks
//! `v2/meta/` only, with the storage's own pagination.
//!
//! Invariant: every change to one key is a single storage transaction under that key's
//! lock, so a crash leaves either the old or the new state, never a mix.

mod config;
mod data;
mod delete;
mod metadata;
mod subkeys;
pub mod versioning;

use std::hash::{Hash, Hasher};
use std::sync::RwLock;

use arca_sdk::{Error, Operation, Request, Response, Result, Storage, StorageExt, StorageView};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

pub use versioning::{Config, KeyMeta};

pub const PREFIX: &str = "v2/";
pub const META_PREFIX: &str = "v2/meta/";
pub const VERSION_PREFIX: &str = "v2/ver/";
pub const CONFIG_KEY: &str = "v2/config";

const LOCK_STRIPES: usize = 256;

/// The v2 engine of one mount.
pub struct V2 {
    storage: StorageView,
    /// The mount config, read once and replaced on every config write.
    config: RwLock<Config>,
    /// Writes to one key are serialised by its stripe; reads take no lock (one entry is
    /// one consistent snapshot).
    locks: Vec<Mutex<()>>,
}

pub fn meta_key(path: &str) -> String {
    let mut k = String::with_capacity(META_PREFIX.len() + path.len());
    k.push_str(META_PREFIX);
    k.push_str(path);
    k
}

pub fn version_key(path: &str, version: u64) -> String {
    format!("{VERSION_PREFIX}{version}/{path}")
}

/// The storage key of a metadata entry back to the secret's path.
pub fn path_of_meta_key(key: &str) -> Option<&str> {
    key.strip_prefix(META_PREFIX)
}

impl V2 {
    pub async fn load(storage: StorageView) -> Result<V2> {
        let config = storage
            .get_json::<Config>(CONFIG_KEY)
            .await?
            .unwrap_or_default();
        Ok(V2 {
            storage,
            config: RwLock::new(config),
            locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
        })
    }

    fn config(&self) -> Config {
        *self.config.read().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self, path: &str) -> &Mutex<()> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        path.hash(&mut h);
        &self.locks[(h.finish() as usize) % LOCK_STRIPES]
    }

    async fn get_meta(&self, path: &str) -> Result<Option<KeyMeta>> {
        match self.storage.get(&meta_key(path)).await? {
            None => Ok(None),
            Some(raw) => serde_json::from_slice(&raw)
                .map(Some)
                .map_err(|e| crate::kv::decode_error("failed to decode key metadata", &e)),
        }
    }

    fn encode_meta(meta: &KeyMeta) -> Result<Vec<u8>> {
        serde_json::to_vec(meta).map_err(|e| Error::internal(format!("encoding metadata: {e}")))
    }

    /// Answers a request routed to a v2 mount.
    pub async fn handle(&self, req: &Request) -> Result<Option<Response>> {
        let (route, path) = match req.path.split_once('/') {
            Some((r, p)) => (r, Some(p)),
            None => (req.path.as_str(), None),
        };
        use Operation::*;
        let op = req.operation;
        match (route, path) {
            ("config", None) => match op {
                Read => self.config_read(req).await,
                Create | Update => self.config_write(req).await,
                _ => Err(Error::UnsupportedOperation),
            },
            ("data", Some(p)) => match op {
                Read => self.data_read(req, p).await,
                Create | Update => self.data_write(req, p).await,
                Patch => self.data_patch(req, p).await,
                Delete => self.data_delete(req, p).await,
                _ => Err(Error::UnsupportedOperation),
            },
            ("metadata", Some(p)) => match op {
                Read => self.metadata_read(req, p).await,
                Create | Update => self.metadata_write(req, p).await,
                Patch => self.metadata_patch(req, p).await,
                Delete => self.metadata_delete(req, p).await,
                List => self.metadata_list(req, p, false).await,
                _ => Err(Error::UnsupportedOperation),
            },
            ("detailed-metadata", Some(p)) => match op {
                List => self.metadata_list(req, p, true).await,
                _ => Err(Error::UnsupportedOperation),
            },
            ("delete", Some(p)) => match op {
                Create | Update => self.versions_delete(req, p).await,
                _ => Err(Error::UnsupportedOperation),
            },
            ("undelete", Some(p)) => match op {
                Create | Update => self.versions_undelete(req, p).await,
                _ => Err(Error::UnsupportedOperation),
            },
            ("destroy", Some(p)) => match op {
                Create | Update => self.versions_destroy(req, p).await,
                _ => Err(Error::UnsupportedOperation),
            },
            ("subkeys", Some(p)) => match op {
                Read => self.subkeys_read(req, p).await,
                _ => Err(Error::UnsupportedOperation),
            },
            _ => Ok(Some(invalid_path(req))),
        }
    }

    /// `create` vs `update` for ACLs: whether the key's metadata exists.
    pub async fn existence(&self, req: &Request) -> Result<Option<bool>> {
        let Some((route, path)) = req.path.split_once('/') else {
            return Ok(None);
        };
        match route {
            "data" | "metadata" | "detailed-metadata" => {
                Ok(Some(self.storage.get(&meta_key(path)).await?.is_some()))
            }
            _ => Ok(None),
        }
    }
}

/// OpenBao's answer for paths a v2 mount does not have: 404 with a hint in the warnings.
fn invalid_path(req: &Request) -> Response {
    let warning = match req.path.as_str() {
        "metadata" | "data" | "delete" | "undelete" | "destroy" => {
            "Non-listing operations on the root of a K/V v2 mount are not supported.".to_string()
        }
        _ => {
            let sub = match req.operation {
                Operation::Create | Operation::Update => "put",
                Operation::Patch => "patch",
                Operation::Read => "get",
                Operation::List => "list",
                Operation::Delete => "delete",
                _ => "",
            };
            format!("Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the OpenBao CLI, use 'bao kv {sub}' for this operation.")
        }
    };
    Response {
        warnings: vec![warning],
        status: Some(404),
        ..Default::default()
    }
}

/// A response with an explicit status and no body (OpenBao's `RespondWithStatusCode(nil)`).
fn status_only(status: u16) -> Response {
    Response {
        status: Some(status),
        ..Default::default()
    }
}

/// Adds OpenBao's warnings for undeclared and path-overridden fields to a response.
fn with_field_warnings(
    mut resp: Option<Response>,
    req: &Request,
    known: &[&str],
) -> Option<Response> {
    if req.data.is_empty() {
        return resp;
    }
    if let Some(r) = resp.as_mut() {
        if let Some(w) = crate::kv::fields::replaced_path_warning(&req.data) {
            r.warnings.push(w);
        }
        if let Some(w) = crate::kv::fields::unknown_fields_warning(&req.data, known) {
            r.warnings.push(w);
        }
    }
    resp
}

/// `{"data": ..., "metadata": ...}` or `{"subkeys": ..., "metadata": ...}`.
fn body2(k1: &str, v1: Value, k2: &str, v2: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(k1.into(), v1);
    m.insert(k2.into(), v2);
    m
}
