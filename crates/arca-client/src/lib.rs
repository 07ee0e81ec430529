//! A small typed client for the Vault/OpenBao HTTP API (Arca's own): hyper over
//! TCP, rustls (aws-lc-rs) or a Unix socket, Vault's headers and environment variables,
//! and a blocking face for the command line.

mod address;
pub mod blocking;
mod client;
pub mod config;
pub mod env;
mod error;
mod request;
mod tls;
mod transport;
pub mod types;

pub use address::Target;
pub use blocking::BlockingClient;
pub use client::Client;
pub use config::{Config, TlsSettings};
pub use error::{Error, Result};
pub use hyper::Method;
pub use request::{encode_component, encode_path, Request, Response, TokenChoice};
