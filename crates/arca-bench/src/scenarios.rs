//! The wrk scenarios (what each sends, with which script) and how one is measured: a
//! warm-up per target, then rounds in which the targets take turns, each run bracketed by
//! readings of the server's CPU time, the machine's CPU use and the server's RSS.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::Method;
use serde_json::json;

use crate::ceiling::CannedResponse;
use crate::client::{Conn, RawResponse};
use crate::error::{BenchError, Result};
use crate::procs::{self, Proc};
use crate::report::{Sample, ScenarioResult, TargetResult, ARCA, CEILING};
use crate::seed::{Fixture, SECRET_BODY, TRANSIT_PLAINTEXT};
use crate::servers::{free_port, Server};
use crate::wrk::{self, WrkJob, WrkSettings};

/// Keys the write scenario spreads its writes over.
const WRITE_KEYS: usize = 1000;

/// A scenario of the main run.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub id: &'static str,
    pub title: &'static str,
    /// Servers run with one file audit device declared in their config.
    pub audit: bool,
    /// A ceiling server replays Arca's answer under the same load.
    pub ceiling: bool,
}

/// In run order: the token-minting AppRole login comes last so the tokens it leaves behind
/// weigh on no other figure.
pub const SCENARIOS: [Scenario; 9] = [
    Scenario {
        id: "kv_read_hot",
        title: "KV v2 read, one hot key",
        audit: false,
        ceiling: true,
    },
    Scenario {
        id: "kv_read_root",
        title: "KV v2 read, one hot key, root token (no ACL, no token lease)",
        audit: false,
        ceiling: false,
    },
    Scenario {
        id: "kv_read_audit",
        title: "KV v2 read, one hot key, file audit device on",
        audit: true,
        ceiling: false,
    },
    Scenario {
        id: "kv_read_10k",
        title: "KV v2 read over the seeded keys",
        audit: false,
        ceiling: true,
    },
    Scenario {
        id: "kv_write",
        title: "KV v2 write (durable)",
        audit: false,
        ceiling: true,
    },
    Scenario {
        id: "transit_encrypt",
        title: "transit encrypt",
        audit: false,
        ceiling: true,
    },
    Scenario {
        id: "transit_decrypt",
        title: "transit decrypt",
        audit: false,
        ceiling: true,
    },
    Scenario {
        id: "token_lookup_self",
        title: "token lookup-self",
        audit: false,
        ceiling: true,
    },
    Scenario {
        id: "approle_login",
        title: "AppRole login",
        audit: false,
        ceiling: true,
    },
];

/// What wrk sends to one server, and one request equal to it (checked before the runs,
/// and replayed by the ceiling).
#[derive(Debug, Clone)]
pub struct WrkSpec {
    pub script: &'static str,
    pub args: Vec<String>,
    pub method: Method,
    pub path: String,
    pub token: Option<String>,
    pub body: Option<String>,
}

fn fixed(method: Method, path: &str, token: Option<&str>, body: Option<String>) -> WrkSpec {
    let mut args = vec![
        method.to_string(),
        path.to_string(),
        token.unwrap_or("").to_string(),
    ];
    args.extend(body.clone());
    WrkSpec {
        script: "request.lua",
        args,
        method,
        path: path.to_string(),
        token: token.map(str::to_string),
        body,
    }
}

pub fn spec(id: &str, fx: &Fixture) -> WrkSpec {
    let token = Some(fx.token.as_str());
    match id {
        "kv_read_10k" => WrkSpec {
            script: "kv_read_keys.lua",
            args: vec![
                "/v1/secret/data/k/".into(),
                fx.keys.to_string(),
                fx.token.clone(),
            ],
            method: Method::GET,
            path: "/v1/secret/data/k/0".into(),
            token: Some(fx.token.clone()),
            body: None,
        },
        "kv_write" => WrkSpec {
            script: "kv_write.lua",
            args: vec![
                "/v1/secret/data/w/".into(),
                WRITE_KEYS.to_string(),
                fx.token.clone(),
                SECRET_BODY.into(),
            ],
            method: Method::POST,
            path: "/v1/secret/data/w/0".into(),
            token: Some(fx.token.clone()),
            body: Some(SECRET_BODY.into()),
        },
        "transit_encrypt" => fixed(
            Method::POST,
            "/v1/transit/encrypt/bench",
            token,
            Some(json!({ "plaintext": TRANSIT_PLAINTEXT }).to_string()),
        ),
        "transit_decrypt" => fixed(
            Method::POST,
            "/v1/transit/decrypt/bench",
            token,
            Some(json!({ "ciphertext": fx.ciphertext }).to_string()),
        ),
        "token_lookup_self" => fixed(Method::GET, "/v1/auth/token/lookup-self", token, None),
        "approle_login" => fixed(
            Method::POST,
            "/v1/auth/approle/login",
            None,
            Some(json!({ "role_id": fx.role_id, "secret_id": fx.secret_id }).to_string()),
        ),
        "kv_read_root" => fixed(
            Method::GET,
            "/v1/secret/data/hot",
            Some(&fx.root_token),
            None,
        ),
        // kv_read_hot, kv_read_audit
        _ => fixed(Method::GET, "/v1/secret/data/hot", token, None),
    }
}

