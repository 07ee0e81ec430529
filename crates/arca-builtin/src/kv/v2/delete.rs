//! `delete/<path>`, `undelete/<path>` and `destroy/<path>`: soft-delete, restore and
//! permanently remove given versions. Unknown versions are skipped silently, as OpenBao
//! does; a missing key answers 204.

use arca_sdk::{Error, Request, Response, Result, Storage, TxnOp};

use super::versioning::deletion_time;
use super::{meta_key, version_key, V2};
use crate::kv::fields::{self, field_error, Phase};
use arca_sdk::time::now_nanos;

/// The `versions` field; `missing` is OpenBao's message (its capitalisation differs
/// between delete/undelete and destroy).
fn versions(req: &Request, missing: &str) -> Result<Vec<u64>> {
    let list = match req.data.get("versions") {
        None => Vec::new(),
        Some(v) => {
            fields::int_slice(v).map_err(|e| field_error(Phase::Validation, "versions", &e))?
        }
    };
    if list.is_empty() {
        return Err(Error::invalid(missing));
    }
    // Negative numbers name no version; they are skipped like unknown ones.
    Ok(list
        .into_iter()
        .filter(|v| *v > 0)
        .map(|v| v as u64)
        .collect())
}

impl V2 {
    pub(super) async fn versions_delete(
        &self,
        req: &Request,
        path: &str,
    ) -> Result<Option<Response>> {
        let list = versions(req, "No version number provided")?;
        let _guard = self.lock(path).lock().await;
        let Some(mut meta) = self.get_meta(path).await? else {
            return Ok(None);
        };
        let now = now_nanos();
        for v in list {
            if let Some(vm) = meta.versions.get_mut(&v) {
                if vm.is_live(now) {
                    vm.deletion = Some(now);
                }
            }
        }
        self.storage
            .put(&meta_key(path), Self::encode_meta(&meta)?)
            .await?;
        Ok(None)
    }

    pub(super) async fn versions_undelete(
        &self,
        req: &Request,
        path: &str,
    ) -> Result<Option<Response>> {
        let list = versions(req, "No version number provided")?;
        let config = self.config();
        let _guard = self.lock(path).lock().await;
        let Some(mut meta) = self.get_meta(path).await? else {
            return Ok(None);
        };
        let now = now_nanos();
        let dva = meta.delete_version_after;
        for v in list {
            if let Some(vm) = meta.versions.get_mut(&v) {
                if !vm.destroyed {
                    // A restored version gets a fresh automatic deletion time, if any.
                    vm.deletion = deletion_time(now, &config, dva);
                }
            }
        }
        self.storage
            .put(&meta_key(path), Self::encode_meta(&meta)?)
            .await?;
        Ok(None)
    }

    pub(super) async fn versions_destroy(
        &self,
        req: &Request,
        path: &str,
    ) -> Result<Option<Response>> {
        let list = versions(req, "no version number provided")?;
        let _guard = self.lock(path).lock().await;
        let Some(mut meta) = self.get_meta(path).await? else {
            return Ok(None);
        };
        let mut ops = Vec::new();
        for v in list {
            let Some(vm) = meta.versions.get_mut(&v) else {
                continue;
            };
            if vm.destroyed {
                continue;
            }
            vm.destroyed = true;
            if v == meta.current_version {
                meta.data = None;
            } else {
                ops.push(TxnOp::Delete {
                    key: version_key(path, v),
                });
            }
        }
        ops.insert(
            0,
            TxnOp::Put {
                key: meta_key(path),
                value: Self::encode_meta(&meta)?,
            },
        );
        self.storage.transaction(ops).await?;
        Ok(None)
    }
}
