//! Small helpers the built-in auth methods share: Vault's name syntax for users and roles,
//! paginated listing arguments, constant-time comparison, and JSON transaction steps.

use arca_sdk::{Error, FieldData, Result, TxnOp};
use serde::Serialize;

/// Vault's `GenericNameRegex`: word characters, with `-` and `.` allowed inside.
pub fn is_generic_name(name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let (Some(first), Some(last)) = (name.chars().next(), name.chars().last()) else {
        return false;
    };
    word(first) && word(last) && name.chars().all(|c| word(c) || c == '-' || c == '.')
}

/// A path parameter that must be a generic name; anything else does not match the path,
/// as in Vault where the pattern's regular expression fails.
pub fn generic_name(d: &FieldData<'_>, field: &str) -> Result<String> {
    let name = d.string(field)?;
    if is_generic_name(&name) {
        Ok(name)
    } else {
        Err(Error::UnsupportedPath)
    }
}

/// The `after` and `limit` arguments of a paginated LIST (limit 0 or less: all).
pub fn list_page_args(d: &FieldData<'_>) -> Result<(String, usize)> {
    let after = d.string("after")?;
    let limit = d.int("limit")?.unwrap_or(0).max(0) as usize;
    Ok((after, limit))
}

/// Compares two credentials without leaking where they differ (lengths are not secret).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

/// A transaction step writing `value` as JSON.
pub fn put_json_op<T: Serialize>(key: impl Into<String>, value: &T) -> Result<TxnOp> {
    let key = key.into();
    let value = serde_json::to_vec(value)
        .map_err(|e| Error::internal(format!("encoding entry {key:?}: {e}")))?;
    Ok(TxnOp::Put { key, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_names() {
        for good in ["a", "alice", "my-role.v2", "A_1", "x.y"] {
            assert!(is_generic_name(good), "{good}");
        }
        for bad in ["", "-a", "a-", ".a", "a b", "a/b", "a@b", "é"] {
            assert!(!is_generic_name(bad), "{bad}");
        }
    }
}
