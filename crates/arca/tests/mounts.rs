//! The mount lifecycle through real clients: enable with config and options, list, read,
//! tune, move, disable (data removed, leases revoked), and the errors Vault gives for
//! reserved, overlapping and malformed mounts.

mod common;

use common::*;
use serde_json::{json, Value};

#[test]
fn enable_list_read_tune_disable_with_bao() {
    let s = Server::dev();
    s.bao_ok(&[
        "secrets",
        "enable",
        "-path=team-kv",
        "-version=2",
        "-description=team secrets",
        "-default-lease-ttl=1h",
        "-max-lease-ttl=2h",
        "-audit-non-hmac-request-keys=visible",
        "-passthrough-request-headers=X-Team",
        "-listing-visibility=unauth",
        "-local",
        "-seal-wrap",
        "kv",
    ]);
    let list = s.bao_json(&["secrets", "list"]);
    let m = &list["team-kv/"];
    assert_eq!(m["type"], "kv");
    assert_eq!(m["description"], "team secrets");
    assert_eq!(m["options"]["version"], "2");
    assert_eq!(m["config"]["default_lease_ttl"], 3600);
    assert_eq!(m["config"]["max_lease_ttl"], 7200);
    assert_eq!(
        m["config"]["audit_non_hmac_request_keys"],
        json!(["visible"])
    );
    assert_eq!(
        m["config"]["passthrough_request_headers"],
        json!(["X-Team"])
    );
    assert_eq!(m["config"]["listing_visibility"], "unauth");
    assert_eq!(m["local"], true);
    assert_eq!(m["seal_wrap"], true);
    assert!(m["accessor"].as_str().unwrap().starts_with("kv_"));
    let (code, read) = s.req("GET", "/v1/sys/mounts/team-kv", None);
    assert_eq!(code, 200);
    assert_eq!(read["type"], "kv", "data is also at the top level");

    s.bao_ok(&[
        "secrets",
        "tune",
        "-default-lease-ttl=30m",
        "-description=tuned",
        "team-kv/",
    ]);
    let (_, tune) = s.req("GET", "/v1/sys/mounts/team-kv/tune", None);
    assert_eq!(tune["data"]["default_lease_ttl"], 1800);
    assert_eq!(tune["data"]["max_lease_ttl"], 7200);
    assert_eq!(tune["data"]["description"], "tuned");

    s.bao_ok(&["kv", "put", "team-kv/app", "k=v"]);
    s.bao_ok(&["secrets", "disable", "team-kv"]);
    assert!(s.bao_json(&["secrets", "list"]).get("team-kv/").is_none());
    // Re-enabling at the same path starts empty: the old data was removed.
    s.bao_ok(&["secrets", "enable", "-path=team-kv", "-version=2", "kv"]);
    let out = s.bao(&["kv", "get", "team-kv/app"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "data survived its mount being disabled"
    );
}

/// A mount's max lease TTL overrides the system's, above or below it (PKI tutorials enable
/// with -max-lease-ttl=87600h).
#[test]
fn mount_max_ttl_may_exceed_the_system_max() {
    let s = Server::dev();
    s.bao_ok(&[
        "secrets",
        "enable",
        "-path=long",
        "-max-lease-ttl=87600h",
        "kv",
    ]);
    s.bao_ok(&["secrets", "tune", "-max-lease-ttl=43800h", "secret/"]);
    s.bao_ok(&[
        "auth",
        "enable",
        "-path=up9",
        "-max-lease-ttl=8760h",
        "userpass",
    ]);
    let (_, body) = s.req("GET", "/v1/sys/mounts/long/tune", None);
    assert_eq!(body["data"]["max_lease_ttl"], 87600 * 3600, "{body}");
    // The tune read shows the default as configured (here the system's), not capped by the
    // mount's max: what OpenBao shows.
    s.bao_ok(&[
        "secrets",
        "enable",
        "-path=short",
        "-max-lease-ttl=2h",
        "kv",
    ]);
    let (_, body) = s.req("GET", "/v1/sys/mounts/short/tune", None);
    assert_eq!(body["data"]["default_lease_ttl"], 2764800, "{body}");
    assert_eq!(body["data"]["max_lease_ttl"], 7200, "{body}");
    let (_, body) = s.req("GET", "/v1/sys/mounts/secret/tune", None);
    assert_eq!(body["data"]["max_lease_ttl"], 43800 * 3600, "{body}");
    let out = s.bao(&[
        "secrets",
        "tune",
        "-default-lease-ttl=3h",
        "-max-lease-ttl=2h",
        "secret/",
    ]);
    assert!(!out.status.success(), "a default above the max is refused");
    let (_, body) = s.req("GET", "/v1/sys/mounts/secret/tune", None);
    assert_eq!(
        body["data"]["max_lease_ttl"],
        43800 * 3600,
        "a refused tune changed nothing"
    );
}

#[test]
fn mount_errors_follow_vault() {
    let s = Server::dev();
    s.bao_ok(&["secrets", "enable", "-path=nested/path/here", "kv"]);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/v1/sys/mounts/secret",
            json!({"type": "kv"}),
            "path is already in use at secret/",
        ),
        (
            "/v1/sys/mounts/secret/sub",
            json!({"type": "kv"}),
            "path is already in use at secret/",
        ),
        (
            "/v1/sys/mounts/nested",
            json!({"type": "kv"}),
            "path is already in use at nested/path/here/",
        ),
        (
            "/v1/sys/mounts/sys",
            json!({"type": "kv"}),
            "cannot mount \"sys/\"",
        ),
        (
            "/v1/sys/mounts/auth/x",
            json!({"type": "kv"}),
            "cannot mount \"auth/x/\"",
        ),
        (
            "/v1/sys/mounts/cubbyhole",
            json!({"type": "kv"}),
            "cannot mount \"cubbyhole/\"",
        ),
        (
            "/v1/sys/mounts/identity/x",
            json!({"type": "kv"}),
            "cannot mount \"identity/x/\"",
        ),
        (
            "/v1/sys/mounts/bad",
            json!({"type": "nonexistent"}),
            "plugin not found in the catalog: nonexistent",
        ),
        (
            "/v1/sys/mounts/bad",
            json!({}),
            "backend type must be specified as a string",
        ),
        (
            "/v1/sys/mounts/bad",
            json!({"type": "system"}),
            "mount type of \"system\" is not mountable",
        ),
        (
            "/v1/sys/mounts/bad",
            json!({"type": "cubbyhole"}),
            "mount type of \"cubbyhole\" is not mountable",
        ),
        (
            "/v1/sys/mounts/bad",
            json!({"type": "kv", "config": {"default_lease_ttl": "abc"}}),
            "default_lease_ttl",
        ),
        (
            "/v1/sys/mounts/bad",
            json!({"type": "kv", "config": {"default_lease_ttl": "2h", "max_lease_ttl": "1h"}}),
            "given default lease TTL greater than given max lease TTL",
        ),
        (
            "/v1/sys/mounts/bad",
            json!({"type": "kv", "config": {"default_lease_ttl": "1000h"}}),
            "given default lease TTL greater than system max lease TTL of 2764800",
        ),
        (
            "/v1/sys/mounts/bad",
            json!({"type": "kv", "options": {"version": "3"}}),
            "version",
        ),
        (
            "/v1/sys/mounts/a/../b",
            json!({"type": "kv"}),
            "relative paths not supported",
        ),
        (
            "/v1/sys/auth/token2",
            json!({"type": "token"}),
            "mount type of \"token\" is not mountable",
        ),
    ];
    for (path, body, want) in cases {
        let (code, resp) = s.req("POST", path, Some(body.clone()));
        assert_eq!(code, 400, "{path} {body}: {resp}");
        let msg = resp["errors"][0].as_str().unwrap_or("");
        assert!(
            msg.contains(want),
            "{path} {body}: got {msg:?}, want {want:?}"
        );
    }
    let list = s.bao_json(&["secrets", "list"]);
    assert!(list.get("bad/").is_none(), "a refused mount was created");
    let (code, resp) = s.req("GET", "/v1/sys/mounts/doesnotexist", None);
    assert_eq!(code, 400);
    assert_eq!(resp["errors"][0], "No secret engine mount at doesnotexist/");
    let (code, resp) = s.req(
        "POST",
        "/v1/sys/mounts/doesnotexist/tune",
        Some(json!({"description": "x"})),
    );
    assert_eq!(code, 400);
    assert!(resp["errors"][0]
        .as_str()
        .unwrap()
        .contains("no mount entry found"));
    let (code, resp) = s.req("DELETE", "/v1/sys/mounts/sys", None);
    assert_eq!(code, 400);
    assert_eq!(resp["errors"][0], "cannot unmount \"sys/\"");
    let (code, _) = s.req("DELETE", "/v1/sys/mounts/never-existed", None);
    assert_eq!(code, 204, "disabling a missing mount is idempotent");
    let (code, resp) = s.req(
        "POST",
        "/v1/sys/mounts/secret/tune",
        Some(json!({"listing_visibility": "bogus"})),
    );
    assert_eq!(code, 400, "{resp}");
    let (code, resp) = s.req(
        "POST",
        "/v1/sys/mounts/secret/tune",
        Some(json!({"options": {"version": "1"}})),
    );
    assert_eq!(code, 400);
    assert!(resp["errors"][0]
        .as_str()
        .unwrap()
        .contains("cannot downgrade"));
}

