//! The KV secrets engine (versions 1 and 2) through real clients: the `bao` CLI's `kv`
//! commands, hvac's `secrets.kv.v1`/`v2`, a table of responses captured from OpenBao's
//! `bao server -dev` (fixtures/kv_shapes.json, made by fixtures/capture_kv_shapes.py),
//! pagination, ACL `create` vs `update`, upgrades, and bad input that must change nothing.

mod common;

use common::*;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// The response table captured from OpenBao.
// ---------------------------------------------------------------------------------------

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && s.ends_with('Z')
        && b[..4].iter().all(u8::is_ascii_digit)
}

/// Request ids and timestamps become placeholders; everything else stays, as the capture
/// script does.
fn normalise(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let x = if k == "request_id" {
                        json!("<id>")
                    } else {
                        normalise(x)
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        Value::String(s) if is_timestamp(s) => json!("<time>"),
        other => other.clone(),
    }
}

/// Field names and JSON types only.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), shape(x))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(shape).collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

#[test]
fn responses_match_the_table_captured_from_openbao() {
    let s = Server::dev();
    let steps: Vec<Value> =
        serde_json::from_str(include_str!("fixtures/kv_shapes.json")).expect("fixture");
    let mut mismatches = Vec::new();
    for step in &steps {
        let name = step["name"].as_str().unwrap();
        let method = step["method"].as_str().unwrap();
        let path = format!("/v1/{}", step["path"].as_str().unwrap());
        let body = (!step["body"].is_null()).then(|| step["body"].to_string().into_bytes());
        let ct = step["content_type"].as_str().unwrap();
        let (code, _, raw) = http_raw(
            &s.addr,
            method,
            &path,
            Some(&s.token),
            body,
            &[("Content-Type", ct)],
        )
        .expect("request");
        let got: Value = if raw.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&raw).unwrap_or_else(|_| json!(String::from_utf8_lossy(&raw)))
        };
        let want_code = step["status"].as_u64().unwrap() as u16;
        let want = &step["response"];
        let same = match step["compare"].as_str().unwrap() {
            "exact" => normalise(&got) == *want,
            "shape" => shape(&got) == shape(want),
            _ => true,
        };
        if code != want_code || !same {
            mismatches.push(format!(
                "{name}: {method} {path}\n   openbao: {want_code} {want}\n   arca:    {code} {}",
                normalise(&got)
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} steps differ from OpenBao:\n{}",
        mismatches.len(),
        steps.len(),
        mismatches.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// The bao CLI.
// ---------------------------------------------------------------------------------------

/// Runs `bao ... -format=json` with the flag after the (sub)command words, where Go's flag
/// parsing needs it (`bao kv metadata get -format=json kv/app`).
fn bj(s: &Server, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    let words = if a.len() > 1 && a[0] == "kv" && a[1] == "metadata" {
        3
    } else {
        2
    };
    a.insert(words.min(a.len()), "-format=json");
    let out = s.bao_ok(&a);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bao {a:?} gave non-JSON ({e}): {out}"))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bao_kv_commands_on_a_v2_mount() {
    let s = Server::dev();
    s.bao_ok(&["secrets", "enable", "-version=2", "kv"]);
    let mounts = bj(&s, &["secrets", "list"]);
    assert_eq!(mounts["kv/"]["type"], "kv");
    assert_eq!(mounts["kv/"]["options"]["version"], "2");

    let put = bj(&s, &["kv", "put", "kv/app", "user=alice", "pass=s3cret"]);
    assert_eq!(put["data"]["version"], 1);
    let get = bj(&s, &["kv", "get", "kv/app"]);
    assert_eq!(
        get["data"]["data"],
        json!({"user": "alice", "pass": "s3cret"})
    );
    assert_eq!(get["data"]["metadata"]["version"], 1);
    let get = bj(&s, &["kv", "get", "-mount=kv", "app"]);
    assert_eq!(get["data"]["data"]["user"], "alice");
    let field = s.bao_ok(&["kv", "get", "-field=user", "kv/app"]);
    assert_eq!(field.trim(), "alice");

    // patch (HTTP PATCH with a merge patch) and patch -method=rw (read, then write with cas).
    let p = bj(&s, &["kv", "patch", "kv/app", "pass=new"]);
    assert_eq!(p["data"]["version"], 2);
    let p = bj(&s, &["kv", "patch", "-method=rw", "kv/app", "extra=1"]);
    assert_eq!(p["data"]["version"], 3);
    let get = bj(&s, &["kv", "get", "kv/app"]);
    assert_eq!(
        get["data"]["data"],
        json!({"user": "alice", "pass": "new", "extra": "1"})
    );
    let v1 = bj(&s, &["kv", "get", "-version=1", "kv/app"]);
    assert_eq!(v1["data"]["data"]["pass"], "s3cret");

    // put -cas.
    let out = s.bao(&["kv", "put", "-cas=1", "kv/app", "x=1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("check-and-set parameter did not match the current version"));
    let ok = bj(&s, &["kv", "put", "-cas=3", "kv/app", "user=bob"]);
    assert_eq!(ok["data"]["version"], 4);

    // list.
    s.bao_ok(&["kv", "put", "kv/dir/a", "k=v"]);
    let list = bj(&s, &["kv", "list", "kv"]);
    assert_eq!(list, json!(["app", "dir/"]));
    let list = bj(&s, &["kv", "list", "kv/dir"]);
    assert_eq!(list, json!(["a"]));

    // delete, undelete, destroy.
    s.bao_ok(&["kv", "delete", "kv/app"]);
    let deleted = bj(&s, &["kv", "get", "kv/app"]);
    assert_eq!(deleted["data"]["data"], Value::Null);
    assert_ne!(deleted["data"]["metadata"]["deletion_time"], "");
    s.bao_ok(&["kv", "undelete", "-versions=4", "kv/app"]);
    let back = bj(&s, &["kv", "get", "kv/app"]);
    assert_eq!(back["data"]["data"], json!({"user": "bob"}));
    s.bao_ok(&["kv", "delete", "-versions=2", "kv/app"]);
    s.bao_ok(&["kv", "destroy", "-versions=1", "kv/app"]);
    let meta = bj(&s, &["kv", "metadata", "get", "kv/app"]);
    assert_eq!(meta["data"]["versions"]["1"]["destroyed"], true);
    assert_ne!(meta["data"]["versions"]["2"]["deletion_time"], "");
    assert_eq!(meta["data"]["current_version"], 4);
    let out = s.bao(&["kv", "get", "-version=1", "kv/app"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("destroyed") || !out.status.success());

    // metadata put / patch / get.
    s.bao_ok(&[
        "kv",
        "metadata",
        "put",
        "-max-versions=3",
        "-delete-version-after=1h",
        "-custom-metadata=owner=team-a",
        "kv/app",
    ]);
    s.bao_ok(&[
        "kv",
        "metadata",
        "patch",
        "-custom-metadata=tier=gold",
        "kv/app",
    ]);
    let meta = bj(&s, &["kv", "metadata", "get", "kv/app"]);
    assert_eq!(meta["data"]["max_versions"], 3);
    assert_eq!(meta["data"]["delete_version_after"], "1h0m0s");
    assert_eq!(
        meta["data"]["custom_metadata"],
        json!({"owner": "team-a", "tier": "gold"})
    );

    // rollback writes the old version's data as a new version (with cas).
    let rb = bj(&s, &["kv", "rollback", "-version=3", "kv/app"]);
    assert_eq!(rb["data"]["version"], 5);
    let get = bj(&s, &["kv", "get", "kv/app"]);
    assert_eq!(get["data"]["data"]["extra"], "1");
    // max_versions 3 trimmed the oldest versions.
    let meta = bj(&s, &["kv", "metadata", "get", "kv/app"]);
    let versions: Vec<&String> = meta["data"]["versions"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(versions, vec!["3", "4", "5"]);

    // metadata delete removes every version.
    s.bao_ok(&["kv", "metadata", "delete", "kv/app"]);
    let out = s.bao(&["kv", "get", "kv/app"]);
    assert_eq!(out.status.code(), Some(2));
    let out = s.bao(&["kv", "metadata", "get", "kv/app"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn dev_mode_mounts_secret_as_kv_v2() {
    let s = Server::dev();
    let mounts = bj(&s, &["secrets", "list"]);
    assert_eq!(mounts["secret/"]["type"], "kv");
    assert_eq!(mounts["secret/"]["options"]["version"], "2");
    s.bao_ok(&["kv", "put", "secret/hello", "foo=world"]);
    let got = bj(&s, &["kv", "get", "secret/hello"]);
    assert_eq!(got["data"]["data"]["foo"], "world");
}

#[test]
fn bao_kv_commands_on_a_v1_mount_and_upgrade_to_v2() {
    let s = Server::dev();
    s.bao_ok(&["secrets", "enable", "kv"]);
    let mounts = bj(&s, &["secrets", "list"]);
    // No version given is version 1, shown without a version as in Vault.
    assert!(
        mounts["kv/"]["options"].get("version").is_none(),
        "{mounts}"
    );
    assert_eq!(mounts["kv/"]["deprecation_status"], "supported");

    s.bao_ok(&["kv", "put", "kv/db", "password=p", "ttl=30m"]);
    s.bao_ok(&["kv", "put", "kv/plain", "a=b"]);
    s.bao_ok(&["kv", "put", "kv/team/x", "n=1"]);
    let db = bj(&s, &["kv", "get", "kv/db"]);
    assert_eq!(db["data"], json!({"password": "p", "ttl": "30m"}));
    assert_eq!(
        db["lease_duration"], 1800,
        "the ttl key is the advisory lease"
    );
    assert_eq!(db["lease_id"], "", "no lease is registered");
    let plain = bj(&s, &["kv", "get", "kv/plain"]);
    assert_eq!(
        plain["lease_duration"], 2_764_800,
        "the mount's default lease TTL"
    );
    let (_, leases) = s.req("LIST", "/v1/sys/leases/lookup/kv/", None);
    assert!(leases["data"]["keys"].is_null(), "no lease: {leases}");
    assert_eq!(
        bj(&s, &["kv", "list", "kv"]),
        json!(["db", "plain", "team/"])
    );
    s.bao_ok(&["kv", "delete", "kv/plain"]);
    assert_eq!(s.bao(&["kv", "get", "kv/plain"]).status.code(), Some(2));
    // A tuned default lease TTL is what a read reports.
    s.bao_ok(&["secrets", "tune", "-default-lease-ttl=2h", "kv"]);
    s.bao_ok(&["kv", "put", "kv/plain", "a=c"]);
    assert_eq!(bj(&s, &["kv", "get", "kv/plain"])["lease_duration"], 7200);
    // kv metadata commands need v2.
    assert!(!s.bao(&["kv", "metadata", "get", "kv/db"]).status.success());

    // Upgrade keeps every key as version 1.
    s.bao_ok(&["secrets", "tune", "-options=version=2", "kv"]);
    let mounts = bj(&s, &["secrets", "list"]);
    assert_eq!(mounts["kv/"]["options"]["version"], "2");
    assert_eq!(
        mounts["kv/"]["config"]["default_lease_ttl"], 7200,
        "the tune kept the TTL"
    );
    let db = bj(&s, &["kv", "get", "kv/db"]);
    assert_eq!(db["data"]["data"], json!({"password": "p", "ttl": "30m"}));
    assert_eq!(db["data"]["metadata"]["version"], 1);
    let x = bj(&s, &["kv", "get", "kv/team/x"]);
    assert_eq!(x["data"]["data"]["n"], "1");
    assert_eq!(
        bj(&s, &["kv", "list", "kv"]),
        json!(["db", "plain", "team/"])
    );
    let put = bj(&s, &["kv", "put", "kv/db", "password=q"]);
    assert_eq!(put["data"]["version"], 2);
    let meta = bj(&s, &["kv", "metadata", "get", "kv/db"]);
    assert_eq!(meta["data"]["current_version"], 2);
    // A downgrade is refused.
    let out = s.bao(&["secrets", "tune", "-options=version=1", "kv"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("cannot downgrade mount from version 2"));

    // `bao kv enable-versioning` is the same upgrade.
    s.bao_ok(&["secrets", "enable", "-path=legacy", "kv"]);
    s.bao_ok(&["kv", "put", "legacy/k", "v=1"]);
    s.bao_ok(&["kv", "enable-versioning", "legacy"]);
    let k = bj(&s, &["kv", "get", "legacy/k"]);
    assert_eq!(k["data"]["data"]["v"], "1");
}

#[test]
fn upgraded_data_survives_a_restart() {
    let mut s = Server::with_config(file_config());
    let keys = init_and_unseal(&mut s);
    s.bao_ok(&["secrets", "enable", "-path=app", "kv"]);
    for i in 0..30 {
        s.bao_ok(&["kv", "put", &format!("app/k{i}"), &format!("v={i}")]);
    }
    s.bao_ok(&["secrets", "tune", "-options=version=2", "app"]);
    s.bao_ok(&["kv", "put", "app/k0", "v=new"]);
    let token = s.token.clone();
    let mut s = s.restart_with_config();
    s.token = token;
    unseal(&s, &keys);
    let k0 = bj(&s, &["kv", "get", "app/k0"]);
    assert_eq!(k0["data"]["data"]["v"], "new");
    assert_eq!(k0["data"]["metadata"]["version"], 2);
    let k29 = bj(&s, &["kv", "get", "-version=1", "app/k29"]);
    assert_eq!(k29["data"]["data"]["v"], "29");
}

// ---------------------------------------------------------------------------------------
// hvac.
// ---------------------------------------------------------------------------------------

#[test]
fn hvac_kv_v2_and_v1() {
    let s = Server::dev();
    s.bao_ok(&["secrets", "enable", "-path=kv1", "kv"]);
    let out = s.hvac(
        r#"
kv = client.secrets.kv.v2
kv.configure(max_versions=7, mount_point='secret')
assert kv.read_configuration(mount_point='secret')['data']['max_versions'] == 7
w = kv.create_or_update_secret(path='h/one', secret={'a': '1'}, mount_point='secret')
assert w['data']['version'] == 1, w
w = kv.create_or_update_secret(path='h/one', secret={'a': '2'}, cas=1, mount_point='secret')
assert w['data']['version'] == 2
try:
    kv.create_or_update_secret(path='h/one', secret={'a': '3'}, cas=1, mount_point='secret')
    raise SystemExit('cas mismatch accepted')
except hvac.exceptions.InvalidRequest as e:
    assert 'check-and-set' in str(e), e
r = kv.read_secret_version(path='h/one', mount_point='secret', raise_on_deleted_version=True)
assert r['data']['data'] == {'a': '2'}, r
r = kv.read_secret_version(path='h/one', version=1, mount_point='secret', raise_on_deleted_version=True)
assert r['data']['data'] == {'a': '1'}
kv.patch(path='h/one', secret={'b': 'x'}, mount_point='secret')
r = kv.read_secret(path='h/one', mount_point='secret')
assert r['data']['data'] == {'a': '2', 'b': 'x'}, r
assert kv.list_secrets(path='h', mount_point='secret')['data']['keys'] == ['one']
kv.update_metadata(path='h/one', max_versions=5, custom_metadata={'owner': 'me'}, mount_point='secret')
m = kv.read_secret_metadata(path='h/one', mount_point='secret')['data']
assert m['max_versions'] == 5 and m['custom_metadata'] == {'owner': 'me'} and m['current_version'] == 3, m
kv.delete_latest_version_of_secret(path='h/one', mount_point='secret')
d = kv.read_secret_version(path='h/one', mount_point='secret', raise_on_deleted_version=False)
assert d['data']['data'] is None and d['data']['metadata']['deletion_time'] != '', d
try:
    kv.read_secret_version(path='h/one', mount_point='secret', raise_on_deleted_version=True)
    raise SystemExit('deleted version readable')
except hvac.exceptions.InvalidPath:
    pass
kv.undelete_secret_versions(path='h/one', versions=[3], mount_point='secret')
kv.delete_secret_versions(path='h/one', versions=[1], mount_point='secret')
kv.destroy_secret_versions(path='h/one', versions=[2], mount_point='secret')
m = kv.read_secret_metadata(path='h/one', mount_point='secret')['data']
assert m['versions']['1']['deletion_time'] != '' and m['versions']['2']['destroyed'] is True, m
assert m['versions']['3']['deletion_time'] == ''
kv.delete_metadata_and_all_versions(path='h/one', mount_point='secret')
try:
    kv.read_secret_metadata(path='h/one', mount_point='secret')
    raise SystemExit('metadata survived')
except hvac.exceptions.InvalidPath:
    pass

v1 = client.secrets.kv.v1
v1.create_or_update_secret(path='app/db', secret={'password': 'p', 'ttl': '10m'}, mount_point='kv1')
r = v1.read_secret(path='app/db', mount_point='kv1')
assert r['data'] == {'password': 'p', 'ttl': '10m'} and r['lease_duration'] == 600, r
assert v1.list_secrets(path='app', mount_point='kv1')['data']['keys'] == ['db']
v1.delete_secret(path='app/db', mount_point='kv1')
try:
    v1.read_secret(path='app/db', mount_point='kv1')
    raise SystemExit('deleted v1 secret readable')
except hvac.exceptions.InvalidPath:
    pass
print('ok')
"#,
    );
    assert_eq!(out.trim(), "ok");
}

// ---------------------------------------------------------------------------------------
// Pagination.
// ---------------------------------------------------------------------------------------

#[test]
fn list_is_paginated_with_after_and_limit() {
    let s = Server::dev();
    s.bao_ok(&["secrets", "enable", "-path=v1kv", "kv"]);
    let mut all = Vec::new();
    for i in 0..250 {
        let k = format!("key-{i:04}");
        let (code, body) = s.req(
            "POST",
            &format!("/v1/secret/data/many/{k}"),
            Some(json!({"data": {"i": i}})),
        );
        assert_eq!(code, 200, "{body}");
        let (code, _) = s.req("POST", &format!("/v1/v1kv/many/{k}"), Some(json!({"i": i})));
        assert_eq!(code, 204);
        all.push(k);
    }
    for base in ["/v1/secret/metadata/many/", "/v1/v1kv/many/"] {
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let (code, body) = s.req("LIST", &format!("{base}?after={after}&limit=64"), None);
            if code == 404 {
                break;
            }
            assert_eq!(code, 200, "{body}");
            let keys: Vec<String> = body["data"]["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_string())
                .collect();
            assert!(keys.len() <= 64, "a page holds at most `limit` keys");
            after = keys.last().unwrap().clone();
            seen.extend(keys);
        }
        assert_eq!(seen, all, "{base}: every key once, in order");
        let (_, whole) = s.req("LIST", base, None);
        assert_eq!(whole["data"]["keys"].as_array().unwrap().len(), 250);
    }
    // The CLI's LIST (no trailing slash, `?list=true`) lists the folder too.
    let (code, body) = s.req("GET", "/v1/secret/metadata/many?list=true&limit=2", None);
    assert_eq!(code, 200);
    assert_eq!(body["data"]["keys"], json!(["key-0000", "key-0001"]));
}

// ---------------------------------------------------------------------------------------
// ACLs: create vs update.
// ---------------------------------------------------------------------------------------

fn token_with_policy(s: &Server, name: &str, hcl: &str) -> String {
    let file = s.dir().join(format!("{name}.hcl"));
    std::fs::write(&file, hcl).unwrap();
    s.bao_ok(&["policy", "write", name, file.to_str().unwrap()]);
    let t = bj(s, &["token", "create", &format!("-policy={name}")]);
    t["auth"]["client_token"].as_str().unwrap().to_string()
}

#[test]
fn acl_create_and_update_follow_existence() {
    let s = Server::dev();
    let creator = token_with_policy(
        &s,
        "creator",
        r#"path "secret/data/*" { capabilities = ["create", "read"] }
path "secret/metadata/*" { capabilities = ["create", "list"] }"#,
    );
    let updater = token_with_policy(
        &s,
        "updater",
        r#"path "secret/data/*" { capabilities = ["update", "read"] }"#,
    );
    let write = |token: &str, path: &str| {
        s.req_token(
            token,
            "POST",
            &format!("/v1/secret/data/{path}"),
            Some(json!({"data": {"a": 1}})),
        )
        .0
    };
    // A new key needs `create`.
    assert_eq!(write(&updater, "fresh"), 403);
    assert_eq!(write(&creator, "fresh"), 200);
    // An existing key needs `update`.
    assert_eq!(write(&creator, "fresh"), 403);
    assert_eq!(write(&updater, "fresh"), 200);
    // Metadata: creating it needs `create`; changing it `update`.
    let meta = |token: &str| {
        s.req_token(
            token,
            "POST",
            "/v1/secret/metadata/newmeta",
            Some(json!({"max_versions": 3})),
        )
        .0
    };
    assert_eq!(meta(&creator), 204);
    assert_eq!(meta(&creator), 403);
    // LIST is checked against the folder path (`secret/metadata/` matches `secret/metadata/*`).
    let out = s.bao_with_token(&creator, &["kv", "list", "secret"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------
// Bad input: OpenBao's 4xx, and nothing changes.
// ---------------------------------------------------------------------------------------

/// (method, path, body, headers, expected status, expected error text if checked).
type BadCase<'a> = (
    &'a str,
    &'a str,
    Vec<u8>,
    &'a [(&'a str, &'a str)],
    u16,
    Option<&'a str>,
);

/// The key's full state: its metadata and every readable version.
fn state(s: &Server, path: &str) -> Value {
    let (_, meta) = s.req("GET", &format!("/v1/secret/metadata/{path}"), None);
    let mut versions = Vec::new();
    if let Some(vs) = meta["data"]["versions"].as_object() {
        for v in vs.keys() {
            let (code, body) = s.req("GET", &format!("/v1/secret/data/{path}?version={v}"), None);
            versions.push(json!([code, body["data"]["data"]]));
        }
    }
    json!({"meta": meta["data"], "versions": versions})
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let s = Server::dev();
    s.bao_ok(&["kv", "put", "secret/target", "a=1"]);
    s.bao_ok(&["kv", "put", "secret/target", "a=2"]);
    let before = state(&s, "target");
    let merge = [("Content-Type", "application/merge-patch+json")];
    let json_ct = [("Content-Type", "application/json")];
    let huge = format!(
        r#"{{"data":{{"blob":"{}"}}}}"#,
        "x".repeat(33 * 1024 * 1024)
    );
    let cases: Vec<BadCase> = vec![
        ("GET", "/v1/secret/data/target?version=abc", vec![], &[], 400,
         Some("Field validation failed: error converting input for field \"version\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax")),
        ("POST", "/v1/secret/data/target", br#"{"data":{"a":9},"options":{"cas":1}}"#.to_vec(), &json_ct, 400,
         Some("check-and-set parameter did not match the current version")),
        ("POST", "/v1/secret/data/target", br#"{"data":{"a":9},"options":{"cas":"x"}}"#.to_vec(), &json_ct, 400,
         Some("error parsing check-and-set parameter")),
        ("POST", "/v1/secret/data/target", br#"{"data":"nope"}"#.to_vec(), &json_ct, 400, None),
        ("POST", "/v1/secret/data/target", br#"{"data":{"a":"#.to_vec(), &json_ct, 400, None),
        ("POST", "/v1/secret/data/target", br#"[1,2]"#.to_vec(), &json_ct, 400, None),
        ("PATCH", "/v1/secret/data/target", br#"{"data":{"a":"#.to_vec(), &merge, 400, None),
        ("PATCH", "/v1/secret/data/target", br#"{"data":"x"}"#.to_vec(), &merge, 400, None),
        ("PATCH", "/v1/secret/data/target", br#"{"nodata":1}"#.to_vec(), &merge, 400, Some("no data provided")),
        ("PATCH", "/v1/secret/data/target", br#"{"data":{"a":9}}"#.to_vec(), &json_ct, 415, None),
        ("PATCH", "/v1/secret/data/target", br#"{"data":{"a":9},"options":{"cas":1}}"#.to_vec(), &merge, 400,
         Some("check-and-set parameter did not match the current version")),
        ("POST", "/v1/secret/delete/target", br#"{"versions":"one"}"#.to_vec(), &json_ct, 400, None),
        ("POST", "/v1/secret/destroy/target", br#"{"versions":[]}"#.to_vec(), &json_ct, 400,
         Some("no version number provided")),
        ("POST", "/v1/secret/undelete/target", br#"{}"#.to_vec(), &json_ct, 400,
         Some("No version number provided")),
        ("POST", "/v1/secret/metadata/target", br#"{"max_versions":"many"}"#.to_vec(), &json_ct, 400, None),
        ("POST", "/v1/secret/metadata/target", br#"{"delete_version_after":"-1h"}"#.to_vec(), &json_ct, 400, None),
        ("POST", "/v1/secret/metadata/target", br#"{"metadata_cas":7,"max_versions":1}"#.to_vec(), &json_ct, 400, None),
        ("POST", "/v1/secret/metadata/target", format!(r#"{{"custom_metadata":{{"k":"{}"}}}}"#, "v".repeat(600)).into_bytes(), &json_ct, 400, None),
        ("POST", "/v1/secret/data/target", huge.into_bytes(), &json_ct, 413, None),
        ("GET", "/v1/secret/data/x/%2E%2E/target", vec![], &[], 400, Some("relative paths not supported")),
        ("POST", "/v1/secret/data/x%2F..%2Ftarget", br#"{"data":{"a":9}}"#.to_vec(), &json_ct, 400, Some("relative paths not supported")),
        ("POST", "/v1/secret/data/x/../target", br#"{"data":{"a":9}}"#.to_vec(), &json_ct, 400, None),
        ("POST", "/v1/secret/data/x%00y", br#"{"data":{"a":9}}"#.to_vec(), &json_ct, 400, None),
        ("POST", "/v1/secret/data//target", br#"{"data":{"a":9}}"#.to_vec(), &json_ct, 400, None),
        ("POST", "/v1/secret/data/target/", br#"{"data":{"a":9}}"#.to_vec(), &json_ct, 400,
         Some("cannot write to a path ending in '/'")),
    ];
    for (method, path, body, headers, want, text) in cases {
        let (code, _, raw) =
            match http_raw(&s.addr, method, path, Some(&s.token), Some(body), headers) {
                Ok(answer) => answer,
                // An oversized body may be cut off by the server's reset before its 413 is read.
                Err(e)
                    if want == 413
                        && matches!(
                            e.kind(),
                            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                        ) =>
                {
                    (413, String::new(), Vec::new())
                }
                Err(e) => panic!("{method} {path}: {e}"),
            };
        let label = format!("{method} {}", &path[..path.len().min(80)]);
        assert_eq!(code, want, "{label}: {}", String::from_utf8_lossy(&raw));
        if let Some(text) = text {
            let body: Value = serde_json::from_slice(&raw).unwrap();
            assert_eq!(body["errors"], json!([text]), "{label}");
        }
        assert_eq!(state(&s, "target"), before, "{label} changed the secret");
    }
    // Nothing was created at the paths the bad requests named.
    let (_, list) = s.req("LIST", "/v1/secret/metadata/", None);
    assert_eq!(list["data"]["keys"], json!(["target"]));
}
