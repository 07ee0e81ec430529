//! Password hashing for userpass.
//!
//! bcrypt rather than argon2id: OpenBao stores bcrypt hashes and accepts pre-hashed bcrypt
//! passwords (`password_hash`, e.g. from `htpasswd -B`), so choosing bcrypt keeps that API
//! working as it does there and lets hashes move between the two. The cost is 10, Go's and
//! OpenBao's default and OWASP's floor for bcrypt: slow enough to make offline guessing
//! expensive, cheap enough for tests and for logins on a small machine. Verification
//! compares in constant time (the crate uses `subtle`), and an unknown user is checked
//! against a dummy hash of the same cost so both failures take the same time.

use std::sync::OnceLock;

use arca_sdk::{Error, Result};
use zeroize::Zeroizing;

/// The bcrypt cost of passwords set through the API.
pub const COST: u32 = 10;

/// bcrypt reads at most 72 bytes; longer passwords would be silently truncated.
const MAX_PASSWORD_BYTES: usize = 72;

/// Costs accepted for pre-hashed passwords: below 5 is too weak (5 is `htpasswd -B`'s
/// default), above 12 would let one login burn seconds of CPU.
const IMPORTED_COST_RANGE: std::ops::RangeInclusive<u32> = 5..=12;

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        bcrypt::hash("arca-userpass-dummy-password", COST)
            .expect("bcrypt hashing with a valid cost cannot fail")
    })
}

/// Computes the dummy hash ahead of the first login (it costs one hash).
pub async fn warm_up() -> Result<()> {
    tokio::task::spawn_blocking(|| {
        dummy_hash();
    })
    .await
    .map_err(|e| Error::internal(format!("password hashing task failed: {e}")))
}

/// Hashes a new password (off the async runtime: it takes tens of milliseconds).
pub async fn hash(password: &str) -> Result<String> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid(format!(
            "password cannot be longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    let password = Zeroizing::new(password.to_string());
    tokio::task::spawn_blocking(move || bcrypt::hash(password.as_bytes(), COST))
        .await
        .map_err(|e| Error::internal(format!("password hashing task failed: {e}")))?
        .map_err(|_| Error::internal("password hashing failed"))
}

/// Checks a pre-hashed password given as `password_hash`.
pub fn validate_imported(hash: &str) -> Result<()> {
    let parts: bcrypt::HashParts = hash
        .parse()
        .map_err(|_| Error::invalid("password_hash is not a valid bcrypt hash"))?;
    let cost = parts.get_cost();
    if cost < *IMPORTED_COST_RANGE.start() {
        return Err(Error::invalid(format!(
            "bcrypt cost of {cost} is too low, want {} at minimum",
            IMPORTED_COST_RANGE.start()
        )));
    }
    if cost > *IMPORTED_COST_RANGE.end() {
        return Err(Error::invalid(format!(
            "bcrypt cost of {cost} exceeds maximum cost of {}",
            IMPORTED_COST_RANGE.end()
        )));
    }
    Ok(())
}

/// Whether `password` matches `stored`; with no stored hash (unknown user) the password is
/// checked against the dummy hash and the answer is always false, taking the same time.
pub async fn verify(password: &str, stored: Option<String>) -> Result<bool> {
    let password = Zeroizing::new(password.to_string());
    tokio::task::spawn_blocking(move || {
        let (hash, known) = match &stored {
            Some(h) if !h.is_empty() => (h.as_str(), true),
            _ => (dummy_hash(), false),
        };
        // A malformed stored hash is a failed login, never a panic or a leak of its cause.
        let matches = bcrypt::verify(password.as_bytes(), hash).unwrap_or(false);
        matches && known
    })
    .await
    .map_err(|e| Error::internal(format!("password check task failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_refuse() {
        let h = hash("correct horse").await.unwrap();
        assert!(h.starts_with("$2b$10$"), "{h}");
        assert!(verify("correct horse", Some(h.clone())).await.unwrap());
        assert!(!verify("wrong", Some(h)).await.unwrap());
        assert!(!verify("anything", None).await.unwrap());
        assert!(!verify("x", Some("not a hash".into())).await.unwrap());
        assert!(hash(&"x".repeat(73)).await.is_err());
    }

    #[test]
    fn imported_hashes_are_checked() {
        // htpasswd -B -C 5 style hash of "secret".
        let ok = bcrypt::hash("secret", 5).unwrap();
        assert!(validate_imported(&ok).is_ok());
        let weak = bcrypt::hash("secret", 4).unwrap();
        assert!(validate_imported(&weak)
            .unwrap_err()
            .to_string()
            .contains("too low"));
        assert!(validate_imported("plaintext").is_err());
    }
}
