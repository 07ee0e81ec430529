//! The server foundation through real clients: seal, init, unseal with the `bao` CLI,
//! persistence across restarts, the barrier (no plaintext on disk), crash safety, and the
//! HTTP layer's errors.

mod common;

use common::*;
use serde_json::json;

#[test]
fn dev_server_answers_bao_status_and_basic_commands() {
    let s = Server::dev();
    let status = s.bao_json(&["status"]);
    assert_eq!(status["sealed"], false);
    assert_eq!(status["initialized"], true);
    assert_eq!(status["storage_type"], "inmem");
    let lookup = s.bao_json(&["token", "lookup"]);
    assert_eq!(lookup["data"]["policies"], json!(["root"]));
    assert_eq!(lookup["data"]["id"], "root");
}

#[test]
fn init_unseal_seal_restart_with_bao() {
    let s = Server::with_config(file_config());
    // Before init, status reports it and every other path is refused.
    let out = s.bao(&["status", "-format=json"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "sealed/uninitialised status exits 2"
    );
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["initialized"], false);

    let init = s.bao_json(&["operator", "init", "-key-shares=5", "-key-threshold=3"]);
    let keys: Vec<String> = init["unseal_keys_b64"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys.len(), 5);
    let root = init["root_token"].as_str().unwrap().to_string();
    let (code, body) = s.req_token(&root, "GET", "/v1/sys/mounts", None);
    assert_eq!(code, 503, "sealed server answers 503: {body}");
    assert_eq!(body["errors"], json!(["Vault is sealed"]));

    for (i, k) in keys.iter().take(3).enumerate() {
        let st = s.bao_json(&["operator", "unseal", k]);
        if i < 2 {
            assert_eq!(st["sealed"], true);
            assert_eq!(st["progress"], i + 1);
        } else {
            assert_eq!(st["sealed"], false);
        }
    }
    let mut s = s;
    s.token = root.clone();
    s.bao_ok(&["write", "cubbyhole/persist", "value=kept-across-restarts"]);
    s.bao_ok(&["operator", "seal"]);
    let st = s.bao(&["status", "-format=json"]);
    assert_eq!(st.status.code(), Some(2));

    // A restart keeps the data and comes up sealed.
    let s = s.restart_with_config();
    let (_, st) = s.req("GET", "/v1/sys/seal-status", None);
    assert_eq!(st["sealed"], true);
    assert_eq!(st["initialized"], true);
    unseal(&s, &keys[2..].to_vec());
    let v = s.bao_json(&["read", "cubbyhole/persist"]);
    assert_eq!(v["data"]["value"], "kept-across-restarts");
}

#[test]
fn wrong_and_mixed_key_shares_are_refused() {
    let mut s = Server::with_config(file_config());
    let keys = init_and_unseal(&mut s);
    let (code, _) = s.req("PUT", "/v1/sys/seal", None);
    assert_eq!(code, 204);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (code, body) = s.req(
        "PUT",
        "/v1/sys/unseal",
        Some(json!({"key": "zz-not-a-key"})),
    );
    assert_eq!(code, 400, "{body}");
    let (code, _) = s.req("PUT", "/v1/sys/unseal", Some(json!({"key": keys[0]})));
    assert_eq!(code, 200);
    let (code, body) = s.req("PUT", "/v1/sys/unseal", Some(json!({"key": keys[0]})));
    assert_eq!(code, 400, "a share given twice is refused: {body}");
    let (_, st) = s.req("PUT", "/v1/sys/unseal", Some(json!({"reset": true})));
    assert_eq!(st["progress"], 0);
    // Shares of another server's key combine into a wrong key.
    let mut other = Server::with_config(file_config());
    let other_keys = init_and_unseal(&mut other);
    for k in other_keys.iter().take(2) {
        s.req("PUT", "/v1/sys/unseal", Some(json!({"key": k})));
    }
    let (code, body) = s.req("PUT", "/v1/sys/unseal", Some(json!({"key": other_keys[2]})));
    assert_eq!(code, 400, "{body}");
    let (_, st) = s.req("GET", "/v1/sys/seal-status", None);
    assert_eq!(st["sealed"], true);
    assert_eq!(st["progress"], 0);
}

#[test]
fn health_codes_follow_vault() {
    let s = Server::with_config(file_config());
    let cases = [
        ("/v1/sys/health", 501),
        ("/v1/sys/health?uninitcode=200", 200),
    ];
    for (path, code) in cases {
        assert_eq!(
            http(&s.addr, "GET", path, None, None).unwrap().0,
            code,
            "{path}"
        );
    }
    let mut s = s;
    let keys = init_and_unseal(&mut s);
    let cases = [
        ("/v1/sys/health", 200),
        ("/v1/sys/health?activecode=299", 299),
        ("/v1/sys/health?standbyok=true", 200),
    ];
    for (path, code) in cases {
        assert_eq!(
            http(&s.addr, "GET", path, None, None).unwrap().0,
            code,
            "{path}"
        );
    }
    s.req("PUT", "/v1/sys/seal", None);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let cases = [
        ("/v1/sys/health", 503),
        ("/v1/sys/health?sealedcode=200", 200),
    ];
    for (path, code) in cases {
        assert_eq!(
            http(&s.addr, "GET", path, None, None).unwrap().0,
            code,
            "{path}"
        );
    }
    let (code, body) = http(&s.addr, "GET", "/v1/sys/health", None, None).unwrap();
    assert_eq!(code, 503);
    assert_eq!(body["sealed"], true);
    let _ = keys;
}

