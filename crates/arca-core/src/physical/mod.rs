//! Physical storage: where the barrier's ciphertext lives. A small trait (get, put, delete,
//! one-level paginated list, atomic transactions) with one implementation per backend, all
//! passing the same conformance suite.
//!
//! Invariant: nothing at this layer ever sees plaintext; values are opaque bytes.

mod embedded;
mod inmem;

use async_trait::async_trait;

pub use arca_sdk::TxnOp;
pub use embedded::EmbeddedBackend;
pub use inmem::InmemBackend;

#[derive(Debug, thiserror::Error)]
pub enum PhysicalError {
    #[error("embedded database: {0}")]
    Database(String),
    #[error("storage writer has stopped")]
    WriterGone,
    #[error("invalid key {0:?}")]
    InvalidKey(String),
    #[error("value of {0} bytes exceeds the entry limit")]
    TooLarge(usize),
}

impl From<PhysicalError> for arca_sdk::Error {
    fn from(e: PhysicalError) -> Self {
        match e {
            PhysicalError::TooLarge(_) => arca_sdk::Error::invalid(e.to_string()),
            other => arca_sdk::Error::storage(other),
        }
    }
}

pub type PhysicalResult<T> = Result<T, PhysicalError>;

/// The largest value accepted, so a runaway client cannot fill memory through one key.
pub const MAX_VALUE_SIZE: usize = 64 * 1024 * 1024;

#[async_trait]
pub trait Physical: Send + Sync {
    async fn get(&self, key: &str) -> PhysicalResult<Option<Vec<u8>>>;
    async fn put(&self, key: &str, value: Vec<u8>) -> PhysicalResult<()> {
        self.transaction(vec![TxnOp::Put {
            key: key.to_string(),
            value,
        }])
        .await
    }
    async fn delete(&self, key: &str) -> PhysicalResult<()> {
        self.transaction(vec![TxnOp::Delete {
            key: key.to_string(),
        }])
        .await
    }
    /// One level below `prefix`, sorted, names strictly greater than `after`, at most
    /// `limit` (0 = all). Deeper keys appear once as `folder/`.
    async fn list_page(
        &self,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> PhysicalResult<Vec<String>>;
    /// All or nothing, durable when it returns.
    async fn transaction(&self, ops: Vec<TxnOp>) -> PhysicalResult<()>;
    /// A short name for logs and `sys/storage` answers.
    fn kind(&self) -> &'static str;
}

/// The one-level listing over any sorted key space. `seek(k)` yields the keys `>= k` in
/// order; it is called again only to skip over a folder's contents, so a folder with a
/// million entries costs one seek, not a million steps.
pub(crate) fn list_one_level<I>(
    prefix: &str,
    after: &str,
    limit: usize,
    mut seek: impl FnMut(&str) -> PhysicalResult<I>,
) -> PhysicalResult<Vec<String>>
where
    I: Iterator<Item = PhysicalResult<String>>,
{
    let mut out: Vec<String> = Vec::new();
    let mut start = format!("{prefix}{after}");
    'seek: loop {
        for key in seek(&start)? {
            let key = key?;
            let Some(rel) = key.strip_prefix(prefix) else {
                break 'seek;
            };
            let name = match rel.find('/') {
                Some(i) => &rel[..=i],
                None => rel,
            };
            if !name.is_empty() && name > after && out.last().map(String::as_str) != Some(name) {
                out.push(name.to_string());
                if limit > 0 && out.len() >= limit {
                    break 'seek;
                }
            }
            if let Some(folder) = name.strip_suffix('/') {
                // '0' is the byte after '/': jump past everything inside the folder.
                start = format!("{prefix}{folder}0");
                continue 'seek;
            }
        }
        break;
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod conformance {
    //! The suite every physical backend passes.
    use super::*;

    pub async fn run(p: &dyn Physical) {
        basic_crud(p).await;
        listing(p).await;
        pagination(p).await;
        transactions(p).await;
        binary_values(p).await;
    }

    async fn basic_crud(p: &dyn Physical) {
        assert_eq!(p.get("crud/a").await.unwrap(), None);
        p.put("crud/a", b"one".to_vec()).await.unwrap();
        assert_eq!(p.get("crud/a").await.unwrap(), Some(b"one".to_vec()));
        p.put("crud/a", b"two".to_vec()).await.unwrap();
        assert_eq!(p.get("crud/a").await.unwrap(), Some(b"two".to_vec()));
        p.delete("crud/a").await.unwrap();
        assert_eq!(p.get("crud/a").await.unwrap(), None);
        p.delete("crud/a").await.unwrap();
    }

    async fn listing(p: &dyn Physical) {
        for k in [
            "l/a", "l/b/c", "l/b/d", "l/b-x", "l/c/d/e", "l/z", "lx/other",
        ] {
            p.put(k, vec![1]).await.unwrap();
        }
        let cases: [(&str, &str, usize, &[&str]); 7] = [
            ("l/", "", 0, &["a", "b-x", "b/", "c/", "z"]),
            ("l/b/", "", 0, &["c", "d"]),
            ("l/c/", "", 0, &["d/"]),
            ("l/", "b-x", 0, &["b/", "c/", "z"]),
            ("l/", "", 2, &["a", "b-x"]),
            ("l/", "c/", 2, &["z"]),
            ("nothing/", "", 0, &[]),
        ];
        for (prefix, after, limit, want) in cases {
            assert_eq!(
                p.list_page(prefix, after, limit).await.unwrap(),
                want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "list {prefix} after {after:?} limit {limit}"
            );
        }
        let top = p.list_page("", "", 0).await.unwrap();
        assert!(top.contains(&"l/".to_string()) && top.contains(&"lx/".to_string()));
    }

    async fn pagination(p: &dyn Physical) {
        let ops = (0..1000)
            .map(|i| TxnOp::Put {
                key: format!("page/k{i:04}"),
                value: vec![0],
            })
            .collect();
        p.transaction(ops).await.unwrap();
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let page = p.list_page("page/", &after, 128).await.unwrap();
            if page.is_empty() {
                break;
            }
            after = page.last().unwrap().clone();
            seen.extend(page);
        }
        assert_eq!(seen.len(), 1000);
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
    }

    async fn transactions(p: &dyn Physical) {
        p.put("t/keep", b"old".to_vec()).await.unwrap();
        p.transaction(vec![
            TxnOp::Put {
                key: "t/new".into(),
                value: b"n".to_vec(),
            },
            TxnOp::Delete {
                key: "t/keep".into(),
            },
        ])
        .await
        .unwrap();
        assert_eq!(p.get("t/keep").await.unwrap(), None);
        assert_eq!(p.get("t/new").await.unwrap(), Some(b"n".to_vec()));
    }

    async fn binary_values(p: &dyn Physical) {
        let value: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        p.put("bin/v", value.clone()).await.unwrap();
        assert_eq!(p.get("bin/v").await.unwrap(), Some(value));
    }
}
