//! KV version 1: one JSON object per path, no versions. A read reports `lease_duration`
//! as Vault does (the `ttl` or `lease` key of the data, else the mount's default lease
//! TTL) without registering a lease.
//!
//! Storage: `v1/<path>` holds the written object as JSON. The `v1/` prefix keeps the
//! engine's own entries (`v2/...` after an upgrade) out of the user's key space.

use std::sync::Arc;
use std::time::Duration;

use arca_sdk::{
    Error, Operation, Request, Response, Result, SecretLease, Storage, StorageView, SystemView,
};
use serde_json::{Map, Value};

use crate::kv::fields::{self, replaced_path_warning, unknown_fields_warning};

pub const PREFIX: &str = "v1/";

const FIELDS: &[&str] = &["path"];
const LIST_FIELDS: &[&str] = &["path", "after", "limit"];

pub struct V1 {
    storage: StorageView,
    system: Arc<dyn SystemView>,
}

pub fn storage_key(path: &str) -> String {
    let mut k = String::with_capacity(PREFIX.len() + path.len());
    k.push_str(PREFIX);
    k.push_str(path);
    k
}

/// The advisory TTL of a v1 secret: its `ttl` (or `lease`) key when that parses as a
/// duration, else `default`.
pub fn advisory_ttl(data: &Map<String, Value>, default: Duration) -> Duration {
    let raw = data.get("ttl").or_else(|| data.get("lease"));
    match raw.map(|v| fields::duration_secs(v, true)) {
        Some(Ok(secs)) => Duration::from_secs(secs.max(0) as u64),
        _ => default,
    }
}

impl V1 {
    pub fn new(storage: StorageView, system: Arc<dyn SystemView>) -> V1 {
        V1 { storage, system }
    }

    pub async fn handle(&self, req: &Request) -> Result<Option<Response>> {
        let resp = match req.operation {
            Operation::Read => self.read(req).await?,
            Operation::Create | Operation::Update => self.write(req).await?,
            Operation::Delete => {
                if !req.path.is_empty() {
                    self.storage.delete(&storage_key(&req.path)).await?;
                }
                None
            }
            Operation::List => self.list(req).await?,
            _ => return Err(Error::UnsupportedOperation),
        };
        Ok(with_warnings(resp, req))
    }

    pub async fn existence(&self, req: &Request) -> Result<Option<bool>> {
        if req.path.is_empty() {
            return Ok(Some(false));
        }
        Ok(Some(
            self.storage.get(&storage_key(&req.path)).await?.is_some(),
        ))
    }

    async fn read(&self, req: &Request) -> Result<Option<Response>> {
        if req.path.is_empty() || req.path.ends_with('/') {
            return Ok(None);
        }
        let Some(raw) = self.storage.get(&storage_key(&req.path)).await? else {
            return Ok(None);
        };
        let data: Map<String, Value> = serde_json::from_slice(&raw)
            .map_err(|e| crate::kv::decode_error("json decoding failed", &e))?;
        let ttl = advisory_ttl(&data, self.system.default_lease_ttl());
        Ok(Some(Response {
            data: Some(data),
            secret: Some(SecretLease {
                ttl,
                advisory_only: true,
                ..Default::default()
            }),
            ..Default::default()
        }))
    }

    async fn write(&self, req: &Request) -> Result<Option<Response>> {
        if req.path.is_empty() || req.path.ends_with('/') {
            return Err(Error::invalid("cannot write to a path ending in '/'"));
        }
        if req.data.is_empty() {
            return Err(Error::invalid("missing data fields"));
        }
        let bytes = serde_json::to_vec(&req.data)
            .map_err(|e| Error::internal(format!("json encoding failed: {e}")))?;
        self.storage.put(&storage_key(&req.path), bytes).await?;
        Ok(None)
    }

    /// LIST, paginated with `after` and `limit` like v2's metadata list (OpenBao's v1
    /// ignores them; honouring them is what a client that sends them wants).
    async fn list(&self, req: &Request) -> Result<Option<Response>> {
        let phase = fields::Phase::Validation;
        let after = match req.data.get("after") {
            Some(v) => fields::string(v).map_err(|e| fields::field_error(phase, "after", &e))?,
            None => String::new(),
        };
        let limit = match req.data.get("limit") {
            Some(v) => fields::int(v).map_err(|e| fields::field_error(phase, "limit", &e))?,
            None => 0,
        };
        let mut prefix = storage_key(&req.path);
        if !req.path.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        let limit = if limit <= 0 { 0 } else { limit as usize };
        let keys = self.storage.list_page(&prefix, &after, limit).await?;
        if keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(Response::list(keys)))
    }
}

fn with_warnings(mut resp: Option<Response>, req: &Request) -> Option<Response> {
    if req.data.is_empty() || req.operation.is_write() {
        return resp;
    }
    if let Some(r) = resp.as_mut() {
        if let Some(w) = replaced_path_warning(&req.data) {
            r.warnings.push(w);
        }
        let known = if req.operation == Operation::List {
            LIST_FIELDS
        } else {
            FIELDS
        };
        if let Some(w) = unknown_fields_warning(&req.data, known) {
            r.warnings.push(w);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn advisory_ttl_as_vault() {
        let default = Duration::from_secs(2_764_800);
        let cases = [
            (json!({"a": 1}), 2_764_800),
            (json!({"ttl": "1h"}), 3600),
            (json!({"ttl": 90}), 90),
            (json!({"ttl": "0"}), 0),
            (json!({"lease": "30m"}), 1800),
            (json!({"ttl": "abc"}), 2_764_800),
            (json!({"ttl": ["1h"]}), 2_764_800),
            (json!({"ttl": "9999h"}), 35_996_400),
        ];
        for (data, want) in cases {
            let m = data.as_object().unwrap();
            assert_eq!(advisory_ttl(m, default).as_secs(), want, "{data}");
        }
    }
}
