//! Lease restore: N tokens with a TTL (each one a lease, in both products) created through
//! the API on a fresh server, then a restart: how long until the server answers a lookup
//! of one of those tokens and `sys/health` 200, and how much memory it holds afterwards;
//! then the same after SIGKILL, which shows what crash recovery costs at that size.

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::Method;
use serde_json::json;

use crate::client::bulk;
use crate::error::{BenchError, Result};
use crate::report::{CrashRestart, LeaseResult};
use crate::servers::{Product, Server};

const CREATE_BODY: &str = r#"{"ttl":"768h","policies":["default"]}"#;
const CONCURRENCY: usize = 64;
/// RSS counts as settled when it moved less than this over `SETTLE_WINDOW`.
const SETTLE_TOLERANCE_MIB: f64 = 1.0;
const SETTLE_WINDOW: Duration = Duration::from_secs(5);
const SETTLE_LIMIT: Duration = Duration::from_secs(180);

fn mib(kib: Option<u64>) -> Option<f64> {
    kib.map(|k| k as f64 / 1024.0)
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Runs the whole measurement for one product at one N, in `dir` (removed afterwards).
pub async fn lease_restore(product: Product, bin: &Path, dir: &Path, n: u64) -> LeaseResult {
    let mut result = LeaseResult {
        target: product.name().to_string(),
        leases: n,
        ..LeaseResult::default()
    };
    eprintln!("== lease_restore: {} with {n} leases", product.name());
    if let Err(e) = measure(product, bin, dir, n, &mut result).await {
        eprintln!("   !! {e}");
        result.error = Some(e.to_string());
    }
    let _ = std::fs::remove_dir_all(dir);
    result
}

async fn measure(
    product: Product,
    bin: &Path,
    dir: &Path,
    n: u64,
    out: &mut LeaseResult,
) -> Result<()> {
    let mut server = Server::new(product, bin, dir.to_path_buf())?;
    server.start_fresh().await?;
    let label = format!("{} token create", product.name());
    let report = bulk(
        &server.addr,
        &server.root_token,
        n as usize,
        CONCURRENCY,
        Some(&label),
        |_| {
            (
                Method::POST,
                "auth/token/create".to_string(),
                Some(Bytes::from_static(CREATE_BODY.as_bytes())),
            )
        },
    )
    .await;
    if report.failed() > 0 {
        return Err(BenchError::setup(format!(
            "creating {n} tokens: {} failed (by status, 0 = transport: {:?}); first: {}",
            report.failed(),
            report.failures,
            report.first_failure.unwrap_or_default()
        )));
    }
    out.create_secs = report.elapsed.as_secs_f64();
    out.create_per_sec = report.per_sec();
    eprintln!(
        "   created {n} tokens in {:.1} s ({:.0}/s)",
        out.create_secs, out.create_per_sec
    );
    let probe = server
        .admin()
        .ok(
            Method::POST,
            "auth/token/create",
            Some(&json!({ "ttl": "768h", "policies": ["default"] })),
        )
        .await?;
    let probe = probe
        .pointer("/auth/client_token")
        .and_then(|v| v.as_str())
        .ok_or_else(|| BenchError::setup("token create answered no client_token"))?
        .to_string();
    out.rss_mib_before_restart = mib(server.rss_kib());

    server.stop();
    out.data_dir_mib = dir_size(&dir.join("data")) as f64 / (1024.0 * 1024.0);
    let started = server.spawn(false)?;
    out.listening_ms = ms(server
        .wait_listening(started, Duration::from_secs(600))
        .await?);
    server.unseal().await?;
    out.unsealed_ms = ms(started.elapsed());
    let (lookup, health) = wait_ready(&mut server, &probe, started).await?;
    out.token_lookup_ms = ms(lookup);
    out.health_ms = ms(health);
    out.rss_mib_ready = mib(server.rss_kib());
    let (settled, after) = settle(&server).await;
    out.rss_mib_settled = settled;
    out.settle_secs = after.as_secs_f64();
    server.kill();
    let started = server.spawn(false)?;
    let listening = server
        .wait_listening(started, Duration::from_secs(900))
        .await?;
    server.unseal().await?;
    let (lookup, health) = wait_ready(&mut server, &probe, started).await?;
    let crash = CrashRestart {
        listening_ms: ms(listening),
        token_lookup_ms: ms(lookup),
        health_ms: ms(health),
        rss_mib_ready: mib(server.rss_kib()),
    };
    eprintln!(
        "   restart: listening {:.0} ms, token lookup {:.0} ms, health {:.0} ms; RSS ready {:.1} MiB, settled {:.1} MiB",
        out.listening_ms,
        out.token_lookup_ms,
        out.health_ms,
        out.rss_mib_ready.unwrap_or(f64::NAN),
        out.rss_mib_settled.unwrap_or(f64::NAN)
    );
    eprintln!(
        "   after SIGKILL: listening {:.0} ms, token lookup {:.0} ms, health {:.0} ms; RSS ready {:.1} MiB",
        crash.listening_ms,
        crash.token_lookup_ms,
        crash.health_ms,
        crash.rss_mib_ready.unwrap_or(f64::NAN)
    );
    out.crash = Some(crash);
    server.stop();
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Polls the token lookup and `sys/health` until both answer 200; times since `started`.
async fn wait_ready(
    server: &mut Server,
    probe: &str,
    started: Instant,
) -> Result<(Duration, Duration)> {
    let user = server.api(probe);
    let anon = server.api("");
    let (mut lookup, mut health) = (None, None);
    while lookup.is_none() || health.is_none() {
        if lookup.is_none() {
            if let Ok(r) = user.raw(Method::GET, "auth/token/lookup-self", None).await {
                if r.status == 200 {
                    lookup = Some(started.elapsed());
                }
            }
        }
        if health.is_none() {
            if let Ok(r) = anon.raw(Method::GET, "sys/health", None).await {
                if r.status == 200 {
                    health = Some(started.elapsed());
                }
            }
        }
        if started.elapsed() > Duration::from_secs(900) {
            return Err(BenchError::setup(format!(
                "{} not ready 15 minutes after start",
                server.product.name()
            )));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok((lookup.unwrap_or_default(), health.unwrap_or_default()))
}

/// Samples RSS until it stops moving (background lease loading done) or the limit passes.
async fn settle(server: &Server) -> (Option<f64>, Duration) {
    let start = Instant::now();
    let mut window: Vec<f64> = Vec::new();
    let step = Duration::from_millis(500);
    let per_window = (SETTLE_WINDOW.as_millis() / step.as_millis()) as usize;
    loop {
        let Some(rss) = mib(server.rss_kib()) else {
            return (None, start.elapsed());
        };
        window.push(rss);
        if window.len() > per_window {
            window.remove(0);
            let lo = window.iter().copied().fold(f64::MAX, f64::min);
            let hi = window.iter().copied().fold(f64::MIN, f64::max);
            if hi - lo < SETTLE_TOLERANCE_MIB || start.elapsed() > SETTLE_LIMIT {
                return (Some(rss), start.elapsed());
            }
        }
        tokio::time::sleep(step).await;
    }
}
