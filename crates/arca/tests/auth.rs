//! The userpass and AppRole auth methods through real clients: the `bao` CLI (auth
//! enable/list/tune/disable, users, logins, the AppRole commands users bring, pull mode with
//! response wrapping), hvac, user lockout and `sys/locked-users`, secret-ID use counting,
//! CIDR bindings, and bad input.

mod common;

use common::*;
use serde_json::{json, Value};

/// `bao <command> -format=json <args...>` for one-word commands (`read`, `write`, ...).
fn bao_json1(s: &Server, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.insert(1, "-format=json");
    let out = s.bao_ok(&a);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bao {a:?} gave non-JSON ({e}): {out}"))
}

fn accessor_of(s: &Server, mount: &str) -> String {
    let list = s.bao_json(&["auth", "list"]);
    list[mount]["accessor"].as_str().unwrap().to_string()
}

fn login_userpass(s: &Server, user: &str, password: &str) -> (u16, Value) {
    s.req_token(
        "",
        "POST",
        &format!("/v1/auth/userpass/login/{user}"),
        Some(json!({"password": password})),
    )
}

fn login_approle(s: &Server, mount: &str, role_id: &str, secret_id: &str) -> (u16, Value) {
    s.req_token(
        "",
        "POST",
        &format!("/v1/auth/{mount}/login"),
        Some(json!({"role_id": role_id, "secret_id": secret_id})),
    )
}

fn errors(body: &Value) -> Value {
    body["errors"].clone()
}

#[test]
fn auth_enable_list_tune_disable_with_bao() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "userpass"]);
    s.bao_ok(&["auth", "enable", "-path=apps", "approle"]);
    let list = s.bao_json(&["auth", "list"]);
    assert_eq!(list["userpass/"]["type"], "userpass");
    assert_eq!(list["apps/"]["type"], "approle");
    assert_eq!(list["token/"]["type"], "token");

    s.bao_ok(&[
        "auth",
        "tune",
        "-default-lease-ttl=30m",
        "-user-lockout-threshold=7",
        "-user-lockout-duration=20m",
        "-user-lockout-counter-reset-duration=5m",
        "userpass/",
    ]);
    let tune = bao_json1(&s, &["read", "sys/auth/userpass/tune"]);
    assert_eq!(tune["data"]["default_lease_ttl"], 1800);
    assert_eq!(tune["data"]["user_lockout_threshold"], 7);
    assert_eq!(tune["data"]["user_lockout_duration"], 1200);
    assert_eq!(tune["data"]["user_lockout_counter_reset_duration"], 300);
    assert_eq!(tune["data"]["user_lockout_disable"], false);
    let (_, raw) = s.req("GET", "/v1/sys/auth", None);
    assert_eq!(
        raw["data"]["userpass/"]["config"]["user_lockout_config"]["user_lockout_threshold"],
        7
    );
    // Lockout settings only exist for methods that support them; bad values change nothing.
    let (code, body) = s.req(
        "POST",
        "/v1/sys/auth/token/tune",
        Some(json!({"user_lockout_config": {"lockout_threshold": "3"}})),
    );
    assert_eq!(code, 400, "{body}");
    let (code, body) = s.req(
        "POST",
        "/v1/sys/auth/userpass/tune",
        Some(json!({"user_lockout_config": {"lockout_threshold": "many"}})),
    );
    assert_eq!(code, 400, "{body}");
    let tune = bao_json1(&s, &["read", "sys/auth/userpass/tune"]);
    assert_eq!(tune["data"]["user_lockout_threshold"], 7);

    // A login's token is tied to its mount: disabling the mount revokes it.
    s.bao_ok(&[
        "write",
        "auth/userpass/users/dave",
        "password=pw",
        "token_policies=default",
    ]);
    let (code, body) = login_userpass(&s, "dave", "pw");
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["auth"]["lease_duration"], 1800,
        "mount default TTL applies"
    );
    let token = body["auth"]["client_token"].as_str().unwrap().to_string();
    let (code, _) = s.req_token(&token, "GET", "/v1/auth/token/lookup-self", None);
    assert_eq!(code, 200);
    s.bao_ok(&["auth", "disable", "userpass"]);
    let (code, _) = s.req_token(&token, "GET", "/v1/auth/token/lookup-self", None);
    assert_eq!(code, 403, "token of a disabled mount must be revoked");
    let list = s.bao_json(&["auth", "list"]);
    assert!(list.get("userpass/").is_none());
}

