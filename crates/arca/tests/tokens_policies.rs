//! Tokens and ACL policies through real clients (`bao` CLI, hvac, raw HTTP): the token
//! hierarchy, TTLs and expiry, use counts, batch tokens, accessors, roles, policy CRUD and a
//! policy matrix checked with tokens that hold only the policy under test.

mod common;

use common::*;
use serde_json::{json, Value};

fn create_token(s: &Server, token: &str, body: Value) -> (u16, Value) {
    s.req_token(token, "POST", "/v1/auth/token/create", Some(body))
}

fn token_of(resp: &Value) -> String {
    resp["auth"]["client_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in {resp}"))
        .to_string()
}

fn write_policy(s: &Server, name: &str, body: &str) {
    let (code, resp) = s.req(
        "PUT",
        &format!("/v1/sys/policies/acl/{name}"),
        Some(json!({ "policy": body })),
    );
    assert_eq!(code, 204, "{resp}");
}

fn lookup_status(s: &Server, token: &str) -> u16 {
    s.req_token(token, "GET", "/v1/auth/token/lookup-self", None)
        .0
}

#[test]
fn token_create_lookup_shapes_match_vault() {
    let s = Server::dev();
    let created = s.bao_json(&[
        "token",
        "create",
        "-policy=default",
        "-display-name=ci",
        "-metadata=team=ops",
        "-ttl=1h",
    ]);
    let auth = &created["auth"];
    let token = auth["client_token"].as_str().unwrap();
    assert!(token.starts_with("hvs."), "{token}");
    assert_eq!(auth["policies"], json!(["default"]));
    assert_eq!(auth["lease_duration"], 3600);
    assert_eq!(auth["renewable"], true);
    assert_eq!(auth["orphan"], false);
    assert_eq!(auth["metadata"], json!({"team": "ops"}));
    let look = s.bao_json(&["token", "lookup", token]);
    let d = &look["data"];
    for key in [
        "accessor",
        "creation_time",
        "creation_ttl",
        "display_name",
        "entity_id",
        "expire_time",
        "explicit_max_ttl",
        "id",
        "issue_time",
        "meta",
        "num_uses",
        "orphan",
        "path",
        "policies",
        "renewable",
        "ttl",
        "type",
    ] {
        assert!(d.get(key).is_some(), "lookup lacks {key}: {d}");
    }
    assert_eq!(d["display_name"], "token-ci");
    assert_eq!(d["path"], "auth/token/create");
    assert_eq!(d["creation_ttl"], 3600);
    let (_, raw) = s.req(
        "POST",
        "/v1/auth/token/create",
        Some(json!({"policies": ["default"]})),
    );
    assert_eq!(raw["auth"]["token_type"], "service");
    assert_eq!(raw["auth"]["mfa_requirement"], Value::Null);
    let (code, body) = s.req(
        "POST",
        "/v1/auth/token/lookup",
        Some(json!({"token": "hvs.doesnotexist"})),
    );
    assert_eq!(code, 403);
    assert_eq!(body["errors"], json!(["bad token"]));
}

#[test]
fn revoking_a_token_revokes_its_descendants_but_not_orphans() {
    let s = Server::dev();
    write_policy(
        &s,
        "creator",
        r#"path "auth/token/create*" { capabilities = ["update"] }"#,
    );
    let parent = token_of(&create_token(&s, "root", json!({"policies": ["creator"]})).1);
    let child = token_of(&create_token(&s, &parent, json!({"policies": ["creator"]})).1);
    let grandchild = token_of(&create_token(&s, &child, json!({})).1);
    let orphan = token_of(
        &s.req_token(
            &parent,
            "POST",
            "/v1/auth/token/create-orphan",
            Some(json!({})),
        )
        .1,
    );
    for t in [&parent, &child, &grandchild, &orphan] {
        assert_eq!(lookup_status(&s, t), 200);
    }
    s.bao_ok(&["token", "revoke", &parent]);
    for t in [&parent, &child, &grandchild] {
        assert_eq!(lookup_status(&s, t), 403, "descendant survived its parent");
    }
    assert_eq!(lookup_status(&s, &orphan), 200, "orphan must survive");

    // revoke-orphan keeps the children, now orphans.
    let p2 = token_of(&create_token(&s, "root", json!({"policies": ["creator"]})).1);
    let c2 = token_of(&create_token(&s, &p2, json!({})).1);
    s.bao_ok(&["token", "revoke", "-mode=orphan", &p2]);
    assert_eq!(lookup_status(&s, &p2), 403);
    let (code, body) = s.req_token(&c2, "GET", "/v1/auth/token/lookup-self", None);
    assert_eq!(code, 200);
    assert_eq!(body["data"]["orphan"], true);
}

