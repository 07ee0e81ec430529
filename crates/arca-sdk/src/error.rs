//! The one error type every backend and the core return; the HTTP layer maps it to a status.

use std::fmt;

/// Errors a request can end with. The HTTP layer turns each variant into Vault's status code
/// in a single place (`arca-server`'s `status` module); nothing else decides statuses.
///
/// Messages are shown to the client, so they must never contain secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request is malformed or a field is invalid (400).
    #[error("{0}")]
    InvalidRequest(String),
    /// Several problems at once, each reported as its own entry of `errors` (400).
    #[error("{}", .0.join("; "))]
    InvalidRequestMany(Vec<String>),
    /// The token may not do this (403). The message is always Vault's terse one.
    #[error("permission denied")]
    PermissionDenied,
    /// The token is missing, unknown or expired (403, as Vault).
    #[error("{0}")]
    InvalidToken(String),
    /// Nothing at this path (404). An empty message gives Vault's bare `{"errors":[]}`.
    #[error("{0}")]
    NotFound(String),
    /// The path exists but does not answer this operation (405).
    #[error("unsupported operation")]
    UnsupportedOperation,
    /// No backend path matches (404 with Vault's `unsupported path`).
    #[error("unsupported path")]
    UnsupportedPath,
    /// A feature Arca does not offer (yet); the message names it (400).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A check-and-set or version precondition failed (400 in Vault for KV).
    #[error("{0}")]
    CheckAndSet(String),
    /// The request conflicts with the current state, e.g. a mount that exists (400 as Vault).
    #[error("{0}")]
    Conflict(String),
    /// A precondition on the server's state failed (412).
    #[error("{0}")]
    PreconditionFailed(String),
    /// The request body is larger than `max_request_size` (413).
    #[error("http: request body too large")]
    PayloadTooLarge,
    /// Rate limited or lockout (429).
    #[error("{0}")]
    TooManyRequests(String),
    /// The server is sealed (503).
    #[error("Vault is sealed")]
    Sealed,
    /// The server is not initialized (503 on most paths; 400 on some).
    #[error("Vault is not initialized")]
    NotInitialized,
    /// Audit devices could not record the request: the request is refused (500).
    #[error("{0}")]
    AuditFailed(String),
    /// Storage failed (500). The message names the operation, never the value.
    #[error("storage error: {0}")]
    Storage(String),
    /// A bug or an unexpected state (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(msg: impl fmt::Display) -> Self {
        Error::InvalidRequest(msg.to_string())
    }

    pub fn internal(msg: impl fmt::Display) -> Self {
        Error::Internal(msg.to_string())
    }

    pub fn storage(msg: impl fmt::Display) -> Self {
        Error::Storage(msg.to_string())
    }

    pub fn not_found(msg: impl fmt::Display) -> Self {
        Error::NotFound(msg.to_string())
    }

    pub fn unsupported(what: impl fmt::Display) -> Self {
        Error::Unsupported(what.to_string())
    }

    /// The messages that go into the `errors` array of the response body.
    pub fn messages(&self) -> Vec<String> {
        match self {
            Error::InvalidRequestMany(all) => all.clone(),
            Error::NotFound(m) if m.is_empty() => Vec::new(),
            other => vec![other.to_string()],
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