#[test]
fn userpass_users_and_login_with_bao() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "userpass"]);
    s.bao_ok(&[
        "write",
        "auth/userpass/users/alice",
        "password=correct-horse",
        "policies=dev,Ops",
    ]);
    let user = bao_json1(&s, &["read", "auth/userpass/users/alice"]);
    assert_eq!(
        user["data"],
        json!({
            "policies": ["dev", "ops"],
            "token_bound_cidrs": [],
            "token_explicit_max_ttl": 0,
            "token_max_ttl": 0,
            "token_no_default_policy": false,
            "token_num_uses": 0,
            "token_period": 0,
            "token_policies": ["dev", "ops"],
            "token_strictly_bind_ip": false,
            "token_ttl": 0,
            "token_type": "default"
        })
    );
    s.bao_ok(&["write", "auth/userpass/users/bob", "password=pw2"]);
    let list = bao_json1(&s, &["list", "auth/userpass/users"]);
    assert_eq!(list, json!(["alice", "bob"]));

    let login = s.bao_json(&[
        "login",
        "-method=userpass",
        "-no-store",
        "username=alice",
        "password=correct-horse",
    ]);
    let auth = &login["auth"];
    assert_eq!(auth["policies"], json!(["default", "dev", "ops"]));
    assert_eq!(auth["metadata"], json!({"username": "alice"}));
    assert_eq!(auth["renewable"], true);
    assert_eq!(auth["lease_duration"], 768 * 3600);
    let token = auth["client_token"].as_str().unwrap();
    let lookup = s.bao_with_token(token, &["token", "lookup", "-format=json"]);
    let lookup: Value = serde_json::from_slice(&lookup.stdout).unwrap();
    assert_eq!(lookup["data"]["display_name"], "userpass-alice");
    assert_eq!(lookup["data"]["path"], "auth/userpass/login/alice");
    assert_eq!(lookup["data"]["meta"], json!({"username": "alice"}));

    // Password reset and policies update endpoints.
    s.bao_ok(&[
        "write",
        "auth/userpass/users/alice/password",
        "password=battery-staple",
    ]);
    assert_eq!(login_userpass(&s, "alice", "correct-horse").0, 400);
    assert_eq!(login_userpass(&s, "alice", "battery-staple").0, 200);
    s.bao_ok(&[
        "write",
        "auth/userpass/users/alice/policies",
        "token_policies=reader",
    ]);
    let user = bao_json1(&s, &["read", "auth/userpass/users/alice"]);
    assert_eq!(user["data"]["token_policies"], json!(["reader"]));
    assert!(user["data"].get("policies").is_none());

    // Legacy aliases as Vault accepts and shows them.
    s.bao_ok(&[
        "write",
        "auth/userpass/users/bob",
        "ttl=1h",
        "max_ttl=2h",
        "bound_cidrs=127.0.0.1/32",
    ]);
    let bob = bao_json1(&s, &["read", "auth/userpass/users/bob"]);
    assert_eq!(bob["data"]["ttl"], 3600);
    assert_eq!(bob["data"]["token_ttl"], 3600);
    assert_eq!(bob["data"]["max_ttl"], 7200);
    assert_eq!(bob["data"]["bound_cidrs"], json!(["127.0.0.1/32"]));
    let (code, body) = login_userpass(&s, "bob", "pw2");
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["auth"]["lease_duration"], 3600);

    s.bao_ok(&["delete", "auth/userpass/users/bob"]);
    let (code, body) = login_userpass(&s, "bob", "pw2");
    assert_eq!(code, 400);
    assert_eq!(errors(&body), json!(["invalid username or password"]));
    let (code, _) = s.req("GET", "/v1/auth/userpass/users/bob", None);
    assert_eq!(code, 404);
}

#[test]
fn userpass_bad_input_is_refused_and_changes_nothing() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "userpass"]);
    s.bao_ok(&[
        "write",
        "auth/userpass/users/erin",
        "password=pw",
        "token_ttl=1h",
    ]);
    let before = s.req("GET", "/v1/auth/userpass/users/erin", None).1["data"].clone();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "users/frank",
            json!({}),
            "must provide either password or password_hash",
        ),
        (
            "users/frank",
            json!({"password": "a", "password_hash": "b"}),
            "only one of password or password_hash may be provided",
        ),
        (
            "users/frank",
            json!({"password_hash": "not-bcrypt"}),
            "password_hash is not a valid bcrypt hash",
        ),
        (
            "users/frank",
            json!({"password": "x".repeat(73)}),
            "password cannot be longer than 72 bytes",
        ),
        (
            "users/erin",
            json!({"token_ttl": "5h", "token_max_ttl": "1h"}),
            "'token_ttl' cannot be greater than 'token_max_ttl'",
        ),
        (
            "users/erin",
            json!({"token_type": "weird"}),
            "invalid 'token_type' value \"weird\"",
        ),
        (
            "users/erin",
            json!({"token_bound_cidrs": "10.0.0.0/33"}),
            "invalid CIDR block",
        ),
        ("users/erin", json!({"token_ttl": "soon"}), "token_ttl"),
        (
            "users/erin",
            json!({"token_num_uses": -1}),
            "'token_num_uses' cannot be negative",
        ),
        (
            "users/erin/password",
            json!({}),
            "must provide either password or password_hash",
        ),
        (
            "users/nobody/password",
            json!({"password": "x"}),
            "username does not exist",
        ),
        ("login/erin", json!({}), "missing password"),
    ];
    for (path, body, want) in cases {
        let (code, resp) = s.req(
            "POST",
            &format!("/v1/auth/userpass/{path}"),
            Some(body.clone()),
        );
        assert_eq!(code, 400, "{path} {body}: {resp}");
        let msg = resp["errors"][0].as_str().unwrap_or_default();
        assert!(msg.contains(want), "{path} {body}: {msg:?} lacks {want:?}");
    }
    let after = s.req("GET", "/v1/auth/userpass/users/erin", None).1["data"].clone();
    assert_eq!(before, after);
    assert_eq!(s.req("GET", "/v1/auth/userpass/users/frank", None).0, 404);
    // Names outside Vault's syntax do not match any path.
    let (code, _) = s.req(
        "POST",
        "/v1/auth/userpass/users/bad%20name",
        Some(json!({"password": "x"})),
    );
    assert_eq!(code, 404);
    // Unknown parameters on an endpoint that answers nothing are dropped silently, as in
    // Vault (which warns only on responses with a body): still a 204.
    let (code, body) = s.req(
        "POST",
        "/v1/auth/userpass/users/erin",
        Some(json!({"colour": "red"})),
    );
    assert_eq!(code, 204, "{body}");
    // A pre-hashed bcrypt password (as htpasswd -B makes) is accepted.
    let (code, body) = s.req(
        "POST",
        "/v1/auth/userpass/users/gina",
        Some(json!({"password_hash": "$2y$05$cQpLQN60usD1bWLJ4wt9SOAKawLwKJVBL/Qg0WkCDlCaxXLr54qIO"})),
    );
    assert_eq!(code, 204, "{body}");
    assert_eq!(login_userpass(&s, "gina", "secret").0, 200);
    // Wrong password and unknown user answer alike.
    let wrong = login_userpass(&s, "erin", "nope");
    let unknown = login_userpass(&s, "nobody", "nope");
    assert_eq!(
        wrong,
        (400, json!({"errors": ["invalid username or password"]}))
    );
    assert_eq!(unknown, wrong);
}