/// `sys/auth/token/tune` sets the TTLs of new tokens and caps renewals, with Vault's warnings.
#[test]
fn token_mount_tune_caps_new_and_renewed_tokens() {
    let s = Server::dev();
    s.bao_ok(&[
        "auth",
        "tune",
        "-default-lease-ttl=1h",
        "-max-lease-ttl=2h",
        "token/",
    ]);
    let plain = s.bao_json(&["token", "create", "-policy=default"]);
    assert_eq!(plain["auth"]["lease_duration"], 3600, "{plain}");
    let long = s.bao_json(&["token", "create", "-policy=default", "-ttl=5h"]);
    assert_eq!(long["auth"]["lease_duration"], 7200, "{long}");
    assert_eq!(
        long["warnings"][0],
        r#"TTL of "5h" exceeded the effective max_ttl of "2h"; TTL value is capped accordingly"#
    );
    let periodic = s.bao_json(&["token", "create", "-policy=default", "-period=5h"]);
    assert_eq!(periodic["auth"]["lease_duration"], 7200, "{periodic}");
    let t = plain["auth"]["client_token"].as_str().unwrap();
    let renewed = s.bao_json(&["token", "renew", "-increment=5h", t]);
    let ttl = renewed["auth"]["lease_duration"].as_i64().unwrap();
    assert!(ttl > 7100 && ttl <= 7200, "{renewed}");
    assert!(renewed["warnings"][0]
        .as_str()
        .unwrap()
        .contains("capped accordingly"));
}

/// Status codes of the token endpoints where the obvious answer is not Vault's.
#[test]
fn token_endpoint_statuses_follow_vault() {
    let s = Server::dev();
    // Looking up a token that does not exist is a 403, as in Vault (hvac raises Forbidden).
    let (code, body) = s.req(
        "POST",
        "/v1/auth/token/lookup",
        Some(json!({"token": "hvs.nope"})),
    );
    assert_eq!(code, 403, "{body}");
    assert_eq!(body["errors"][0], "bad token");
    // Revoking an accessor that is gone succeeds with a warning.
    let (code, body) = s.req(
        "POST",
        "/v1/auth/token/revoke-accessor",
        Some(json!({"accessor": "nope"})),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["warnings"][0], "No token found with this accessor");
    // revoke-orphan: sudo is checked by the handler (400), a missing token is a 400.
    let (code, body) = s.req(
        "POST",
        "/v1/auth/token/revoke-orphan",
        Some(json!({"token": "hvs.nope"})),
    );
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["errors"][0], "token to revoke not found");
    write_policy(
        &s,
        "orphaner",
        r#"path "auth/token/*" { capabilities = ["create", "update", "read"] }"#,
    );
    let plain = token_of(&create_token(&s, "root", json!({"policies": ["orphaner"]})).1);
    let victim = token_of(&create_token(&s, "root", json!({})).1);
    let (code, body) = s.req_token(
        &plain,
        "POST",
        "/v1/auth/token/revoke-orphan",
        Some(json!({"token": victim})),
    );
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        body["errors"][0],
        "root or sudo privileges required to revoke and orphan"
    );
    assert_eq!(
        lookup_status(&s, &victim),
        200,
        "a refused revoke changed nothing"
    );
    // A batch role must be orphan, non-renewable, non-periodic.
    let (code, body) = s.req(
        "POST",
        "/v1/auth/token/roles/b",
        Some(json!({"token_type": "batch"})),
    );
    assert_eq!(code, 400, "{body}");
    assert!(
        body["errors"][0].as_str().unwrap().contains("non-orphan"),
        "{body}"
    );
    let (code, body) = s.req(
        "POST",
        "/v1/auth/token/roles/b",
        Some(json!({"token_type": "batch", "orphan": true, "renewable": false, "bogus": 1})),
    );
    // An unknown field on an endpoint that answers nothing stays a 204 (Vault warns only on
    // responses with a body).
    assert_eq!(code, 204, "{body}");
}

