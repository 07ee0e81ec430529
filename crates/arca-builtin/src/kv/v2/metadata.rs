//! `metadata/<path>` (read, write, patch, delete all versions, list) and
//! `detailed-metadata/<path>` (list with each key's metadata). Lists are paginated with
//! `after` and `limit` straight from the storage's own pagination, so a folder of 100,000
//! keys is never loaded at once unless the client asks for all of it.

use std::collections::BTreeMap;

use arca_sdk::{Error, Request, Response, Result, Storage, TxnOp};
use serde_json::{Map, Value};

use super::versioning::KeyMeta;
use super::{meta_key, status_only, version_key, with_field_warnings, META_PREFIX, V2};
use crate::kv::fields::{self, field_error, validate_custom_metadata, Phase};
use crate::kv::patch::merge_patch;
use arca_sdk::time::now_nanos;

const FIELDS: &[&str] = &[
    "path",
    "cas_required",
    "metadata_cas_required",
    "max_versions",
    "delete_version_after",
    "custom_metadata",
    "metadata_cas",
    "after",
    "limit",
];

const LIST_FIELDS: &[&str] = &["path", "after", "limit"];

const CAS_IGNORED: &str =
    "\"cas_required\" set to false, but is mandated by backend config. This value will be ignored.";
const METADATA_CAS_IGNORED: &str = "\"metadata_cas_required\" set to false, but is mandated by backend config. This value will be ignored.";

/// The metadata fields of a write or patch, converted.
#[derive(Default)]
struct Settings {
    max_versions: Option<u32>,
    cas_required: Option<bool>,
    metadata_cas_required: Option<bool>,
    delete_version_after: Option<i64>,
    custom_metadata: Option<Map<String, Value>>,
    metadata_cas: Option<u64>,
}

impl Settings {
    fn parse(req: &Request, phase: Phase) -> Result<Settings> {
        let d = &req.data;
        let err = |name: &str, e: String| field_error(phase, name, &e);
        let mut s = Settings::default();
        if let Some(v) = d.get("max_versions") {
            // Go's uint32(int): -1 becomes 4294967295, as OpenBao stores it.
            s.max_versions = Some(fields::int(v).map_err(|e| err("max_versions", e))? as u32);
        }
        if let Some(v) = d.get("cas_required") {
            s.cas_required = Some(fields::bool(v).map_err(|e| err("cas_required", e))?);
        }
        if let Some(v) = d.get("metadata_cas_required") {
            s.metadata_cas_required =
                Some(fields::bool(v).map_err(|e| err("metadata_cas_required", e))?);
        }
        if let Some(v) = d.get("delete_version_after").filter(|v| !v.is_null()) {
            s.delete_version_after =
                Some(fields::duration_secs(v, false).map_err(|e| err("delete_version_after", e))?);
        }
        if let Some(v) = d.get("custom_metadata") {
            let m = fields::map(v).map_err(|e| err("custom_metadata", e))?;
            s.custom_metadata = Some(m.cloned().unwrap_or_default());
        }
        if let Some(v) = d.get("metadata_cas") {
            s.metadata_cas = Some(fields::int(v).map_err(|e| err("metadata_cas", e))? as u64);
        }
        for name in ["after", "limit"] {
            if let Some(v) = d.get(name) {
                if name == "limit" {
                    fields::int(v).map_err(|e| err(name, e))?;
                } else {
                    fields::string(v).map_err(|e| err(name, e))?;
                }
            }
        }
        Ok(s)
    }

    fn any_setting(&self) -> bool {
        self.max_versions.is_some()
            || self.cas_required.is_some()
            || self.metadata_cas_required.is_some()
            || self.delete_version_after.is_some()
            || self.custom_metadata.is_some()
    }
}

fn custom_metadata_of(
    raw: &Map<String, Value>,
    skip_null: bool,
) -> Result<BTreeMap<String, String>> {
    let cm = fields::custom_metadata(raw, skip_null)
        .map_err(|e| Error::invalid(format!("custom_metadata validation failed: {e}")))?;
    validate_custom_metadata(&cm)?;
    Ok(cm)
}

