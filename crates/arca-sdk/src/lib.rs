//! Arca's SDK: what the core and every engine share and nothing else: the request and
//! response model, the error type, the storage view, the declarative path framework and the
//! backend trait. It knows nothing of HTTP, tokens, ACLs or the barrier.

pub mod backend;
pub mod duration;
pub mod error;
pub mod framework;
pub mod request;
pub mod response;
pub mod storage;
pub mod time;
pub mod token_fields;

pub use backend::{
    equivalent_policies, Backend, BackendContext, BackendKind, BackendType, Factory, LoginRenewal,
    RenewLimits, SpecialPaths, SystemView, UserLockoutConfig,
};
pub use error::{Error, Result};
pub use framework::{BoxFuture, Field, FieldData, FieldType, Path, PathRouter};
pub use request::{LeaseRequestInfo, Operation, Request, RequestAuth};
pub use response::{Auth, ExistingLease, RawResponse, Response, SecretLease};
pub use storage::{MemoryStorage, Storage, StorageExt, StorageView, TxnOp};

/// Current time as Unix seconds.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