#[test]
fn child_tokens_are_bounded_by_their_parent() {
    let s = Server::dev();
    write_policy(
        &s,
        "creator",
        r#"path "auth/token/create*" { capabilities = ["update"] }"#,
    );
    let parent = token_of(&create_token(&s, "root", json!({"policies": ["creator"]})).1);
    let cases = [
        (
            json!({"policies": ["other"]}),
            "child policies must be subset of parent",
        ),
        (
            json!({"no_parent": true}),
            "root or sudo privileges required to create orphan token",
        ),
        (
            json!({"period": "1h"}),
            "root or sudo privileges required to create periodic token",
        ),
        (
            json!({"id": "custom"}),
            "root or sudo privileges required to specify token id",
        ),
        (
            json!({"policies": ["root"]}),
            "child policies must be subset of parent",
        ),
        (json!({"num_uses": -1}), "number of uses cannot be negative"),
        (
            json!({"type": "batch", "num_uses": 3}),
            "batch tokens cannot have \"num_uses\" set",
        ),
        (json!({"ttl": "not-a-duration"}), "ttl"),
    ];
    for (body, want) in cases {
        let (code, resp) = create_token(&s, &parent, body.clone());
        assert_eq!(code, 400, "{body} -> {resp}");
        assert!(
            resp["errors"][0].as_str().unwrap().contains(want),
            "{body}: {resp}"
        );
    }
}

#[test]
fn ttl_expiry_removes_tokens() {
    let s = Server::dev();
    let short = token_of(&create_token(&s, "root", json!({"ttl": "2s"})).1);
    assert_eq!(lookup_status(&s, &short), 200);
    std::thread::sleep(std::time::Duration::from_millis(3500));
    assert_eq!(lookup_status(&s, &short), 403, "expired token still valid");
    let (_, count) = s.req("GET", "/v1/sys/leases/count?type=all", None);
    assert_eq!(
        count["data"]["lease_count"], 0,
        "expired token lease left behind: {count}"
    );
}

#[test]
fn renewal_respects_limits() {
    let s = Server::dev();
    let t = token_of(&create_token(&s, "root", json!({"ttl": "1h", "explicit_max_ttl": "90m"})).1);
    let renewed = s.bao_json(&["token", "renew", "-increment=2h", &t]);
    let ttl = renewed["auth"]["lease_duration"].as_u64().unwrap();
    assert!(
        ttl <= 5400 && ttl > 5300,
        "renewal must be capped by explicit_max_ttl, got {ttl}"
    );
    let periodic = token_of(&create_token(&s, "root", json!({"period": "30m"})).1);
    let renewed = s.bao_json(&["token", "renew", &periodic]);
    assert_eq!(renewed["auth"]["lease_duration"], 1800);
    let fixed = token_of(&create_token(&s, "root", json!({"ttl": "1h", "renewable": false})).1);
    let out = s.bao(&["token", "renew", &fixed]);
    assert!(!out.status.success(), "non-renewable token renewed");
    // renew-self and renew-accessor
    let (code, _) = s.req_token(
        &t,
        "POST",
        "/v1/auth/token/renew-self",
        Some(json!({"increment": "10m"})),
    );
    assert_eq!(code, 200);
    let accessor = s.bao_json(&["token", "lookup", &t])["data"]["accessor"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, body) = s.req(
        "POST",
        "/v1/auth/token/renew-accessor",
        Some(json!({"accessor": accessor})),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["auth"]["client_token"], "",
        "accessor renewal never reveals the token"
    );
}

