//! Timestamps in the forms Vault's API uses; the implementation lives in the SDK so that
//! engines format times the same way.

pub use arca_sdk::time::{parse_rfc3339, rfc3339, rfc3339_now, rfc3339_secs};
