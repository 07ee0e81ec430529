//! Leases through the real server and the `bao lease` commands (on token leases, the leases
//! every deployment has), and crash safety of the lease store under a burst of creation and
//! revocation.

mod common;

use common::*;
use serde_json::{json, Value};

fn token_with_ttl(s: &Server, ttl: &str) -> String {
    let (code, body) = s.req(
        "POST",
        "/v1/auth/token/create",
        Some(json!({"ttl": ttl, "policies": ["default"]})),
    );
    assert_eq!(code, 200, "{body}");
    body["auth"]["client_token"].as_str().unwrap().to_string()
}

fn token_lease_ids(s: &Server) -> Vec<String> {
    let (code, body) = s.req("LIST", "/v1/sys/leases/lookup/auth/token/create/", None);
    if code == 404 {
        return Vec::new();
    }
    assert_eq!(code, 200, "{body}");
    body["data"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| format!("auth/token/create/{}", k.as_str().unwrap()))
        .collect()
}

#[test]
fn bao_lease_lookup_renew_revoke() {
    let s = Server::dev();
    let token = token_with_ttl(&s, "1h");
    let ids = token_lease_ids(&s);
    assert_eq!(ids.len(), 1);
    let id = &ids[0];
    let look = s.bao_json(&["lease", "lookup", id]);
    assert_eq!(look["data"]["id"], json!(id));
    assert_eq!(look["data"]["renewable"], true);
    let ttl = look["data"]["ttl"].as_i64().unwrap();
    assert!(ttl > 3500 && ttl <= 3600, "{ttl}");
    // As Vault: token leases are renewed as tokens, not through sys/leases/renew.
    let out = s.bao(&["lease", "renew", "-increment=2h", id]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("tokens cannot be renewed through this endpoint"),
        "{out:?}"
    );
    let renewed = s.bao_json(&["token", "renew", "-increment=2h", &token]);
    assert!(renewed["auth"]["lease_duration"].as_i64().unwrap() > 7000);
    let look = s.bao_json(&["lease", "lookup", id]);
    assert!(look["data"]["ttl"].as_i64().unwrap() > 7000, "{look}");
    // The top of the lease tree lists the prefixes that hold leases.
    let top = s.bao_json(&["list", "sys/leases/lookup"]);
    assert_eq!(top, json!(["auth/"]));
    s.bao_ok(&["lease", "revoke", id]);
    let (code, _) = s.req_token(&token, "GET", "/v1/auth/token/lookup-self", None);
    assert_eq!(code, 403, "revoking the token's lease revokes the token");
    let out = s.bao(&["lease", "lookup", id]);
    assert!(!out.status.success());
    let (code, body) = s.req(
        "PUT",
        "/v1/sys/leases/lookup",
        Some(json!({"lease_id": ""})),
    );
    assert_eq!(code, 400, "{body}");
    let (code, body) = s.req(
        "PUT",
        "/v1/sys/leases/renew",
        Some(json!({"lease_id": "nope/nothing"})),
    );
    assert_eq!(code, 400, "{body}");
}