#[test]
fn num_uses_count_down_and_kill_the_token() {
    let s = Server::dev();
    let t = token_of(&create_token(&s, "root", json!({"num_uses": 2, "policies": ["default"]})).1);
    let uses = |s: &Server| {
        let (code, body) = s.req_token(&t, "GET", "/v1/auth/token/lookup-self", None);
        assert_eq!(code, 200, "{body}");
        body["data"]["num_uses"].as_i64().unwrap()
    };
    assert_eq!(uses(&s), 1);
    // On its last use the token reads as Vault shows it: -1, revocation pending.
    assert_eq!(uses(&s), -1);
    assert_eq!(
        lookup_status(&s, &t),
        403,
        "a token used up its uses and still works"
    );
}

#[test]
fn batch_tokens_are_not_persisted_and_cannot_parent() {
    let s = Server::dev();
    write_policy(
        &s,
        "creator",
        r#"path "auth/token/create*" { capabilities = ["update"] }"#,
    );
    let created = s.bao_json(&[
        "token",
        "create",
        "-type=batch",
        "-policy=creator",
        "-ttl=10m",
    ]);
    let b = created["auth"]["client_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(b.starts_with("hvb."), "{b}");
    assert_eq!(created["auth"]["renewable"], false);
    assert_eq!(created["auth"]["accessor"], "");
    let look = s.req_token(&b, "GET", "/v1/auth/token/lookup-self", None).1;
    assert_eq!(look["data"]["type"], "batch");
    let (code, resp) = create_token(&s, &b, json!({}));
    assert_eq!(code, 400);
    assert!(resp["errors"][0]
        .as_str()
        .unwrap()
        .contains("batch tokens cannot create more tokens"));
    assert!(!s.bao(&["token", "renew", &b]).status.success());
    // Tampering with the blob invalidates it.
    let mut tampered = b.clone();
    tampered.pop();
    tampered.push(if b.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(lookup_status(&s, &tampered), 403);
    // A batch token dies with its parent.
    let parent = token_of(&create_token(&s, "root", json!({"policies": ["creator"]})).1);
    let child = token_of(&create_token(&s, &parent, json!({"type": "batch"})).1);
    assert_eq!(lookup_status(&s, &child), 200);
    s.bao_ok(&["token", "revoke", &parent]);
    assert_eq!(lookup_status(&s, &child), 403);
}

#[test]
fn accessors_and_sudo_protected_listing() {
    let s = Server::dev();
    let t = token_of(&create_token(&s, "root", json!({"policies": ["default"]})).1);
    let accessor = s.bao_json(&["token", "lookup", &t])["data"]["accessor"]
        .as_str()
        .unwrap()
        .to_string();
    let look = s.bao_json(&["token", "lookup", "-accessor", &accessor]);
    assert_eq!(look["data"]["id"], "");
    let list = s.bao_json(&["list", "auth/token/accessors"]);
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == &json!(accessor)));
    write_policy(
        &s,
        "lister",
        r#"path "auth/token/accessors" { capabilities = ["list"] }"#,
    );
    let lister = token_of(&create_token(&s, "root", json!({"policies": ["lister"]})).1);
    let (code, _) = s.req_token(&lister, "LIST", "/v1/auth/token/accessors", None);
    assert_eq!(code, 403, "listing accessors needs sudo");
    write_policy(
        &s,
        "lister",
        r#"path "auth/token/accessors" { capabilities = ["list", "sudo"] }"#,
    );
    let (code, _) = s.req_token(&lister, "LIST", "/v1/auth/token/accessors", None);
    assert_eq!(code, 200);
    s.bao_ok(&["token", "revoke", "-accessor", &accessor]);
    assert_eq!(lookup_status(&s, &t), 403);
}

