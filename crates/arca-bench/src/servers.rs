//! The two servers under test, Arca and OpenBao, each with a persistent single-node
//! configuration in its own directory: write the config, start, initialise, unseal,
//! restart, and time each step of a start.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hyper::Method;
use serde::Serialize;
use serde_json::json;

use crate::client::Api;
use crate::error::{BenchError, Result};
use crate::procs::{self, Proc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Product {
    Arca,
    OpenBao,
}

impl Product {
    pub fn name(self) -> &'static str {
        match self {
            Product::Arca => "Arca",
            Product::OpenBao => "OpenBao",
        }
    }
}

/// A free port of 127.0.0.1 (bound then released).
pub fn free_port() -> Result<u16> {
    let l =
        TcpListener::bind("127.0.0.1:0").map_err(|e| BenchError::io("finding a free port", e))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| BenchError::io("finding a free port", e))
}

/// Milliseconds from process start to each milestone of a start.
#[derive(Debug, Clone, Serialize)]
pub struct StartTimes {
    /// The listener answers (sealed).
    pub listening_ms: f64,
    /// `sys/unseal` answered `sealed: false`.
    pub unsealed_ms: f64,
    /// `sys/health` answered 200.
    pub health_ms: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One server under test.
pub struct Server {
    pub product: Product,
    bin: PathBuf,
    pub dir: PathBuf,
    pub addr: String,
    cluster_addr: String,
    proc: Option<Proc>,
    unseal_key: String,
    pub root_token: String,
    /// Whether the running instance has the file audit device in its config.
    pub audit: bool,
}

impl Server {
    /// Prepares (does not start) a server in `dir`, which must exist.
    pub fn new(product: Product, bin: &Path, dir: PathBuf) -> Result<Server> {
        std::fs::create_dir_all(dir.join("data"))
            .map_err(|e| BenchError::io(format!("creating {}", dir.display()), e))?;
        Ok(Server {
            product,
            bin: bin.to_path_buf(),
            addr: format!("127.0.0.1:{}", free_port()?),
            cluster_addr: format!("127.0.0.1:{}", free_port()?),
            dir,
            proc: None,
            unseal_key: String::new(),
            root_token: String::new(),
            audit: false,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn pid(&self) -> Option<u32> {
        self.proc.as_ref().map(Proc::pid)
    }

    pub fn rss_kib(&self) -> Option<u64> {
        procs::rss_kib(self.pid()?)
    }

    pub fn audit_log(&self) -> PathBuf {
        self.dir.join("audit.log")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The same listener, mlock setting and log level for both; only the storage stanza
    /// differs (OpenBao 2.x has no file backend).
    pub fn config_text(&self, audit: bool) -> String {
        let data = self.dir.join("data");
        let storage = match self.product {
            Product::Arca => format!("storage \"file\" {{\n  path = \"{}\"\n}}\n", data.display()),
            Product::OpenBao => format!(
                "storage \"raft\" {{\n  path    = \"{}\"\n  node_id = \"bench\"\n}}\n",
                data.display()
            ),
        };
        let audit = if audit {
            format!(
                "audit \"file\" \"file\" {{\n  options {{\n    file_path = \"{}\"\n  }}\n}}\n",
                self.audit_log().display()
            )
        } else {
            String::new()
        };
        format!(
            "{storage}\nlistener \"tcp\" {{\n  address     = \"{addr}\"\n  tls_disable = true\n}}\n\n\
             api_addr      = \"http://{addr}\"\ncluster_addr  = \"http://{cluster}\"\n\
             disable_mlock = true\nlog_level     = \"warn\"\n{audit}",
            addr = self.addr,
            cluster = self.cluster_addr,
        )
    }

    pub fn api(&self, token: &str) -> Api {
        Api {
            name: self.product.name().to_string(),
            addr: self.addr.clone(),
            token: token.to_string(),
        }
    }

    fn root_api(&self) -> Api {
        self.api(&self.root_token)
    }

    /// Writes the config and starts the process; returns the instant it was started.
    pub fn spawn(&mut self, audit: bool) -> Result<Instant> {
        let config = self.dir.join("config.hcl");
        std::fs::write(&config, self.config_text(audit))
            .map_err(|e| BenchError::io(format!("writing {}", config.display()), e))?;
        let mut cmd = Command::new(&self.bin);
        cmd.arg("server")
            .arg(format!("-config={}", config.display()))
            .env_remove("VAULT_ADDR")
            .env_remove("VAULT_TOKEN")
            .env_remove("BAO_ADDR")
            .env_remove("BAO_TOKEN");
        let started = Instant::now();
        self.proc = Some(Proc::spawn(
            self.product.name(),
            &mut cmd,
            &self.log_path(),
        )?);
        self.audit = audit;
        Ok(started)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    fn check_running(&mut self) -> Result<()> {
        let running = self.proc.as_mut().is_some_and(Proc::running);
        if running {
            Ok(())
        } else {
            Err(BenchError::setup(format!(
                "{} exited; its log ends with:\n{}",
                self.product.name(),
                self.log_tail()
            )))
        }
    }

    /// Polls until the listener answers anything; returns the time since `started`.
    pub async fn wait_listening(&mut self, started: Instant, limit: Duration) -> Result<Duration> {
        let api = self.api("");
        loop {
            if api.raw(Method::GET, "sys/seal-status", None).await.is_ok() {
                return Ok(started.elapsed());
            }
            self.check_running()?;
            if started.elapsed() > limit {
                return Err(BenchError::setup(format!(
                    "{} did not listen within {limit:?}",
                    self.product.name()
                )));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Polls `sys/health` until it answers 200; returns the time since `started`.
    pub async fn wait_health(&mut self, started: Instant, limit: Duration) -> Result<Duration> {
        let api = self.api("");
        loop {
            if let Ok(r) = api.raw(Method::GET, "sys/health", None).await {
                if r.status == 200 {
                    return Ok(started.elapsed());
                }
            }
            self.check_running()?;
            if started.elapsed() > limit {
                return Err(BenchError::setup(format!(
                    "{} sys/health was not 200 within {limit:?}",
                    self.product.name()
                )));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    pub async fn unseal(&self) -> Result<()> {
        let body = json!({ "key": self.unseal_key });
        let r = self
            .api("")
            .ok(Method::PUT, "sys/unseal", Some(&body))
            .await?;
        if r["sealed"] != json!(false) {
            return Err(BenchError::setup(format!(
                "{} still sealed after the unseal key: {r}",
                self.product.name()
            )));
        }
        Ok(())
    }

    /// First start: initialise with one key share, unseal, wait until active.
    pub async fn start_fresh(&mut self) -> Result<()> {
        let started = self.spawn(false)?;
        self.wait_listening(started, Duration::from_secs(60))
            .await?;
        self.resolve_real_binary();
        let init = self
            .api("")
            .ok(
                Method::PUT,
                "sys/init",
                Some(&json!({ "secret_shares": 1, "secret_threshold": 1 })),
            )
            .await?;
        self.unseal_key = init["keys"][0].as_str().unwrap_or_default().to_string();
        self.root_token = init["root_token"].as_str().unwrap_or_default().to_string();
        if self.unseal_key.is_empty() || self.root_token.is_empty() {
            return Err(BenchError::setup(format!(
                "{} sys/init answered without keys or root token",
                self.product.name()
            )));
        }
        self.unseal().await?;
        self.wait_health(started, Duration::from_secs(120)).await?;
        Ok(())
    }

    /// `bao` on PATH may be a pyenv shim or a Python wrapper that execs the real binary
    /// (same PID): later starts use the real binary, so a cold start times the server alone.
    fn resolve_real_binary(&mut self) {
        if let Some(pid) = self.pid() {
            if let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) {
                if exe.is_file() {
                    self.bin = exe;
                }
            }
        }
    }

    /// SIGTERM (graceful) and wait for the exit.
    pub fn stop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.stop(Duration::from_secs(60));
        }
    }

    /// SIGKILL: a crash.
    pub fn kill(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill();
        }
    }

    /// Stops the running instance and starts it again (with or without the audit device),
    /// unsealing as soon as the listener answers; returns the milestones.
    pub async fn restart(&mut self, audit: bool) -> Result<StartTimes> {
        self.stop();
        let started = self.spawn(audit)?;
        let listening = self
            .wait_listening(started, Duration::from_secs(300))
            .await?;
        self.unseal().await?;
        let unsealed = started.elapsed();
        let health = self.wait_health(started, Duration::from_secs(600)).await?;
        Ok(StartTimes {
            listening_ms: ms(listening),
            unsealed_ms: ms(unsealed),
            health_ms: ms(health),
        })
    }

    /// Root-token API of the running instance.
    pub fn admin(&self) -> Api {
        self.root_api()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill();
        }
    }
}

/// `bao version`'s first line, for the report.
pub fn bao_version(bin: &Path) -> String {
    Command::new(bin)
        .arg("version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}