/// Moving an auth method revokes the logins made through it (Vault revokes a moved mount's
/// leases), and its users move with it.
#[test]
fn moving_an_auth_mount_revokes_its_logins() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "-path=upa", "userpass"]);
    s.bao_ok(&["write", "auth/upa/users/u", "password=p", "token_ttl=1h"]);
    let (code, body) = s.req(
        "POST",
        "/v1/auth/upa/login/u",
        Some(json!({"password": "p"})),
    );
    assert_eq!(code, 200, "{body}");
    let token = body["auth"]["client_token"].as_str().unwrap().to_string();
    s.bao_ok(&["auth", "move", "auth/upa", "auth/upb"]);
    let (code, _) = s.req_token(&token, "GET", "/v1/auth/token/lookup-self", None);
    assert_eq!(code, 403, "a login through the moved mount must be revoked");
    let (code, body) = s.req(
        "POST",
        "/v1/auth/upb/login/u",
        Some(json!({"password": "p"})),
    );
    assert_eq!(code, 200, "the users moved with the mount: {body}");
}

#[test]
fn move_keeps_data_and_reports_status() {
    let s = Server::dev();
    s.bao_ok(&["secrets", "enable", "-path=old", "-version=2", "kv"]);
    s.bao_ok(&["kv", "put", "old/app", "k=v"]);
    s.bao_ok(&["secrets", "move", "old", "new"]);
    let got = s.bao_json(&["kv", "get", "new/app"]);
    assert_eq!(got["data"]["data"]["k"], "v");
    assert!(s.bao_json(&["secrets", "list"]).get("old/").is_none());
    let (code, body) = s.req(
        "POST",
        "/v1/sys/remount",
        Some(json!({"from": "new", "to": "newer"})),
    );
    assert_eq!(code, 200, "{body}");
    let id = body["data"]["migration_id"].as_str().unwrap();
    let (_, st) = s.req("GET", &format!("/v1/sys/remount/status/{id}"), None);
    assert_eq!(st["data"]["migration_info"]["status"], "success");
    assert_eq!(st["data"]["migration_info"]["source_mount"], "new/");
    let (code, _) = s.req("GET", "/v1/sys/remount/status/unknown-id", None);
    assert_eq!(code, 404);
    for (from, to) in [
        ("newer", "sys/x"),
        ("newer", "secret"),
        ("missing", "x"),
        ("newer", "auth/x"),
    ] {
        let (code, body) = s.req(
            "POST",
            "/v1/sys/remount",
            Some(json!({"from": from, "to": to})),
        );
        assert_eq!(code, 400, "{from} -> {to}: {body}");
    }
    assert_eq!(
        s.bao_json(&["kv", "get", "newer/app"])["data"]["data"]["k"],
        "v"
    );
}