#[test]
fn http_errors_are_clear_and_never_500() {
    let s = Server::dev();
    let (code, _, body) = http_raw(
        &s.addr,
        "POST",
        "/v1/cubbyhole/x",
        Some("root"),
        Some(b"{not json".to_vec()),
        &[],
    )
    .unwrap();
    assert_eq!(code, 400, "{}", String::from_utf8_lossy(&body));
    let (code, body) = s.req("GET", "/v1/nonexistent/path", None);
    assert_eq!(code, 404, "{body}");
    let (code, _, _) =
        http_raw(&s.addr, "TRACE", "/v1/sys/mounts", Some("root"), None, &[]).unwrap();
    assert_eq!(code, 405);
    let (code, _) = s.req_token("bogus-token", "GET", "/v1/sys/mounts", None);
    assert_eq!(code, 403);
    let (code, _) = http(&s.addr, "GET", "/v1/sys/mounts", None, None).unwrap();
    assert_eq!(code, 403);
    let big = vec![b'a'; 33 * 1024 * 1024];
    let mut body = b"{\"v\":\"".to_vec();
    body.extend_from_slice(&big);
    body.extend_from_slice(b"\"}");
    let (code, _, _) = http_raw(
        &s.addr,
        "POST",
        "/v1/cubbyhole/big",
        Some("root"),
        Some(body),
        &[],
    )
    .unwrap_or((413, String::new(), vec![]));
    assert_eq!(code, 413);
    let (code, body) = s.req(
        "POST",
        "/v1/cubbyhole/a/../../sys/x",
        Some(json!({"a": "b"})),
    );
    assert_eq!(code, 400, "{body}");
    let (code, _) = s.req("GET", "/v1/cubbyhole/big", None);
    assert_eq!(code, 404, "the refused write changed nothing");
}

#[test]
fn envelope_matches_vault() {
    let s = Server::dev();
    let (code, body) = s.req("GET", "/v1/sys/key-status", None);
    assert_eq!(code, 200);
    for key in [
        "request_id",
        "lease_id",
        "renewable",
        "lease_duration",
        "data",
        "wrap_info",
        "warnings",
        "auth",
    ] {
        assert!(body.get(key).is_some(), "missing {key} in {body}");
    }
    // sys endpoints also carry their data at the top level, as Vault's.
    assert_eq!(body["term"], body["data"]["term"]);
}

#[test]
fn keyring_rotation_keeps_old_data_readable() {
    let mut s = Server::with_config(file_config());
    let keys = init_and_unseal(&mut s);
    s.bao_ok(&["write", "cubbyhole/before", "v=1"]);
    s.bao_ok(&["operator", "rotate"]);
    let st = s.bao_json(&["operator", "key-status"]);
    assert_eq!(st["term"], 2);
    s.bao_ok(&["write", "cubbyhole/after", "v=2"]);
    let s = s.restart_with_config();
    unseal(&s, &keys);
    assert_eq!(s.bao_json(&["read", "cubbyhole/before"])["data"]["v"], "1");
    assert_eq!(s.bao_json(&["read", "cubbyhole/after"])["data"]["v"], "2");
}

#[test]
fn storage_files_never_contain_plaintext_and_logs_never_contain_secrets() {
    let mut s = Server::with_config(file_config());
    let keys = init_and_unseal(&mut s);
    let secret = "plaintext-canary-7f3a9c2e";
    s.bao_ok(&["write", "cubbyhole/canary", &format!("v={secret}")]);
    let root = s.token.clone();
    let log_before_stop = s.log_text();
    s.stop();
    let mut found = Vec::new();
    for entry in walk(&s.dir().join("data")) {
        let bytes = std::fs::read(&entry).unwrap();
        if bytes.windows(secret.len()).any(|w| w == secret.as_bytes()) {
            found.push(entry.display().to_string());
        }
    }
    assert!(found.is_empty(), "plaintext found in {found:?}");
    let log = log_before_stop + &s.log_text();
    for needle in keys
        .iter()
        .map(String::as_str)
        .chain([root.as_str(), secret])
    {
        assert!(!log.contains(needle), "server log leaks {needle:?}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Acknowledged writes survive a SIGKILL mid-stream. Run several times.
#[test]
fn crash_safety_acknowledged_writes_survive_sigkill() {
    for round in 0..3 {
        let mut s = Server::with_config(file_config());
        let keys = init_and_unseal(&mut s);
        let addr = s.addr.clone();
        let token = s.token.clone();
        let writer = std::thread::spawn(move || {
            let mut acked = Vec::new();
            for i in 0..100_000 {
                match http(
                    &addr,
                    "POST",
                    &format!("/v1/cubbyhole/crash/k{i}"),
                    Some(&token),
                    Some(json!({"v": i})),
                ) {
                    Ok((204, _)) => acked.push(i),
                    _ => break,
                }
            }
            acked
        });
        std::thread::sleep(std::time::Duration::from_millis(300 + round * 150));
        s.kill();
        let acked = writer.join().unwrap();
        assert!(
            !acked.is_empty(),
            "no write was acknowledged before the kill"
        );
        let s = s.restart_with_config();
        unseal(&s, &keys);
        for i in &acked {
            let (code, body) = s.req("GET", &format!("/v1/cubbyhole/crash/k{i}"), None);
            assert_eq!(
                code, 200,
                "acknowledged write k{i} lost after crash (round {round})"
            );
            assert_eq!(body["data"]["v"], *i);
        }
    }
}