#[test]
fn token_roles() {
    let s = Server::dev();
    s.bao_ok(&[
        "write",
        "auth/token/roles/app",
        "allowed_policies=app-read,app-write",
        "disallowed_policies=admin",
        "orphan=true",
        "token_ttl=30m",
        "token_max_ttl=1h",
    ]);
    let role = s.bao_json(&["read", "auth/token/roles/app"]);
    assert_eq!(
        role["data"]["allowed_policies"],
        json!(["app-read", "app-write"])
    );
    assert_eq!(role["data"]["orphan"], true);
    assert_eq!(role["data"]["token_ttl"], 1800);
    let created = s.bao_json(&["token", "create", "-role=app", "-policy=app-read"]);
    assert_eq!(created["auth"]["policies"], json!(["app-read", "default"]));
    assert_eq!(created["auth"]["orphan"], true);
    assert_eq!(created["auth"]["lease_duration"], 1800);
    let out = s.bao(&["token", "create", "-role=app", "-policy=admin"]);
    assert!(!out.status.success());
    let roles = s.bao_json(&["list", "auth/token/roles"]);
    assert_eq!(roles, json!(["app"]));
    // A role that binds tokens to a network the tests are not in.
    s.bao_ok(&[
        "write",
        "auth/token/roles/fenced",
        "token_bound_cidrs=10.0.0.0/8",
    ]);
    let fenced = s.bao_json(&["token", "create", "-role=fenced"])["auth"]["client_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        lookup_status(&s, &fenced),
        403,
        "CIDR-bound token used from outside its block"
    );
    s.bao_ok(&["delete", "auth/token/roles/app"]);
    assert!(!s.bao(&["read", "auth/token/roles/app"]).status.success());
    let (code, _) = s.req(
        "POST",
        "/v1/auth/token/roles/bad",
        Some(json!({"token_bound_cidrs": "not-a-cidr"})),
    );
    assert_eq!(code, 400);
}

#[test]
fn policy_crud_with_bao_and_vault_errors() {
    let s = Server::dev();
    let file = s.dir().join("app.hcl");
    std::fs::write(
        &file,
        "path \"secret/data/app/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n",
    )
    .unwrap();
    s.bao_ok(&["policy", "write", "app", file.to_str().unwrap()]);
    let list = s.bao_json(&["policy", "list"]);
    assert_eq!(list, json!(["app", "default", "root"]));
    let read = s.bao_ok(&["policy", "read", "app"]);
    assert!(read.contains("secret/data/app/*"));
    let (code, body) = s.req("GET", "/v1/sys/policy/app", None);
    assert_eq!(code, 200);
    assert_eq!(
        body["name"], "app",
        "sys/policy data is also at the top level"
    );
    assert!(body["rules"].as_str().unwrap().contains("capabilities"));
    let cases = [
        (
            "bad1",
            "path \"a\" {\n  capabilities = [\"fly\"]\n}",
            "invalid capability",
        ),
        ("bad2", "path \"a\" {\n  capabilities = read\n}", "line 2"),
        (
            "bad3",
            "path \"a\" {\n  capabilities = [\"read\"]\n",
            "line",
        ),
    ];
    for (name, doc, want) in cases {
        let (code, body) = s.req(
            "PUT",
            &format!("/v1/sys/policy/{name}"),
            Some(json!({"policy": doc})),
        );
        assert_eq!(code, 400, "{body}");
        assert!(
            body["errors"][0].as_str().unwrap().contains(want),
            "{name}: {body}"
        );
        let (code, _) = s.req("GET", &format!("/v1/sys/policy/{name}"), None);
        assert_eq!(code, 404, "a refused policy was stored");
    }
    let (code, body) = s.req("DELETE", "/v1/sys/policy/default", None);
    assert_eq!(code, 400, "{body}");
    let (code, _) = s.req(
        "PUT",
        "/v1/sys/policy/root",
        Some(json!({"policy": "path \"*\" { capabilities = [\"read\"] }"})),
    );
    assert_eq!(code, 400);
    s.bao_ok(&["policy", "delete", "app"]);
    assert_eq!(s.bao_json(&["policy", "list"]), json!(["default", "root"]));
}