#[test]
fn userpass_lockout_and_unlock() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "userpass"]);
    s.bao_ok(&["auth", "tune", "-user-lockout-threshold=3", "userpass/"]);
    s.bao_ok(&["write", "auth/userpass/users/hank", "password=right"]);
    for _ in 0..3 {
        assert_eq!(login_userpass(&s, "hank", "wrong").0, 400);
    }
    let (code, body) = login_userpass(&s, "hank", "right");
    assert_eq!((code, errors(&body)), (403, json!(["permission denied"])));
    // Unknown users are never counted.
    for _ in 0..4 {
        assert_eq!(login_userpass(&s, "ghost", "x").0, 400);
    }
    let accessor = accessor_of(&s, "userpass/");
    let locked = bao_json1(&s, &["read", "sys/locked-users"]);
    assert_eq!(
        locked["data"],
        json!({
            "by_namespace": [{
                "namespace_id": "root",
                "namespace_path": "",
                "counts": 1,
                "mount_accessors": [{
                    "mount_accessor": accessor,
                    "counts": 1,
                    "alias_identifiers": ["hank"]
                }]
            }],
            "total": 1
        })
    );
    s.bao_ok(&[
        "write",
        "-f",
        &format!("sys/locked-users/{accessor}/unlock/hank"),
    ]);
    assert_eq!(login_userpass(&s, "hank", "right").0, 200);
    let locked = bao_json1(&s, &["read", "sys/locked-users"]);
    assert_eq!(locked["data"]["total"], 0);

    // With lockout disabled, failures never lock.
    s.bao_ok(&["auth", "tune", "-user-lockout-disable", "userpass/"]);
    for _ in 0..4 {
        assert_eq!(login_userpass(&s, "hank", "wrong").0, 400);
    }
    assert_eq!(login_userpass(&s, "hank", "right").0, 200);
}

#[test]
fn userpass_token_cidr_binding() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "userpass"]);
    s.bao_ok(&[
        "write",
        "auth/userpass/users/ivy",
        "password=pw",
        "token_bound_cidrs=10.0.0.0/8",
    ]);
    let (code, body) = login_userpass(&s, "ivy", "pw");
    assert_eq!((code, errors(&body)), (403, json!(["permission denied"])));
    s.bao_ok(&[
        "write",
        "auth/userpass/users/ivy",
        "token_bound_cidrs=127.0.0.0/8",
    ]);
    let (code, body) = login_userpass(&s, "ivy", "pw");
    assert_eq!(code, 200, "{body}");
    let token = body["auth"]["client_token"].as_str().unwrap();
    assert_eq!(
        s.req_token(token, "GET", "/v1/auth/token/lookup-self", None)
            .0,
        200
    );
}

/// The configuration users bring, exactly as in the issue.
#[test]
fn approle_issue_configuration_with_bao() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "approle"]);
    s.bao_ok(&[
        "write",
        "auth/approle/role/payment-service",
        "token_ttl=1h",
        "token_max_ttl=4h",
        "secret_id_num_uses=1",
        "secret_id_ttl=10m",
        "token_policies=payment-service-read",
    ]);
    let role = bao_json1(&s, &["read", "auth/approle/role/payment-service"]);
    assert_eq!(
        role["data"],
        json!({
            "bind_secret_id": true,
            "local_secret_ids": false,
            "secret_id_bound_cidrs": null,
            "secret_id_num_uses": 1,
            "secret_id_ttl": 600,
            "token_bound_cidrs": [],
            "token_explicit_max_ttl": 0,
            "token_max_ttl": 14400,
            "token_no_default_policy": false,
            "token_num_uses": 0,
            "token_period": 0,
            "token_policies": ["payment-service-read"],
            "token_strictly_bind_ip": false,
            "token_ttl": 3600,
            "token_type": "default"
        })
    );
    let role_id = s.bao_ok(&[
        "read",
        "-field=role_id",
        "auth/approle/role/payment-service/role-id",
    ]);
    let issued = bao_json1(
        &s,
        &["write", "-f", "auth/approle/role/payment-service/secret-id"],
    );
    assert_eq!(issued["data"]["secret_id_num_uses"], 1);
    assert_eq!(issued["data"]["secret_id_ttl"], 600);
    let secret_id = issued["data"]["secret_id"].as_str().unwrap().to_string();
    let login = s.bao_json(&[
        "write",
        "auth/approle/login",
        &format!("role_id={}", role_id.trim()),
        &format!("secret_id={secret_id}"),
    ]);
    let auth = &login["auth"];
    assert_eq!(auth["policies"], json!(["default", "payment-service-read"]));
    assert_eq!(auth["metadata"], json!({"role_name": "payment-service"}));
    assert_eq!(auth["lease_duration"], 3600);
    assert_eq!(auth["renewable"], true);
    // The secret ID had one use.
    let (code, body) = login_approle(&s, "approle", role_id.trim(), &secret_id);
    assert_eq!(
        (code, errors(&body)),
        (400, json!(["invalid role or secret ID"]))
    );
}

