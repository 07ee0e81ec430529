//! TCP listeners, plain or TLS (rustls with the aws-lc-rs provider), each connection served
//! by hyper with HTTP/1.1 and HTTP/2.

use std::sync::Arc;
use tokio::io::AsyncWriteExt;

use arca_core::Core;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::ListenerConfig;
use crate::http::{serve, HttpState};

fn tls_config(l: &ListenerConfig) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let cert_path = l
        .tls_cert_file
        .as_ref()
        .ok_or("tls_cert_file is required")?;
    let key_path = l.tls_key_file.as_ref().ok_or("tls_key_file is required")?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| format!("reading tls_cert_file {}: {e}", cert_path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("parsing tls_cert_file {}: {e}", cert_path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "tls_cert_file {} holds no certificate",
            cert_path.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| format!("reading tls_key_file {}: {e}", key_path.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let versions: &[&'static rustls::SupportedProtocolVersion] = match l.tls_min_version.as_str() {
        "tls13" => &[&rustls::version::TLS13],
        _ => &[&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate and key do not form a valid pair: {e}"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Binds a listener and starts accepting connections in the background.
pub async fn bind(
    l: &ListenerConfig,
    core: Arc<Core>,
    max_request_size: usize,
) -> Result<JoinHandle<()>, String> {
    let tls = if l.tls_disable {
        None
    } else {
        Some(tokio_rustls::TlsAcceptor::from(tls_config(l)?))
    };
    let listener = TcpListener::bind(&l.address).await.map_err(|e| {
        format!(
            "error initializing listener of type tcp on {}: {e}",
            l.address
        )
    })?;
    let state = Arc::new(HttpState {
        core,
        max_request_size,
    });
    Ok(tokio::spawn(async move {
        loop {
            let (stream, remote) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "listener: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let state = state.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, std::convert::Infallible>(serve(state, remote, req).await) }
                });
                if tls.is_some() && starts_like_plain_http(&stream).await {
                    // As Go's server answers it, rather than a dropped connection.
                    let mut stream = stream;
                    let _ = stream
                        .write_all(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
                        .await;
                    let _ = stream.shutdown().await;
                    return;
                }
                let builder = auto::Builder::new(TokioExecutor::new());
                let result = match tls {
                    None => builder.serve_connection(TokioIo::new(stream), svc).await,
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(tls_stream) => {
                            builder
                                .serve_connection(TokioIo::new(tls_stream), svc)
                                .await
                        }
                        Err(e) => {
                            tracing::debug!(error = %e, "listener: TLS handshake failed");
                            return;
                        }
                    },
                };
                if let Err(e) = result {
                    tracing::debug!(error = %e, "listener: connection ended with an error");
                }
            });
        }
    }))
}

/// Whether a client speaks plain HTTP to a TLS listener: a TLS connection opens with a
/// handshake record (0x16), an HTTP request with a method name in capitals.
async fn starts_like_plain_http(stream: &tokio::net::TcpStream) -> bool {
    let mut first = [0u8; 1];
    matches!(stream.peek(&mut first).await, Ok(1) if first[0].is_ascii_uppercase())
}
