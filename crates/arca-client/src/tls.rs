//! TLS for the client: rustls with the aws-lc-rs provider only. Trust comes from the CA
//! file/directory the configuration names, or else from the system store; `skip_verify`
//! accepts any certificate (handshake signatures are still checked).

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_name, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::CertificateError;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::config::TlsSettings;
use crate::error::{Error, Result};

pub fn client_config(settings: &TlsSettings) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_setup(e.to_string()))?;
    let builder = if settings.skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
    } else if settings.ca_cert.is_none() && settings.ca_path.is_none() {
        builder.with_root_certificates(system_roots())
    } else {
        let (store, trusted) = configured_roots(settings)?;
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
            .build()
            .map_err(|e| tls_setup(e.to_string()))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(TrustedSelfSigned { webpki, trusted }))
    };
    let mut config = match (&settings.client_cert, &settings.client_key) {
        (Some(cert), Some(key)) => {
            let chain = read_certs(cert, "client certificate")?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| Error::LocalFile {
                what: "client key",
                path: key.clone(),
                message: e.to_string(),
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| tls_setup(e.to_string()))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(tls_setup(
                "a client certificate and a client key must be given together".into(),
            ))
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The name verified against the server certificate.
pub fn server_name(host: &str, settings: &TlsSettings) -> Result<ServerName<'static>> {
    let name = settings.server_name.as_deref().unwrap_or(host);
    ServerName::try_from(name.to_string()).map_err(|_| Error::InvalidAddress {
        address: name.to_string(),
        reason: "not a valid TLS server name".into(),
    })
}

fn tls_setup(message: String) -> Error {
    Error::Tls {
        address: "(configuration)".into(),
        message,
    }
}

fn system_roots() -> RootCertStore {
    // Unreadable system certificates are skipped: one bad file must not stop the CLI.
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    store
}

/// The CA file and directory the configuration names, as a root store and as the list of
/// certificates themselves (for `TrustedSelfSigned`).
fn configured_roots(
    settings: &TlsSettings,
) -> Result<(RootCertStore, Vec<CertificateDer<'static>>)> {
    let mut store = RootCertStore::empty();
    let mut trusted = Vec::new();
    if let Some(file) = &settings.ca_cert {
        let certs = read_certs(file, "CA certificate")?;
        add_all(&mut store, certs.clone(), file)?;
        trusted.extend(certs);
    }
    if let Some(dir) = &settings.ca_path {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::LocalFile {
            what: "CA directory",
            path: dir.clone(),
            message: e.to_string(),
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                if let Ok(certs) = read_certs(&path, "CA certificate") {
                    add_all(&mut store, certs.clone(), &path)?;
                    trusted.extend(certs);
                }
            }
        }
    }
    if store.is_empty() {
        return Err(tls_setup(
            "no CA certificates found in the given CA file or directory".into(),
        ));
    }
    Ok((store, trusted))
}

fn add_all(
    store: &mut RootCertStore,
    certs: Vec<CertificateDer<'static>>,
    path: &Path,
) -> Result<()> {
    for cert in certs {
        store.add(cert).map_err(|e| Error::LocalFile {
            what: "CA certificate",
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    }
    Ok(())
}

fn read_certs(path: &Path, what: &'static str) -> Result<Vec<CertificateDer<'static>>> {
    let err = |message: String| Error::LocalFile {
        what,
        path: path.to_path_buf(),
        message,
    };
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(e.to_string()))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| err(e.to_string()))?;
    if certs.is_empty() {
        return Err(err("no PEM certificate in the file".into()));
    }
    Ok(certs)
}

/// Verification against the configured CAs, which also accepts a server certificate that is
/// itself one of those CAs (`CA:TRUE`, as `openssl req -x509` makes by default): Go's
/// verifier, and so Vault's CLI, accepts a leaf found in the trusted pool, webpki refuses it as
/// "CA used as end entity". The certificate must be byte-identical to a configured one and
/// valid for the server name; webpki has already checked its validity period by then.
#[derive(Debug)]
struct TrustedSelfSigned {
    webpki: Arc<WebPkiServerVerifier>,
    trusted: Vec<CertificateDer<'static>>,
}

fn is_ca_used_as_end_entity(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(CertificateError::Other(other))
            if matches!(other.0.downcast_ref::<webpki::Error>(), Some(webpki::Error::CaUsedAsEndEntity))
    )
}

impl ServerCertVerifier for TrustedSelfSigned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(e)
                if is_ca_used_as_end_entity(&e)
                    && self
                        .trusted
                        .iter()
                        .any(|c| c.as_ref() == end_entity.as_ref()) =>
            {
                verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// `-tls-skip-verify`: any certificate chain is accepted; the handshake signature still
/// proves the server holds the key of the certificate it sent.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