#[test]
fn approle_pull_mode_with_a_wrapped_secret_id() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "approle"]);
    s.bao_ok(&["write", "auth/approle/role/x", "token_policies=p1"]);
    let wrapped = s.bao_json(&[
        "write",
        "-wrap-ttl=60s",
        "-f",
        "auth/approle/role/x/secret-id",
    ]);
    assert!(wrapped["data"].is_null(), "{wrapped}");
    assert_eq!(wrapped["wrap_info"]["ttl"], 60);
    assert_eq!(
        wrapped["wrap_info"]["creation_path"],
        "auth/approle/role/x/secret-id"
    );
    let wrap_token = wrapped["wrap_info"]["token"].as_str().unwrap();
    let unwrapped = bao_json1(&s, &["unwrap", wrap_token]);
    let secret_id = unwrapped["data"]["secret_id"].as_str().unwrap();
    let role_id = s.bao_ok(&["read", "-field=role_id", "auth/approle/role/x/role-id"]);
    let (code, body) = login_approle(&s, "approle", role_id.trim(), secret_id);
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["auth"]["policies"], json!(["default", "p1"]));
    // A wrapping token unwraps once.
    assert!(!s.bao(&["unwrap", wrap_token]).status.success());
}

#[test]
fn approle_secret_id_lifecycle() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "approle"]);
    s.bao_ok(&[
        "write",
        "auth/approle/role/web",
        "secret_id_bound_cidrs=127.0.0.0/8",
        "token_bound_cidrs=127.0.0.0/8",
    ]);
    let issued = s.req(
        "POST",
        "/v1/auth/approle/role/web/secret-id",
        Some(json!({
            "metadata": "{\"env\":\"prod\"}",
            "cidr_list": "127.0.0.1/32",
            "token_bound_cidrs": "127.0.0.1/32",
            "num_uses": 5,
            "ttl": "1h"
        })),
    );
    assert_eq!(issued.0, 200, "{}", issued.1);
    let secret_id = issued.1["data"]["secret_id"].as_str().unwrap().to_string();
    let accessor = issued.1["data"]["secret_id_accessor"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(issued.1["data"]["secret_id_num_uses"], 5);
    assert_eq!(issued.1["data"]["secret_id_ttl"], 3600);

    let (code, looked) = s.req(
        "POST",
        "/v1/auth/approle/role/web/secret-id/lookup",
        Some(json!({"secret_id": secret_id})),
    );
    assert_eq!(code, 200);
    let d = &looked["data"];
    assert_eq!(d["secret_id_accessor"], accessor.as_str());
    assert_eq!(d["metadata"], json!({"env": "prod"}));
    assert_eq!(d["cidr_list"], json!(["127.0.0.1/32"]));
    assert_eq!(d["token_bound_cidrs"], json!(["127.0.0.1/32"]));
    for key in ["creation_time", "expiration_time", "last_updated_time"] {
        assert!(d[key].as_str().unwrap().ends_with('Z'), "{key}: {d}");
    }
    let by_accessor = s.req(
        "POST",
        "/v1/auth/approle/role/web/secret-id-accessor/lookup",
        Some(json!({"secret_id_accessor": accessor})),
    );
    assert_eq!(by_accessor.1["data"], looked["data"]);

    // Custom secret IDs, once each.
    let custom = s.req(
        "POST",
        "/v1/auth/approle/role/web/custom-secret-id",
        Some(json!({"secret_id": "chosen-by-me"})),
    );
    assert_eq!(custom.0, 200, "{}", custom.1);
    assert_eq!(custom.1["data"]["secret_id"], "chosen-by-me");
    let again = s.req(
        "POST",
        "/v1/auth/approle/role/web/custom-secret-id",
        Some(json!({"secret_id": "chosen-by-me"})),
    );
    assert_eq!(again.0, 400);

    let listed = bao_json1(&s, &["list", "auth/approle/role/web/secret-id"]);
    let mut listed: Vec<String> = serde_json::from_value(listed).unwrap();
    listed.sort();
    let mut want = vec![
        accessor.clone(),
        custom.1["data"]["secret_id_accessor"]
            .as_str()
            .unwrap()
            .to_string(),
    ];
    want.sort();
    assert_eq!(listed, want);

    // Destroy by secret ID, then by accessor.
    let (code, _) = s.req(
        "POST",
        "/v1/auth/approle/role/web/secret-id/destroy",
        Some(json!({"secret_id": "chosen-by-me"})),
    );
    assert_eq!(code, 204);
    let (code, _) = s.req(
        "POST",
        "/v1/auth/approle/role/web/secret-id-accessor/destroy",
        Some(json!({"secret_id_accessor": accessor})),
    );
    assert_eq!(code, 204);
    let (code, body) = s.req(
        "POST",
        "/v1/auth/approle/role/web/secret-id-accessor/lookup",
        Some(json!({"secret_id_accessor": accessor})),
    );
    assert_eq!(code, 404);
    assert!(body["data"]["error"]
        .as_str()
        .unwrap()
        .contains("failed to find accessor entry"));
    assert_eq!(
        s.req("LIST", "/v1/auth/approle/role/web/secret-id", None).0,
        404
    );

    let (code, body) = s.req("POST", "/v1/auth/approle/tidy/secret-id", None);
    assert_eq!(code, 202, "{body}");
    assert!(body["warnings"][0]
        .as_str()
        .unwrap()
        .contains("Tidy operation"));
}