/// Sends the spec's sample request once.
async fn send_sample(addr: &str, s: &WrkSpec) -> Result<RawResponse> {
    let mut conn = Conn::connect(addr).await?;
    conn.send(
        s.method.clone(),
        &s.path,
        s.token.as_deref(),
        s.body.clone().map(Bytes::from),
    )
    .await
}

/// One target under load in a scenario.
pub struct Endpoint {
    pub name: &'static str,
    pub addr: String,
    pub pid: u32,
    pub spec: WrkSpec,
    /// The server's audit file, when an audit device is on: it must grow in every run.
    pub audit_log: Option<PathBuf>,
}

/// What every measured run shares.
pub struct Runner {
    pub wrk: PathBuf,
    pub scripts: PathBuf,
    pub settings: WrkSettings,
    pub rounds: u32,
    pub work: PathBuf,
    pub self_exe: PathBuf,
}

impl Runner {
    fn run_wrk(&self, ep: &Endpoint, duration: Duration, log: &Path) -> Result<wrk::WrkResult> {
        let script = self.scripts.join(ep.spec.script);
        let url = format!("http://{}", ep.addr);
        let job = WrkJob {
            wrk: &self.wrk,
            script: &script,
            url: &url,
            args: &ep.spec.args,
            duration,
            log,
        };
        tokio::task::block_in_place(|| wrk::run(&self.settings, &job))
    }

    /// One measured run with the CPU and RSS readings around it.
    fn measure(&self, ep: &Endpoint, round: u32, log: &Path) -> Result<Sample> {
        let clk = procs::clock_ticks_per_sec() as f64;
        let cpu0 = procs::cpu_ticks(ep.pid);
        let (busy0, total0) = procs::machine_ticks();
        let wrk0 = procs::children_cpu_ticks();
        let result = self.run_wrk(ep, self.settings.duration, log)?;
        let cpu1 = procs::cpu_ticks(ep.pid);
        let (busy1, total1) = procs::machine_ticks();
        let wrk1 = procs::children_cpu_ticks();
        let server_ticks = match (cpu0, cpu1) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        let wrk_ticks = wrk1.saturating_sub(wrk0);
        let busy = busy1.saturating_sub(busy0) as f64;
        let total = total1.saturating_sub(total0).max(1) as f64;
        let foreign = (busy - server_ticks.unwrap_or(0) as f64 - wrk_ticks as f64).max(0.0);
        let mut problems = result.problems();
        if let Some(log) = &ep.audit_log {
            let written = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
            if written == 0 {
                problems.push(format!("{} wrote no audit entry", ep.name));
            }
        }
        let rss = procs::rss_kib(ep.pid).map(|k| k as f64 / 1024.0);
        if rss.is_none() {
            problems.push(format!("{} was not running after the run", ep.name));
        }
        Ok(Sample {
            round,
            requests_per_sec: result.requests_per_sec(),
            server_cpu_us_per_request: server_ticks
                .filter(|_| result.requests > 0)
                .map(|t| t as f64 / clk * 1e6 / result.requests as f64),
            server_cpu_ms: server_ticks.map(|t| t as f64 / clk * 1e3),
            wrk_cpu_ms: wrk_ticks as f64 / clk * 1e3,
            foreign_cpu_pct: foreign / total * 100.0,
            rss_mib_after: rss,
            wrk: result,
            problems,
        })
    }