#[test]
fn ui_mounts_visibility_and_preflight() {
    let s = Server::dev();
    s.bao_ok(&[
        "secrets",
        "enable",
        "-path=public",
        "-listing-visibility=unauth",
        "kv",
    ]);
    s.bao_ok(&["secrets", "enable", "-path=private", "kv"]);
    let (code, body) = http(&s.addr, "GET", "/v1/sys/internal/ui/mounts", None, None).unwrap();
    assert_eq!(code, 200);
    let secret = body["data"]["secret"].as_object().unwrap();
    assert!(
        secret.contains_key("public/") && !secret.contains_key("private/"),
        "{body}"
    );
    assert_eq!(
        secret["public/"].as_object().unwrap().len(),
        3,
        "unauthenticated callers see type, description, options"
    );
    let (_, body) = s.req("GET", "/v1/sys/internal/ui/mounts/secret/foo/bar", None);
    assert_eq!(body["data"]["path"], "secret/");
    assert_eq!(body["data"]["options"]["version"], "2");
    s.req(
        "PUT",
        "/v1/sys/policies/acl/onlyprivate",
        Some(json!({"policy": "path \"private/*\" { capabilities = [\"read\"] }"})),
    );
    let (_, t) = s.req(
        "POST",
        "/v1/auth/token/create",
        Some(json!({"policies": ["onlyprivate"], "no_default_policy": true})),
    );
    let tok = t["auth"]["client_token"].as_str().unwrap();
    let (code, _) = s.req_token(tok, "GET", "/v1/sys/internal/ui/mounts/private/x", None);
    assert_eq!(code, 200);
    let (code, body) = s.req_token(tok, "GET", "/v1/sys/internal/ui/mounts/secret/x", None);
    assert_eq!(code, 403);
    assert!(body["errors"][0]
        .as_str()
        .unwrap()
        .contains("preflight capability check returned 403"));
}

