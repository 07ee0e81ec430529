//! The `arca` command line as a client: the same scenarios run with the real `bao` CLI and
//! with `arca` against an Arca server, their `-format=json` results compared field by field
//! (random values ignored); plus exit codes, tables, environment precedence, the token
//! helper file, logins, `key=@file` and stdin data, completions, help and error messages.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::*;
use serde_json::{json, Value};

const VAR_PREFIXES: [&str; 3] = ["VAULT_", "BAO_", "ARCA_"];

/// `arca` with a clean environment: only what the test sets.
fn arca_cmd(s: &Server, token: Option<&str>) -> Command {
    let mut c = Command::new(arca_bin());
    for (k, _) in std::env::vars() {
        if VAR_PREFIXES.iter().any(|p| k.starts_with(p)) {
            c.env_remove(k);
        }
    }
    c.env("VAULT_ADDR", s.url()).env("HOME", s.dir());
    if let Some(t) = token {
        c.env("VAULT_TOKEN", t);
    }
    c
}

fn arca_with(s: &Server, token: &str, args: &[&str]) -> Output {
    arca_cmd(s, Some(token))
        .args(args)
        .output()
        .expect("run arca")
}

fn arca(s: &Server, args: &[&str]) -> Output {
    arca_with(s, &s.token, args)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\n{}\n{}",
        out.status.code(),
        text(&out.stderr),
        text(&out.stdout)
    );
    text(&out.stdout)
}

fn arca_ok(s: &Server, args: &[&str]) -> String {
    ok(arca(s, args), &format!("arca {args:?}"))
}

/// Runs `arca` with stdin.
fn arca_stdin(s: &Server, args: &[&str], input: &str) -> Output {
    let mut child = arca_cmd(s, Some(&s.token))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run arca");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Where `-format=json` goes: after the command words, as for `bao`.
fn with_json(args: &[&str]) -> Vec<String> {
    let words = match args {
        ["kv", "metadata", ..] => 3,
        [first, ..]
            if [
                "token", "policy", "kv", "secrets", "auth", "audit", "operator", "lease", "print",
            ]
            .contains(first) =>
        {
            2
        }
        _ => 1,
    };
    let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    a.insert(words.min(a.len()), "-format=json".into());
    a
}

fn arca_json(s: &Server, args: &[&str]) -> Value {
    let a = with_json(args);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = arca_ok(s, &refs);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("arca {a:?} gave non-JSON ({e}): {out}"))
}

/// Values that differ between two runs of the same operation.
const RANDOM_KEYS: [&str; 17] = [
    "deletion_time",
    "request_id",
    "client_token",
    "accessor",
    "token",
    "id",
    "created_time",
    "creation_time",
    "issue_time",
    "expire_time",
    "updated_time",
    "last_renewal_time",
    "ttl",
    "creation_path",
    "wrapped_accessor",
    "nonce",
    "lease_id",
];

