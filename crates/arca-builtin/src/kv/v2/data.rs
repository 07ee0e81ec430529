//! `data/<path>`: read the latest or a given version, write a new version (with
//! check-and-set), patch the current version with a JSON merge patch, and soft-delete the
//! latest version.

use arca_sdk::{Error, Request, Response, Result, Storage, TxnOp};
use serde_json::{Map, Value};

use super::versioning::{check_cas, deletion_time, KeyMeta};
use super::{body2, meta_key, status_only, version_key, with_field_warnings, V2};
use crate::kv::fields::{self, field_error, Phase};
use crate::kv::patch::merge_patch;
use arca_sdk::time::now_nanos;

const FIELDS: &[&str] = &["path", "version", "options", "data"];

/// The write phase whose errors OpenBao reports without the validation prefix.
fn write_phase(req: &Request) -> Phase {
    if req.operation.is_write() {
        Phase::Existence
    } else {
        Phase::Validation
    }
}

/// Converts `version`, `options` and `data` as the framework would, before anything runs.
fn validate(req: &Request, phase: Phase) -> Result<()> {
    if let Some(v) = req.data.get("version") {
        fields::int(v).map_err(|e| field_error(phase, "version", &e))?;
    }
    for name in ["options", "data"] {
        if let Some(v) = req.data.get(name) {
            fields::map(v).map_err(|e| field_error(phase, name, &e))?;
        }
    }
    Ok(())
}

impl V2 {
    /// The hot path: one storage get and one JSON parse for the latest version.
    pub(super) async fn data_read(&self, req: &Request, path: &str) -> Result<Option<Response>> {
        let mut wanted = 0i64;
        if !req.data.is_empty() {
            validate(req, Phase::Validation)?;
            if let Some(v) = req.data.get("version") {
                wanted = fields::int(v).unwrap_or(0);
            }
        }
        let Some(mut meta) = self.get_meta(path).await? else {
            return Ok(None);
        };
        let version = if wanted > 0 {
            wanted as u64
        } else {
            meta.current_version
        };
        let Some(vm) = meta.versions.get(&version).copied() else {
            return Ok(None);
        };
        let metadata = Value::Object(vm.to_json(version, &meta.custom_metadata));
        if !vm.is_live(now_nanos()) {
            let mut resp = Response::data(body2("data", Value::Null, "metadata", metadata));
            resp.status = Some(404);
            return Ok(with_field_warnings(Some(resp), req, FIELDS));
        }
        let data = if version == meta.current_version {
            meta.data.take()
        } else {
            match self.storage.get(&version_key(path, version)).await? {
                Some(raw) => Some(
                    serde_json::from_slice(&raw)
                        .map_err(|e| crate::kv::decode_error("decoding version data", &e))?,
                ),
                None => None,
            }
        };
        let Some(data) = data else {
            return Err(Error::internal("could not find version data"));
        };
        let resp = Response::data(body2("data", data, "metadata", metadata));
        Ok(with_field_warnings(Some(resp), req, FIELDS))
    }

    pub(super) async fn data_write(&self, req: &Request, path: &str) -> Result<Option<Response>> {
        if path.is_empty() || path.ends_with('/') {
            return Err(Error::invalid("cannot write to a path ending in '/'"));
        }
        validate(req, write_phase(req))?;
        let Some(data) = req.data.get("data") else {
            return Err(Error::invalid("no data provided"));
        };
        let data = match data {
            Value::Array(_) => Value::Object(Map::new()),
            other => other.clone(),
        };
        let options = req.data.get("options").and_then(Value::as_object);
        let config = self.config();

        let _guard = self.lock(path).lock().await;
        let mut meta = self.get_meta(path).await?.unwrap_or_else(KeyMeta::new_key);
        check_cas(options, &config, &meta).map_err(|e| Error::CheckAndSet(e.message().into()))?;
        let resp = self.commit_version(path, &mut meta, data, &config).await?;
        Ok(with_field_warnings(Some(resp), req, FIELDS))
    }

    /// Adds `data` as the key's new current version and stores everything in one
    /// transaction; answers with the new version's metadata.
    async fn commit_version(
        &self,
        path: &str,
        meta: &mut KeyMeta,
        data: Value,
        config: &super::Config,
    ) -> Result<Response> {
        let now = now_nanos();
        let deletion = deletion_time(now, config, meta.delete_version_after);
        let previous_data = meta.data.replace(data);
        let added = meta.add_version(now, deletion, config.max_versions);
        let mut ops = Vec::with_capacity(2 + added.removed.len());
        ops.push(TxnOp::Put {
            key: meta_key(path),
            value: Self::encode_meta(meta)?,
        });
        if let (Some(prev), Some(prev_data)) = (added.previous, previous_data) {
            ops.push(TxnOp::Put {
                key: version_key(path, prev),
                value: serde_json::to_vec(&prev_data).map_err(Error::internal)?,
            });
        }
        for v in &added.removed {
            ops.push(TxnOp::Delete {
                key: version_key(path, *v),
            });
        }
        self.storage.transaction(ops).await?;
        let vm = meta.versions[&added.version];
        Ok(Response::data(
            vm.to_json(added.version, &meta.custom_metadata),
        ))
    }

    pub(super) async fn data_patch(&self, req: &Request, path: &str) -> Result<Option<Response>> {
        if path.is_empty() || path.ends_with('/') {
            return Err(Error::invalid("cannot write to a path ending in '/'"));
        }
        validate(req, Phase::Validation)?;
        let empty = Value::Object(Map::new());
        let patch = match req.data.get("data") {
            None | Some(Value::Null) => return Err(Error::invalid("no data provided")),
            // mapstructure reads an (empty) array as an empty map.
            Some(Value::Array(_)) => &empty,
            Some(p) => p,
        };
        let options = req.data.get("options").and_then(Value::as_object);

        let _guard = self.lock(path).lock().await;
        let Some(mut meta) = self.get_meta(path).await? else {
            return Ok(Some(status_only(404)));
        };
        let config = self.config();
        check_cas(options, &config, &meta).map_err(|e| Error::CheckAndSet(e.message().into()))?;
        let current = meta.current_version;
        let Some(vm) = meta.versions.get(&current).copied() else {
            return Ok(Some(status_only(404)));
        };
        if !vm.is_live(now_nanos()) {
            let mut resp = Response::data(vm.to_json(current, &meta.custom_metadata));
            resp.status = Some(404);
            return Ok(Some(resp));
        }
        let Some(mut doc) = meta.data.clone() else {
            return Err(Error::internal("could not find version data"));
        };
        merge_patch(&mut doc, patch);
        let resp = self.commit_version(path, &mut meta, doc, &config).await?;
        Ok(with_field_warnings(Some(resp), req, FIELDS))
    }

    /// Soft-deletes the latest version (undo with `undelete/`).
    pub(super) async fn data_delete(&self, _req: &Request, path: &str) -> Result<Option<Response>> {
        let _guard = self.lock(path).lock().await;
        let Some(mut meta) = self.get_meta(path).await? else {
            return Ok(None);
        };
        let now = now_nanos();
        let current = meta.current_version;
        match meta.versions.get_mut(&current) {
            Some(vm) if vm.is_live(now) => vm.deletion = Some(now),
            _ => return Ok(None),
        }
        self.storage
            .put(&meta_key(path), Self::encode_meta(&meta)?)
            .await?;
        Ok(None)
    }
}