fn warn(resp: &mut Option<Response>, msg: &str) {
    resp.get_or_insert_with(Response::default)
        .warnings
        .push(msg.to_string());
}

impl V2 {
    pub(super) async fn metadata_read(
        &self,
        req: &Request,
        path: &str,
    ) -> Result<Option<Response>> {
        if !req.data.is_empty() {
            Settings::parse(req, Phase::Validation)?;
        }
        let Some(meta) = self.get_meta(path).await? else {
            return Ok(None);
        };
        Ok(with_field_warnings(
            Some(Response::data(meta.to_json())),
            req,
            FIELDS,
        ))
    }

    pub(super) async fn metadata_write(
        &self,
        req: &Request,
        path: &str,
    ) -> Result<Option<Response>> {
        if path.is_empty() || path.ends_with('/') {
            return Err(Error::invalid("cannot write to a path ending in '/'"));
        }
        let phase = if req.operation.is_write() {
            Phase::Existence
        } else {
            Phase::Validation
        };
        let s = Settings::parse(req, phase)?;
        if !s.any_setting() {
            return Ok(None);
        }
        let config = self.config();
        let custom = match &s.custom_metadata {
            Some(raw) => Some(custom_metadata_of(raw, false)?),
            None => None,
        };
        let mut resp = None;
        if s.cas_required == Some(false) && config.cas_required {
            warn(&mut resp, CAS_IGNORED);
        }
        if s.metadata_cas_required == Some(false) && config.metadata_cas_required {
            warn(&mut resp, METADATA_CAS_IGNORED);
        }

        let _guard = self.lock(path).lock().await;
        let existing = self.get_meta(path).await?;
        let must_cas = existing.as_ref().is_some_and(|m| m.metadata_cas_required)
            || config.metadata_cas_required;
        if must_cas && s.metadata_cas.is_none() {
            return Err(Error::CheckAndSet(
                "metadata check-and-set parameter required for this call".into(),
            ));
        }
        let now = now_nanos();
        let mut meta = match existing {
            None => {
                if s.metadata_cas.is_some_and(|c| c != 0) {
                    return Err(Error::CheckAndSet(
                        "metadata_cas must be 0 when creating new metadata".into(),
                    ));
                }
                KeyMeta {
                    created: Some(now),
                    updated: Some(now),
                    metadata_version: 1,
                    ..KeyMeta::new_key()
                }
            }
            Some(mut m) => {
                if s.metadata_cas.is_some_and(|c| c != m.metadata_version) {
                    return Err(Error::CheckAndSet(
                        "metadata check-and-set parameter does not match the current version"
                            .into(),
                    ));
                }
                m.metadata_version += 1;
                m.updated = Some(now);
                m
            }
        };
        if let Some(v) = s.max_versions {
            meta.max_versions = v;
        }
        if let Some(v) = s.cas_required {
            meta.cas_required = v;
        }
        if let Some(v) = s.metadata_cas_required {
            meta.metadata_cas_required = v;
        }
        if let Some(v) = s.delete_version_after {
            meta.delete_version_after = v;
        }
        if let Some(cm) = custom {
            meta.custom_metadata = cm;
        }
        self.storage
            .put(&meta_key(path), Self::encode_meta(&meta)?)
            .await?;
        Ok(with_field_warnings(resp, req, FIELDS))
    }