fn scrub(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                let zero = val.is_null() || val.as_str() == Some("");
                if RANDOM_KEYS.contains(&k.as_str()) && !val.is_object() && !zero {
                    *val = json!("<random>");
                } else {
                    scrub(val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(scrub),
        _ => {}
    }
}

/// Field-by-field comparison: every field `bao` printed must be in `arca`'s output with
/// the same value (random values ignored). Null, absent and Go's zero values ("", false,
/// 0, empty lists) are the same: `bao` prints struct fields the server may omit. `data`
/// objects must have the same keys on both sides.
fn assert_same(bao: &Value, arca: &Value, what: &str) {
    let (mut b, mut a) = (bao.clone(), arca.clone());
    scrub(&mut b);
    scrub(&mut a);
    compare(&b, &a, what, "");
}

fn compare(b: &Value, a: &Value, what: &str, at: &str) {
    match (b, a) {
        (Value::Object(bm), Value::Object(am)) => {
            for (k, bv) in bm {
                let av = am.get(k).unwrap_or(&Value::Null);
                if bv.is_null() {
                    assert!(
                        av.is_null() || is_empty(av),
                        "{what}: {at}/{k}: bao null, arca {av}"
                    );
                    continue;
                }
                compare(bv, av, what, &format!("{at}/{k}"));
            }
            if at.ends_with("/data") {
                let extra: Vec<&String> = am
                    .keys()
                    .filter(|k| !bm.contains_key(*k) && !am[*k].is_null())
                    .collect();
                assert!(
                    extra.is_empty(),
                    "{what}: {at}: arca has extra keys {extra:?}"
                );
            }
        }
        _ if is_zero(b) && (a.is_null() || is_zero(a)) => {}
        _ => assert_eq!(b, a, "{what}: {at} differs"),
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        other => is_empty(other),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

#[test]
fn kv_v2_json_matches_bao() {
    let s = Server::dev();
    let put_b = s.bao_json(&["kv", "put", "secret/b-app", "user=alice", "pass=s3cret"]);
    let put_a = arca_json(
        &s,
        &["kv", "put", "secret/a-app", "user=alice", "pass=s3cret"],
    );
    assert_same(&put_b, &put_a, "kv put");
    assert_eq!(put_a["data"]["version"], 1);

    let (b_path, a_path) = ("secret/b-app", "secret/a-app");
    {
        let b = s.bao_json(&["kv", "get", b_path]);
        let a = arca_json(&s, &["kv", "get", a_path]);
        assert_same(&b, &a, "kv get");
        assert_eq!(a["data"]["data"]["user"], "alice");

        s.bao_ok(&["kv", "patch", b_path, "pass=new"]);
        arca_ok(&s, &["kv", "patch", a_path, "pass=new"]);
        let b = s.bao_json(&["kv", "get", "-version=2", b_path]);
        let a = arca_json(&s, &["kv", "get", "-version=2", a_path]);
        assert_same(&b, &a, "kv get after patch");
        assert_eq!(a["data"]["data"], json!({"user": "alice", "pass": "new"}));

        s.bao_ok(&["kv", "patch", "-method=rw", b_path, "extra=1"]);
        arca_ok(&s, &["kv", "patch", "-method=rw", a_path, "extra=1"]);

        s.bao_ok(&["kv", "delete", "-versions=1", b_path]);
        arca_ok(&s, &["kv", "delete", "-versions=1", a_path]);
        s.bao_ok(&["kv", "undelete", "-versions=1", b_path]);
        arca_ok(&s, &["kv", "undelete", "-versions=1", a_path]);
        s.bao_ok(&["kv", "destroy", "-versions=2", b_path]);
        arca_ok(&s, &["kv", "destroy", "-versions=2", a_path]);
        let rb = s.bao_json(&["kv", "rollback", "-version=1", b_path]);
        let ra = arca_json(&s, &["kv", "rollback", "-version=1", a_path]);
        assert_same(&rb, &ra, "kv rollback");

        s.bao_ok(&[
            "kv",
            "metadata",
            "put",
            "-max-versions=5",
            "-custom-metadata=owner=ops",
            b_path,
        ]);
        arca_ok(
            &s,
            &[
                "kv",
                "metadata",
                "put",
                "-max-versions=5",
                "-custom-metadata=owner=ops",
                a_path,
            ],
        );
        s.bao_ok(&["kv", "metadata", "patch", "-custom-metadata=team=x", b_path]);
        arca_ok(
            &s,
            &["kv", "metadata", "patch", "-custom-metadata=team=x", a_path],
        );
        let b = s.bao_json(&["kv", "metadata", "get", b_path]);
        let a = arca_json(&s, &["kv", "metadata", "get", a_path]);
        assert_same(&b, &a, "kv metadata get");
        assert_eq!(
            a["data"]["custom_metadata"],
            json!({"owner": "ops", "team": "x"})
        );
        assert_eq!(a["data"]["current_version"], 4);

        // -mount= syntax and a deleted latest version (404 with data).
        arca_ok(&s, &["kv", "delete", "-mount=secret", "a-app"]);
        s.bao_ok(&["kv", "delete", "-mount=secret", "b-app"]);
        let b = s.bao_json(&["kv", "get", b_path]);
        let a = arca_json(&s, &["kv", "get", a_path]);
        assert_same(&b, &a, "kv get of a deleted version");
    }

    let b = s.bao_json(&["kv", "list", "secret/"]);
    let a = arca_json(&s, &["kv", "list", "secret/"]);
    assert_eq!(b, a, "kv list");
    assert_eq!(a, json!(["a-app", "b-app"]));

    let field = arca_ok(
        &s,
        &["kv", "get", "-version=3", "-field=user", "secret/a-app"],
    );
    assert_eq!(
        field, "alice",
        "-field prints the raw value, no newline when piped"
    );
    let b = s.bao_ok(&["kv", "get", "-version=3", "-field=user", "secret/b-app"]);
    assert_eq!(b, field);
    // `-field=data` is the whole secret (Vault's special case), a scripting idiom with JSON.
    let whole = |out: String| serde_json::from_str::<Value>(&out).unwrap();
    assert_eq!(
        whole(arca_ok(
            &s,
            &[
                "kv",
                "get",
                "-version=3",
                "-format=json",
                "-field=data",
                "secret/a-app"
            ]
        )),
        whole(s.bao_ok(&[
            "kv",
            "get",
            "-version=3",
            "-format=json",
            "-field=data",
            "secret/b-app"
        ])),
    );
    // The latest version is deleted: no data, as bao says.
    let out = arca(&s, &["kv", "get", "-field=user", "secret/a-app"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        s.bao(&["kv", "get", "-field=user", "secret/b-app"])
            .status
            .code(),
        Some(2)
    );

    arca_ok(&s, &["kv", "metadata", "delete", "secret/a-app"]);
    let out = arca(&s, &["kv", "get", "secret/a-app"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "No value found at secret/data/a-app"
    );
}

#[test]
fn kv_v1_and_generic_commands_match_bao() {
    let s = Server::dev();
    s.bao_ok(&["secrets", "enable", "-path=kv1", "-version=1", "kv"]);
    s.bao_ok(&["kv", "put", "kv1/b", "k=v"]);
    arca_ok(&s, &["kv", "put", "kv1/a", "k=v"]);
    let b = s.bao_json(&["kv", "get", "kv1/b"]);
    let a = arca_json(&s, &["kv", "get", "kv1/a"]);
    assert_same(&b, &a, "kv v1 get");
    assert_eq!(arca_json(&s, &["kv", "list", "kv1/"]), json!(["a", "b"]));

    s.bao_ok(&["write", "cubbyhole/b", "x=1", "y=two"]);
    assert_eq!(
        arca_ok(&s, &["write", "cubbyhole/a", "x=1", "y=two"]).trim(),
        "Success! Data written to: cubbyhole/a"
    );
    let b = s.bao_json(&["read", "cubbyhole/b"]);
    let a = arca_json(&s, &["read", "cubbyhole/a"]);
    assert_same(&b, &a, "read");
    // The JSON is the server's body, byte for byte.
    let (_, _, raw) = http_raw(&s.addr, "GET", "/v1/kv1/a", Some(&s.token), None, &[]).unwrap();
    let printed = arca_ok(&s, &["read", "-format=json", "kv1/a"]);
    let mut want = raw.clone();
    if !want.ends_with(b"\n") {
        want.push(b'\n');
    }
    let printed_v: Value = serde_json::from_str(&printed).unwrap();
    let raw_v: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(printed_v["data"], raw_v["data"]);
    assert_eq!(printed.len(), want.len(), "same bytes as the server's body");

    assert_eq!(
        s.bao_json(&["list", "cubbyhole/"]),
        arca_json(&s, &["list", "cubbyhole/"])
    );

    // Tables are aligned as bao's.
    assert_eq!(
        s.bao_ok(&["read", "cubbyhole/b"]),
        arca_ok(&s, &["read", "cubbyhole/b"])
    );
    assert_eq!(
        s.bao_ok(&["list", "cubbyhole/"]),
        arca_ok(&s, &["list", "cubbyhole/"])
    );
    assert_eq!(
        arca_ok(&s, &["read", "cubbyhole/a"]),
        "Key    Value\n---    -----\nx      1\ny      two\n"
    );

    assert!(arca_ok(&s, &["delete", "cubbyhole/a"])
        .contains("Success! Data deleted (if it existed) at: cubbyhole/a"));
    let out = arca(&s, &["read", "cubbyhole/a"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr).trim(), "No value found at cubbyhole/a");
    let out = arca(&s, &["list", "cubbyhole/nothing"]);
    assert_eq!(out.status.code(), Some(2));

    // YAML is the same document as the JSON.
    let yaml = arca_ok(&s, &["read", "-format=yaml", "kv1/a"]);
    let py = Command::new("python3")
        .args([
            "-c",
            "import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin.read())))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    py.stdin
        .as_ref()
        .unwrap()
        .write_all(yaml.as_bytes())
        .unwrap();
    let parsed: Value = serde_json::from_slice(&py.wait_with_output().unwrap().stdout).unwrap();
    let mut parsed = parsed;
    let mut expected = raw_v.clone();
    parsed["request_id"] = json!(null);
    expected["request_id"] = json!(null);
    assert_eq!(parsed, expected, "yaml:\n{yaml}");

    // Generic patch (JSON merge patch on KV v2 data).
    arca_ok(&s, &["kv", "put", "secret/p", "a=1", "b=2"]);
    let out = arca_stdin(
        &s,
        &["patch", "secret/data/p", "-"],
        r#"{"data": {"b": null, "c": "3"}}"#,
    );
    ok(out, "patch from stdin");
    assert_eq!(
        arca_json(&s, &["kv", "get", "secret/p"])["data"]["data"],
        json!({"a": "1", "c": "3"})
    );
}

#[test]
fn data_from_files_and_stdin() {
    let s = Server::dev();
    let file = s.dir().join("cert.pem");
    std::fs::write(&file, "-----BEGIN X-----\nabc\n-----END X-----\n").unwrap();
    let json_file = s.dir().join("data.json");
    std::fs::write(&json_file, r#"{"n": 7, "nested": {"k": "v"}}"#).unwrap();
    let arg = format!("cert=@{}", file.display());
    arca_ok(&s, &["write", "cubbyhole/f", &arg, "lit=\\@x"]);
    let v = arca_json(&s, &["read", "cubbyhole/f"]);
    assert_eq!(
        v["data"]["cert"],
        "-----BEGIN X-----\nabc\n-----END X-----\n"
    );
    assert_eq!(v["data"]["lit"], "@x");

    let arg = format!("@{}", json_file.display());
    arca_ok(&s, &["write", "cubbyhole/j", &arg]);
    assert_eq!(
        arca_json(&s, &["read", "cubbyhole/j"])["data"],
        json!({"n": 7, "nested": {"k": "v"}})
    );

    ok(
        arca_stdin(
            &s,
            &["write", "cubbyhole/s", "-"],
            r#"{"from": "stdin", "n": 1}"#,
        ),
        "write -",
    );
    assert_eq!(
        arca_json(&s, &["read", "cubbyhole/s"])["data"],
        json!({"from": "stdin", "n": 1})
    );

    ok(
        arca_stdin(&s, &["kv", "put", "secret/v", "password=-"], "hunter2"),
        "kv put key=-",
    );
    assert_eq!(
        arca_ok(&s, &["kv", "get", "-field=password", "secret/v"]),
        "hunter2"
    );

    // The same data through bao gives the same stored values.
    s.bao_ok(&[
        "write",
        "cubbyhole/fb",
        &format!("cert=@{}", file.display()),
    ]);
    assert_eq!(
        arca_json(&s, &["read", "cubbyhole/fb"])["data"],
        json!({"cert": "-----BEGIN X-----\nabc\n-----END X-----\n"})
    );

    // Errors: a missing file and bad arguments are local errors (exit 1) and write nothing.
    let out = arca(&s, &["write", "cubbyhole/bad", "k=@/nonexistent/file"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("/nonexistent/file"));
    let out = arca(&s, &["write", "cubbyhole/bad", "novalue"]);
    assert_eq!(out.status.code(), Some(1));
    let out = arca(&s, &["write", "cubbyhole/bad"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("-force"));
    assert_eq!(arca(&s, &["read", "cubbyhole/bad"]).status.code(), Some(2));
    assert!(arca(&s, &["write", "-f", "sys/rotate"]).status.success());
}

#[test]
fn tokens_and_policies_match_bao() {
    let s = Server::dev();
    let policy = s.dir().join("p.hcl");
    std::fs::write(
        &policy,
        "path \"secret/data/app/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n",
    )
    .unwrap();
    s.bao_ok(&["policy", "write", "bpol", policy.to_str().unwrap()]);
    assert_eq!(
        arca_ok(&s, &["policy", "write", "apol", policy.to_str().unwrap()]).trim(),
        "Success! Uploaded policy: apol"
    );
    assert_eq!(
        s.bao_json(&["policy", "read", "bpol"]),
        arca_json(&s, &["policy", "read", "apol"])
    );
    assert_eq!(
        s.bao_ok(&["policy", "read", "bpol"]),
        arca_ok(&s, &["policy", "read", "apol"])
    );
    assert_eq!(
        s.bao_json(&["policy", "list"]),
        arca_json(&s, &["policy", "list"])
    );
    assert_eq!(
        s.bao_ok(&["policy", "list"]),
        arca_ok(&s, &["policy", "list"])
    );
    let out = arca(&s, &["policy", "read", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("No policy named: nope"));

    let args = [
        "token",
        "create",
        "-policy=apol",
        "-ttl=1h",
        "-metadata=team=ops",
        "-display-name=ci",
    ];
    let b = s.bao_json(&args);
    let a = arca_json(&s, &args);
    assert_same(&b, &a, "token create");
    let tok = a["auth"]["client_token"].as_str().unwrap().to_string();
    let btok = b["auth"]["client_token"].as_str().unwrap().to_string();

    let lb = s.bao_json(&["token", "lookup", &btok]);
    let la = arca_json(&s, &["token", "lookup", &tok]);
    assert_same(&lb, &la, "token lookup");
    let la_self = {
        let out = arca_with(&s, &tok, &["token", "lookup", "-format=json"]);
        serde_json::from_str::<Value>(&ok(out, "lookup-self")).unwrap()
    };
    assert_eq!(la_self["data"]["display_name"], "token-ci");
    let acc = la["data"]["accessor"].as_str().unwrap();
    let bacc = lb["data"]["accessor"].as_str().unwrap();
    assert_same(
        &s.bao_json(&["token", "lookup", "-accessor", bacc]),
        &arca_json(&s, &["token", "lookup", "-accessor", acc]),
        "lookup by accessor",
    );

    let rb = s.bao_json(&["token", "renew", "-increment=30m", &btok]);
    let ra = arca_json(&s, &["token", "renew", "-increment=30m", &tok]);
    assert_same(&rb, &ra, "token renew");

    for path in ["secret/data/app/x", "sys/mounts"] {
        let b = s.bao_json(&["token", "capabilities", &btok, path]);
        let a = arca_json(&s, &["token", "capabilities", &tok, path]);
        assert_eq!(b, a, "capabilities on {path}");
        assert_eq!(
            s.bao_ok(&["token", "capabilities", &btok, path]),
            arca_ok(&s, &["token", "capabilities", &tok, path])
        );
    }
    assert_eq!(
        arca_ok(&s, &["token", "capabilities", &tok, "secret/data/app/x"]).trim(),
        "list, read"
    );

    assert!(arca_ok(&s, &["token", "revoke", &tok]).contains("Success! Revoked token"));
    assert_eq!(arca(&s, &["token", "lookup", &tok]).status.code(), Some(2));
    s.bao_ok(&["token", "revoke", &btok]);

    assert_eq!(
        arca_ok(&s, &["policy", "delete", "apol"]).trim(),
        "Success! Deleted policy: apol"
    );
    let out = arca(&s, &["policy", "delete", "root"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot delete"),
        "{}",
        text(&out.stderr)
    );

    // policy fmt rewrites a messy file in canonical form and keeps its meaning.
    let messy = s.dir().join("messy.hcl");
    std::fs::write(
        &messy,
        "path \"a/*\" { capabilities = [\"read\",\"list\"] }\n",
    )
    .unwrap();
    assert!(arca_ok(&s, &["policy", "fmt", messy.to_str().unwrap()])
        .contains("Success! Formatted policy"));
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "path \"a/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n"
    );
    let commented = s.dir().join("commented.hcl");
    let original = "# keep me\npath \"a\" { capabilities = [\"read\"] }\n";
    std::fs::write(&commented, original).unwrap();
    assert_eq!(
        arca(&s, &["policy", "fmt", commented.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        std::fs::read_to_string(&commented).unwrap(),
        original,
        "untouched"
    );
}

#[test]
fn mounts_audit_and_status_match_bao() {
    let s = Server::dev();
    assert_eq!(
        arca_ok(
            &s,
            &[
                "secrets",
                "enable",
                "-path=akv",
                "-version=2",
                "-description=team kv",
                "kv"
            ]
        )
        .trim(),
        "Success! Enabled the kv secrets engine at: akv/"
    );
    s.bao_ok(&[
        "secrets",
        "enable",
        "-path=bkv",
        "-version=2",
        "-description=team kv",
        "kv",
    ]);
    arca_ok(
        &s,
        &[
            "secrets",
            "tune",
            "-default-lease-ttl=1h",
            "-max-lease-ttl=2h",
            "akv",
        ],
    );
    s.bao_ok(&[
        "secrets",
        "tune",
        "-default-lease-ttl=1h",
        "-max-lease-ttl=2h",
        "bkv",
    ]);
    let b = s.bao_json(&["secrets", "list"]);
    let a = arca_json(&s, &["secrets", "list"]);
    assert_same(&b, &a, "secrets list");
    assert_eq!(a["akv/"]["config"]["default_lease_ttl"], 3600);
    assert_eq!(
        s.bao_ok(&["secrets", "list"]),
        arca_ok(&s, &["secrets", "list"])
    );

    arca_ok(&s, &["auth", "enable", "-path=aup", "userpass"]);
    s.bao_ok(&["auth", "enable", "-path=bup", "userpass"]);
    arca_ok(&s, &["auth", "tune", "-default-lease-ttl=10m", "aup"]);
    s.bao_ok(&["auth", "tune", "-default-lease-ttl=10m", "bup"]);
    assert_same(
        &s.bao_json(&["auth", "list"]),
        &arca_json(&s, &["auth", "list"]),
        "auth list",
    );
    assert_eq!(s.bao_ok(&["auth", "list"]), arca_ok(&s, &["auth", "list"]));

    arca_ok(&s, &["secrets", "move", "akv", "akv2"]);
    assert!(arca_json(&s, &["secrets", "list"]).get("akv2/").is_some());
    assert!(arca_ok(&s, &["secrets", "disable", "akv2"])
        .contains("Success! Disabled the secrets engine"));
    assert!(arca_ok(&s, &["auth", "disable", "aup"]).contains("Success! Disabled the auth method"));

    assert_same(
        &s.bao_json(&["status"]),
        &arca_json(&s, &["status"]),
        "status",
    );
    assert_eq!(s.bao_ok(&["status"]), arca_ok(&s, &["status"]));
    let kb = s.bao_json(&["operator", "key-status"]);
    let ka = arca_json(&s, &["operator", "key-status"]);
    assert_eq!(kb["term"], ka["term"]);
    assert!(arca_ok(&s, &["operator", "rotate"]).starts_with("Success! Rotated key\n\nKey Term"));
    assert_eq!(
        arca_json(&s, &["operator", "key-status"])["term"],
        kb["term"].as_u64().unwrap() + 1
    );

    // Help text, as bao prints it.
    let out = arca(&s, &["path-help", "sys/mounts"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), s.bao_ok(&["path-help", "sys/mounts"]));
}

#[test]
fn audit_devices_match_bao() {
    let cfg = format!(
        "{}\nunsafe_allow_api_audit_creation = true\n",
        file_config()
    );
    let mut s = Server::with_config(&cfg);
    init_and_unseal(&mut s);
    let out = arca(&s, &["audit", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("No audit devices are enabled."));
    // Machine output of "none" is the empty map, and success (as bao).
    assert_eq!(arca_json(&s, &["audit", "list"]), json!({}));
    let log = s.dir().join("audit.log");
    let opt = format!("file_path={}", log.display());
    assert_eq!(
        arca_ok(&s, &["audit", "enable", "file", &opt]).trim(),
        "Success! Enabled the file audit device at: file/"
    );
    assert_same(
        &s.bao_json(&["audit", "list"]),
        &arca_json(&s, &["audit", "list"]),
        "audit list",
    );
    assert_eq!(
        s.bao_ok(&["audit", "list"]),
        arca_ok(&s, &["audit", "list"])
    );
    arca_ok(&s, &["audit", "disable", "file"]);

    s.stop();
}

#[test]
fn login_stores_the_token() {
    let s = Server::dev();
    arca_ok(&s, &["auth", "enable", "userpass"]);
    arca_ok(
        &s,
        &[
            "write",
            "auth/userpass/users/bob",
            "password=pw",
            "policies=default",
        ],
    );
    let helper = s.dir().join(".vault-token");

    // Without any token in the environment, login stores the token in ~/.vault-token.
    let out = arca_cmd(&s, None)
        .args(["login", "-method=userpass", "username=bob", "password=pw"])
        .output()
        .unwrap();
    let stdout = ok(out, "login");
    assert!(
        stdout.starts_with("Success! You are now authenticated."),
        "{stdout}"
    );
    let stored = std::fs::read_to_string(&helper).unwrap();
    assert!(
        stored.starts_with("hvs.") || stored.starts_with("s."),
        "{stored}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&helper).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let who = arca_cmd(&s, None)
        .args(["token", "lookup", "-format=json"])
        .output()
        .unwrap();
    let who: Value = serde_json::from_str(&ok(who, "lookup with stored token")).unwrap();
    assert_eq!(who["data"]["meta"]["username"], "bob");
    let printed = arca_cmd(&s, None)
        .args(["print", "token"])
        .output()
        .unwrap();
    assert_eq!(ok(printed, "print token").trim(), stored.trim());

    // JSON logins compare with bao's.
    let b = s.bao_json(&[
        "login",
        "-method=userpass",
        "-no-store",
        "username=bob",
        "password=pw",
    ]);
    let a = arca_json(
        &s,
        &[
            "login",
            "-method=userpass",
            "-no-store",
            "username=bob",
            "password=pw",
        ],
    );
    assert_same(&b, &a, "userpass login");
    assert_eq!(
        std::fs::read_to_string(&helper).unwrap(),
        stored,
        "-no-store leaves the file alone"
    );

    // Token login (with lookup), compared with bao's synthesized answer.
    let b = s.bao_json(&["login", "-no-store", "root"]);
    let a = arca_json(&s, &["login", "-no-store", "root"]);
    assert_same(&b, &a, "token login");
    let out = arca_cmd(&s, None).args(["login", "root"]).output().unwrap();
    ok(out, "token login");
    assert_eq!(std::fs::read_to_string(&helper).unwrap(), "root");

    // Token from stdin, -token-only prints only the token and stores nothing.
    std::fs::remove_file(&helper).unwrap();
    let mut child = arca_cmd(&s, None)
        .args([
            "login",
            "-method=userpass",
            "-token-only",
            "username=bob",
            "password=-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"pw").unwrap();
    let token = ok(child.wait_with_output().unwrap(), "token-only login");
    assert!(
        token.starts_with("hvs.") || token.starts_with("s."),
        "{token}"
    );
    assert!(!helper.exists());

    // AppRole.
    arca_ok(&s, &["auth", "enable", "approle"]);
    arca_ok(
        &s,
        &["write", "auth/approle/role/ci", "token_policies=default"],
    );
    let role_id = arca_ok(
        &s,
        &["read", "-field=role_id", "auth/approle/role/ci/role-id"],
    );
    let secret_id = arca_ok(
        &s,
        &[
            "write",
            "-f",
            "-field=secret_id",
            "auth/approle/role/ci/secret-id",
        ],
    );
    let out = arca_cmd(&s, None)
        .args([
            "login",
            "-method=approle",
            "-format=json",
            &format!("role_id={role_id}"),
            &format!("secret_id={secret_id}"),
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(&ok(out, "approle login")).unwrap();
    assert_eq!(v["auth"]["metadata"]["role_name"], "ci");
    assert_eq!(
        std::fs::read_to_string(&helper).unwrap(),
        v["auth"]["client_token"].as_str().unwrap()
    );

    // A wrapped login is unwrapped before the token is stored.
    let out = arca_cmd(&s, None)
        .args([
            "login",
            "-method=userpass",
            "-wrap-ttl=1m",
            "username=bob",
            "password=pw",
        ])
        .output()
        .unwrap();
    ok(out, "wrapped login");
    let stored = std::fs::read_to_string(&helper).unwrap();
    let look = arca_with(&s, &stored, &["token", "lookup", "-format=json"]);
    let look: Value = serde_json::from_str(&ok(look, "lookup of unwrapped login")).unwrap();
    assert_eq!(look["data"]["meta"]["username"], "bob");

    // Bad credentials: exit 2, nothing stored.
    let before = std::fs::read_to_string(&helper).unwrap();
    let out = arca_cmd(&s, None)
        .args([
            "login",
            "-method=userpass",
            "username=bob",
            "password=wrong",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&helper).unwrap(), before);
    let out = arca_cmd(&s, None)
        .args(["login", "-method=github", "token=x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("Unknown auth method: github"));
}

#[test]
fn wrapping_and_unwrap_match_bao() {
    let s = Server::dev();
    arca_ok(&s, &["write", "cubbyhole/w", "k=v"]);
    let wb = s.bao_json(&["read", "-wrap-ttl=2m", "cubbyhole/w"]);
    let wa = arca_json(&s, &["read", "-wrap-ttl=2m", "cubbyhole/w"]);
    assert_same(&wb, &wa, "wrapped read");
    assert_eq!(wa["wrap_info"]["ttl"], 120);
    let tb = wb["wrap_info"]["token"].as_str().unwrap();
    let ta = wa["wrap_info"]["token"].as_str().unwrap();
    let ub = s.bao_json(&["unwrap", tb]);
    let ua = arca_json(&s, &["unwrap", ta]);
    assert_same(&ub, &ua, "unwrap");
    assert_eq!(ua["data"], json!({"k": "v"}));
    // Single use.
    assert_eq!(arca(&s, &["unwrap", ta]).status.code(), Some(2));

    // Unwrap with the wrapping token as VAULT_TOKEN and no argument.
    let w = arca_json(&s, &["write", "-wrap-ttl=1m", "sys/wrapping/wrap", "x=y"]);
    let t = w["wrap_info"]["token"].as_str().unwrap();
    let out = arca_with(&s, t, &["unwrap", "-format=json"]);
    let v: Value = serde_json::from_str(&ok(out, "unwrap self")).unwrap();
    assert_eq!(v["data"], json!({"x": "y"}));
    // -field on a wrapped answer gives the wrapping token.
    let tok = arca_ok(
        &s,
        &[
            "read",
            "-wrap-ttl=1m",
            "-field=wrapping_token",
            "cubbyhole/w",
        ],
    );
    assert!(!tok.is_empty() && !tok.contains('\n'));

    // Leases: an unknown lease is a server error.
    let out = arca(&s, &["lease", "lookup", "nope/lease/id"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        s.bao(&["lease", "lookup", "nope/lease/id"]).status.code(),
        Some(2)
    );
    assert_eq!(
        arca_ok(&s, &["lease", "revoke", "-prefix", "secret/"]).trim(),
        s.bao_ok(&["lease", "revoke", "-prefix", "secret/"]).trim()
    );
    assert!(
        arca_ok(&s, &["lease", "revoke", "-prefix", "-sync", "secret/"])
            .contains("Success! Revoked any leases with prefix: secret/")
    );
}

#[test]
fn operator_init_unseal_rekey_generate_root() {
    let mut s = Server::with_config(file_config());
    let out = arca(&s, &["operator", "init", "-status"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout).trim(), "Vault is not initialized");
    let out = arca(&s, &["status"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "sealed/uninitialized status exits 2"
    );

    let init = arca_json(
        &s,
        &["operator", "init", "-key-shares=3", "-key-threshold=2"],
    );
    let keys: Vec<String> = init["unseal_keys_b64"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys.len(), 3);
    assert_eq!(init["unseal_threshold"], 2);
    assert_eq!(init["unseal_keys_hex"].as_array().unwrap().len(), 3);
    s.token = init["root_token"].as_str().unwrap().to_string();
    assert_eq!(
        arca(&s, &["operator", "init", "-status"]).status.code(),
        Some(0)
    );

    // Sealed: commands say how to unseal.
    let out = arca(&s, &["read", "sys/mounts"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("arca operator unseal"),
        "{}",
        text(&out.stderr)
    );

    let first = arca_json(&s, &["operator", "unseal", &keys[0]]);
    assert_eq!(first["progress"], 1);
    assert_eq!(first["sealed"], true);
    let reset = arca_ok(&s, &["operator", "unseal", "-reset"]);
    assert!(reset.contains("Unseal Progress    0/2"), "{reset}");
    // Keys from stdin (no terminal: one line).
    ok(
        arca_stdin(&s, &["operator", "unseal"], &format!("{}\n", keys[1])),
        "unseal from stdin",
    );
    let done = arca_json(&s, &["operator", "unseal", &keys[2]]);
    assert_eq!(done["sealed"], false);
    let st = arca(&s, &["status"]);
    assert_eq!(st.status.code(), Some(0));
    assert_same(
        &s.bao_json(&["status"]),
        &serde_json::from_str(&arca_json_str(&s, &["status"])).unwrap(),
        "status",
    );

    // Rekey through OpenBao's endpoints (token present) and compare with bao's view.
    arca_ok(
        &s,
        &[
            "operator",
            "rekey",
            "-init",
            "-key-shares=2",
            "-key-threshold=2",
        ],
    );
    let b = s.bao_json(&["operator", "rotate-keys", "-status"]);
    let a = arca_json(&s, &["operator", "rotate-keys", "-status"]);
    assert_same(&b, &a, "rekey status");
    assert_eq!(a["started"], true);
    arca_ok(&s, &["operator", "rekey", &keys[0]]);
    let out = arca_ok(&s, &["operator", "rekey", &keys[1]]);
    assert!(out.contains("Key 1: ") && out.contains("Key 2: "), "{out}");
    let new_keys: Vec<String> = out
        .lines()
        .filter_map(|l| {
            l.strip_prefix("Key ")
                .and_then(|r| r.split_once(": "))
                .map(|(_, k)| k.to_string())
        })
        .collect();
    assert_eq!(new_keys.len(), 2);

    // Vault's unauthenticated endpoints when no token is at hand.
    let out = arca_cmd(&s, None)
        .args([
            "operator",
            "rekey",
            "-init",
            "-key-shares=3",
            "-key-threshold=2",
            "-format=json",
        ])
        .output()
        .unwrap();
    let st: Value = serde_json::from_str(&ok(out, "rekey init without token")).unwrap();
    assert_eq!(st["n"], 3);
    assert_eq!(
        arca_ok(&s, &["operator", "rekey", "-cancel", "-api=vault"]).trim(),
        "Success! Canceled rotation (if it was started)"
    );

    // Generate a root token with the new keys, then decode it and use it.
    let init = arca_json(&s, &["operator", "generate-root", "-init"]);
    let otp = init["otp"].as_str().unwrap().to_string();
    assert_eq!(otp.len(), init["otp_length"].as_u64().unwrap() as usize);
    arca_ok(&s, &["operator", "generate-root", &new_keys[0]]);
    let fin = arca_json(&s, &["operator", "generate-root", &new_keys[1]]);
    assert_eq!(fin["complete"], true);
    let encoded = fin["encoded_token"].as_str().unwrap();
    let token = arca_ok(
        &s,
        &[
            "operator",
            "generate-root",
            "-decode",
            encoded,
            "-otp",
            &otp,
        ],
    );
    let token = token.trim();
    let look = arca_with(&s, token, &["token", "lookup", "-format=json"]);
    let look: Value = serde_json::from_str(&ok(look, "lookup of the new root token")).unwrap();
    assert_eq!(look["data"]["policies"], json!(["root"]));
    let otp2 = arca_ok(&s, &["operator", "generate-root", "-generate-otp"]);
    assert_eq!(otp2.trim().len(), otp.len());

    // Seal, and the old keys no longer unseal.
    assert_eq!(
        arca_ok(&s, &["operator", "seal"]).trim(),
        "Success! Vault is sealed."
    );
    let out = arca(&s, &["status"]);
    assert_eq!(out.status.code(), Some(2));
    let out = arca(&s, &["operator", "unseal", &keys[0]]);
    let _ = out;
    arca_ok(&s, &["operator", "unseal", "-reset"]);
    arca_ok(&s, &["operator", "unseal", &new_keys[0]]);
    assert_eq!(
        arca_json(&s, &["operator", "unseal", &new_keys[1]])["sealed"],
        false
    );
    s.stop();
}

fn arca_json_str(s: &Server, args: &[&str]) -> String {
    let a = with_json(args);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    text(&arca(s, &refs).stdout)
}

#[test]
fn exit_codes_and_error_messages() {
    let s = Server::dev();
    // No command, or an unknown one: 127, as bao.
    for args in [&["no-such-command"][..], &[][..]] {
        assert_eq!(arca(&s, args).status.code(), Some(127), "{args:?}");
        assert_eq!(s.bao(args).status.code(), Some(127), "bao {args:?}");
    }
    // Usage errors: exit 1.
    for args in [
        &["read"][..],
        &["kv", "get"],
        &["read", "-bogus-flag", "x"],
        &["token", "create", "-renewable=maybe"],
    ] {
        let out = arca(&s, args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = arca(&s, &["read", "-format=nonsense", "sys/mounts"]);
    assert_eq!(out.status.code(), Some(1));
    let out = arca(&s, &["kv", "get", "-format=raw", "secret/x"]);
    assert_eq!(out.status.code(), Some(1));

    // Connection refused: exit 2, names the address and where it came from.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let out = arca_cmd(&s, Some("root"))
        .env("VAULT_ADDR", &dead)
        .args(["read", "sys/mounts"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains(&dead) && err.contains("VAULT_ADDR"), "{err}");
    let out = arca_cmd(&s, Some("root"))
        .args(["read", &format!("-address={dead}"), "sys/mounts"])
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("-address"),
        "{}",
        text(&out.stderr)
    );
    // status exits 1 when it cannot read the status (2 means sealed).
    let out = arca_cmd(&s, Some("root"))
        .env("VAULT_ADDR", &dead)
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));

    // https against a plain-HTTP server: a TLS error that says so.
    let https = s.url().replace("http://", "https://");
    let out = arca_cmd(&s, Some("root"))
        .env("VAULT_ADDR", &https)
        .args(["read", "sys/mounts"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("http://"),
        "{}",
        text(&out.stderr)
    );

    // 403: the path, and what to run next.
    let limited = arca_json(&s, &["token", "create", "-policy=default"])["auth"]["client_token"]
        .as_str()
        .unwrap()
        .to_string();
    let out = arca_with(&s, &limited, &["read", "secret/data/x"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("permission denied"), "{err}");
    assert!(
        err.contains("arca token capabilities secret/data/x"),
        "{err}"
    );
    // The dev server stored its root token in the helper file; without it there is no token.
    std::fs::remove_file(s.dir().join(".vault-token")).unwrap();
    let out = arca_cmd(&s, None)
        .args(["read", "secret/data/x"])
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("arca login"),
        "{}",
        text(&out.stderr)
    );

    // 400 from the server: exit 2 with the server's message.
    let out = arca(&s, &["write", "sys/policies/acl/bad", "policy=path {"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("Code: 400"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn environment_precedence() {
    let s = Server::dev();
    let dead = format!("http://127.0.0.1:{}", free_port());
    let good = s.url();
    let run = |vars: &[(&str, &str)], args: &[&str]| -> Output {
        let mut c = arca_cmd(&s, None);
        c.env_remove("VAULT_ADDR");
        for (k, v) in vars {
            c.env(k, v);
        }
        c.args(args).output().unwrap()
    };
    let cases: Vec<(Vec<(&str, &str)>, bool)> = vec![
        (vec![("VAULT_ADDR", &good)], true),
        (vec![("VAULT_ADDR", &dead), ("BAO_ADDR", &good)], true),
        (
            vec![
                ("VAULT_ADDR", &dead),
                ("BAO_ADDR", &dead),
                ("ARCA_ADDR", &good),
            ],
            true,
        ),
        (vec![("VAULT_ADDR", &good), ("BAO_ADDR", &dead)], false),
        (vec![("BAO_ADDR", &good), ("ARCA_ADDR", &dead)], false),
    ];
    for (vars, works) in cases {
        let mut all = vars.clone();
        all.push(("VAULT_TOKEN", "root"));
        let out = run(&all, &["read", "sys/mounts"]);
        assert_eq!(
            out.status.success(),
            works,
            "{vars:?}: {}",
            text(&out.stderr)
        );
    }
    // -address beats every variable.
    let addr = format!("-address={good}");
    let out = run(
        &[("ARCA_ADDR", &dead), ("VAULT_TOKEN", "root")],
        &["read", &addr, "sys/mounts"],
    );
    assert!(out.status.success());

    // Tokens: ARCA_ over BAO_ over VAULT_ over the helper file.
    std::fs::write(s.dir().join(".vault-token"), "from-file\n").unwrap();
    let token_cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "from-file"),
        (&[("VAULT_TOKEN", "v")], "v"),
        (&[("VAULT_TOKEN", "v"), ("BAO_TOKEN", "b")], "b"),
        (
            &[
                ("VAULT_TOKEN", "v"),
                ("BAO_TOKEN", "b"),
                ("ARCA_TOKEN", "a"),
            ],
            "a",
        ),
    ];
    for (vars, want) in token_cases {
        let mut all = vars.to_vec();
        all.push(("VAULT_ADDR", &good));
        let out = run(&all, &["print", "token"]);
        assert_eq!(text(&out.stdout).trim(), *want, "{vars:?}");
    }
    // VAULT_TOKEN_PATH moves the helper file.
    let other = s.dir().join("other-token");
    std::fs::write(&other, "elsewhere").unwrap();
    let out = run(
        &[("VAULT_TOKEN_PATH", other.to_str().unwrap())],
        &["print", "token"],
    );
    assert_eq!(text(&out.stdout).trim(), "elsewhere");

    // VAULT_FORMAT sets the default format; the flag wins.
    let out = run(
        &[
            ("VAULT_ADDR", &good),
            ("VAULT_TOKEN", "root"),
            ("VAULT_FORMAT", "json"),
        ],
        &["read", "sys/mounts"],
    );
    assert!(serde_json::from_slice::<Value>(&out.stdout).is_ok());
    let out = run(
        &[
            ("VAULT_ADDR", &good),
            ("VAULT_TOKEN", "root"),
            ("BAO_FORMAT", "json"),
        ],
        &["read", "-format=table", "cubbyhole/none"],
    );
    assert_eq!(out.status.code(), Some(2));
    // VAULT_NAMESPACE is sent as X-Vault-Namespace; Arca has only the root namespace.
    let out = run(
        &[
            ("VAULT_ADDR", &good),
            ("VAULT_TOKEN", "root"),
            ("VAULT_SKIP_VERIFY", "notabool"),
        ],
        &["read", "sys/mounts"],
    );
    assert_eq!(out.status.code(), Some(1), "a bad boolean is a usage error");
}

#[test]
fn help_completions_and_version() {
    let s = Server::dev();
    for shell in ["bash", "zsh", "fish"] {
        let out = arca(&s, &["completion", shell]);
        let script = ok(out, shell);
        assert!(script.contains("arca"), "{shell}");
        for word in [
            "kv",
            "operator",
            "generate-root",
            "rotate-keys",
            "capabilities",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let commands: &[&[&str]] = &[
        &[],
        &["read"],
        &["write"],
        &["list"],
        &["delete"],
        &["patch"],
        &["login"],
        &["status"],
        &["unwrap"],
        &["path-help"],
        &["print", "token"],
        &["version"],
        &["server"],
        &["kv", "put"],
        &["kv", "get"],
        &["kv", "patch"],
        &["kv", "delete"],
        &["kv", "undelete"],
        &["kv", "destroy"],
        &["kv", "list"],
        &["kv", "rollback"],
        &["kv", "metadata", "get"],
        &["kv", "metadata", "put"],
        &["kv", "metadata", "patch"],
        &["kv", "metadata", "delete"],
        &["token", "create"],
        &["token", "lookup"],
        &["token", "renew"],
        &["token", "revoke"],
        &["token", "capabilities"],
        &["policy", "list"],
        &["policy", "read"],
        &["policy", "write"],
        &["policy", "delete"],
        &["policy", "fmt"],
        &["secrets", "enable"],
        &["secrets", "disable"],
        &["secrets", "list"],
        &["secrets", "tune"],
        &["secrets", "move"],
        &["auth", "enable"],
        &["auth", "disable"],
        &["auth", "list"],
        &["auth", "tune"],
        &["audit", "enable"],
        &["audit", "disable"],
        &["audit", "list"],
        &["lease", "lookup"],
        &["lease", "renew"],
        &["lease", "revoke"],
        &["operator", "init"],
        &["operator", "unseal"],
        &["operator", "seal"],
        &["operator", "key-status"],
        &["operator", "rotate"],
        &["operator", "rekey"],
        &["operator", "rotate-keys"],
        &["operator", "generate-root"],
        &["completion"],
    ];
    for c in commands {
        let mut args = c.to_vec();
        args.push("-h");
        let out = arca(&s, &args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stdout).contains("Usage:"), "{args:?}");
    }
    let help = text(&arca(&s, &["kv", "put", "--help"]).stdout);
    assert!(
        help.contains("--address") && help.contains("--format") && help.contains("--cas"),
        "{help}"
    );
    assert!(arca_ok(&s, &["version"]).starts_with("Arca v"));
}

/// Writes a CA and a server certificate for 127.0.0.1 (with Python's `cryptography`).
fn make_certs(dir: &std::path::Path) {
    let script = r#"
import datetime, ipaddress, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
d = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)
def name(cn): return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
ca_key = ec.generate_private_key(ec.SECP256R1())
ca = (x509.CertificateBuilder().subject_name(name("arca test CA")).issuer_name(name("arca test CA"))
      .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
      .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .sign(ca_key, hashes.SHA256()))
key = ec.generate_private_key(ec.SECP256R1())
leaf = (x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256()))
# What `openssl req -x509` makes by default: one certificate, CA:TRUE, serving as the leaf.
self_key = ec.generate_private_key(ec.SECP256R1())
selfsigned = (x509.CertificateBuilder().subject_name(name("localhost")).issuer_name(name("localhost"))
      .public_key(self_key.public_key()).serial_number(x509.random_serial_number())
      .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
      .sign(self_key, hashes.SHA256()))
open(d + "/selfsigned.pem", "wb").write(selfsigned.public_bytes(serialization.Encoding.PEM))
open(d + "/selfsigned.key", "wb").write(self_key.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
open(d + "/ca.pem", "wb").write(ca.public_bytes(serialization.Encoding.PEM))
open(d + "/server.pem", "wb").write(leaf.public_bytes(serialization.Encoding.PEM))
open(d + "/server.key", "wb").write(key.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
"#;
    let out = Command::new("python3")
        .args(["-c", script, dir.to_str().unwrap()])
        .output()
        .expect("python3 with cryptography");
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A TLS server started by the test, killed when dropped.
struct TlsServer {
    child: std::process::Child,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TlsServer {
    /// Starts a server whose TLS listener uses `cert`/`key` in `dir` and waits until
    /// `arca status` with `trust` flags answers (2: not initialized, hence sealed).
    fn start(dir: &std::path::Path, cert: &str, key: &str, trust: &[&str]) -> (TlsServer, String) {
        let port = free_port();
        let d = dir.display();
        let cfg = dir.join("config.hcl");
        std::fs::write(
            &cfg,
            format!(
                "storage \"file\" {{\n  path = \"{d}/data\"\n}}\nlistener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  tls_cert_file = \"{d}/{cert}\"\n  tls_key_file = \"{d}/{key}\"\n}}\ndisable_mlock = true\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let server = TlsServer {
            child: Command::new(arca_bin())
                .args(["server", &format!("-config={}", cfg.display())])
                .env("HOME", dir)
                .stdout(Stdio::from(log.try_clone().unwrap()))
                .stderr(Stdio::from(log))
                .spawn()
                .unwrap(),
        };
        let addr = format!("https://127.0.0.1:{port}");
        for _ in 0..200 {
            if tls_status(dir, &addr, &[], trust).status.code() == Some(2) {
                return (server, addr);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!(
            "TLS server did not come up: {}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        );
    }
}

/// `arca status` against `addr` with only the given environment and flags.
fn tls_status(dir: &std::path::Path, addr: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(arca_bin());
    for (k, _) in std::env::vars() {
        if VAR_PREFIXES.iter().any(|p| k.starts_with(p)) {
            c.env_remove(k);
        }
    }
    c.env("HOME", dir).env("VAULT_ADDR", addr);
    for (k, v) in env {
        c.env(k, v);
    }
    c.arg("status").args(args).output().unwrap()
}

/// A self-signed certificate that is its own CA (what `openssl req -x509` makes) is trusted
/// when it is the configured CA, as Vault's Go client does; still checked for the name.
#[test]
fn tls_trusts_a_self_signed_ca_certificate_given_as_ca() {
    let dir = tempfile::tempdir().unwrap();
    make_certs(dir.path());
    let cert = dir.path().join("selfsigned.pem");
    let flag = format!("-ca-cert={}", cert.display());
    let (_server, addr) =
        TlsServer::start(dir.path(), "selfsigned.pem", "selfsigned.key", &[&flag]);
    let env = [("VAULT_CACERT", cert.to_str().unwrap())];
    assert_eq!(
        tls_status(dir.path(), &addr, &env, &[]).status.code(),
        Some(2)
    );
    let out = tls_status(
        dir.path(),
        &addr,
        &[("VAULT_TLS_SERVER_NAME", "other.example")],
        &[&flag],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // Another CA does not make it trusted.
    let other = format!("-ca-cert={}", dir.path().join("ca.pem").display());
    assert_eq!(
        tls_status(dir.path(), &addr, &[], &[&other]).status.code(),
        Some(1)
    );
}

#[test]
fn tls_trust_and_skip_verify() {
    let dir = tempfile::tempdir().unwrap();
    make_certs(dir.path());
    let ca = dir.path().join("ca.pem");
    let ca_flag = format!("-ca-cert={}", ca.display());
    let (_server, addr) = TlsServer::start(dir.path(), "server.pem", "server.key", &[&ca_flag]);
    let status = |extra: &[(&str, &str)], args: &[&str]| tls_status(dir.path(), &addr, extra, args);

    assert_eq!(
        status(&[("VAULT_CACERT", ca.to_str().unwrap())], &[])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(status(&[], &["-tls-skip-verify"]).status.code(), Some(2));
    assert_eq!(
        status(&[("VAULT_SKIP_VERIFY", "true")], &[]).status.code(),
        Some(2)
    );
    // Untrusted: an error (exit 1 for status) that names the fix.
    let out = status(&[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("-ca-cert") && err.contains("VAULT_CACERT"),
        "{err}"
    );
    // The wrong name is refused even with the right CA.
    let out = status(&[("VAULT_TLS_SERVER_NAME", "other.example")], &[&ca_flag]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // bao agrees on the same server and CA.
    let out = Command::new("bao")
        .arg("status")
        .env("VAULT_ADDR", &addr)
        .env("BAO_ADDR", &addr)
        .env("VAULT_CACERT", &ca)
        .env("BAO_CACERT", &ca)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// `list` on a KV v2 mount shows the server's hint and succeeds, as bao does; an empty
/// folder is still "No value found" with exit 2.
#[test]
fn list_shows_server_warnings_like_bao() {
    let s = Server::dev();
    let out = arca(&s, &["list", "secret/"]);
    let bao = s.bao(&["list", "secret/"]);
    assert_eq!(out.status.code(), bao.status.code());
    assert_eq!(out.status.code(), Some(0));
    let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(shown.contains("kv list"), "{shown}");
    let out = arca(&s, &["list", "cubbyhole/nothing/"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        s.bao(&["list", "cubbyhole/nothing/"]).status.code(),
        Some(2)
    );
}

/// Duration flags are checked before anything is sent: a typo is a local error (exit 1), as
/// in bao, and creates nothing.
#[test]
fn duration_flags_are_checked_locally() {
    let s = Server::dev();
    for args in [
        &["token", "create", "-ttl=bogus"][..],
        &["token", "renew", "-increment=soon"][..],
    ] {
        assert_eq!(arca(&s, args).status.code(), Some(1), "{args:?}");
        assert_eq!(s.bao(args).status.code(), Some(1), "bao {args:?}");
    }
    let (_, accessors) = s.req("LIST", "/v1/auth/token/accessors", None);
    assert_eq!(
        accessors["data"]["keys"].as_array().unwrap().len(),
        1,
        "only the root token"
    );
}
