//! Arca's built-in secrets engines and auth methods. Each engine is one module that depends
//! only on `arca-sdk`; `backends()` is the catalogue the server registers.

pub mod approle;
mod auth_common;
pub mod cubbyhole;
pub mod kv;
mod lockout;
#[cfg(test)]
mod testing;
pub mod transit;
pub mod userpass;

use arca_sdk::BackendType;

/// Every engine and auth method built into Arca.
pub fn backends() -> Vec<BackendType> {
    vec![
        cubbyhole::backend_type(),
        kv::backend_type(),
        transit::backend_type(),
        userpass::backend_type(),
        approle::backend_type(),
    ]
}
