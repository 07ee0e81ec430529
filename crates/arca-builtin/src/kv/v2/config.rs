//! `config`: the mount-wide `max_versions`, `cas_required`, `metadata_cas_required` and
//! `delete_version_after` (negative disables automatic deletion for every key).

use arca_sdk::{Request, Response, Result, StorageExt};

use super::versioning::DVA_DISABLED;
use super::{with_field_warnings, CONFIG_KEY, V2};
use crate::kv::fields::{self, field_error, Phase};

const FIELDS: &[&str] = &[
    "max_versions",
    "cas_required",
    "metadata_cas_required",
    "delete_version_after",
];

impl V2 {
    pub(super) async fn config_read(&self, req: &Request) -> Result<Option<Response>> {
        let resp = Response::data(self.config().to_json());
        Ok(with_field_warnings(Some(resp), req, FIELDS))
    }

    pub(super) async fn config_write(&self, req: &Request) -> Result<Option<Response>> {
        let d = &req.data;
        let err = |name: &str, e: String| field_error(Phase::Validation, name, &e);
        let max = match d.get("max_versions") {
            Some(v) => Some(fields::int(v).map_err(|e| err("max_versions", e))? as u32),
            None => None,
        };
        let cas = match d.get("cas_required") {
            Some(v) => Some(fields::bool(v).map_err(|e| err("cas_required", e))?),
            None => None,
        };
        let mcas = match d.get("metadata_cas_required") {
            Some(v) => Some(fields::bool(v).map_err(|e| err("metadata_cas_required", e))?),
            None => None,
        };
        let dva = match d.get("delete_version_after").filter(|v| !v.is_null()) {
            Some(v) => {
                Some(fields::duration_secs(v, true).map_err(|e| err("delete_version_after", e))?)
            }
            None => None,
        };
        if max.is_none() && cas.is_none() && mcas.is_none() && dva.is_none() {
            return Ok(with_field_warnings(None, req, FIELDS));
        }
        // Config writes are serialised (a stripe no secret path hashes to in practice is
        // fine: the lock only orders writers), and the cache changes after the store did.
        let _guard = self.lock(CONFIG_KEY).lock().await;
        let mut config = self.config();
        if let Some(v) = max {
            config.max_versions = v;
        }
        if let Some(v) = cas {
            config.cas_required = v;
        }
        if let Some(v) = mcas {
            config.metadata_cas_required = v;
        }
        if let Some(v) = dva {
            config.delete_version_after = if v < 0 { DVA_DISABLED } else { v };
        }
        self.storage.put_json(CONFIG_KEY, &config).await?;
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
        Ok(with_field_warnings(None, req, FIELDS))
    }
}