#[test]
fn disabling_a_mount_revokes_its_tokens_and_leases() {
    let s = Server::dev();
    s.bao_ok(&["auth", "enable", "userpass"]);
    s.bao_ok(&[
        "write",
        "auth/userpass/users/alice",
        "password=pw",
        "token_ttl=1h",
    ]);
    let login = s.bao_json(&[
        "login",
        "-method=userpass",
        "-no-store",
        "username=alice",
        "password=pw",
    ]);
    let token = login["auth"]["client_token"].as_str().unwrap().to_string();
    assert_eq!(
        s.req_token(&token, "GET", "/v1/auth/token/lookup-self", None)
            .0,
        200
    );
    let (_, count) = s.req("GET", "/v1/sys/leases/count?type=all", None);
    assert_eq!(count["data"]["lease_count"], 1);
    s.bao_ok(&["auth", "disable", "userpass"]);
    assert_eq!(
        s.req_token(&token, "GET", "/v1/auth/token/lookup-self", None)
            .0,
        403
    );
    let (_, count) = s.req("GET", "/v1/sys/leases/count?type=all", None);
    assert_eq!(count["data"]["lease_count"], 0);
}

#[test]
fn hvac_mounts() {
    let s = Server::dev();
    let out = s.hvac(
        r#"
client.sys.enable_secrets_engine("kv", path="hv", options={"version": "2"}, description="hvac")
mounts = client.sys.list_mounted_secrets_engines()
assert mounts["hv/"]["description"] == "hvac", mounts
client.sys.tune_mount_configuration(path="hv", default_lease_ttl="1h")
cfg = client.sys.read_mount_configuration(path="hv")
assert cfg["data"]["default_lease_ttl"] == 3600, cfg
client.sys.move_backend("hv", "hv2")
client.sys.disable_secrets_engine(path="hv2")
assert "hv2/" not in client.sys.list_mounted_secrets_engines()["data"]
print("ok")
"#,
    );
    assert_eq!(out.trim(), "ok");
}

#[test]
fn mount_table_survives_restart_one_entry_per_mount() {
    let mut s = Server::with_config(file_config());
    let keys = init_and_unseal(&mut s);
    for i in 0..50 {
        let (code, body) = s.req(
            "POST",
            &format!("/v1/sys/mounts/kv{i}"),
            Some(json!({"type": "kv"})),
        );
        assert_eq!(code, 204, "{body}");
    }
    let s = s.restart_with_config();
    unseal(&s, &keys);
    let (_, list) = s.req("GET", "/v1/sys/mounts", None);
    assert_eq!(
        list["data"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with("kv"))
            .count(),
        50
    );
}