#[test]
fn approle_num_uses_run_out_even_under_concurrent_logins() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "approle"]);
    s.bao_ok(&[
        "write",
        "auth/approle/role/batch-job",
        "token_policies=jobs",
    ]);
    let role_id = s.bao_ok(&[
        "read",
        "-field=role_id",
        "auth/approle/role/batch-job/role-id",
    ]);
    let role_id = role_id.trim().to_string();

    let three = s.req(
        "POST",
        "/v1/auth/approle/role/batch-job/secret-id",
        Some(json!({"num_uses": 3})),
    );
    let three = three.1["data"]["secret_id"].as_str().unwrap().to_string();
    for left in [2, 1] {
        assert_eq!(login_approle(&s, "approle", &role_id, &three).0, 200);
        let (_, info) = s.req(
            "POST",
            "/v1/auth/approle/role/batch-job/secret-id/lookup",
            Some(json!({"secret_id": three})),
        );
        assert_eq!(info["data"]["secret_id_num_uses"], left);
    }
    assert_eq!(login_approle(&s, "approle", &role_id, &three).0, 200);
    assert_eq!(login_approle(&s, "approle", &role_id, &three).0, 400);

    let once = s.req(
        "POST",
        "/v1/auth/approle/role/batch-job/secret-id",
        Some(json!({"num_uses": 1})),
    );
    let once = once.1["data"]["secret_id"].as_str().unwrap().to_string();
    let successes: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|_| scope.spawn(|| login_approle(&s, "approle", &role_id, &once).0))
            .collect();
        handles
            .into_iter()
            .map(|h| usize::from(h.join().unwrap() == 200))
            .sum()
    });
    assert_eq!(successes, 1, "a single-use secret ID logs in exactly once");
}

#[test]
fn approle_cidr_bindings_are_enforced() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "approle"]);
    // The role only admits logins from 10.0.0.0/8; tests connect from 127.0.0.1.
    s.bao_ok(&[
        "write",
        "auth/approle/role/remote",
        "secret_id_bound_cidrs=10.0.0.0/8",
    ]);
    let role_id = s.bao_ok(&["read", "-field=role_id", "auth/approle/role/remote/role-id"]);
    // A secret ID's cidr_list must lie within the role's.
    let (code, body) = s.req(
        "POST",
        "/v1/auth/approle/role/remote/secret-id",
        Some(json!({"cidr_list": "192.168.0.0/16"})),
    );
    assert_eq!(code, 400, "{body}");
    let sid = bao_json1(&s, &["write", "-f", "auth/approle/role/remote/secret-id"]);
    let sid = sid["data"]["secret_id"].as_str().unwrap();
    let (code, body) = login_approle(&s, "approle", role_id.trim(), sid);
    assert_eq!(code, 400);
    assert_eq!(
        errors(&body),
        json!(["source address \"127.0.0.1\" unauthorized by CIDR restrictions on the role"])
    );

    // Secret-ID CIDRs, checked before a use is spent.
    s.bao_ok(&["write", "auth/approle/role/local", "token_policies=p"]);
    let role_id = s.bao_ok(&["read", "-field=role_id", "auth/approle/role/local/role-id"]);
    let (_, issued) = s.req(
        "POST",
        "/v1/auth/approle/role/local/secret-id",
        Some(json!({"cidr_list": "10.1.0.0/16", "num_uses": 1})),
    );
    let sid = issued["data"]["secret_id"].as_str().unwrap();
    let (code, body) = login_approle(&s, "approle", role_id.trim(), sid);
    assert_eq!(code, 400);
    assert!(errors(&body)[0]
        .as_str()
        .unwrap()
        .contains("unauthorized through CIDR restrictions on the secret ID"));
    let (_, info) = s.req(
        "POST",
        "/v1/auth/approle/role/local/secret-id/lookup",
        Some(json!({"secret_id": sid})),
    );
    assert_eq!(info["data"]["secret_id_num_uses"], 1);

    // Token CIDRs from the secret ID bind the issued token.
    let (_, issued) = s.req(
        "POST",
        "/v1/auth/approle/role/local/secret-id",
        Some(json!({"token_bound_cidrs": "10.0.0.0/8"})),
    );
    let sid = issued["data"]["secret_id"].as_str().unwrap();
    let (code, body) = login_approle(&s, "approle", role_id.trim(), sid);
    assert_eq!(code, 200, "{body}");
    let token = body["auth"]["client_token"].as_str().unwrap();
    assert_eq!(
        s.req_token(token, "GET", "/v1/auth/token/lookup-self", None)
            .0,
        403
    );
}

