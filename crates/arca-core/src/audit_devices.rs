//! Audit device sinks: file (including `stdout` and `discard`), syslog and socket. Every write
//! is bounded by a timeout, and blocking writes run on a thread per sink, so a dead device can
//! never stall the server; failures are reported to the broker, which counts them and decides
//! fail-closed.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arca_sdk::{Error, Result};
use async_trait::async_trait;
use tokio::io::AsyncWriteExt;

use crate::audit::DeviceSpec;

#[async_trait]
pub trait AuditSink: Send + Sync {
    /// Writes one complete entry (a JSON line).
    async fn write(&self, line: Vec<u8>) -> std::result::Result<(), String>;
    /// Reopens the underlying file (after log rotation).
    fn reopen(&self) -> std::result::Result<(), String> {
        Ok(())
    }
    fn close(&self) {}
    /// The longest one write may take before it is reported failed.
    fn timeout(&self) -> Duration {
        DEFAULT_TIMEOUT
    }
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

pub fn open_device(spec: &DeviceSpec) -> Result<Arc<dyn AuditSink>> {
    match spec.device_type.as_str() {
        "file" => FileSink::open(&spec.options),
        "syslog" => SyslogSink::open(&spec.options),
        "socket" => SocketSink::open(&spec.options),
        other => Err(Error::invalid(format!(
            "unknown audit backend type: {other:?}"
        ))),
    }
}

fn known_options(options: &HashMap<String, String>, allowed: &[&str]) -> Result<()> {
    const COMMON: [&str; 6] = [
        "log_raw",
        "hmac_accessor",
        "prefix",
        "format",
        "elide_list_responses",
        "skip_test",
    ];
    for key in options.keys() {
        if !allowed.contains(&key.as_str()) && !COMMON.contains(&key.as_str()) {
            return Err(Error::invalid(format!(
                "unknown audit device option {key:?}"
            )));
        }
    }
    Ok(())
}

/// One sink's blocking writes, done in order on a thread of its own. A write that has not
/// finished within the timeout is reported failed; while it stays stuck, one more write may
/// wait behind it and any further one fails at once. A hung file (a stalled NFS mount, a FIFO
/// nobody reads) so costs one thread, never the runtime's blocking pool that every other
/// device and request share.
struct BlockingWriter {
    jobs: std::sync::mpsc::SyncSender<BlockingJob>,
}

type BlockingJob = (
    Box<dyn FnOnce() -> std::result::Result<(), String> + Send>,
    tokio::sync::oneshot::Sender<std::result::Result<(), String>>,
);

impl BlockingWriter {
    fn start(what: &str) -> Result<BlockingWriter> {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<BlockingJob>(1);
        std::thread::Builder::new()
            .name(format!("audit-{what}"))
            .spawn(move || {
                // Ends when the sink, and with it the sender, is dropped.
                for (job, done) in queue {
                    let _ = done.send(job());
                }
            })
            .map_err(|e| Error::internal(format!("cannot start the audit writer: {e}")))?;
        Ok(BlockingWriter { jobs })
    }

    async fn run<F>(&self, timeout: Duration, job: F) -> std::result::Result<(), String>
    where
        F: FnOnce() -> std::result::Result<(), String> + Send + 'static,
    {
        use std::sync::mpsc::TrySendError;
        let (done, wait) = tokio::sync::oneshot::channel();
        match self.jobs.try_send((Box::new(job), done)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err("device is stalled: an earlier write has not finished".into())
            }
            Err(TrySendError::Disconnected(_)) => return Err("audit writer has stopped".into()),
        }
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err("audit writer has stopped".into()),
            Err(_) => Err(format!("audit write timed out after {timeout:?}")),
        }
    }
}

enum FileTarget {
    Path(PathBuf),
    Stdout,
    Discard,
}

struct FileSink {
    target: FileTarget,
    mode: u32,
    file: Arc<Mutex<Option<std::fs::File>>>,
    writer: BlockingWriter,
}

impl FileSink {
    fn open(options: &HashMap<String, String>) -> Result<Arc<dyn AuditSink>> {
        known_options(options, &["file_path", "path", "mode"])?;
        let path = options
            .get("file_path")
            .or_else(|| options.get("path"))
            .ok_or_else(|| Error::invalid("file_path is required"))?;
        let mode = match options.get("mode") {
            None => 0o600,
            Some(m) => u32::from_str_radix(m, 8)
                .map_err(|_| Error::invalid(format!("invalid file mode {m:?}: expected octal")))?,
        };
        // An audit log is data, never a program: refuse executable modes outright
        // (CVE-2025-6000 turned an API-created device into code execution).
        if mode & 0o111 != 0 {
            return Err(Error::invalid(format!(
                "file mode {mode:o} is executable; audit files may not be executable"
            )));
        }
        let target = match path.as_str() {
            "stdout" => FileTarget::Stdout,
            "discard" => FileTarget::Discard,
            p => {
                let pb = PathBuf::from(p);
                if !pb.is_absolute() {
                    return Err(Error::invalid(
                        "file_path must be an absolute path, \"stdout\" or \"discard\"",
                    ));
                }
                FileTarget::Path(pb)
            }
        };
        let sink = FileSink {
            target,
            mode,
            file: Arc::new(Mutex::new(None)),
            writer: BlockingWriter::start("file")?,
        };
        sink.reopen().map_err(Error::invalid)?;
        Ok(Arc::new(sink))
    }

