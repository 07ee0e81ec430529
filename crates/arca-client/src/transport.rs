//! One HTTP/1.1 connection (TCP, TLS or Unix socket) driven by hyper, reused across the
//! requests of one command while the server keeps it open.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::address::Target;
use crate::config::TlsSettings;
use crate::error::{Error, Result};

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

pub struct Connection {
    origin: String,
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    pub async fn open(
        target: &Target,
        tls: Option<&Arc<rustls::ClientConfig>>,
        settings: &TlsSettings,
        timeout: Duration,
    ) -> Result<Connection> {
        let origin = target.origin();
        let stream: Box<dyn Stream> = match target {
            Target::Tcp {
                tls: use_tls,
                host,
                port,
                ..
            } => {
                let tcp = tokio::time::timeout(
                    timeout,
                    tokio::net::TcpStream::connect((host.as_str(), *port)),
                )
                .await
                .map_err(|_| Error::Timeout {
                    address: origin.clone(),
                    seconds: timeout.as_secs(),
                })?
                .map_err(|source| Error::Connect {
                    address: origin.clone(),
                    source,
                })?;
                let _ = tcp.set_nodelay(true);
                if *use_tls {
                    let config = tls.ok_or_else(|| Error::Tls {
                        address: origin.clone(),
                        message: "no TLS configuration".into(),
                    })?;
                    let name = crate::tls::server_name(host, settings)?;
                    let connector = tokio_rustls::TlsConnector::from(config.clone());
                    let stream = tokio::time::timeout(timeout, connector.connect(name, tcp))
                        .await
                        .map_err(|_| Error::Timeout {
                            address: origin.clone(),
                            seconds: timeout.as_secs(),
                        })?
                        .map_err(|e| Error::Tls {
                            address: origin.clone(),
                            message: tls_message(&e),
                        })?;
                    Box::new(stream)
                } else {
                    Box::new(tcp)
                }
            }
            #[cfg(unix)]
            Target::Unix { socket } => Box::new(
                tokio::net::UnixStream::connect(socket)
                    .await
                    .map_err(|source| Error::Connect {
                        address: origin.clone(),
                        source,
                    })?,
            ),
            #[cfg(not(unix))]
            Target::Unix { .. } => {
                return Err(Error::InvalidAddress {
                    address: origin,
                    reason: "unix sockets are not available on this platform".into(),
                })
            }
        };
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Error::Transport {
                address: origin.clone(),
                message: e.to_string(),
            })?;
        tokio::spawn(async move {
            // Errors surface on the request side; the driver only has to run.
            let _ = conn.await;
        });
        Ok(Connection { origin, sender })
    }

    pub fn serves(&self, origin: &str) -> bool {
        self.origin == origin && !self.sender.is_closed()
    }

    /// Sends one request and reads the whole response body.
    pub async fn send(
        &mut self,
        req: hyper::Request<Full<Bytes>>,
    ) -> Result<(u16, hyper::HeaderMap, Bytes)> {
        let transport = |e: hyper::Error| Error::Transport {
            address: self.origin.clone(),
            message: e.to_string(),
        };
        self.sender.ready().await.map_err(transport)?;
        let resp = self.sender.send_request(req).await.map_err(transport)?;
        let status = resp.status().as_u16();
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.map_err(transport)?.to_bytes();
        Ok((status, parts.headers, body))
    }
}

/// rustls errors name the failing check; the io wrapper around them does not.
fn tls_message(e: &std::io::Error) -> String {
    match e.get_ref() {
        Some(inner) => inner.to_string(),
        None => e.to_string(),
    }
}