#[test]
fn approle_role_field_endpoints() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "approle"]);
    s.bao_ok(&[
        "write",
        "auth/approle/role/svc",
        "policies=A,b",
        "period=1h",
    ]);
    let role = bao_json1(&s, &["read", "auth/approle/role/svc"]);
    assert_eq!(role["data"]["policies"], json!(["a", "b"]));
    assert_eq!(role["data"]["period"], 3600);
    assert_eq!(role["data"]["token_period"], 3600);

    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "policies",
            json!({"token_policies": "x,y"}),
            json!({"token_policies": ["x", "y"]}),
        ),
        (
            "secret-id-num-uses",
            json!({"secret_id_num_uses": 4}),
            json!({"secret_id_num_uses": 4}),
        ),
        (
            "secret-id-ttl",
            json!({"secret_id_ttl": "15m"}),
            json!({"secret_id_ttl": 900}),
        ),
        (
            "token-ttl",
            json!({"token_ttl": "20m"}),
            json!({"token_ttl": 1200}),
        ),
        (
            "token-max-ttl",
            json!({"token_max_ttl": "2h"}),
            json!({"token_max_ttl": 7200}),
        ),
        (
            "token-num-uses",
            json!({"token_num_uses": 9}),
            json!({"token_num_uses": 9}),
        ),
        (
            "period",
            json!({"token_period": "30m"}),
            json!({"token_period": 1800}),
        ),
        (
            "bind-secret-id",
            json!({"bind_secret_id": true}),
            json!({"bind_secret_id": true}),
        ),
        (
            "secret-id-bound-cidrs",
            json!({"secret_id_bound_cidrs": "127.0.0.0/8"}),
            json!({"secret_id_bound_cidrs": ["127.0.0.0/8"]}),
        ),
        (
            "token-bound-cidrs",
            json!({"token_bound_cidrs": "127.0.0.1/32"}),
            json!({"token_bound_cidrs": ["127.0.0.1/32"]}),
        ),
    ];
    for (suffix, write, want) in &cases {
        let path = format!("/v1/auth/approle/role/svc/{suffix}");
        let (code, body) = s.req("POST", &path, Some(write.clone()));
        assert_eq!(code, 204, "{suffix}: {body}");
        let (code, body) = s.req("GET", &path, None);
        assert_eq!(code, 200, "{suffix}");
        assert_eq!(&body["data"], want, "{suffix}");
    }
    // Deleting resets to the default.
    for (suffix, want) in [
        ("secret-id-num-uses", json!({"secret_id_num_uses": 0})),
        ("token-ttl", json!({"token_ttl": 0})),
        ("policies", json!({"token_policies": []})),
    ] {
        let path = format!("/v1/auth/approle/role/svc/{suffix}");
        assert_eq!(s.req("DELETE", &path, None).0, 204, "{suffix}");
        assert_eq!(s.req("GET", &path, None).1["data"], want, "{suffix}");
    }
    let (code, body) = s.req("GET", "/v1/auth/approle/role/svc/local-secret-ids", None);
    assert_eq!(
        (code, body["data"].clone()),
        (200, json!({"local_secret_ids": false}))
    );

    // Missing values, missing roles, and a TTL above the max.
    for (path, body, code) in [
        ("svc/token-ttl", json!({}), 400),
        ("svc/token-ttl", json!({"token_ttl": "3h"}), 400),
        ("nope/token-ttl", json!({"token_ttl": "1m"}), 404),
        (
            "svc/secret-id-num-uses",
            json!({"secret_id_num_uses": -1}),
            400,
        ),
    ] {
        let (got, resp) = s.req("POST", &format!("/v1/auth/approle/role/{path}"), Some(body));
        assert_eq!(got, code, "{path}: {resp}");
    }
    assert_eq!(
        s.req("GET", "/v1/auth/approle/role/nope/token-ttl", None).0,
        404
    );

    // A custom role ID replaces the old one for logins.
    s.bao_ok(&[
        "write",
        "auth/approle/role/svc/role-id",
        "role_id=my-role-id",
    ]);
    let read = bao_json1(&s, &["read", "auth/approle/role/svc/role-id"]);
    assert_eq!(read["data"]["role_id"], "my-role-id");
    let sid = bao_json1(&s, &["write", "-f", "auth/approle/role/svc/secret-id"]);
    let sid = sid["data"]["secret_id"].as_str().unwrap();
    assert_eq!(login_approle(&s, "approle", "my-role-id", sid).0, 200);
    s.bao_ok(&["write", "auth/approle/role/other", "token_policies=z"]);
    let (code, body) = s.req(
        "POST",
        "/v1/auth/approle/role/other/role-id",
        Some(json!({"role_id": "my-role-id"})),
    );
    assert_eq!(
        (code, errors(&body)),
        (400, json!(["role_id already in use"]))
    );

    // Deleting the role removes its secret IDs and role ID.
    s.bao_ok(&["delete", "auth/approle/role/svc"]);
    assert_eq!(login_approle(&s, "approle", "my-role-id", sid).0, 400);
    let roles = bao_json1(&s, &["list", "auth/approle/role"]);
    assert_eq!(roles, json!(["other"]));
}