    fn open_file(path: &PathBuf, mode: u32) -> std::result::Result<std::fs::File, String> {
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(mode);
        }
        let file = opts
            .open(path)
            .map_err(|e| format!("failed to open audit file {}: {e}", path.display()))?;
        #[cfg(unix)]
        if mode != 0 {
            use std::os::unix::fs::PermissionsExt;
            let _ = file.set_permissions(std::fs::Permissions::from_mode(mode));
        }
        Ok(file)
    }
}

#[async_trait]
impl AuditSink for FileSink {
    async fn write(&self, line: Vec<u8>) -> std::result::Result<(), String> {
        match &self.target {
            FileTarget::Discard => Ok(()),
            FileTarget::Stdout => {
                self.writer
                    .run(DEFAULT_TIMEOUT, move || {
                        let mut out = std::io::stdout().lock();
                        out.write_all(&line).map_err(|e| e.to_string())?;
                        out.flush().map_err(|e| e.to_string())
                    })
                    .await
            }
            FileTarget::Path(_) => {
                let file = self.file.clone();
                self.writer
                    .run(DEFAULT_TIMEOUT, move || {
                        let mut guard = file
                            .lock()
                            .map_err(|_| "audit file lock poisoned".to_string())?;
                        let f = guard.as_mut().ok_or("audit file is closed")?;
                        f.write_all(&line).map_err(|e| format!("write failed: {e}"))
                    })
                    .await
            }
        }
    }

    fn reopen(&self) -> std::result::Result<(), String> {
        if let FileTarget::Path(p) = &self.target {
            let fresh = Self::open_file(p, self.mode)?;
            // A write in progress holds the lock for a moment; a stuck one holds it for good,
            // and then the reopen gives up rather than block the caller.
            for _ in 0..200 {
                match self.file.try_lock() {
                    Ok(mut guard) => {
                        *guard = Some(fresh);
                        return Ok(());
                    }
                    Err(std::sync::TryLockError::Poisoned(_)) => {
                        return Err("audit file lock poisoned".into())
                    }
                    Err(std::sync::TryLockError::WouldBlock) => {
                        std::thread::sleep(Duration::from_millis(10))
                    }
                }
            }
            return Err(format!(
                "cannot reopen {}: a write to it is stuck",
                p.display()
            ));
        }
        Ok(())
    }

    fn close(&self) {
        // Never waits on a stuck write: its thread drops the file when it ends.
        if let Ok(mut g) = self.file.try_lock() {
            *g = None;
        }
    }
}

/// Syslog over the local datagram socket (RFC 3164 framing, as Go's log/syslog writes).
struct SyslogSink {
    facility: u8,
    tag: String,
    socket_path: PathBuf,
    writer: BlockingWriter,
}

impl SyslogSink {
    fn open(options: &HashMap<String, String>) -> Result<Arc<dyn AuditSink>> {
        known_options(options, &["facility", "tag", "socket_path"])?;
        let facility_name = options
            .get("facility")
            .map(String::as_str)
            .unwrap_or("AUTH");
        let facility = match facility_name.to_ascii_uppercase().as_str() {
            "KERN" => 0,
            "USER" => 1,
            "MAIL" => 2,
            "DAEMON" => 3,
            "AUTH" => 4,
            "SYSLOG" => 5,
            "LPR" => 6,
            "NEWS" => 7,
            "UUCP" => 8,
            "CRON" => 9,
            "AUTHPRIV" => 10,
            "FTP" => 11,
            "LOCAL0" => 16,
            "LOCAL1" => 17,
            "LOCAL2" => 18,
            "LOCAL3" => 19,
            "LOCAL4" => 20,
            "LOCAL5" => 21,
            "LOCAL6" => 22,
            "LOCAL7" => 23,
            other => return Err(Error::invalid(format!("invalid syslog facility {other:?}"))),
        };
        let socket_path = options
            .get("socket_path")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/dev/log"));
        Ok(Arc::new(SyslogSink {
            facility,
            tag: options
                .get("tag")
                .cloned()
                .unwrap_or_else(|| "vault".into()),
            socket_path,
            writer: BlockingWriter::start("syslog")?,
        }))
    }
}

