//! Unit tests of AppRole over in-memory storage: what is stored, use counting under
//! concurrency, expiry, CIDR checks and lockout.

use std::sync::Arc;
use std::time::Duration;

use arca_sdk::{Error, Operation, StorageExt, UserLockoutConfig};
use serde_json::{json, Value};

use super::secret_id::SecretIdEntry;
use crate::testing::{mount, Mounted};

async fn approle(lockout: UserLockoutConfig) -> Mounted {
    mount(super::backend_type(), lockout).await
}

async fn role_with_secret(m: &Mounted, role: Value, secret: Value) -> (String, String) {
    m.call(Operation::Update, "role/app", role).await.unwrap();
    let role_id = m.data(Operation::Read, "role/app/role-id", json!({})).await["role_id"]
        .as_str()
        .unwrap()
        .to_string();
    let issued = m
        .data(Operation::Update, "role/app/secret-id", secret)
        .await;
    (role_id, issued["secret_id"].as_str().unwrap().to_string())
}

async fn login(m: &Mounted, role_id: &str, secret_id: &str) -> Result<(), Error> {
    m.call(
        Operation::Update,
        "login",
        json!({"role_id": role_id, "secret_id": secret_id}),
    )
    .await
    .map(|r| assert!(r.unwrap().auth.is_some()))
}

