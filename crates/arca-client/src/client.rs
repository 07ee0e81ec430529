//! The asynchronous client: builds requests with Vault's headers, sends them over a
//! reused connection, follows the server's redirects to the active node.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use tokio::sync::Mutex;

use crate::address::Target;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::request::{encode_path, Request, Response, TokenChoice};
use crate::transport::Connection;

/// Standbys answer 307 with the active node's address; more hops than this is a loop.
const MAX_REDIRECTS: usize = 3;

pub struct Client {
    config: Config,
    target: Target,
    tls: Option<Arc<rustls::ClientConfig>>,
    connection: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish()
    }
}

impl Client {
    pub fn new(config: Config) -> Result<Client> {
        let target = Target::parse(&config.address)?;
        let tls = match &target {
            Target::Tcp { tls: true, .. } => Some(crate::tls::client_config(&config.tls)?),
            _ => None,
        };
        Ok(Client {
            config,
            target,
            tls,
            connection: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The address as normalised for messages (`http://127.0.0.1:8200`).
    pub fn origin(&self) -> String {
        self.target.origin()
    }

    pub fn token(&self) -> Option<&str> {
        self.config.token.as_deref().filter(|t| !t.is_empty())
    }

    pub fn set_token(&mut self, token: Option<String>) {
        self.config.token = token;
    }

    /// Sends a request; any HTTP status is a successful answer here.
    pub async fn send(&self, req: &Request) -> Result<Response> {
        let mut target = self.target.clone();
        let mut tls = self.tls.clone();
        for _ in 0..=MAX_REDIRECTS {
            let resp = tokio::time::timeout(
                self.config.timeout,
                self.send_to(&target, tls.as_ref(), req),
            )
            .await
            .map_err(|_| Error::Timeout {
                address: target.origin(),
                seconds: self.config.timeout.as_secs(),
            })??;
            match resp {
                Sent::Done(r) => return Ok(r),
                Sent::Redirect(location) => {
                    let next = Target::parse(&location)?;
                    if let Target::Tcp { tls: true, .. } = next {
                        if tls.is_none() {
                            tls = Some(crate::tls::client_config(&self.config.tls)?);
                        }
                    }
                    target = next;
                }
            }
        }
        Err(Error::Transport {
            address: target.origin(),
            message: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }

    /// Sends a request and turns a status of 400 or more into `Error::Api`.
    pub async fn send_ok(&self, req: &Request) -> Result<Response> {
        self.send(req).await?.error_for_status()
    }

    async fn send_to(
        &self,
        target: &Target,
        tls: Option<&Arc<rustls::ClientConfig>>,
        req: &Request,
    ) -> Result<Sent> {
        let origin = target.origin();
        let path_and_query = {
            let mut r = req.clone();
            r.path = encode_path(&req.path);
            r.path_and_query()
        };
        let uri_path = target.request_path(&path_and_query);
        let url = format!("{origin}{uri_path}");
        let http_req = self.build(target, &uri_path, req)?;

        let mut slot = self.connection.lock().await;
        let reusable = slot.as_ref().is_some_and(|c| c.serves(&origin));
        if !reusable {
            *slot =
                Some(Connection::open(target, tls, &self.config.tls, self.config.timeout).await?);
        }
        let conn = slot.as_mut().expect("connection just opened");
        let (status, headers, body) = match conn.send(http_req).await {
            Ok(r) => r,
            Err(_) if reusable => {
                // The server closed an idle kept-alive connection: retry once on a new one.
                *slot = Some(
                    Connection::open(target, tls, &self.config.tls, self.config.timeout).await?,
                );
                let conn = slot.as_mut().expect("connection just opened");
                conn.send(self.build(target, &uri_path, req)?).await?
            }
            Err(e) => return Err(e),
        };
        if matches!(status, 301 | 302 | 303 | 307 | 308) {
            if let Some(location) = headers
                .get(hyper::header::LOCATION)
                .and_then(|l| l.to_str().ok())
            {
                return Ok(Sent::Redirect(redirect_origin(location)));
            }
        }
        Ok(Sent::Done(Response {
            status,
            body,
            method: req.method.to_string(),
            url,
        }))
    }

    fn build(
        &self,
        target: &Target,
        uri_path: &str,
        req: &Request,
    ) -> Result<hyper::Request<Full<Bytes>>> {
        let mut b = hyper::Request::builder()
            .method(req.method.clone())
            .uri(uri_path)
            .header(hyper::header::HOST, target.host_header())
            .header(
                hyper::header::USER_AGENT,
                concat!("arca/", env!("CARGO_PKG_VERSION")),
            )
            .header("X-Vault-Request", "true");
        let token = match &req.token {
            TokenChoice::Configured => self.token().map(str::to_string),
            TokenChoice::Without => None,
            TokenChoice::Given(t) => Some(t.clone()),
        };
        if let Some(t) = token {
            b = b.header("X-Vault-Token", t);
        }
        if let Some(ns) = self.config.namespace.as_deref().filter(|n| !n.is_empty()) {
            b = b.header("X-Vault-Namespace", ns);
        }
        let wrap = req.wrap_ttl.as_deref().or(self.config.wrap_ttl.as_deref());
        if let Some(ttl) = wrap.filter(|t| !t.is_empty()) {
            b = b.header("X-Vault-Wrap-TTL", ttl);
        }
        for (k, v) in &self.config.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let body = match &req.body {
            Some(bytes) => {
                // Vault accepts PATCH bodies only as JSON merge patches.
                let content_type = if req.method == hyper::Method::PATCH {
                    "application/merge-patch+json"
                } else {
                    "application/json"
                };
                b = b.header(hyper::header::CONTENT_TYPE, content_type);
                Bytes::from(bytes.clone())
            }
            None => Bytes::new(),
        };
        b.body(Full::new(body)).map_err(|e| Error::InvalidAddress {
            address: target.origin(),
            reason: format!("cannot build the request: {e}"),
        })
    }
}

enum Sent {
    Done(Response),
    Redirect(String),
}

/// The scheme and authority of a redirect target (its path is the same API path).
fn redirect_origin(location: &str) -> String {
    match location.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split('/').next().unwrap_or(rest);
            format!("{scheme}://{authority}")
        }
        None => location.to_string(),
    }
}