#[test]
fn approle_bad_input() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "approle"]);
    s.bao_ok(&[
        "write",
        "auth/approle/role/r",
        "secret_id_num_uses=2",
        "secret_id_ttl=10m",
    ]);
    let before = s.req("GET", "/v1/auth/approle/role/r", None).1["data"].clone();
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "role/none",
            json!({"bind_secret_id": false}),
            400,
            "at least one constraint should be enabled on the role",
        ),
        (
            "role/r",
            json!({"local_secret_ids": true}),
            400,
            "local_secret_ids can only be modified during role creation",
        ),
        (
            "role/r",
            json!({"secret_id_num_uses": -1}),
            400,
            "secret_id_num_uses cannot be negative",
        ),
        (
            "role/r",
            json!({"secret_id_bound_cidrs": "nonsense"}),
            400,
            "invalid CIDR block",
        ),
        (
            "role/r",
            json!({"token_type": "weird"}),
            400,
            "invalid 'token_type' value",
        ),
        (
            "role/r",
            json!({"period": "10000h"}),
            400,
            "is greater than the backend's maximum lease TTL",
        ),
        (
            "role/r/secret-id",
            json!({"num_uses": 5}),
            400,
            "num_uses cannot be higher than the role's secret_id_num_uses",
        ),
        (
            "role/r/secret-id",
            json!({"ttl": "1h"}),
            400,
            "ttl cannot be longer than the role's secret_id_ttl",
        ),
        (
            "role/r/secret-id",
            json!({"metadata": "novalue"}),
            400,
            "failed to parse metadata",
        ),
        (
            "role/missing/secret-id",
            json!({}),
            404,
            "role \"missing\" does not exist",
        ),
        (
            "role/r/custom-secret-id",
            json!({}),
            400,
            "missing secret_id",
        ),
        (
            "role/r/secret-id/lookup",
            json!({}),
            400,
            "missing secret_id",
        ),
        ("login", json!({}), 400, "missing role_id"),
        (
            "login",
            json!({"role_id": "unknown", "secret_id": "x"}),
            400,
            "invalid role or secret ID",
        ),
    ];
    for (path, body, code, want) in cases {
        let (got, resp) = s.req(
            "POST",
            &format!("/v1/auth/approle/{path}"),
            Some(body.clone()),
        );
        assert_eq!(got, code, "{path} {body}: {resp}");
        let msg = resp["errors"][0].as_str().unwrap_or_default();
        assert!(msg.contains(want), "{path} {body}: {msg:?} lacks {want:?}");
    }
    let after = s.req("GET", "/v1/auth/approle/role/r", None).1["data"].clone();
    assert_eq!(before, after);
    assert_eq!(s.req("GET", "/v1/auth/approle/role/none", None).0, 404);
    let role_id = s.bao_ok(&["read", "-field=role_id", "auth/approle/role/r/role-id"]);
    let (code, body) = s.req_token(
        "",
        "POST",
        "/v1/auth/approle/login",
        Some(json!({"role_id": role_id.trim()})),
    );
    assert_eq!((code, errors(&body)), (400, json!(["missing secret_id"])));
    // "default-service" is adjusted with a warning, as OpenBao does.
    let (code, body) = s.req(
        "POST",
        "/v1/auth/approle/role/r",
        Some(json!({"token_type": "default-service"})),
    );
    assert_eq!(code, 200);
    assert_eq!(
        body["warnings"],
        json!(["default-service has no useful meaning; adjusting to service"])
    );
}

#[test]
fn approle_lockout_and_unlock() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "approle"]);
    s.bao_ok(&["auth", "tune", "-user-lockout-threshold=2", "approle/"]);
    s.bao_ok(&["write", "auth/approle/role/locked", "token_policies=p"]);
    let role_id = s.bao_ok(&["read", "-field=role_id", "auth/approle/role/locked/role-id"]);
    let role_id = role_id.trim();
    let sid = bao_json1(&s, &["write", "-f", "auth/approle/role/locked/secret-id"]);
    let sid = sid["data"]["secret_id"].as_str().unwrap();
    for _ in 0..2 {
        let (code, body) = login_approle(&s, "approle", role_id, "wrong-secret");
        assert_eq!(
            (code, errors(&body)),
            (400, json!(["invalid role or secret ID"]))
        );
    }
    let (code, body) = login_approle(&s, "approle", role_id, sid);
    assert_eq!((code, errors(&body)), (403, json!(["permission denied"])));
    let accessor = accessor_of(&s, "approle/");
    let locked = s.req(
        "GET",
        &format!("/v1/sys/locked-users?mount_accessor={accessor}"),
        None,
    );
    assert_eq!(
        locked.1["data"]["by_namespace"][0]["mount_accessors"][0]["alias_identifiers"],
        json!([role_id])
    );
    let (code, _) = s.req(
        "POST",
        &format!("/v1/sys/locked-users/{accessor}/unlock/{role_id}"),
        None,
    );
    assert_eq!(code, 204);
    assert_eq!(login_approle(&s, "approle", role_id, sid).0, 200);
}