/// Each case: a policy, then requests made with a token holding only that policy.
#[test]
fn policy_matrix_through_real_requests() {
    let s = Server::dev();
    type Case = (
        &'static str,
        Vec<(&'static str, &'static str, Option<Value>, bool)>,
    );
    let cases: Vec<Case> = vec![
        (
            r#"path "cubbyhole/*" { capabilities = ["read", "list"] }"#,
            vec![
                ("GET", "/v1/cubbyhole/x", None, true),
                ("LIST", "/v1/cubbyhole/", None, true),
                ("POST", "/v1/cubbyhole/x", Some(json!({"a": "b"})), false),
                ("DELETE", "/v1/cubbyhole/x", None, false),
                ("GET", "/v1/sys/mounts", None, false),
            ],
        ),
        (
            r#"
path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "sys/policies/acl/admin" { capabilities = ["deny"] }
"#,
            vec![
                (
                    "PUT",
                    "/v1/sys/policies/acl/team",
                    Some(json!({"policy": "path \"x\" { capabilities = [\"read\"] }"})),
                    true,
                ),
                ("GET", "/v1/sys/policies/acl/team", None, true),
                ("GET", "/v1/sys/policies/acl/admin", None, false),
                (
                    "PUT",
                    "/v1/sys/policies/acl/admin",
                    Some(json!({"policy": "path \"x\" { capabilities = [\"read\"] }"})),
                    false,
                ),
                ("DELETE", "/v1/sys/policies/acl/team", None, true),
            ],
        ),
        (
            // `+` matches one segment; the glob is more specific than the wildcard here.
            r#"
path "sys/policies/acl/+" { capabilities = ["read"] }
path "sys/policies/acl/team-*" { capabilities = ["deny"] }
"#,
            vec![
                ("GET", "/v1/sys/policies/acl/default", None, true),
                ("GET", "/v1/sys/policies/acl/team-a", None, false),
            ],
        ),
        (
            r#"
path "auth/token/create" {
  capabilities = ["update"]
  allowed_parameters = {
    "ttl" = ["1h", "2h"]
    "policies" = []
  }
}
"#,
            vec![
                (
                    "POST",
                    "/v1/auth/token/create",
                    Some(json!({"ttl": "1h"})),
                    true,
                ),
                (
                    "POST",
                    "/v1/auth/token/create",
                    Some(json!({"ttl": "5h"})),
                    false,
                ),
                (
                    "POST",
                    "/v1/auth/token/create",
                    Some(json!({"display_name": "x"})),
                    false,
                ),
                (
                    "POST",
                    "/v1/auth/token/create",
                    Some(json!({"policies": ["p"]})),
                    true,
                ),
            ],
        ),
        (
            r#"
path "auth/token/create" {
  capabilities = ["update"]
  denied_parameters = { "no_default_policy" = [] }
  required_parameters = ["ttl"]
}
"#,
            vec![
                (
                    "POST",
                    "/v1/auth/token/create",
                    Some(json!({"ttl": "1h"})),
                    true,
                ),
                (
                    "POST",
                    "/v1/auth/token/create",
                    Some(json!({"display_name": "x"})),
                    false,
                ),
                (
                    "POST",
                    "/v1/auth/token/create",
                    Some(json!({"ttl": "1h", "no_default_policy": true})),
                    false,
                ),
            ],
        ),
        (
            // Listing sudo-protected paths needs sudo as well as list.
            r#"path "sys/leases/lookup/*" { capabilities = ["list"] }"#,
            vec![("LIST", "/v1/sys/leases/lookup/auth/", None, false)],
        ),
        (
            r#"path "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }"#,
            vec![("LIST", "/v1/sys/leases/lookup/auth/", None, true)],
        ),
        (
            r#"path "sys/wrapping/wrap" { capabilities = ["update"] max_wrapping_ttl = "1m" }"#,
            vec![(
                "POST",
                "/v1/sys/wrapping/wrap",
                Some(json!({"a": "b"})),
                false,
            )],
        ),
    ];
    for (i, (policy, requests)) in cases.into_iter().enumerate() {
        let name = format!("matrix{i}");
        write_policy(&s, &name, policy);
        let token = token_of(
            &create_token(
                &s,
                "root",
                json!({"policies": [name], "no_default_policy": true}),
            )
            .1,
        );
        for (method, path, body, allowed) in requests {
            let (code, resp) = s.req_token(&token, method, path, body.clone());
            if allowed {
                assert_ne!(
                    code, 403,
                    "policy {i}: {method} {path} {body:?} should be allowed: {resp}"
                );
            } else {
                assert_eq!(
                    code, 403,
                    "policy {i}: {method} {path} {body:?} should be denied: {resp}"
                );
                assert_eq!(
                    resp["errors"],
                    json!(["permission denied"]),
                    "403 body stays terse"
                );
            }
        }
    }
}

