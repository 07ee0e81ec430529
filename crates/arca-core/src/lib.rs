//! Arca's core: everything between the HTTP layer and the engines.
pub mod barrier;
pub mod crypto;
pub mod hcl;
pub mod physical;
pub mod policy;
pub mod seal;
pub mod time;
