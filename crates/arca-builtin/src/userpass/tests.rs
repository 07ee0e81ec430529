//! Unit tests of userpass over in-memory storage: stored hashes, legacy aliases, lockout.

use arca_sdk::{Error, Operation, UserLockoutConfig};
use serde_json::json;

use crate::testing::{mount, Mounted};

async fn userpass(lockout: UserLockoutConfig) -> Mounted {
    mount(super::backend_type(), lockout).await
}

async fn login(m: &Mounted, user: &str, password: &str) -> Result<(), Error> {
    m.call(
        Operation::Update,
        &format!("login/{user}"),
        json!({"password": password}),
    )
    .await
    .map(|r| assert!(r.unwrap().auth.is_some()))
}

#[tokio::test]
async fn passwords_are_stored_as_bcrypt_hashes() {
    let m = userpass(UserLockoutConfig::default()).await;
    m.call(
        Operation::Update,
        "users/Alice",
        json!({"password": "s3cret-Passw0rd"}),
    )
    .await
    .unwrap();
    assert!(!m.storage_contains("s3cret-Passw0rd"));
    assert!(m.storage_contains("$2b$10$"));
    // Names are case-insensitive.
    login(&m, "ALICE", "s3cret-Passw0rd").await.unwrap();
}

#[tokio::test]
async fn legacy_aliases_are_shown_until_the_new_name_is_written() {
    let m = userpass(UserLockoutConfig::default()).await;
    m.call(
        Operation::Update,
        "users/bob",
        json!({"password": "pw", "policies": "B,a", "ttl": "1h", "max_ttl": "2h", "bound_cidrs": "127.0.0.1"}),
    )
    .await
    .unwrap();
    let d = m.data(Operation::Read, "users/bob", json!({})).await;
    assert_eq!(d["policies"], json!(["a", "b"]));
    assert_eq!(d["token_policies"], json!(["a", "b"]));
    assert_eq!(d["ttl"], 3600);
    assert_eq!(d["token_ttl"], 3600);
    assert_eq!(d["max_ttl"], 7200);
    assert_eq!(d["bound_cidrs"], json!(["127.0.0.1"]));
    m.call(
        Operation::Update,
        "users/bob",
        json!({"token_ttl": "30m", "token_policies": "x"}),
    )
    .await
    .unwrap();
    let d = m.data(Operation::Read, "users/bob", json!({})).await;
    assert_eq!(d["token_ttl"], 1800);
    assert!(d.get("ttl").is_none(), "{d}");
    assert!(d.get("policies").is_none(), "{d}");
    assert_eq!(d["max_ttl"], 7200, "untouched legacy values stay");
}

#[tokio::test]
async fn lockout_counts_only_existing_users_and_resets_on_success() {
    let cfg = UserLockoutConfig {
        threshold: 3,
        ..Default::default()
    };
    let m = userpass(cfg).await;
    m.call(
        Operation::Update,
        "users/carol",
        json!({"password": "right"}),
    )
    .await
    .unwrap();
    for _ in 0..2 {
        assert!(login(&m, "carol", "wrong").await.is_err());
    }
    login(&m, "carol", "right").await.unwrap();
    for _ in 0..2 {
        assert!(login(&m, "carol", "wrong").await.is_err());
    }
    login(&m, "carol", "right").await.unwrap();
    for _ in 0..3 {
        assert_eq!(
            login(&m, "carol", "wrong").await.unwrap_err(),
            Error::invalid("invalid username or password")
        );
    }
    assert_eq!(
        login(&m, "carol", "right").await.unwrap_err(),
        Error::PermissionDenied
    );
    for _ in 0..4 {
        assert_eq!(
            login(&m, "nobody", "x").await.unwrap_err(),
            Error::invalid("invalid username or password")
        );
    }
    assert_eq!(m.backend.locked_users().await.unwrap(), vec!["carol"]);
}
