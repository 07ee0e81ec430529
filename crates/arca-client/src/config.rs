//! Client configuration: address, token, namespace, TLS settings and timeout, read from
//! the environment as Vault's `api.DefaultConfig` + `ReadEnvironment` do, then overridden
//! by the caller (the CLI's flags).

use std::path::PathBuf;
use std::time::Duration;

use crate::env::{parse_bool, Env};
use crate::error::{Error, Result};

/// Vault's default address.
pub const DEFAULT_ADDRESS: &str = "https://127.0.0.1:8200";

/// Vault's default client timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone, Default)]
pub struct TlsSettings {
    /// A PEM file of CA certificates; when set (or `ca_path`), only these are trusted.
    pub ca_cert: Option<PathBuf>,
    /// A directory of PEM CA certificates.
    pub ca_path: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// SNI and verification name, when it differs from the address host.
    pub server_name: Option<String>,
    /// Accept any server certificate (testing only).
    pub skip_verify: bool,
}

#[derive(Clone)]
pub struct Config {
    pub address: String,
    /// Where `address` came from, for error messages ("VAULT_ADDR", "-address", "default").
    pub address_source: String,
    pub token: Option<String>,
    pub namespace: Option<String>,
    /// Default response-wrapping TTL for every request (`VAULT_WRAP_TTL`, `-wrap-ttl`).
    pub wrap_ttl: Option<String>,
    pub tls: TlsSettings,
    pub timeout: Duration,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Config {
    // The token never appears in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("address", &self.address)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("namespace", &self.namespace)
            .field("wrap_ttl", &self.wrap_ttl)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            address: DEFAULT_ADDRESS.to_string(),
            address_source: "default".to_string(),
            token: None,
            namespace: None,
            wrap_ttl: None,
            tls: TlsSettings::default(),
            timeout: DEFAULT_TIMEOUT,
            headers: Vec::new(),
        }
    }
}

impl Config {
    /// Defaults overridden by `ARCA_*` / `BAO_*` / `VAULT_*` variables.
    pub fn from_env(env: &dyn Env) -> Result<Config> {
        let mut c = Config::default();
        if let Some((name, v)) = env.lookup("ADDR").filter(|(_, v)| !v.is_empty()) {
            c.address = v;
            c.address_source = name;
        }
        c.token = env.get("TOKEN").map(|t| t.trim().to_string());
        c.namespace = env.get("NAMESPACE");
        c.wrap_ttl = env.get("WRAP_TTL");
        c.tls.ca_cert = env.get("CACERT").map(PathBuf::from);
        c.tls.ca_path = env.get("CAPATH").map(PathBuf::from);
        c.tls.client_cert = env.get("CLIENT_CERT").map(PathBuf::from);
        c.tls.client_key = env.get("CLIENT_KEY").map(PathBuf::from);
        c.tls.server_name = env.get("TLS_SERVER_NAME");
        if let Some((name, v)) = env.lookup("SKIP_VERIFY").filter(|(_, v)| !v.is_empty()) {
            c.tls.skip_verify = parse_bool(&v).ok_or_else(|| Error::InvalidAddress {
                address: c.address.clone(),
                reason: format!("{name}={v:?} is not a boolean"),
            })?;
        }
        if let Some((name, v)) = env.lookup("CLIENT_TIMEOUT").filter(|(_, v)| !v.is_empty()) {
            c.timeout = parse_seconds(&v).ok_or_else(|| Error::InvalidAddress {
                address: c.address.clone(),
                reason: format!("{name}={v:?} is not a duration"),
            })?;
        }
        Ok(c)
    }
}

/// Accepts "30", "30s", "2m", "1h" (the forms Vault's timeout variable takes).
fn parse_seconds(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last()? {
        (i, 's') => (&s[..i], 1),
        (i, 'm') => (&s[..i], 60),
        (i, 'h') => (&s[..i], 3600),
        _ => (s, 1),
    };
    num.parse::<u64>()
        .ok()
        .map(|n| Duration::from_secs(n * mult))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn environment_overrides_defaults() {
        let env: HashMap<String, String> = [
            ("VAULT_ADDR", "http://127.0.0.1:1"),
            ("BAO_TOKEN", " s.abc\n"),
            ("VAULT_SKIP_VERIFY", "true"),
            ("ARCA_CLIENT_TIMEOUT", "2m"),
            ("VAULT_NAMESPACE", "team"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = Config::from_env(&env).unwrap();
        assert_eq!(c.address, "http://127.0.0.1:1");
        assert_eq!(c.address_source, "VAULT_ADDR");
        assert_eq!(c.token.as_deref(), Some("s.abc"));
        assert!(c.tls.skip_verify);
        assert_eq!(c.timeout, Duration::from_secs(120));
        assert_eq!(c.namespace.as_deref(), Some("team"));
        assert!(!format!("{c:?}").contains("s.abc"));
    }

    #[test]
    fn bad_boolean_is_an_error() {
        let env: HashMap<String, String> =
            [("VAULT_SKIP_VERIFY".to_string(), "maybe".to_string())].into();
        assert!(Config::from_env(&env).is_err());
    }
}
