//! The ceiling: a minimal HTTP server on Arca's own stack (tokio multi-thread runtime,
//! hyper 1 with hyper-util's auto builder, TCP_NODELAY, as `arca-server`'s listener) that
//! reads each request and answers the response Arca gave to the same request (status,
//! headers, body), doing no other work. Run as its own process so its CPU and RSS are
//! measured like the servers'.

use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde::{Deserialize, Serialize};

use crate::client::RawResponse;
use crate::error::{BenchError, Result};

/// A recorded response, replayed by the ceiling.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CannedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl CannedResponse {
    /// Keeps what Arca sent except the headers hyper writes itself (date, length).
    pub fn from_raw(r: &RawResponse) -> CannedResponse {
        let headers = r
            .headers
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "date" | "content-length"))
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect();
        CannedResponse {
            status: r.status,
            headers,
            body: String::from_utf8_lossy(&r.body).into_owned(),
        }
    }

    fn parts(&self) -> Result<Canned> {
        let status = StatusCode::from_u16(self.status)
            .map_err(|e| BenchError::setup(format!("canned status: {e}")))?;
        let mut headers = HeaderMap::new();
        for (k, v) in &self.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|e| BenchError::setup(format!("canned header {k}: {e}")))?;
            let value = HeaderValue::from_str(v)
                .map_err(|e| BenchError::setup(format!("canned header {k}: {e}")))?;
            headers.append(name, value);
        }
        Ok(Canned {
            status,
            headers,
            body: Bytes::from(self.body.clone()),
        })
    }
}

/// The parsed response, built into a fresh `Response` per request as a server would.
struct Canned {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Canned {
    fn response(&self) -> Response<Full<Bytes>> {
        let mut resp = Response::new(Full::new(self.body.clone()));
        *resp.status_mut() = self.status;
        *resp.headers_mut() = self.headers.clone();
        resp
    }
}

/// Serves the canned response in `file` on `listen` until killed.
pub fn serve(listen: &str, file: &Path) -> Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| BenchError::io(format!("reading {}", file.display()), e))?;
    let canned: CannedResponse = serde_json::from_str(&text)
        .map_err(|e| BenchError::setup(format!("{}: {e}", file.display())))?;
    let canned = Arc::new(canned.parts()?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| BenchError::io("starting the runtime", e))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| BenchError::io(format!("binding {listen}"), e))?;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let canned = canned.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let canned = canned.clone();
                    async move {
                        // Read the request body as a real server must, then answer.
                        let _ = req.into_body().collect().await;
                        Ok::<_, Infallible>(canned.response())
                    }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    })
}
