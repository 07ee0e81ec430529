//! The outcome of one transit operation on one item: a caller mistake (Vault's `UserError`,
//! 400), a server-side failure (`InternalError`, 500) or something Arca does not offer.
//! Batch endpoints report these per item; single requests turn them into `arca_sdk::Error`.

use arca_sdk::Error;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    #[error("{0}")]
    User(String),
    #[error("{0}")]
    Internal(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl OpError {
    pub fn user(msg: impl Into<String>) -> OpError {
        OpError::User(msg.into())
    }

    pub fn internal(msg: impl Into<String>) -> OpError {
        OpError::Internal(msg.into())
    }

    pub fn unsupported(msg: impl Into<String>) -> OpError {
        OpError::Unsupported(msg.into())
    }

    pub fn is_internal(&self) -> bool {
        matches!(self, OpError::Internal(_))
    }
}

impl From<OpError> for Error {
    fn from(e: OpError) -> Error {
        match e {
            OpError::User(m) => Error::InvalidRequest(m),
            OpError::Internal(m) => Error::Internal(m),
            OpError::Unsupported(m) => Error::Unsupported(m),
        }
    }
}

pub type OpResult<T> = Result<T, OpError>;