#[test]
fn hvac_userpass_and_approle() {
    let s = Server::dev();
    let out = s.hvac(
        r#"
client.sys.enable_auth_method("userpass")
client.auth.userpass.create_or_update_user("jane", password="pw1", policies="dev")
assert client.auth.userpass.read_user("jane")["data"]["token_policies"] == ["dev"]
assert client.auth.userpass.list_user()["data"]["keys"] == ["jane"]
client.auth.userpass.update_password_on_user("jane", "pw2")
other = hvac.Client(url=os.environ["ARCA_ADDR"])
login = other.auth.userpass.login("jane", "pw2")
assert login["auth"]["metadata"] == {"username": "jane"}, login
assert other.is_authenticated()
try:
    hvac.Client(url=os.environ["ARCA_ADDR"]).auth.userpass.login("jane", "pw1")
    raise SystemExit("old password accepted")
except hvac.exceptions.InvalidRequest as e:
    assert "invalid username or password" in str(e), e
client.auth.userpass.delete_user("jane")

client.sys.enable_auth_method("approle")
client.auth.approle.create_or_update_approle("app", token_policies=["app-read"], token_ttl="1h", secret_id_num_uses=2)
role = client.auth.approle.read_role("app")["data"]
assert role["token_ttl"] == 3600 and role["secret_id_num_uses"] == 2, role
assert client.auth.approle.list_roles()["data"]["keys"] == ["app"]
role_id = client.auth.approle.read_role_id("app")["data"]["role_id"]
sid = client.auth.approle.generate_secret_id("app", metadata={"team": "pay"})["data"]
info = client.auth.approle.read_secret_id("app", sid["secret_id"])["data"]
assert info["metadata"] == {"team": "pay"}, info
acc = client.auth.approle.read_secret_id_accessor("app", sid["secret_id_accessor"])["data"]
assert acc["secret_id_num_uses"] == 2, acc
assert client.auth.approle.list_secret_id_accessors("app")["data"]["keys"] == [sid["secret_id_accessor"]]
app = hvac.Client(url=os.environ["ARCA_ADDR"])
res = app.auth.approle.login(role_id, sid["secret_id"])
assert res["auth"]["metadata"] == {"role_name": "app", "team": "pay"}, res
assert res["auth"]["policies"] == ["app-read", "default"], res
assert res["auth"]["lease_duration"] == 3600
assert app.is_authenticated()
wrapped = client.auth.approle.generate_secret_id("app", wrap_ttl="60s")
assert wrapped["wrap_info"]["ttl"] == 60, wrapped
custom = client.auth.approle.create_custom_secret_id("app", "my-custom-secret")["data"]
assert custom["secret_id"] == "my-custom-secret"
client.auth.approle.destroy_secret_id("app", "my-custom-secret")
client.auth.approle.destroy_secret_id_accessor("app", sid["secret_id_accessor"])
client.auth.approle.update_role_id("app", "fixed-role-id")
assert client.auth.approle.read_role_id("app")["data"]["role_id"] == "fixed-role-id"
client.auth.approle.delete_role("app")
print("ok")
"#,
    );
    assert_eq!(out.trim(), "ok");
}

#[test]
fn renewal_asks_the_auth_method() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "userpass"]);
    s.bao_ok(&[
        "write",
        "auth/userpass/users/rita",
        "password=pw",
        "token_policies=a",
        "token_ttl=10m",
        "token_max_ttl=1h",
    ]);
    let login = |user: &str| {
        let v = s.bao_json(&[
            "login",
            "-method=userpass",
            "-no-store",
            &format!("username={user}"),
            "password=pw",
        ]);
        v["auth"]["client_token"].as_str().unwrap().to_string()
    };
    let t = login("rita");
    let renewed = s.bao_json(&["token", "renew", &t]);
    assert_eq!(renewed["auth"]["lease_duration"], 600);
    let renewed = s.bao_json(&["token", "renew", "-increment=5h", &t]);
    let capped = renewed["auth"]["lease_duration"].as_u64().unwrap();
    assert!(
        capped <= 3600 && capped > 3500,
        "renewal must respect the user's token_max_ttl: {capped}"
    );
    s.bao_ok(&[
        "write",
        "auth/userpass/users/rita/policies",
        "token_policies=a,b",
    ]);
    let out = s.bao(&["token", "renew", &t]);
    assert!(
        !out.status.success(),
        "renewed although the user's policies changed"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("policies have changed"));
    s.bao_ok(&[
        "write",
        "auth/userpass/users/rita/policies",
        "token_policies=a",
    ]);
    assert!(s.bao(&["token", "renew", &t]).status.success());
    s.bao_ok(&["delete", "auth/userpass/users/rita"]);
    assert!(
        !s.bao(&["token", "renew", &t]).status.success(),
        "renewed a deleted user's token"
    );

    s.bao_ok(&["auth", "enable", "approle"]);
    s.bao_ok(&["write", "auth/approle/role/r1", "token_ttl=10m"]);
    let role_id = s.bao_json(&["read", "auth/approle/role/r1/role-id"])["data"]["role_id"]
        .as_str()
        .unwrap()
        .to_string();
    let secret_id = s.bao_json(&["write", "-f", "auth/approle/role/r1/secret-id"])["data"]
        ["secret_id"]
        .as_str()
        .unwrap()
        .to_string();
    let at = s.bao_json(&[
        "write",
        "auth/approle/login",
        &format!("role_id={role_id}"),
        &format!("secret_id={secret_id}"),
    ])["auth"]["client_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(s.bao(&["token", "renew", &at]).status.success());
    s.bao_ok(&["delete", "auth/approle/role/r1"]);
    let out = s.bao(&["token", "renew", &at]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist during renewal"));
}
