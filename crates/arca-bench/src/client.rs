//! A small HTTP/1.1 client (hyper's connection API) for setting servers up, and a bulk
//! driver that sends many requests over many keep-alive connections (seeding keys,
//! creating leases). Measured load never comes from here: it comes from wrk.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::{HeaderMap, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

use crate::error::{BenchError, Result};

/// One keep-alive connection.
pub struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
    host: String,
}

/// A raw answer: status, headers and body bytes.
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

fn http_err(context: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::Http {
        context: context.to_string(),
        message: e.to_string(),
    }
}

impl Conn {
    pub async fn connect(addr: &str) -> Result<Conn> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| BenchError::io(format!("connecting to {addr}"), e))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| http_err(addr, e))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn {
            sender,
            host: addr.to_string(),
        })
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Bytes>,
    ) -> Result<RawResponse> {
        self.sender
            .ready()
            .await
            .map_err(|e| http_err(&self.host, e))?;
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, &self.host);
        if let Some(t) = token {
            req = req.header("X-Vault-Token", t);
        }
        if body.is_some() {
            req = req.header(CONTENT_TYPE, "application/json");
        }
        let req = req
            .body(Full::new(body.unwrap_or_default()))
            .map_err(|e| http_err(path, e))?;
        let resp = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| http_err(path, e))?;
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| http_err(path, e))?
            .to_bytes();
        Ok(RawResponse {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }
}

/// The API of one server, for setup calls (a fresh connection per call).
#[derive(Clone)]
pub struct Api {
    pub name: String,
    pub addr: String,
    pub token: String,
}

impl Api {
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<RawResponse> {
        let mut conn = Conn::connect(&self.addr).await?;
        let body = body.map(|b| Bytes::from(b.to_string()));
        let token = (!self.token.is_empty()).then_some(self.token.as_str());
        conn.send(method, &format!("/v1/{path}"), token, body).await
    }

    /// The parsed body (Null when empty); any status outside 2xx is an error naming the request.
    pub async fn ok(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let r = self.raw(method.clone(), path, body).await?;
        if !(200..300).contains(&r.status) {
            return Err(BenchError::Status {
                target: self.name.clone(),
                method: method.to_string(),
                path: path.to_string(),
                status: r.status,
                body: String::from_utf8_lossy(&r.body).chars().take(300).collect(),
            });
        }
        Ok(if r.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&r.body).unwrap_or(Value::Null)
        })
    }
}

/// What a bulk run did.
#[derive(Debug, Default)]
pub struct BulkReport {
    pub ok: u64,
    /// Answers by status outside 2xx, and transport failures under 0.
    pub failures: BTreeMap<u16, u64>,
    pub first_failure: Option<String>,
    pub elapsed: Duration,
}

impl BulkReport {
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    pub fn per_sec(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// One request of a bulk run: method, path (without `/v1/`) and JSON body.
pub type BulkRequest = (Method, String, Option<Bytes>);

/// Sends requests `0..count` (made by `make`) over `concurrency` connections, printing
/// progress every few seconds when `label` is set.
pub async fn bulk<F>(
    addr: &str,
    token: &str,
    count: usize,
    concurrency: usize,
    label: Option<&str>,
    make: F,
) -> BulkReport
where
    F: Fn(usize) -> BulkRequest + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let report = Arc::new(Mutex::new(BulkReport::default()));
    let start = Instant::now();
    let progress = label.map(|label| {
        let done = done.clone();
        let label = label.to_string();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                let n = done.load(Ordering::Relaxed);
                let rate = n as f64 / start.elapsed().as_secs_f64();
                eprintln!("    {label}: {n}/{count} ({rate:.0}/s)");
            }
        })
    });
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (make, next, done, report) = (make.clone(), next.clone(), done.clone(), report.clone());
        let addr = addr.to_string();
        let token = token.to_string();
        workers.push(tokio::spawn(async move {
            let mut conn: Option<Conn> = None;
            let mut ok = 0u64;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let (method, path, body) = make(i);
                if conn.is_none() {
                    conn = Conn::connect(&addr).await.ok();
                }
                let outcome = match conn.as_mut() {
                    Some(c) => {
                        c.send(method, &format!("/v1/{path}"), Some(&token), body)
                            .await
                    }
                    None => Err(BenchError::setup(format!("cannot connect to {addr}"))),
                };
                done.fetch_add(1, Ordering::Relaxed);
                match outcome {
                    Ok(r) if (200..300).contains(&r.status) => ok += 1,
                    Ok(r) => {
                        let mut rep = report.lock().unwrap_or_else(|e| e.into_inner());
                        *rep.failures.entry(r.status).or_default() += 1;
                        rep.first_failure.get_or_insert_with(|| {
                            format!("{path}: {} {}", r.status, String::from_utf8_lossy(&r.body))
                        });
                    }
                    Err(e) => {
                        conn = None;
                        let mut rep = report.lock().unwrap_or_else(|e| e.into_inner());
                        *rep.failures.entry(0).or_default() += 1;
                        rep.first_failure
                            .get_or_insert_with(|| format!("{path}: {e}"));
                    }
                }
            }
            ok
        }));
    }
    let mut ok = 0;
    for w in workers {
        ok += w.await.unwrap_or(0);
    }
    if let Some(p) = progress {
        p.abort();
    }
    let mut rep = std::mem::take(&mut *report.lock().unwrap_or_else(|e| e.into_inner()));
    rep.ok = ok;
    rep.elapsed = start.elapsed();
    rep
}