#[tokio::test]
async fn secret_ids_are_stored_only_as_hmacs() {
    let m = approle(UserLockoutConfig::default()).await;
    let (_, secret_id) = role_with_secret(&m, json!({"token_policies": "p"}), json!({})).await;
    m.call(
        Operation::Update,
        "role/app/custom-secret-id",
        json!({"secret_id": "my-very-own-secret-id"}),
    )
    .await
    .unwrap();
    assert!(!m.storage_contains(&secret_id));
    assert!(!m.storage_contains("my-very-own-secret-id"));
    // The HMAC key itself is random per mount.
    assert!(m.storage_contains("\"key\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_single_use_secret_id_logs_in_exactly_once_under_concurrency() {
    let m = Arc::new(approle(UserLockoutConfig::default()).await);
    let (role_id, secret_id) =
        role_with_secret(&m, json!({"secret_id_num_uses": 1}), json!({})).await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (m, r, s) = (m.clone(), role_id.clone(), secret_id.clone());
        tasks.push(tokio::spawn(async move { login(&m, &r, &s).await.is_ok() }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap());
    }
    assert_eq!(ok, 1);
    // Nothing of it is left: neither the entry nor its accessor.
    let listed = m
        .call(Operation::List, "role/app/secret-id", json!({}))
        .await
        .unwrap();
    assert!(listed.is_none());
    assert!(m
        .storage
        .list("auth/test/accessor/")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn uses_count_down_and_expired_secret_ids_fail() {
    let m = approle(UserLockoutConfig::default()).await;
    let (role_id, secret_id) = role_with_secret(&m, json!({}), json!({"num_uses": 0})).await;
    let issued = m
        .data(
            Operation::Update,
            "role/app/secret-id",
            json!({"num_uses": 3}),
        )
        .await;
    let limited = issued["secret_id"].as_str().unwrap();
    for left in [2, 1] {
        login(&m, &role_id, limited).await.unwrap();
        let info = m
            .data(
                Operation::Update,
                "role/app/secret-id/lookup",
                json!({"secret_id": limited}),
            )
            .await;
        assert_eq!(info["secret_id_num_uses"], left);
    }
    login(&m, &role_id, limited).await.unwrap();
    assert!(login(&m, &role_id, limited).await.is_err());

    // Push the unlimited secret ID's expiry into the past: it must stop working at once.
    login(&m, &role_id, &secret_id).await.unwrap();
    let keys = m
        .storage
        .list_recursive("auth/test/secret_id/")
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    let mut entry: SecretIdEntry = m.storage.get_json(&keys[0]).await.unwrap().unwrap();
    entry.expiration_time = 1;
    m.storage.put_json(&keys[0], &entry).await.unwrap();
    let err = login(&m, &role_id, &secret_id).await.unwrap_err();
    assert_eq!(err, Error::invalid("invalid role or secret ID"));
    assert!(m
        .storage
        .list_recursive("auth/test/secret_id/")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn cidr_refusals_do_not_spend_uses() {
    let m = approle(UserLockoutConfig::default()).await;
    let (role_id, secret_id) = role_with_secret(
        &m,
        json!({}),
        json!({"num_uses": 1, "cidr_list": "10.0.0.0/8"}),
    )
    .await;
    let err = login(&m, &role_id, &secret_id).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("unauthorized through CIDR restrictions on the secret ID"),
        "{err}"
    );
    let ok = m
        .call_from(
            Operation::Update,
            "login",
            json!({"role_id": role_id, "secret_id": secret_id}),
            "10.1.2.3".parse().unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ok.auth.unwrap().metadata["role_name"], "app");
}

#[tokio::test]
async fn lockout_counts_bad_secret_ids_of_existing_roles() {
    let cfg = UserLockoutConfig {
        threshold: 2,
        ..Default::default()
    };
    let m = approle(cfg).await;
    let (role_id, secret_id) = role_with_secret(&m, json!({}), json!({})).await;
    for _ in 0..2 {
        assert_eq!(
            login(&m, &role_id, "wrong").await.unwrap_err(),
            Error::invalid("invalid role or secret ID")
        );
    }
    assert_eq!(
        login(&m, &role_id, &secret_id).await.unwrap_err(),
        Error::PermissionDenied
    );
    assert_eq!(
        m.backend.locked_users().await.unwrap(),
        vec![role_id.clone()]
    );
    // Unknown role IDs are never counted.
    for _ in 0..3 {
        assert!(login(&m, "unknown", "x").await.is_err());
    }
    assert_eq!(m.backend.locked_users().await.unwrap().len(), 1);
    m.backend.unlock_user(&role_id).await.unwrap();
    login(&m, &role_id, &secret_id).await.unwrap();
    assert!(m.backend.locked_users().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_lock_survives_a_restart_of_the_backend() {
    let cfg = UserLockoutConfig {
        threshold: 1,
        duration: Duration::from_secs(600),
        ..Default::default()
    };
    let m = approle(cfg).await;
    let (role_id, _) = role_with_secret(&m, json!({}), json!({})).await;
    assert!(login(&m, &role_id, "wrong").await.is_err());
    // A new instance over the same storage (an unseal) reloads the lock.
    let again = super::AppRole::new(arca_sdk::BackendContext {
        storage: arca_sdk::StorageView::new(m.storage.clone(), "auth/test/"),
        system: Arc::new(crate::testing::TestSystem { lockout: cfg }),
        mount_type: "approle".into(),
        mount_uuid: "test".into(),
        mount_accessor: "auth_test_1".into(),
        options: Default::default(),
    });
    arca_sdk::Backend::initialize(&*again).await.unwrap();
    assert_eq!(
        arca_sdk::Backend::locked_users(&*again).await.unwrap(),
        vec![role_id]
    );
}

#[tokio::test]
async fn roles_without_secret_ids_log_in_from_their_cidrs_only() {
    let m = approle(UserLockoutConfig::default()).await;
    m.call(
        Operation::Update,
        "role/open",
        json!({"bind_secret_id": false, "secret_id_bound_cidrs": "127.0.0.0/8", "token_policies": "p"}),
    )
    .await
    .unwrap();
    let role_id = m
        .data(Operation::Read, "role/open/role-id", json!({}))
        .await["role_id"]
        .as_str()
        .unwrap()
        .to_string();
    let auth = m
        .call(Operation::Update, "login", json!({"role_id": role_id}))
        .await
        .unwrap()
        .unwrap()
        .auth
        .unwrap();
    assert_eq!(auth.policies, vec!["p"]);
    assert_eq!(auth.alias_name, role_id);
    let err = m
        .call_from(
            Operation::Update,
            "login",
            json!({"role_id": role_id}),
            "192.0.2.1".parse().unwrap(),
        )
        .await
        .unwrap_err();
    assert!(err
        .to_string()
        .contains("unauthorized by CIDR restrictions on the role"));
    // Issuing secret IDs on such a role is refused.
    let err = m
        .call(Operation::Update, "role/open/secret-id", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err, Error::invalid("bind_secret_id is not set on the role"));
}
