//! Upgrading a v1 mount to v2 (`bao secrets tune -options=version=2` or
//! `bao kv enable-versioning`): every v1 entry becomes version 1 of a v2 key, with the
//! same data, as OpenBao's upgrade does.
//!
//! The move is crash-safe: a marker is written first, then keys move in batches, each batch
//! one transaction that writes the v2 entries and deletes the v1 ones. When the mount
//! is loaded and a marker is found, the move is finished (the mount is v2: the tune
//! committed) or undone (the mount is still v1: the tune never committed), so data is
//! never split between the two layouts.
//!
//! The walk is paginated, folder by folder: a mount of 100,000 keys is never listed at
//! once.

use arca_sdk::{Error, Result, Storage, StorageExt, StorageView, TxnOp};
use serde::{Deserialize, Serialize};

use crate::kv::v1;
use crate::kv::v2::{self, KeyMeta};
use arca_sdk::time::now_nanos;

pub const MARKER: &str = "v2/upgrade";

const PAGE: usize = 512;
const BATCH: usize = 256;

#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    started: i64,
    done: bool,
}

/// Whether an upgrade was started and its marker is still there.
pub async fn marker_present(storage: &StorageView) -> Result<bool> {
    Ok(storage.get(MARKER).await?.is_some())
}

/// Moves every v1 entry to v2. Returns the number of keys moved.
pub async fn upgrade(storage: &StorageView) -> Result<u64> {
    storage
        .put_json(
            MARKER,
            &Marker {
                started: now_nanos(),
                done: false,
            },
        )
        .await?;
    let now = now_nanos();
    let moved = move_all(storage, v1::PREFIX, |path, raw| {
        let data: serde_json::Value = serde_json::from_slice(raw)
            .map_err(|e| crate::kv::decode_error("decoding v1 entry", &e))?;
        let mut meta = KeyMeta::new_key();
        meta.data = Some(data);
        // OpenBao adds the version with a maximum of one, so oldest_version becomes 1.
        meta.add_version(now, None, 1);
        Ok(vec![
            TxnOp::Put {
                key: v2::meta_key(path),
                value: serde_json::to_vec(&meta).map_err(Error::internal)?,
            },
            TxnOp::Delete {
                key: v1::storage_key(path),
            },
        ])
    })
    .await?;
    storage.delete(MARKER).await?;
    tracing::info!(keys = moved, "kv: upgraded v1 data to v2");
    Ok(moved)
}

/// Undoes an upgrade that never committed: every v2 key goes back to its v1 entry.
pub async fn rollback(storage: &StorageView) -> Result<u64> {
    let moved = move_all(storage, v2::META_PREFIX, |path, raw| {
        let meta: KeyMeta = serde_json::from_slice(raw)
            .map_err(|e| crate::kv::decode_error("decoding v2 metadata", &e))?;
        let mut ops = Vec::with_capacity(2);
        if let Some(data) = meta.data {
            ops.push(TxnOp::Put {
                key: v1::storage_key(path),
                value: serde_json::to_vec(&data).map_err(Error::internal)?,
            });
        }
        ops.push(TxnOp::Delete {
            key: v2::meta_key(path),
        });
        Ok(ops)
    })
    .await?;
    storage.delete(MARKER).await?;
    tracing::warn!(
        keys = moved,
        "kv: rolled back an unfinished v1 to v2 upgrade"
    );
    Ok(moved)
}

/// Walks every leaf below `root` page by page and applies `convert` (path relative to
/// `root`, stored bytes) to each, committing a transaction per batch.
async fn move_all(
    storage: &StorageView,
    root: &str,
    convert: impl Fn(&str, &[u8]) -> Result<Vec<TxnOp>>,
) -> Result<u64> {
    let mut moved = 0u64;
    let mut folders = vec![root.to_string()];
    let mut ops = Vec::new();
    let mut in_batch = 0usize;
    while let Some(folder) = folders.pop() {
        let mut after = String::new();
        loop {
            let page = storage.list_page(&folder, &after, PAGE).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.clone();
            for name in &page {
                let full = format!("{folder}{name}");
                if name.ends_with('/') {
                    folders.push(full);
                    continue;
                }
                let Some(raw) = storage.get(&full).await? else {
                    continue;
                };
                ops.extend(convert(&full[root.len()..], &raw)?);
                in_batch += 1;
                moved += 1;
                if in_batch >= BATCH {
                    storage.transaction(std::mem::take(&mut ops)).await?;
                    in_batch = 0;
                }
            }
            if page.len() < PAGE {
                break;
            }
        }
    }
    if !ops.is_empty() {
        storage.transaction(ops).await?;
    }
    Ok(moved)
}