#[test]
fn wrapping_ttl_bounds_from_policies() {
    let s = Server::dev();
    write_policy(
        &s,
        "wrap",
        r#"path "sys/wrapping/wrap" { capabilities = ["update"] min_wrapping_ttl = "30s" max_wrapping_ttl = "5m" }"#,
    );
    let t = token_of(&create_token(&s, "root", json!({"policies": ["wrap"]})).1);
    for (ttl, allowed) in [("10s", false), ("1m", true), ("10m", false)] {
        let (code, resp, _) = {
            let (c, h, b) = http_raw(
                &s.addr,
                "POST",
                "/v1/sys/wrapping/wrap",
                Some(&t),
                Some(b"{\"a\":\"b\"}".to_vec()),
                &[("X-Vault-Wrap-TTL", ttl)],
            )
            .unwrap();
            (c, h, b)
        };
        assert_eq!(code != 403, allowed, "wrap ttl {ttl}: {resp}");
    }
}

#[test]
fn capabilities_endpoints_and_bao_token_capabilities() {
    let s = Server::dev();
    write_policy(
        &s,
        "caps",
        r#"
path "secret/data/app/*" { capabilities = ["read", "list"] }
path "secret/data/app/admin" { capabilities = ["deny"] }
"#,
    );
    let t = token_of(&create_token(&s, "root", json!({"policies": ["caps"]})).1);
    let out = s.bao_ok(&["token", "capabilities", &t, "secret/data/app/x"]);
    assert_eq!(out.trim(), "list, read");
    let out = s.bao_ok(&["token", "capabilities", &t, "secret/data/app/admin"]);
    assert_eq!(out.trim(), "deny");
    let (_, body) = s.req_token(
        &t,
        "POST",
        "/v1/sys/capabilities-self",
        Some(json!({"paths": ["secret/data/app/x", "other"]})),
    );
    assert_eq!(body["secret/data/app/x"], json!(["list", "read"]));
    assert_eq!(body["other"], json!(["deny"]));
    let accessor = s.bao_json(&["token", "lookup", &t])["data"]["accessor"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, body) = s.req(
        "POST",
        "/v1/sys/capabilities-accessor",
        Some(json!({"accessor": accessor, "path": "secret/data/app/x"})),
    );
    assert_eq!(body["capabilities"], json!(["list", "read"]));
    let (_, body) = s.req(
        "POST",
        "/v1/sys/capabilities",
        Some(json!({"token": t, "path": "secret/data/app/x"})),
    );
    assert_eq!(body["capabilities"], json!(["list", "read"]));
    let out = s.bao_ok(&["token", "capabilities", "secret/anything"]);
    assert_eq!(out.trim(), "root");
}

