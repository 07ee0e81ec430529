//! `tidy/secret-id` and the periodic sweep: deletes expired secret IDs with their
//! accessors, and accessors whose secret ID is gone.

use std::sync::atomic::Ordering;

use arca_sdk::{FieldData, Request, Response, Result, Storage, StorageExt, TxnOp};

use super::secret_id::{now_nanos, AccessorEntry, SecretIdEntry};
use super::AppRole;

const PAGE: usize = 512;

/// The secret-ID folders and their accessor folders.
const AREAS: [(&str, &str); 2] = [
    ("secret_id/", "accessor/"),
    ("secret_id_local/", "accessor_local/"),
];

impl AppRole {
    /// Starts a sweep in the background and answers 202, as Vault does.
    pub(super) async fn tidy(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        if self.tidy_running.swap(true, Ordering::AcqRel) {
            return Ok(Some(
                Response::default().with_warning("Tidy operation already in progress."),
            ));
        }
        let Some(me) = self.self_ref.upgrade() else {
            self.tidy_running.store(false, Ordering::Release);
            return Err(arca_sdk::Error::internal(
                "approle backend is shutting down",
            ));
        };
        tokio::spawn(async move {
            if let Err(e) = me.sweep().await {
                tracing::warn!(error = %e, "approle: tidy of secret IDs failed");
            }
            me.tidy_running.store(false, Ordering::Release);
        });
        let mut resp = Response::default().with_warning("Tidy operation successfully started. Any information from the operation will be printed to the server logs.");
        resp.status = Some(202);
        Ok(Some(resp))
    }

    /// The periodic sweep; skipped while a requested one runs.
    pub(super) async fn tidy_secret_ids(&self) -> Result<()> {
        if self.tidy_running.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let result = self.sweep().await;
        self.tidy_running.store(false, Ordering::Release);
        result
    }

    async fn sweep(&self) -> Result<()> {
        let now = now_nanos();
        for (secret_prefix, accessor_prefix) in AREAS {
            for role_dir in self.list_all(secret_prefix).await? {
                let folder = format!("{secret_prefix}{role_dir}");
                for secret_id_hmac in self.list_all(&folder).await? {
                    let key = format!("{folder}{secret_id_hmac}");
                    let _guard = self.secret_id_lock(&secret_id_hmac).lock().await;
                    let Some(entry) = self.storage.get_json::<SecretIdEntry>(&key).await? else {
                        continue;
                    };
                    if entry.is_expired(now) {
                        let accessor =
                            self.accessor_key_in(accessor_prefix, &entry.secret_id_accessor)?;
                        self.storage
                            .transaction(vec![
                                TxnOp::Delete { key: accessor },
                                TxnOp::Delete { key },
                            ])
                            .await?;
                    }
                }
            }
            for accessor in self.list_all(accessor_prefix).await? {
                let key = format!("{accessor_prefix}{accessor}");
                let Some(index) = self.storage.get_json::<AccessorEntry>(&key).await? else {
                    continue;
                };
                let _guard = self.secret_id_lock(&index.secret_id_hmac).lock().await;
                let secret_key = format!(
                    "{secret_prefix}{}/{}",
                    index.role_hmac, index.secret_id_hmac
                );
                if self.storage.get(&secret_key).await?.is_none() {
                    self.storage.delete(&key).await?;
                }
            }
        }
        Ok(())
    }

    /// Every key of a folder, page by page.
    async fn list_all(&self, folder: &str) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        loop {
            let after = out.last().cloned().unwrap_or_default();
            let page = self.storage.list_page(folder, &after, PAGE).await?;
            let done = page.len() < PAGE;
            out.extend(page);
            if done {
                return Ok(out);
            }
        }
    }
}
