//! The data every scenario needs, created the same way on both servers through the API:
//! mounts, a policy, a non-root token, the KV keys, a transit key and an AppRole role.

use bytes::Bytes;
use hyper::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

use crate::client::{bulk, Api};
use crate::error::{BenchError, Result};
use crate::servers::Server;

/// The body of every seeded and written KV secret.
pub const SECRET_BODY: &str =
    r#"{"data":{"username":"app-user","password":"b3nch-S3cret-value-0123456789abcdef"}}"#;

/// 48 bytes of plaintext, base64: a typical small value to encrypt.
pub const TRANSIT_PLAINTEXT: &str =
    "YmVuY2htYXJrIHBsYWludGV4dCBmb3IgdHJhbnNpdCBlbmNyeXB0IDAxMjM0NTY3";

const POLICY: &str = r#"
path "secret/*" { capabilities = ["create", "read", "update", "list"] }
path "transit/encrypt/bench" { capabilities = ["update"] }
path "transit/decrypt/bench" { capabilities = ["update"] }
"#;

/// What the scenarios send to one server.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// A non-root token with the bench policy: requests go through a real ACL check.
    pub token: String,
    /// The root token, for the one scenario that shows reads without ACL or token lease.
    pub root_token: String,
    pub ciphertext: String,
    pub role_id: String,
    pub secret_id: String,
    pub keys: usize,
}

fn str_at<'a>(v: &'a Value, ptr: &str, what: &str) -> Result<&'a str> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .ok_or_else(|| BenchError::setup(format!("{what}: no {ptr} in {v}")))
}

/// Retries a write until it succeeds: a new KV v2 mount on OpenBao answers errors for a
/// moment while it upgrades.
async fn until_ok(api: &Api, path: &str, body: &Value) -> Result<()> {
    let start = Instant::now();
    loop {
        match api.ok(Method::POST, path, Some(body)).await {
            Ok(_) => return Ok(()),
            Err(e) if start.elapsed() > Duration::from_secs(60) => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Creates the bench's data on a fresh, unsealed server.
pub async fn seed(server: &Server, keys: usize) -> Result<Fixture> {
    let root = server.admin();
    root.ok(
        Method::POST,
        "sys/mounts/secret",
        Some(&json!({ "type": "kv", "options": { "version": "2" } })),
    )
    .await?;
    root.ok(
        Method::POST,
        "sys/mounts/transit",
        Some(&json!({ "type": "transit" })),
    )
    .await?;
    root.ok(
        Method::POST,
        "sys/auth/approle",
        Some(&json!({ "type": "approle" })),
    )
    .await?;
    root.ok(
        Method::PUT,
        "sys/policies/acl/bench",
        Some(&json!({ "policy": POLICY })),
    )
    .await?;
    let created = root
        .ok(
            Method::POST,
            "auth/token/create",
            Some(&json!({ "policies": ["bench"], "ttl": "768h" })),
        )
        .await?;
    let token = str_at(&created, "/auth/client_token", "token create")?.to_string();

    let secret: Value = serde_json::from_str(SECRET_BODY).unwrap_or(Value::Null);
    until_ok(&root, "secret/data/hot", &secret).await?;
    let report = bulk(&server.addr, &server.root_token, keys, 32, None, |i| {
        (
            Method::POST,
            format!("secret/data/k/{i}"),
            Some(Bytes::from_static(SECRET_BODY.as_bytes())),
        )
    })
    .await;
    if report.failed() > 0 {
        return Err(BenchError::setup(format!(
            "{}: seeding {keys} keys: {} failed, first: {}",
            server.product.name(),
            report.failed(),
            report.first_failure.unwrap_or_default()
        )));
    }
    eprintln!(
        "  {}: seeded {keys} KV v2 keys at {:.0}/s",
        server.product.name(),
        report.per_sec()
    );

    root.ok(Method::POST, "transit/keys/bench", Some(&json!({})))
        .await?;
    let enc = root
        .ok(
            Method::POST,
            "transit/encrypt/bench",
            Some(&json!({ "plaintext": TRANSIT_PLAINTEXT })),
        )
        .await?;
    let ciphertext = str_at(&enc, "/data/ciphertext", "transit encrypt")?.to_string();

    root.ok(
        Method::POST,
        "auth/approle/role/bench",
        Some(&json!({ "token_policies": ["bench"], "token_ttl": "1h", "token_max_ttl": "1h" })),
    )
    .await?;
    let role = root
        .ok(Method::GET, "auth/approle/role/bench/role-id", None)
        .await?;
    let role_id = str_at(&role, "/data/role_id", "role-id")?.to_string();
    let sid = root
        .ok(
            Method::POST,
            "auth/approle/role/bench/secret-id",
            Some(&json!({})),
        )
        .await?;
    let secret_id = str_at(&sid, "/data/secret_id", "secret-id")?.to_string();

    Ok(Fixture {
        token,
        root_token: server.root_token.clone(),
        ciphertext,
        role_id,
        secret_id,
        keys,
    })
}