    pub(super) async fn metadata_patch(
        &self,
        req: &Request,
        path: &str,
    ) -> Result<Option<Response>> {
        let s = Settings::parse(req, Phase::Validation)?;
        if !s.any_setting() {
            return Ok(None);
        }
        if path.is_empty() || path.ends_with('/') {
            return Err(Error::invalid("cannot write to a path ending in '/'"));
        }
        if let Some(raw) = &s.custom_metadata {
            custom_metadata_of(raw, true)?;
        }
        let config = self.config();

        let _guard = self.lock(path).lock().await;
        let Some(mut meta) = self.get_meta(path).await? else {
            return Ok(Some(status_only(404)));
        };
        if (meta.metadata_cas_required || config.metadata_cas_required) && s.metadata_cas.is_none()
        {
            return Err(Error::CheckAndSet(
                "metadata check-and-set parameter required for this call".into(),
            ));
        }
        if s.metadata_cas.is_some_and(|c| c != meta.metadata_version) {
            return Err(Error::CheckAndSet(
                "metadata check-and-set parameter does not match the current version".into(),
            ));
        }
        let mut resp = None;
        if s.cas_required == Some(false) && config.cas_required {
            warn(&mut resp, CAS_IGNORED);
        }
        if s.metadata_cas_required == Some(false) && config.metadata_cas_required {
            warn(&mut resp, METADATA_CAS_IGNORED);
        }
        if let Some(v) = s.max_versions {
            meta.max_versions = v;
        }
        if let Some(v) = s.cas_required {
            meta.cas_required = v;
        }
        if let Some(v) = s.metadata_cas_required {
            meta.metadata_cas_required = v;
        }
        if let Some(v) = s.delete_version_after {
            meta.delete_version_after = v;
        }
        if let Some(patch) = &s.custom_metadata {
            // A merge patch over the stored map: null removes a key.
            let mut doc = Value::Object(
                meta.custom_metadata
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            );
            merge_patch(&mut doc, &Value::Object(patch.clone()));
            let merged = doc.as_object().cloned().unwrap_or_default();
            meta.custom_metadata = custom_metadata_of(&merged, true)?;
        }
        meta.metadata_version += 1;
        meta.updated = Some(now_nanos());
        self.storage
            .put(&meta_key(path), Self::encode_meta(&meta)?)
            .await?;
        Ok(with_field_warnings(resp, req, FIELDS))
    }

    /// Deletes the key's metadata and every version's data, in one transaction.
    pub(super) async fn metadata_delete(
        &self,
        _req: &Request,
        path: &str,
    ) -> Result<Option<Response>> {
        let _guard = self.lock(path).lock().await;
        let Some(meta) = self.get_meta(path).await? else {
            return Ok(None);
        };
        let mut ops = vec![TxnOp::Delete {
            key: meta_key(path),
        }];
        for v in meta.versions.keys().filter(|v| **v != meta.current_version) {
            ops.push(TxnOp::Delete {
                key: version_key(path, *v),
            });
        }
        self.storage.transaction(ops).await?;
        Ok(None)
    }

    /// LIST: one page of the keys below `path` (a folder), from the storage's pagination.
    pub(super) async fn metadata_list(
        &self,
        req: &Request,
        path: &str,
        detailed: bool,
    ) -> Result<Option<Response>> {
        let d = &req.data;
        let after = match d.get("after") {
            Some(v) => {
                fields::string(v).map_err(|e| field_error(Phase::Validation, "after", &e))?
            }
            None => String::new(),
        };
        let limit = match d.get("limit") {
            Some(v) => fields::int(v).map_err(|e| field_error(Phase::Validation, "limit", &e))?,
            None => 0,
        };
        let mut prefix = meta_key(path);
        if !path.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        let limit = if limit <= 0 { 0 } else { limit as usize };
        let keys = self.storage.list_page(&prefix, &after, limit).await?;
        if keys.is_empty() {
            return Ok(None);
        }
        let mut data = Map::new();
        if detailed {
            let mut info = Map::new();
            for k in &keys {
                let entry = if k.ends_with('/') {
                    Map::new()
                } else {
                    let full = &prefix[META_PREFIX.len()..];
                    match self.get_meta(&format!("{full}{k}")).await? {
                        Some(m) => m.to_json(),
                        None => Map::new(),
                    }
                };
                info.insert(k.clone(), Value::Object(entry));
            }
            data.insert("key_info".into(), Value::Object(info));
        }
        data.insert(
            "keys".into(),
            Value::Array(keys.into_iter().map(Value::String).collect()),
        );
        let known = if detailed { LIST_FIELDS } else { FIELDS };
        Ok(with_field_warnings(Some(Response::data(data)), req, known))
    }
}
