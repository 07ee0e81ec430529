//! Arca's core: everything between the HTTP layer and the engines: the barrier and seal,
//! physical storage, the router and mount tables, tokens, policies, leases, audit and the
//! system backend. See ARCHITECTURE.md for the map.

pub mod audit;
pub mod audit_devices;
pub mod barrier;
pub mod core;
pub mod crypto;
pub mod expiration;
pub mod hcl;
pub mod lease;
pub mod mounts;
pub mod physical;
pub mod policy;
pub mod policy_store;
pub mod request;
pub mod seal;
pub mod seal_ops;
pub mod system;
pub mod time;
pub mod token;
pub mod token_backend;
pub mod token_ops;
pub mod user_lockout;
pub mod wrapping;

pub use crate::core::{Core, CoreConfig, InitResult, SealStatus};
pub use crate::request::{ApiResponse, ClientRequest};
