//! The CLI's errors, their exit codes (Vault's: 1 for local and usage errors, 2 for
//! errors from or about the server) and the hints that say what to try next.

use arca_client::Error as ClientError;

#[derive(Debug)]
pub enum CliError {
    /// Bad arguments or flags: exit 1.
    Usage(String),
    /// A local failure (unreadable file, bad input data): exit 1.
    Local(String),
    /// A read found nothing: "No value found at <path>", exit 2.
    NotFound(String),
    /// The server refused or failed, or could not be reached: exit 2.
    Server {
        message: String,
        hint: Option<String>,
    },
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Local(_) => 1,
            CliError::NotFound(_) | CliError::Server { .. } => 2,
        }
    }

    pub fn server(message: impl Into<String>) -> CliError {
        CliError::Server {
            message: message.into(),
            hint: None,
        }
    }

    pub fn render(&self) -> String {
        match self {
            CliError::Usage(m) | CliError::Local(m) => m.clone(),
            CliError::NotFound(path) => format!("No value found at {path}"),
            CliError::Server { message, hint } => match hint {
                Some(h) => format!("{message}\n\n{h}"),
                None => message.clone(),
            },
        }
    }
}

/// What the hints need to know about the request that failed.
pub struct HintContext<'a> {
    /// The address as configured, and where it came from (`VAULT_ADDR`, `-address`, `default`).
    pub address: &'a str,
    pub address_source: &'a str,
    pub had_token: bool,
    /// The API path of the failed request, when there is one.
    pub path: Option<&'a str>,
}

/// A short paragraph saying what went wrong in plain words and what to try.
pub fn hint(err: &ClientError, cx: &HintContext<'_>) -> Option<String> {
    let from = match cx.address_source {
        "default" => "the default address (neither VAULT_ADDR nor -address is set)".to_string(),
        "-address" => "the -address flag".to_string(),
        var => var.to_string(),
    };
    match err {
        ClientError::Connect { source, .. } => {
            let what = match source.kind() {
                std::io::ErrorKind::ConnectionRefused => "nothing is listening there",
                std::io::ErrorKind::NotFound => "the socket does not exist",
                _ => "the connection failed",
            };
            Some(format!(
                "Hint: {what}. The address {} comes from {from}.\n      Is the server running? Point the CLI at it with VAULT_ADDR or -address.",
                cx.address
            ))
        }
        ClientError::Timeout { .. } => Some(format!(
            "Hint: the server at {} (from {from}) did not answer in time. Check the address,\n      or raise VAULT_CLIENT_TIMEOUT.",
            cx.address
        )),
        ClientError::Tls { message, .. } => {
            let plain_http = message.contains("corrupt message") || message.contains("InvalidContentType");
            if plain_http {
                Some(format!(
                    "Hint: the server does not speak TLS. If it listens without TLS, use an http:// address\n      (VAULT_ADDR=http://...; now {} from {from}).",
                    cx.address
                ))
            } else {
                Some(
                    "Hint: the server's certificate is not trusted. Give its CA with -ca-cert or VAULT_CACERT\n      (or, for testing only, -tls-skip-verify)."
                        .to_string(),
                )
            }
        }
        ClientError::InvalidAddress { .. } => Some(format!(
            "Hint: the address comes from {from}; it must look like https://127.0.0.1:8200."
        )),
        ClientError::Api { status, errors, .. } => {
            let sealed = errors.iter().any(|e| e.contains("Vault is sealed"));
            if sealed || *status == 503 && errors.iter().any(|e| e.contains("sealed")) {
                return Some(
                    "Hint: the server is sealed. Unseal it with `arca operator unseal` (once per key share,\n      until the threshold is reached); `arca status` shows the progress."
                        .to_string(),
                );
            }
            if errors.iter().any(|e| e.contains("not initialized")) {
                return Some("Hint: the server is not initialized yet: run `arca operator init`.".to_string());
            }
            match status {
                403 if !cx.had_token => Some(
                    "Hint: no token was sent. Log in with `arca login`, or set VAULT_TOKEN."
                        .to_string(),
                ),
                403 => Some(match cx.path {
                    Some(p) => format!(
                        "Hint: the token lacks permission on \"{p}\" (or it is invalid or expired).\n      See what it may do there: arca token capabilities {p}\n      Check the token itself:   arca token lookup"
                    ),
                    None => "Hint: the token lacks permission (or it is invalid or expired); check it with `arca token lookup`.".to_string(),
                }),
                400 if errors.iter().any(|e| e.contains("missing client token")) => Some(
                    "Hint: no token was sent. Log in with `arca login`, or set VAULT_TOKEN.".to_string(),
                ),
                405 => Some(
                    "Hint: this server does not support that operation on this path; `arca path-help <path>` lists what it does support."
                        .to_string(),
                ),
                429 => Some("Hint: the server is rate limiting requests; retry later.".to_string()),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(had_token: bool) -> HintContext<'static> {
        HintContext {
            address: "http://127.0.0.1:1",
            address_source: "VAULT_ADDR",
            had_token,
            path: Some("secret/data/x"),
        }
    }

    fn api(status: u16, errors: &[&str]) -> ClientError {
        ClientError::Api {
            method: "GET".into(),
            url: "http://127.0.0.1:1/v1/x".into(),
            status,
            errors: errors.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn hints_name_the_cause_and_the_next_step() {
        let refused = ClientError::Connect {
            address: "http://127.0.0.1:1".into(),
            source: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        let cases: Vec<(ClientError, bool, &str)> = vec![
            (refused, true, "VAULT_ADDR"),
            (
                api(403, &["permission denied"]),
                true,
                "arca token capabilities secret/data/x",
            ),
            (api(403, &["permission denied"]), false, "arca login"),
            (api(503, &["Vault is sealed"]), true, "arca operator unseal"),
            (
                api(400, &["Vault is not initialized"]),
                true,
                "arca operator init",
            ),
        ];
        for (err, had_token, want) in cases {
            let h = hint(&err, &cx(had_token)).unwrap_or_default();
            assert!(h.contains(want), "{err:?}: {h}");
        }
        assert!(hint(&api(400, &["bad"]), &cx(true)).is_none());
    }

    #[test]
    fn exit_codes() {
        assert_eq!(CliError::Usage("x".into()).exit_code(), 1);
        assert_eq!(CliError::Local("x".into()).exit_code(), 1);
        assert_eq!(CliError::NotFound("p".into()).exit_code(), 2);
        assert_eq!(CliError::server("x").exit_code(), 2);
        assert_eq!(
            CliError::NotFound("a/b".into()).render(),
            "No value found at a/b"
        );
    }
}