    /// Starts a ceiling that replays `canned`; returns the process and its address.
    async fn start_ceiling(&self, id: &str, canned: &CannedResponse) -> Result<(Proc, String)> {
        let file = self.work.join(format!("ceiling-{id}.json"));
        let text = serde_json::to_string(canned).map_err(|e| BenchError::setup(e.to_string()))?;
        std::fs::write(&file, text)
            .map_err(|e| BenchError::io(format!("writing {}", file.display()), e))?;
        let addr = format!("127.0.0.1:{}", free_port()?);
        let mut cmd = Command::new(&self.self_exe);
        cmd.arg("ceiling")
            .arg("--listen")
            .arg(&addr)
            .arg("--response")
            .arg(&file);
        let mut proc = Proc::spawn("ceiling", &mut cmd, &self.work.join("ceiling.log"))?;
        let start = Instant::now();
        while Conn::connect(&addr).await.is_err() {
            if !proc.running() || start.elapsed() > Duration::from_secs(10) {
                return Err(BenchError::setup(
                    "the ceiling server did not start (see ceiling.log)",
                ));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok((proc, addr))
    }

    /// Runs one scenario on both servers (and the ceiling), alternating targets each round.
    pub async fn run(
        &self,
        sc: &Scenario,
        servers: &mut [Server],
        fixtures: &[Fixture],
    ) -> ScenarioResult {
        let mut result = ScenarioResult {
            id: sc.id.to_string(),
            title: sc.title.to_string(),
            targets: Vec::new(),
            error: None,
        };
        eprintln!("== {} ({})", sc.id, sc.title);
        match self.run_inner(sc, servers, fixtures).await {
            Ok(targets) => result.targets = targets,
            Err(e) => {
                eprintln!("   !! {}: {e}", sc.id);
                result.error = Some(e.to_string());
            }
        }
        if sc.audit {
            for s in servers.iter_mut() {
                if let Err(e) = s.restart(false).await {
                    result
                        .error
                        .get_or_insert(format!("restart without audit: {e}"));
                }
            }
        }
        result
    }

    async fn run_inner(
        &self,
        sc: &Scenario,
        servers: &mut [Server],
        fixtures: &[Fixture],
    ) -> Result<Vec<TargetResult>> {
        if sc.audit {
            for s in servers.iter_mut() {
                s.restart(true).await?;
            }
        }
        let mut endpoints = Vec::new();
        let mut arca_answer = None;
        for (server, fx) in servers.iter().zip(fixtures) {
            let spec = spec(sc.id, fx);
            let answer = send_sample(&server.addr, &spec).await?;
            if !(200..300).contains(&answer.status) {
                return Err(BenchError::setup(format!(
                    "{} answered {} to the scenario's request: {}",
                    server.product.name(),
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                )));
            }
            if server.product.name() == ARCA {
                arca_answer = Some((CannedResponse::from_raw(&answer), spec.clone()));
            }
            endpoints.push(Endpoint {
                name: server.product.name(),
                addr: server.addr.clone(),
                pid: server
                    .pid()
                    .ok_or_else(|| BenchError::setup("server not running"))?,
                spec,
                audit_log: server.audit.then(|| server.audit_log()),
            });
        }
        let mut ceiling_proc = None;
        if let (true, Some((canned, spec))) = (sc.ceiling, arca_answer) {
            let (proc, addr) = self.start_ceiling(sc.id, &canned).await?;
            endpoints.push(Endpoint {
                name: CEILING,
                addr,
                pid: proc.pid(),
                spec,
                audit_log: None,
            });
            ceiling_proc = Some(proc);
        }
        let logs = self.work.join("wrk");
        std::fs::create_dir_all(&logs)
            .map_err(|e| BenchError::io("creating the wrk log dir", e))?;
        for ep in &endpoints {
            let log = logs.join(format!("{}-{}-warmup.txt", sc.id, ep.name));
            let warm = self.run_wrk(ep, self.settings.warmup, &log)?;
            let problems = warm.problems();
            if !problems.is_empty() {
                eprintln!("   !! warm-up on {}: {}", ep.name, problems.join(", "));
            }
            self.truncate_audit_logs(servers);
        }
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); endpoints.len()];
        for round in 1..=self.rounds {
            for (i, ep) in endpoints.iter().enumerate() {
                let log = logs.join(format!("{}-{}-{round}.txt", sc.id, ep.name));
                let s = self.measure(ep, round, &log)?;
                eprintln!(
                    "   round {round} {:<8} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  cpu {:>7.1} µs/req  rss {:>6.1} MiB  other load {:>3.0}%{}",
                    ep.name,
                    s.requests_per_sec,
                    s.wrk.p50_us as f64 / 1000.0,
                    s.wrk.p99_us as f64 / 1000.0,
                    s.server_cpu_us_per_request.unwrap_or(f64::NAN),
                    s.rss_mib_after.unwrap_or(f64::NAN),
                    s.foreign_cpu_pct,
                    if s.problems.is_empty() { String::new() } else { format!("  !! INVALID: {}", s.problems.join(", ")) }
                );
                samples[i].push(s);
                self.truncate_audit_logs(servers);
            }
        }
        drop(ceiling_proc);
        Ok(endpoints
            .iter()
            .zip(samples)
            .map(|(ep, s)| TargetResult::from_samples(ep.name, s))
            .collect())
    }

    /// Keeps the audit files from filling the disk (devices append, so truncation is safe).
    fn truncate_audit_logs(&self, servers: &[Server]) {
        for s in servers.iter().filter(|s| s.audit) {
            if let Ok(f) = std::fs::OpenOptions::new().write(true).open(s.audit_log()) {
                let _ = f.set_len(0);
            }
        }
    }
}
