//! The default, crash-safe single-node storage: one redb file, written by one thread that
//! batches concurrent writes into a single durable commit (group commit).
//!
//! Why a writer thread: redb allows one write transaction at a time and each commit costs an
//! fsync. Serialising writers on a lock would cap throughput at one fsync per write; the
//! writer instead drains every queued write into one transaction, so N concurrent clients
//! share one fsync. A write is acknowledged only after its commit returned.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;

use async_trait::async_trait;
use redb::{Database, ReadableDatabase, TableDefinition};
use tokio::sync::oneshot;

use super::{list_one_level, Physical, PhysicalError, PhysicalResult, TxnOp, MAX_VALUE_SIZE};

const ENTRIES: TableDefinition<&str, &[u8]> = TableDefinition::new("entries");

/// Upper bound of one group commit, so one huge burst does not delay its first writers.
const MAX_BATCH_JOBS: usize = 4096;
const MAX_BATCH_BYTES: usize = 64 * 1024 * 1024;

struct WriteJob {
    ops: Vec<TxnOp>,
    done: oneshot::Sender<PhysicalResult<()>>,
}

pub struct EmbeddedBackend {
    db: Arc<Database>,
    /// `None` only while dropping: closing the channel stops the writer thread.
    writer: Option<mpsc::Sender<WriteJob>>,
    writer_thread: Option<std::thread::JoinHandle<()>>,
    path: PathBuf,
}

fn db_err(e: impl std::fmt::Display) -> PhysicalError {
    PhysicalError::Database(e.to_string())
}

impl EmbeddedBackend {
    /// Opens (or creates) the store in directory `dir`, as `storage "file"` / `"raft"` give.
    pub fn open(dir: &Path, cache_bytes: usize) -> PhysicalResult<Self> {
        std::fs::create_dir_all(dir).map_err(db_err)?;
        set_private_permissions(dir);
        let path = dir.join("arca.redb");
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create(&path)
            .map_err(db_err)?;
        // Owner-only, as Vault's data files (the contents are encrypted either way).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(db_err)?;
        }
        {
            let mut txn = db.begin_write().map_err(db_err)?;
            // Quick-repair here too: when no write follows before a crash, this commit is the
            // one recovery starts from, and without its allocator state recovery walked the
            // whole file (4.5 s at 1M leases).
            txn.set_quick_repair(true);
            txn.open_table(ENTRIES).map_err(db_err)?;
            txn.commit().map_err(db_err)?;
        }
        let db = Arc::new(db);
        let (tx, rx) = mpsc::channel::<WriteJob>();
        let writer_db = db.clone();
        let writer_thread = std::thread::Builder::new()
            .name("arca-storage-writer".into())
            .spawn(move || writer_loop(&writer_db, rx))
            .map_err(db_err)?;
        Ok(EmbeddedBackend {
            db,
            writer: Some(tx),
            writer_thread: Some(writer_thread),
            path,
        })
    }

    pub fn file_path(&self) -> &Path {
        &self.path
    }
}

/// Closes the database cleanly before the backend is gone. Without the join, the writer
/// thread held the last handle and ran redb's closing commit on its own while the process
/// exited: a graceful stop left the file needing recovery, and the next start re-read the
/// whole store (hundreds of milliseconds and tens of MiB at 100k leases).
impl Drop for EmbeddedBackend {
    fn drop(&mut self) {
        // Closing the queue ends the writer loop after the jobs already queued.
        self.writer = None;
        if let Some(thread) = self.writer_thread.take() {
            let _ = thread.join();
        }
        // `db` is now the last handle: dropping it (next) runs redb's close on this thread.
    }
}

#[cfg(unix)]
fn set_private_permissions(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}

#[cfg(not(unix))]
fn set_private_permissions(_dir: &Path) {}