#[test]
fn explain_names_the_deciding_rule() {
    let s = Server::dev();
    write_policy(
        &s,
        "a",
        r#"path "secret/data/*" { capabilities = ["read"] }"#,
    );
    write_policy(
        &s,
        "b",
        r#"path "secret/data/prod/*" { capabilities = ["deny"] }"#,
    );
    let t = token_of(&create_token(&s, "root", json!({"policies": ["a", "b"]})).1);
    let (code, body) = s.req(
        "POST",
        "/v1/sys/policies/explain",
        Some(json!({"token": t, "path": "secret/data/prod/db", "operation": "read"})),
    );
    assert_eq!(code, 200, "{body}");
    let d = &body["data"];
    assert_eq!(d["decision"], "denied");
    assert_eq!(d["matched_path"], "secret/data/prod/*");
    assert_eq!(d["sources"][0]["policy"], "b");
    let (_, body) = s.req(
        "POST",
        "/v1/sys/policies/explain",
        Some(json!({"policies": ["a", "b"], "path": "secret/data/dev/db"})),
    );
    assert_eq!(body["data"]["decision"], "allowed");
    assert_eq!(body["data"]["sources"][0]["policy"], "a");
    let (_, body) = s.req(
        "POST",
        "/v1/sys/policies/explain",
        Some(json!({"policies": ["a"], "path": "secret/data/dev/db", "operation": "delete"})),
    );
    assert_eq!(body["data"]["decision"], "denied");
    assert!(body["data"]["reason"].as_str().unwrap().contains("delete"));
    // Only sudo holders may ask.
    write_policy(
        &s,
        "asker",
        r#"path "sys/policies/explain" { capabilities = ["update"] }"#,
    );
    let asker = token_of(&create_token(&s, "root", json!({"policies": ["asker"]})).1);
    let (code, _) = s.req_token(
        &asker,
        "POST",
        "/v1/sys/policies/explain",
        Some(json!({"policies": ["a"], "path": "x"})),
    );
    assert_eq!(code, 403);
}

#[test]
fn hvac_tokens_and_policies() {
    let s = Server::dev();
    let out = s.hvac(
        r#"
client.sys.create_or_update_policy(name="hv", policy='path "cubbyhole/*" { capabilities = ["read"] }')
assert "hv" in client.sys.list_policies()["data"]["policies"]
assert "cubbyhole" in client.sys.read_policy(name="hv")["data"]["rules"]
t = client.auth.token.create(policies=["hv"], ttl="1h")
tok = t["auth"]["client_token"]
look = client.auth.token.lookup(tok)
assert look["data"]["policies"] == ["default", "hv"], look["data"]["policies"]
client.auth.token.renew(tok, increment="30m")
child = hvac.Client(url=os.environ["ARCA_ADDR"], token=tok)
assert child.is_authenticated()
client.auth.token.revoke(tok)
assert not child.is_authenticated()
client.sys.delete_policy(name="hv")
print("ok")
"#,
    );
    assert_eq!(out.trim(), "ok");
}

#[test]
fn tokens_survive_restart_and_tidy_runs() {
    let mut s = Server::with_config(file_config());
    let keys = init_and_unseal(&mut s);
    let t = token_of(&create_token(&s, &s.token.clone(), json!({"ttl": "1h"})).1);
    let s = s.restart_with_config();
    unseal(&s, &keys);
    assert_eq!(lookup_status(&s, &t), 200);
    let (code, body) = s.req("POST", "/v1/auth/token/tidy", None);
    assert_eq!(code, 202, "{body}");
    assert!(body["warnings"][0].as_str().unwrap().contains("Tidy"));
}