#[async_trait]
impl AuditSink for SyslogSink {
    async fn write(&self, line: Vec<u8>) -> std::result::Result<(), String> {
        // Severity "info" (6).
        let pri = self.facility * 8 + 6;
        let mut msg = format!(
            "<{pri}>{} {}[{}]: ",
            syslog_timestamp(),
            self.tag,
            std::process::id()
        )
        .into_bytes();
        msg.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(&line));
        let path = self.socket_path.clone();
        self.writer
            .run(DEFAULT_TIMEOUT, move || {
                let sock =
                    std::os::unix::net::UnixDatagram::unbound().map_err(|e| e.to_string())?;
                sock.set_write_timeout(Some(DEFAULT_TIMEOUT))
                    .map_err(|e| e.to_string())?;
                sock.send_to(&msg, &path)
                    .map(drop)
                    .map_err(|e| format!("syslog write to {} failed: {e}", path.display()))
            })
            .await
    }
}

fn syslog_timestamp() -> String {
    // RFC 3164 uses local "Mmm dd hh:mm:ss"; servers run in UTC.
    let now = crate::time::rfc3339_now();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m: usize = now.get(5..7).and_then(|s| s.parse().ok()).unwrap_or(1);
    let d: u32 = now.get(8..10).and_then(|s| s.parse().ok()).unwrap_or(1);
    format!(
        "{} {:>2} {}",
        months[m.saturating_sub(1).min(11)],
        d,
        now.get(11..19).unwrap_or("00:00:00")
    )
}

enum SocketKind {
    Tcp,
    Udp,
    Unix,
}

/// A socket device keeps one connection and reconnects after a failure.
struct SocketSink {
    address: String,
    kind: SocketKind,
    timeout: Duration,
    conn: tokio::sync::Mutex<Option<SocketConn>>,
}

enum SocketConn {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
    Udp(tokio::net::UdpSocket),
}

impl SocketSink {
    fn open(options: &HashMap<String, String>) -> Result<Arc<dyn AuditSink>> {
        known_options(options, &["address", "socket_type", "write_timeout"])?;
        let address = options
            .get("address")
            .cloned()
            .ok_or_else(|| Error::invalid("address is required"))?;
        let kind = match options
            .get("socket_type")
            .map(String::as_str)
            .unwrap_or("tcp")
        {
            "tcp" => SocketKind::Tcp,
            "udp" => SocketKind::Udp,
            "unix" => SocketKind::Unix,
            other => {
                return Err(Error::invalid(format!(
                    "invalid socket_type {other:?}: expected tcp, udp or unix"
                )))
            }
        };
        let timeout = match options.get("write_timeout") {
            None => DEFAULT_TIMEOUT,
            Some(t) => arca_sdk::duration::parse_duration(t)?,
        };
        if timeout.is_zero() {
            return Err(Error::invalid("write_timeout must be greater than zero"));
        }
        if !matches!(kind, SocketKind::Unix)
            && address.parse::<std::net::SocketAddr>().is_err()
            && !address.contains(':')
        {
            return Err(Error::invalid(format!(
                "invalid socket address {address:?}: expected host:port"
            )));
        }
        Ok(Arc::new(SocketSink {
            address,
            kind,
            timeout,
            conn: tokio::sync::Mutex::new(None),
        }))
    }

    async fn connect(&self) -> std::result::Result<SocketConn, String> {
        let addr = self.address.clone();
        match self.kind {
            SocketKind::Tcp => tokio::net::TcpStream::connect(addr)
                .await
                .map(SocketConn::Tcp)
                .map_err(|e| e.to_string()),
            SocketKind::Unix => tokio::net::UnixStream::connect(addr)
                .await
                .map(SocketConn::Unix)
                .map_err(|e| e.to_string()),
            SocketKind::Udp => {
                let sock = tokio::net::UdpSocket::bind("0.0.0.0:0")
                    .await
                    .map_err(|e| e.to_string())?;
                sock.connect(addr).await.map_err(|e| e.to_string())?;
                Ok(SocketConn::Udp(sock))
            }
        }
    }

    async fn write_once(&self, line: &[u8]) -> std::result::Result<(), String> {
        let mut guard = self.conn.lock().await;
        if guard.is_none() {
            *guard = Some(self.connect().await?);
        }
        let result = match guard.as_mut() {
            Some(SocketConn::Tcp(s)) => s.write_all(line).await.map_err(|e| e.to_string()),
            Some(SocketConn::Unix(s)) => s.write_all(line).await.map_err(|e| e.to_string()),
            Some(SocketConn::Udp(s)) => s.send(line).await.map(drop).map_err(|e| e.to_string()),
            None => Err("not connected".into()),
        };
        if result.is_err() {
            *guard = None;
        }
        result
    }
}

#[async_trait]
impl AuditSink for SocketSink {
    async fn write(&self, line: Vec<u8>) -> std::result::Result<(), String> {
        match tokio::time::timeout(self.timeout, self.write_once(&line)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("socket {}: {e}", self.address)),
            Err(_) => {
                // A hung peer: drop the connection so the next write reconnects.
                if let Ok(mut g) = self.conn.try_lock() {
                    *g = None;
                }
                Err(format!(
                    "socket {}: write timed out after {:?}",
                    self.address, self.timeout
                ))
            }
        }
    }

    fn close(&self) {
        if let Ok(mut g) = self.conn.try_lock() {
            *g = None;
        }
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }
}