fn writer_loop(db: &Database, rx: mpsc::Receiver<WriteJob>) {
    while let Ok(first) = rx.recv() {
        let mut bytes = job_bytes(&first);
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH_JOBS && bytes < MAX_BATCH_BYTES {
            match rx.try_recv() {
                Ok(job) => {
                    bytes += job_bytes(&job);
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let result = commit_batch(db, &batch);
        for job in batch {
            let _ = job.done.send(match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(PhysicalError::Database(e.to_string())),
            });
        }
    }
}

fn job_bytes(job: &WriteJob) -> usize {
    job.ops
        .iter()
        .map(|op| match op {
            TxnOp::Put { key, value } => key.len() + value.len(),
            TxnOp::Delete { key } => key.len(),
        })
        .sum()
}

fn commit_batch(db: &Database, batch: &[WriteJob]) -> PhysicalResult<()> {
    let mut txn = db.begin_write().map_err(db_err)?;
    // Quick-repair saves the allocator state with every commit (and commits in two phases),
    // so reopening after a crash does not walk the whole file: recovery time stays flat as
    // the store grows. The extra cost is shared by every write of the group commit.
    txn.set_quick_repair(true);
    {
        let mut table = txn.open_table(ENTRIES).map_err(db_err)?;
        for job in batch {
            for op in &job.ops {
                match op {
                    TxnOp::Put { key, value } => {
                        table
                            .insert(key.as_str(), value.as_slice())
                            .map_err(db_err)?;
                    }
                    TxnOp::Delete { key } => {
                        table.remove(key.as_str()).map_err(db_err)?;
                    }
                }
            }
        }
    }
    // Durability::Immediate is redb's default: commit returns after fsync.
    txn.commit().map_err(db_err)
}

#[async_trait]
impl Physical for EmbeddedBackend {
    async fn get(&self, key: &str) -> PhysicalResult<Option<Vec<u8>>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(ENTRIES).map_err(db_err)?;
        Ok(table.get(key).map_err(db_err)?.map(|v| v.value().to_vec()))
    }

    async fn list_page(
        &self,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> PhysicalResult<Vec<String>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(ENTRIES).map_err(db_err)?;
        list_one_level(prefix, after, limit, |start| {
            let range = table.range::<&str>(start..).map_err(db_err)?;
            Ok(range.map(|item| item.map(|(k, _)| k.value().to_string()).map_err(db_err)))
        })
    }

    async fn transaction(&self, ops: Vec<TxnOp>) -> PhysicalResult<()> {
        for op in &ops {
            if let TxnOp::Put { value, .. } = op {
                if value.len() > MAX_VALUE_SIZE {
                    return Err(PhysicalError::TooLarge(value.len()));
                }
            }
        }
        let (done, wait) = oneshot::channel();
        self.writer
            .as_ref()
            .ok_or(PhysicalError::WriterGone)?
            .send(WriteJob { ops, done })
            .map_err(|_| PhysicalError::WriterGone)?;
        wait.await.map_err(|_| PhysicalError::WriterGone)?
    }

    fn kind(&self) -> &'static str {
        "embedded"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        let backend = EmbeddedBackend::open(dir.path(), 16 << 20).unwrap();
        super::super::conformance::run(&backend).await;
    }

    #[tokio::test]
    async fn survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let backend = EmbeddedBackend::open(dir.path(), 16 << 20).unwrap();
            backend.put("k", b"v".to_vec()).await.unwrap();
        }
        let backend = EmbeddedBackend::open(dir.path(), 16 << 20).expect("reopen at once");
        assert_eq!(backend.get("k").await.unwrap(), Some(b"v".to_vec()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.path().join("arca.redb")), 0o600);
            assert_eq!(mode(dir.path()), 0o700);
        }
    }

    /// A dropped backend has closed its file: it reopens at once and needs no recovery.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn drop_closes_the_database_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        for round in 0..5 {
            let backend = EmbeddedBackend::open(dir.path(), 16 << 20).unwrap();
            for i in 0..50 {
                backend
                    .put(&format!("r{round}/{i}"), vec![7; 512])
                    .await
                    .unwrap();
            }
            drop(backend);
            let repaired = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flag = repaired.clone();
            let db = Database::builder()
                .set_repair_callback(move |_| flag.store(true, std::sync::atomic::Ordering::SeqCst))
                .create(dir.path().join("arca.redb"))
                .expect("the file is free as soon as the backend is dropped");
            drop(db);
            assert!(
                !repaired.load(std::sync::atomic::Ordering::SeqCst),
                "round {round}: the file needed recovery after a clean drop"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(EmbeddedBackend::open(dir.path(), 16 << 20).unwrap());
        let mut tasks = Vec::new();
        for i in 0..200 {
            let b = backend.clone();
            tasks.push(tokio::spawn(async move {
                b.put(&format!("c/{i:03}"), vec![i as u8]).await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(backend.list_page("c/", "", 0).await.unwrap().len(), 200);
    }
}