#[test]
fn legacy_paths_and_revoke_prefix() {
    let s = Server::dev();
    let t1 = token_with_ttl(&s, "1h");
    let t2 = token_with_ttl(&s, "1h");
    // A token that never expires has a lease too (never due), as in Vault.
    let (code, body) = s.req(
        "POST",
        "/v1/auth/token/create",
        Some(json!({"policies": ["root"]})),
    );
    assert_eq!(code, 200, "{body}");
    let t3 = body["auth"]["client_token"].as_str().unwrap().to_string();
    let ids = token_lease_ids(&s);
    assert_eq!(ids.len(), 3, "{ids:?}");
    let forever: Vec<Value> = ids
        .iter()
        .map(|id| {
            s.req(
                "PUT",
                "/v1/sys/leases/lookup",
                Some(json!({"lease_id": id})),
            )
            .1
        })
        .filter(|l| l["data"]["expire_time"].is_null())
        .collect();
    assert_eq!(forever.len(), 1, "{forever:?}");
    assert_eq!(forever[0]["data"]["ttl"], 0);
    let (code, body) = s.req(
        "PUT",
        &format!("/v1/sys/renew/{}", ids[0]),
        Some(json!({"increment": 60})),
    );
    assert_eq!(code, 400, "{body}");
    let (code, body) = s.req("POST", "/v1/sys/leases/tidy", None);
    assert_eq!(code, 202, "{body}");
    let (code, _) = s.req("PUT", &format!("/v1/sys/revoke/{}", ids[0]), None);
    assert_eq!(code, 204);
    let (_, count) = s.req("GET", "/v1/sys/leases/count?type=all", None);
    assert_eq!(count["data"]["lease_count"], 2);
    s.bao_ok(&["lease", "revoke", "-prefix", "auth/token/create"]);
    for t in [t1, t2, t3] {
        assert_eq!(
            s.req_token(&t, "GET", "/v1/auth/token/lookup-self", None).0,
            403
        );
    }
    let (_, count) = s.req("GET", "/v1/sys/leases/count?type=all", None);
    assert_eq!(count["data"]["lease_count"], 0);
    // revoke-prefix needs sudo.
    s.req("PUT", "/v1/sys/policies/acl/lp", Some(json!({"policy": "path \"sys/leases/revoke-prefix/*\" { capabilities = [\"update\"] }"})));
    let (_, t) = s.req(
        "POST",
        "/v1/auth/token/create",
        Some(json!({"policies": ["lp"]})),
    );
    let limited = t["auth"]["client_token"].as_str().unwrap();
    let (code, _) = s.req_token(
        limited,
        "PUT",
        "/v1/sys/leases/revoke-prefix/auth/token/create",
        None,
    );
    assert_eq!(code, 403);
}

/// SIGKILL during a burst of lease creation and revocation; after restart and unseal no
/// acknowledged lease is forgotten and no expired or revoked lease is valid.
#[test]
fn lease_store_survives_sigkill_mid_burst() {
    let mut s = Server::with_config(file_config());
    let keys = init_and_unseal(&mut s);
    let addr = s.addr.clone();
    let root = s.token.clone();
    let burst = std::thread::spawn(move || {
        let mut long_lived = Vec::new();
        let mut short_lived = Vec::new();
        let mut revoked = Vec::new();
        for i in 0..100_000 {
            let ttl = if i % 3 == 0 { "2s" } else { "1h" };
            let Ok((200, body)) = http(
                &addr,
                "POST",
                "/v1/auth/token/create",
                Some(&root),
                Some(json!({"ttl": ttl})),
            ) else {
                break;
            };
            let t = body["auth"]["client_token"].as_str().unwrap().to_string();
            if i % 5 == 4 {
                match http(
                    &addr,
                    "POST",
                    "/v1/auth/token/revoke",
                    Some(&root),
                    Some(json!({"token": t})),
                ) {
                    Ok((204, _)) => revoked.push(t),
                    _ => break,
                }
            } else if ttl == "2s" {
                short_lived.push(t);
            } else {
                long_lived.push(t);
            }
        }
        (long_lived, short_lived, revoked)
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    s.kill();
    let (long_lived, short_lived, revoked) = burst.join().unwrap();
    assert!(
        long_lived.len() > 10,
        "too few tokens created before the kill"
    );
    let s = s.restart_with_config();
    unseal(&s, &keys);
    for t in &long_lived {
        let (code, body): (u16, Value) = s.req_token(t, "GET", "/v1/auth/token/lookup-self", None);
        assert_eq!(code, 200, "an acknowledged lease was forgotten: {body}");
    }
    for t in &revoked {
        assert_eq!(
            s.req_token(t, "GET", "/v1/auth/token/lookup-self", None).0,
            403,
            "a revoked token came back"
        );
    }
    std::thread::sleep(std::time::Duration::from_millis(3500));
    for t in &short_lived {
        assert_eq!(
            s.req_token(t, "GET", "/v1/auth/token/lookup-self", None).0,
            403,
            "an expired token stayed valid"
        );
    }
    // And the expiration manager cleaned their leases up. The one request in flight at the
    // kill may have been committed without its answer arriving: it may add one lease.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, count) = s.req("GET", "/v1/sys/leases/count?type=all", None);
        let n = count["data"]["lease_count"].as_u64().unwrap() as usize;
        assert!(
            n >= long_lived.len(),
            "leases were lost: {n} < {}",
            long_lived.len()
        );
        if n <= long_lived.len() + 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "expired leases not cleaned up: {count}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
