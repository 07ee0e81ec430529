//! The client's one error type: what failed, where, and (for API errors) what the server said.

use std::path::PathBuf;

/// Everything that can go wrong between building a request and reading its answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The address is not a URL this client can reach.
    #[error("invalid address {address:?}: {reason}")]
    InvalidAddress { address: String, reason: String },

    /// No TCP (or Unix socket) connection could be opened.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        address: String,
        #[source]
        source: std::io::Error,
    },

    /// The TLS handshake failed (untrusted certificate, wrong name, plain-HTTP server...).
    #[error("TLS handshake with {address} failed: {message}")]
    Tls { address: String, message: String },

    /// The server did not answer within the client timeout.
    #[error("no answer from {address} within {seconds}s")]
    Timeout { address: String, seconds: u64 },

    /// The connection broke while the request or response was in flight.
    #[error("request to {address} failed: {message}")]
    Transport { address: String, message: String },

    /// A local file the configuration names (CA certificate, client key) is unusable.
    #[error("{what} {path}: {message}")]
    LocalFile {
        what: &'static str,
        path: PathBuf,
        message: String,
    },

    /// The server answered with an error status.
    #[error("{}", api_message(.method, .url, *.status, .errors))]
    Api {
        method: String,
        url: String,
        status: u16,
        /// The server's `errors` list (empty when the body carried none).
        errors: Vec<String>,
    },

    /// The server answered, but not with the JSON this call expects.
    #[error("unexpected response from {url}: {message}")]
    Decode { url: String, message: String },
}

fn api_message(method: &str, url: &str, status: u16, errors: &[String]) -> String {
    let mut out = format!("Error making API request.\n\nURL: {method} {url}\nCode: {status}.");
    if errors.is_empty() {
        out.push_str(" No error messages were returned.");
    } else {
        out.push_str(" Errors:\n");
        for e in errors {
            out.push_str("\n* ");
            out.push_str(e);
        }
    }
    out
}

impl Error {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's error messages of an API error.
    pub fn api_errors(&self) -> &[String] {
        match self {
            Error::Api { errors, .. } => errors,
            _ => &[],
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
