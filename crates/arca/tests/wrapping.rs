//! Response wrapping and cubbyhole isolation through real clients: `X-Vault-Wrap-TTL` on any
//! response, `sys/wrapping/*`, `bao unwrap`, single use, and per-token cubbyholes.

mod common;

use common::*;
use serde_json::{json, Value};

fn wrapped(s: &Server, method: &str, path: &str, body: Option<Value>, ttl: &str) -> (u16, Value) {
    let (code, _, raw) = http_raw(
        &s.addr,
        method,
        path,
        Some(&s.token),
        body.map(|b| b.to_string().into_bytes()),
        &[("X-Vault-Wrap-TTL", ttl)],
    )
    .unwrap();
    (code, serde_json::from_slice(&raw).unwrap_or(Value::Null))
}

#[test]
fn any_response_can_be_wrapped_and_unwrapped_once() {
    let s = Server::dev();
    s.req("POST", "/v1/cubbyhole/env", Some(json!({"k": "v"})));
    let (code, body) = wrapped(&s, "GET", "/v1/cubbyhole/env", None, "60");
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["data"], Value::Null);
    assert_eq!(body["request_id"], "");
    let info = &body["wrap_info"];
    assert_eq!(info["ttl"], 60);
    assert_eq!(info["creation_path"], "cubbyhole/env");
    assert!(info["creation_time"].as_str().unwrap().ends_with('Z'));
    let wtoken = info["token"].as_str().unwrap().to_string();

    let look = s.bao_json(&["write", "sys/wrapping/lookup", &format!("token={wtoken}")]);
    assert_eq!(look["data"]["creation_path"], "cubbyhole/env");
    assert_eq!(look["data"]["creation_ttl"], 60);

    let out = s.bao_with_token(&wtoken, &["unwrap", "-format=json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let unwrapped: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(unwrapped["data"], json!({"k": "v"}));
    // Single use.
    let again = s.bao_with_token(&wtoken, &["unwrap"]);
    assert!(!again.status.success());
    let (code, _) = s.req(
        "POST",
        "/v1/sys/wrapping/unwrap",
        Some(json!({"token": wtoken})),
    );
    assert_eq!(code, 400);
}

#[test]
fn wrapping_a_token_creation_reports_the_wrapped_accessor() {
    let s = Server::dev();
    let (code, body) = wrapped(
        &s,
        "POST",
        "/v1/auth/token/create",
        Some(json!({"policies": ["default"]})),
        "5m",
    );
    assert_eq!(code, 200, "{body}");
    let info = &body["wrap_info"];
    assert_eq!(info["ttl"], 300);
    assert!(!info["wrapped_accessor"].as_str().unwrap().is_empty());
    let wtoken = info["token"].as_str().unwrap();
    let out = s.bao(&["unwrap", "-format=json", wtoken]);
    assert!(out.status.success());
    let unwrapped: Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = unwrapped["auth"]["client_token"].as_str().unwrap();
    assert_eq!(unwrapped["auth"]["accessor"], info["wrapped_accessor"]);
    assert_eq!(
        s.req_token(token, "GET", "/v1/auth/token/lookup-self", None)
            .0,
        200
    );
}

#[test]
fn sys_wrapping_wrap_and_rewrap() {
    let s = Server::dev();
    let wrap = s.bao_json(&[
        "write",
        "-wrap-ttl=2m",
        "sys/wrapping/wrap",
        "secret=value",
        "n=1",
    ]);
    let first = wrap["wrap_info"]["token"].as_str().unwrap().to_string();
    let rewrapped = s.bao_json(&["write", "sys/wrapping/rewrap", &format!("token={first}")]);
    let second = rewrapped["wrap_info"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(first, second);
    assert_eq!(rewrapped["wrap_info"]["ttl"], 120);
    assert!(
        !s.bao(&["unwrap", &first]).status.success(),
        "the old token dies on rewrap"
    );
    let out = s.bao(&["unwrap", "-format=json", &second]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["data"]["secret"], "value");
    // Without a wrap TTL, wrap is refused.
    let (code, _) = s.req("POST", "/v1/sys/wrapping/wrap", Some(json!({"a": "b"})));
    assert_eq!(code, 400);
}

#[test]
fn bad_wrap_ttls_are_refused() {
    let s = Server::dev();
    for ttl in ["abc", "-5s"] {
        let (code, body) = wrapped(&s, "GET", "/v1/sys/mounts", None, ttl);
        assert_eq!(code, 400, "{ttl}: {body}");
        assert!(body["errors"][0]
            .as_str()
            .unwrap()
            .contains("X-Vault-Wrap-TTL"));
    }
    let (code, body) = wrapped(&s, "GET", "/v1/auth/token/lookup-self", None, "0");
    assert_eq!(code, 200);
    assert!(body["wrap_info"].is_null(), "a zero TTL does not wrap");
}

#[test]
fn hvac_unwraps() {
    let s = Server::dev();
    let out = s.hvac(
        r#"
resp = client.write("sys/wrapping/wrap", wrap_ttl="60s", payload="hvac-secret")
wtoken = resp["wrap_info"]["token"]
unwrapped = client.sys.unwrap(token=wtoken)
assert unwrapped["data"]["payload"] == "hvac-secret", unwrapped
print("ok")
"#,
    );
    assert_eq!(out.trim(), "ok");
}

#[test]
fn cubbyholes_are_private_and_die_with_their_token() {
    let s = Server::dev();
    let mk = || {
        let (_, b) = s.req(
            "POST",
            "/v1/auth/token/create",
            Some(json!({"policies": ["default"]})),
        );
        b["auth"]["client_token"].as_str().unwrap().to_string()
    };
    let (a, b) = (mk(), mk());
    assert_eq!(
        s.req_token(
            &a,
            "POST",
            "/v1/cubbyhole/mine",
            Some(json!({"v": "a-secret"}))
        )
        .0,
        204
    );
    assert_eq!(
        s.req_token(&b, "GET", "/v1/cubbyhole/mine", None).0,
        404,
        "b sees a's cubbyhole"
    );
    let (code, body) = s.req_token(&a, "GET", "/v1/cubbyhole/mine", None);
    assert_eq!(code, 200);
    assert_eq!(body["data"]["v"], "a-secret");
    let (_, list) = s.req_token(&a, "LIST", "/v1/cubbyhole/", None);
    assert_eq!(list["data"]["keys"], json!(["mine"]));
    assert_eq!(
        s.req_token(&a, "POST", "/v1/cubbyhole/empty", Some(json!({})))
            .0,
        400
    );
    s.bao_ok(&["token", "revoke", &a]);
    assert_eq!(s.req_token(&a, "GET", "/v1/cubbyhole/mine", None).0, 403);
    // That the revoked token's cubbyhole storage is deleted is checked in arca-core's
    // tests/cubbyhole.rs, which can look below the barrier.
}
