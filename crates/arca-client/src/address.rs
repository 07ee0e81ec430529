//! Parsing of the server address (`VAULT_ADDR`, `-address`): `http://`, `https://` or
//! `unix://` URLs, as Vault's client accepts them.

use crate::error::{Error, Result};

/// Where requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Tcp {
        tls: bool,
        host: String,
        port: u16,
        /// A path prefix before `/v1/` (servers behind a reverse proxy), without a trailing slash.
        base_path: String,
    },
    Unix {
        socket: String,
    },
}

impl Target {
    pub fn parse(address: &str) -> Result<Target> {
        let bad = |reason: &str| Error::InvalidAddress {
            address: address.to_string(),
            reason: reason.to_string(),
        };
        let address_trimmed = address.trim();
        let (scheme, rest) = address_trimmed
            .split_once("://")
            .ok_or_else(|| bad("expected a URL such as https://127.0.0.1:8200"))?;
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            "unix" => {
                if rest.is_empty() {
                    return Err(bad("a unix:// address needs a socket path"));
                }
                return Ok(Target::Unix {
                    socket: rest.to_string(),
                });
            }
            _ => return Err(bad("the scheme must be http, https or unix")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(bad("credentials in the address are not supported"));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| bad("bad host or port"))?;
        if host.is_empty() {
            return Err(bad("missing host"));
        }
        let port = match port {
            Some(p) => p,
            None if tls => 443,
            None => 80,
        };
        Ok(Target::Tcp {
            tls,
            host,
            port,
            base_path: path.trim_end_matches('/').to_string(),
        })
    }

    /// The scheme and authority, as printed in messages and used in the Host header.
    pub fn origin(&self) -> String {
        match self {
            Target::Tcp {
                tls, host, port, ..
            } => {
                let scheme = if *tls { "https" } else { "http" };
                if host.contains(':') {
                    format!("{scheme}://[{host}]:{port}")
                } else {
                    format!("{scheme}://{host}:{port}")
                }
            }
            Target::Unix { socket } => format!("unix://{socket}"),
        }
    }

    /// The `Host` header value.
    pub fn host_header(&self) -> String {
        match self {
            Target::Tcp { host, port, .. } if host.contains(':') => format!("[{host}]:{port}"),
            Target::Tcp { host, port, .. } => format!("{host}:{port}"),
            Target::Unix { .. } => "localhost".to_string(),
        }
    }

    /// The request target for an API path (`sys/health` -> `/v1/sys/health`).
    pub fn request_path(&self, api_path: &str) -> String {
        let base = match self {
            Target::Tcp { base_path, .. } => base_path.as_str(),
            Target::Unix { .. } => "",
        };
        format!("{base}/v1/{}", api_path.trim_start_matches('/'))
    }
}

fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_string(), Some(port.parse().ok()?))),
        None => Some((authority.to_string(), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let t = Target::parse("https://vault.example.com:8200").unwrap();
        assert_eq!(
            t,
            Target::Tcp {
                tls: true,
                host: "vault.example.com".into(),
                port: 8200,
                base_path: String::new()
            }
        );
        assert_eq!(t.request_path("sys/health"), "/v1/sys/health");
        let t = Target::parse("http://127.0.0.1/proxy/").unwrap();
        assert_eq!(t.origin(), "http://127.0.0.1:80");
        assert_eq!(t.request_path("/sys/health"), "/proxy/v1/sys/health");
        let t = Target::parse("https://[::1]:8200").unwrap();
        assert_eq!(t.host_header(), "[::1]:8200");
        assert!(matches!(
            Target::parse("unix:///run/arca.sock").unwrap(),
            Target::Unix { socket } if socket == "/run/arca.sock"
        ));
        for bad in [
            "127.0.0.1:8200",
            "ftp://x",
            "http://:8200",
            "http://h:99999",
            "http://u:p@h",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
