//! A corpus of real-world policy files (HashiCorp tutorial policies, one-line blocks, nested
//! parameter blocks with quoted keys, legacy `policy =`, templated paths, JSON): every file
//! Vault accepts must parse, with the rules Vault would see.

use arca_core::policy::{Acl, AclRequest, Policy};
use arca_sdk::Operation;
use std::sync::Arc;

fn load(name: &str) -> Policy {
    let path = format!("{}/tests/policies/{name}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read_to_string(&path).unwrap();
    Policy::parse(name, &raw).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn allowed(p: &Policy, op: Operation, path: &str, data: serde_json::Value) -> bool {
    let acl = Acl::new(&[Arc::new(p.clone())]);
    let serde_json::Value::Object(data) = data else {
        unreachable!()
    };
    acl.check(&AclRequest {
        path,
        operation: op,
        data: &data,
        wrap_ttl: None,
    })
    .allowed
}

#[test]
fn every_file_parses_with_the_expected_rules() {
    let cases = [
        ("admin.hcl", 9),
        ("oneline.hcl", 4),
        ("nested_params.hcl", 2),
        ("legacy.hcl", 4),
        ("templated.hcl", 2),
        ("segments.hcl", 3),
        ("ci.json", 2),
        ("ci_list.json", 2),
        ("heredoc_comment.hcl", 3),
        ("provisioner.hcl", 5),
    ];
    for (name, rules) in cases {
        assert_eq!(load(name).rules.len(), rules, "{name}");
    }
}

#[test]
fn corpus_semantics() {
    use serde_json::json;
    let admin = load("admin.hcl");
    assert!(allowed(
        &admin,
        Operation::Update,
        "sys/mounts/kv",
        json!({})
    ));
    assert!(!allowed(
        &admin,
        Operation::Read,
        "transit/keys/x",
        json!({})
    ));

    let nested = load("nested_params.hcl");
    assert!(allowed(
        &nested,
        Operation::Update,
        "sys/mounts/x",
        json!({"type": "kv"})
    ));
    assert!(!allowed(
        &nested,
        Operation::Update,
        "sys/mounts/x",
        json!({"type": "pki"})
    ));
    assert!(!allowed(
        &nested,
        Operation::Update,
        "sys/mounts/x",
        json!({"seal_wrap": true})
    ));
    assert!(allowed(
        &nested,
        Operation::Update,
        "auth/token/create",
        json!({"ttl": "1h", "x": 1})
    ));
    assert!(!allowed(
        &nested,
        Operation::Update,
        "auth/token/create",
        json!({"x": 1})
    ));

    let legacy = load("legacy.hcl");
    assert!(allowed(&legacy, Operation::Delete, "secret/bar", json!({})));
    assert!(allowed(&legacy, Operation::Read, "secret/foo", json!({})));
    assert!(!allowed(
        &legacy,
        Operation::Update,
        "secret/foo",
        json!({})
    ));
    assert!(!allowed(&legacy, Operation::Read, "sys", json!({})));

    let seg = load("segments.hcl");
    assert!(allowed(&seg, Operation::Read, "secret/x/teamb", json!({})));
    assert!(allowed(
        &seg,
        Operation::List,
        "secret/a/b/config-prod",
        json!({})
    ));
    assert!(!allowed(
        &seg,
        Operation::Read,
        "kv/data/x/db-prod",
        json!({})
    ));

    let one = load("oneline.hcl");
    assert!(allowed(
        &one,
        Operation::List,
        "secret/metadata/app/x",
        json!({})
    ));
}
