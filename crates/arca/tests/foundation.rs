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
    // Sealing again is a no-op that succeeds, as in Vault.
    s.bao_ok(&["operator", "seal"]);

    // A restart keeps the data and comes up sealed.
    let s = s.restart_with_config();
    let (_, st) = s.req("GET", "/v1/sys/seal-status", None);
    assert_eq!(st["sealed"], true);
    assert_eq!(st["initialized"], true);
    unseal(&s, &keys[2..]);
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
    // Broken JSON with curl's default form content type is still broken JSON (Vault's isForm),
    // never a form that creates something.
    let (code, _, body) = http_raw(
        &s.addr,
        "POST",
        "/v1/auth/token/create",
        Some("root"),
        Some(br#" {"policies":"#.to_vec()),
        &[("Content-Type", "application/x-www-form-urlencoded")],
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

fn b64_keys(v: &serde_json::Value, field: &str) -> Vec<String> {
    v[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn generate_root_with_bao_otp_flow() {
    let mut s = Server::with_config(file_config());
    let keys = init_and_unseal(&mut s);
    let otp = s
        .bao_ok(&["operator", "generate-root", "-generate-otp"])
        .trim()
        .to_string();
    assert_eq!(otp.len(), 28);
    let init = s.bao_json(&["operator", "generate-root", "-init", &format!("-otp={otp}")]);
    assert_eq!(init["started"], true);
    let nonce = init["nonce"].as_str().unwrap().to_string();
    let mut last = serde_json::Value::Null;
    for k in keys.iter().take(3) {
        last = s.bao_json(&["operator", "generate-root", &format!("-nonce={nonce}"), k]);
    }
    assert_eq!(last["complete"], true);
    let encoded = last["encoded_token"].as_str().unwrap();
    let token = s
        .bao_ok(&[
            "operator",
            "generate-root",
            &format!("-decode={encoded}"),
            &format!("-otp={otp}"),
        ])
        .trim()
        .to_string();
    assert!(token.starts_with("hvs."), "{token}");
    let (code, body) = s.req_token(&token, "GET", "/v1/auth/token/lookup-self", None);
    assert_eq!(code, 200);
    assert_eq!(body["data"]["policies"], json!(["root"]));
    // A wrong share does not complete the attempt.
    s.bao_json(&["operator", "generate-root", "-init", &format!("-otp={otp}")]);
    let st = s.bao_json(&["operator", "generate-root", "-status"]);
    let nonce = st["nonce"].as_str().unwrap().to_string();
    let out = s.bao(&[
        "operator",
        "generate-root",
        &format!("-nonce={nonce}"),
        "not-a-share",
    ]);
    assert!(!out.status.success());
    s.bao_ok(&["operator", "generate-root", "-cancel"]);
}

#[test]
fn rotate_keys_with_and_without_verification() {
    let mut s = Server::with_config(file_config());
    let keys = init_and_unseal(&mut s);
    let st = s.bao_json(&[
        "operator",
        "rotate-keys",
        "-init",
        "-key-shares=4",
        "-key-threshold=2",
    ]);
    let nonce = st["nonce"].as_str().unwrap().to_string();
    let mut done = serde_json::Value::Null;
    for k in keys.iter().take(3) {
        done = s.bao_json(&["operator", "rotate-keys", &format!("-nonce={nonce}"), k]);
    }
    assert_eq!(done["complete"], true);
    let new_keys = b64_keys(&done, "keys_base64");
    assert_eq!(new_keys.len(), 4);
    s.bao_ok(&["operator", "seal"]);
    // Old keys no longer unseal; new ones (threshold 2) do.
    for k in keys.iter().take(3) {
        let _ = s.req("PUT", "/v1/sys/unseal", Some(json!({"key": k})));
    }
    let (_, st) = s.req("GET", "/v1/sys/seal-status", None);
    assert_eq!(st["sealed"], true);
    s.req("PUT", "/v1/sys/unseal", Some(json!({"reset": true})));
    for k in new_keys.iter().take(2) {
        s.req("PUT", "/v1/sys/unseal", Some(json!({"key": k})));
    }
    let (_, st) = s.req("GET", "/v1/sys/seal-status", None);
    assert_eq!(st["sealed"], false);
    assert_eq!(st["t"], 2);
    assert_eq!(st["n"], 4);

    // With verification the new keys are not in force until proven.
    let st = s.bao_json(&[
        "operator",
        "rotate-keys",
        "-init",
        "-key-shares=3",
        "-key-threshold=2",
        "-verify",
    ]);
    let nonce = st["nonce"].as_str().unwrap().to_string();
    s.bao_json(&[
        "operator",
        "rotate-keys",
        &format!("-nonce={nonce}"),
        &new_keys[0],
    ]);
    let done = s.bao_json(&[
        "operator",
        "rotate-keys",
        &format!("-nonce={nonce}"),
        &new_keys[1],
    ]);
    assert_eq!(done["verification_required"], true);
    let vnonce = done["verification_nonce"].as_str().unwrap().to_string();
    let verified = b64_keys(&done, "keys_base64");
    s.bao_ok(&[
        "operator",
        "rotate-keys",
        "-verify",
        &format!("-nonce={vnonce}"),
        &verified[0],
    ]);
    s.bao_ok(&[
        "operator",
        "rotate-keys",
        "-verify",
        &format!("-nonce={vnonce}"),
        &verified[1],
    ]);
    s.bao_ok(&["operator", "seal"]);
    for k in verified.iter().take(2) {
        s.req("PUT", "/v1/sys/unseal", Some(json!({"key": k})));
    }
    let (_, st) = s.req("GET", "/v1/sys/seal-status", None);
    assert_eq!(st["sealed"], false);
    assert_eq!(st["n"], 3);
}

#[test]
fn vault_style_rekey_and_generate_root_endpoints() {
    let mut s = Server::with_config(file_config());
    let keys = init_and_unseal(&mut s);
    // Vault's sys/rekey/* (unauthenticated, as in Vault).
    let (code, st) = http(
        &s.addr,
        "PUT",
        "/v1/sys/rekey/init",
        None,
        Some(json!({"secret_shares": 1, "secret_threshold": 1})),
    )
    .unwrap();
    assert_eq!(code, 200, "{st}");
    let nonce = st["nonce"].as_str().unwrap().to_string();
    let mut last = json!(null);
    for k in keys.iter().take(3) {
        last = http(
            &s.addr,
            "PUT",
            "/v1/sys/rekey/update",
            None,
            Some(json!({"key": k, "nonce": nonce})),
        )
        .unwrap()
        .1;
    }
    assert_eq!(last["complete"], true, "{last}");
    let (code, st) = http(&s.addr, "GET", "/v1/sys/generate-root/attempt", None, None).unwrap();
    assert_eq!(code, 200);
    assert_eq!(st["required"], 1);
    // Bad input to init is a 400 and starts nothing.
    let (code, _) = http(
        &s.addr,
        "PUT",
        "/v1/sys/rekey/init",
        None,
        Some(json!({"secret_shares": 2, "secret_threshold": 5})),
    )
    .unwrap();
    assert_eq!(code, 400);
    let (_, st) = http(&s.addr, "GET", "/v1/sys/rekey/init", None, None).unwrap();
    assert_eq!(st["started"], false);
}

#[test]
fn init_refuses_bad_parameters_and_pgp() {
    let s = Server::with_config(file_config());
    for body in [
        json!({"secret_shares": 3, "secret_threshold": 5}),
        json!({"secret_shares": 0, "secret_threshold": 0}),
        json!({"secret_shares": 3, "secret_threshold": 1}),
        json!({"secret_shares": 3, "secret_threshold": 2, "pgp_keys": ["abc", "def", "ghi"]}),
    ] {
        let (code, resp) = s.req("PUT", "/v1/sys/init", Some(body.clone()));
        assert_eq!(code, 400, "{body} -> {resp}");
    }
    let (_, st) = s.req("GET", "/v1/sys/init", None);
    assert_eq!(st["initialized"], false, "refused init changed nothing");
}

#[test]
fn memory_is_locked_or_startup_refused_and_core_dumps_are_off() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = dir.path().join("config.hcl");
    std::fs::write(
        &cfg,
        format!(
            "storage \"file\" {{ path = \"{}/data\" }}\nlistener \"tcp\" {{ address = \"127.0.0.1:{port}\" tls_disable = true }}\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let log = dir.path().join("log");
    let mut child = std::process::Command::new(arca_bin())
        .arg("server")
        .arg(format!("-config={}", cfg.display()))
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.path().join("err")).unwrap())
        .spawn()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let start = std::time::Instant::now();
    let mut up = false;
    while start.elapsed() < std::time::Duration::from_secs(10) {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if http(&addr, "GET", "/v1/sys/health", None, None).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    if up {
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
        let kib = |field: &str| -> u64 {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let locked = kib("VmLck:");
        assert!(
            locked > 0,
            "server runs without disable_mlock but locked no memory:\n{status}"
        );
        // Locking must not fault in reserved address space (it once made 1 GiB resident).
        let resident_kib = kib("VmRSS:");
        assert!(
            resident_kib < 256 * 1024,
            "locking memory made the idle server resident at {resident_kib} KiB:\n{status}"
        );
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
        let core = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap();
        assert!(
            core.split_whitespace().nth(4) == Some("0"),
            "core dumps enabled: {core}"
        );
        let _ = child.kill();
        let _ = child.wait();
    } else {
        let _ = child.kill();
        let _ = child.wait();
        let err = std::fs::read_to_string(dir.path().join("err")).unwrap();
        assert!(
            err.contains("disable_mlock"),
            "refusal must say how to disable mlock: {err}"
        );
    }
}

#[test]
fn tls_listener_serves_bao_with_a_ca_cert() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is needed to make a test certificate");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for min in ["tls12", "tls13"] {
        let port = free_port();
        let cfg = format!(
            "storage \"inmem\" {{}}\nlistener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  tls_cert_file = \"{}\"\n  tls_key_file = \"{}\"\n  tls_min_version = \"{min}\"\n}}\ndisable_mlock = true\n",
            cert.display(),
            key.display()
        );
        let cfg_path = dir.path().join(format!("{min}.hcl"));
        std::fs::write(&cfg_path, cfg).unwrap();
        let mut child = std::process::Command::new(arca_bin())
            .arg("server")
            .arg(format!("-config={}", cfg_path.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let addr = format!("https://127.0.0.1:{port}");
        let mut out = None;
        for _ in 0..200 {
            let o = std::process::Command::new("bao")
                .args(["status", "-format=json"])
                .env("VAULT_ADDR", &addr)
                .env("BAO_ADDR", &addr)
                .env("VAULT_CACERT", &cert)
                .env("BAO_CACERT", &cert)
                .output()
                .unwrap();
            if o.status.code() == Some(2) || o.status.success() {
                out = Some(o);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let o = out.expect("bao never reached the TLS listener");
        let st: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(st["initialized"], false, "{min}");
        // Without the CA the connection is refused by the client.
        let bad = std::process::Command::new("bao")
            .args(["status"])
            .env("VAULT_ADDR", &addr)
            .env("BAO_ADDR", &addr)
            .env_remove("VAULT_CACERT")
            .env_remove("BAO_CACERT")
            .output()
            .unwrap();
        assert_eq!(bad.status.code(), Some(1), "untrusted certificate accepted");
        // Plain HTTP to the TLS port gets Go's clear 400, not a dropped connection.
        let plain = http_raw(
            &format!("127.0.0.1:{port}"),
            "GET",
            "/v1/sys/health",
            None,
            None,
            &[],
        );
        let _ = child.kill();
        let _ = child.wait();
        let (code, _, body) = plain.expect("an answer to plain HTTP");
        assert_eq!(code, 400);
        assert_eq!(
            String::from_utf8_lossy(&body),
            "Client sent an HTTP request to an HTTPS server.\n"
        );
    }
}

#[test]
fn unsupported_config_stanzas_stop_the_server_with_their_name() {
    let cases = [
        ("seal \"awskms\" { region = \"us-east-1\" }", "awskms"),
        ("ha_storage \"consul\" {}", "ha_storage"),
        ("storage \"consul\" { address = \"x\" }", "consul"),
    ];
    for (stanza, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("c.hcl");
        let storage = if stanza.starts_with("storage") {
            ""
        } else {
            "storage \"inmem\" {}\n"
        };
        std::fs::write(&cfg, format!("{storage}{stanza}\nlistener \"tcp\" {{ address = \"127.0.0.1:{}\" tls_disable = true }}\ndisable_mlock = true\n", free_port())).unwrap();
        let out = std::process::Command::new(arca_bin())
            .arg("server")
            .arg(format!("-config={}", cfg.display()))
            .output()
            .unwrap();
        assert!(!out.status.success(), "{stanza} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{stanza}: {err}");
    }
}

#[test]
fn path_help_works_with_bao() {
    let s = Server::dev();
    let out = s.bao_ok(&["path-help", "secret/data/foo"]);
    assert!(out.contains("data/{path*}"), "{out}");
    assert!(out.contains("## PARAMETERS"), "{out}");
    let out = s.bao_ok(&["path-help", "sys/mounts"]);
    assert!(out.contains("mounted secrets engines"), "{out}");
    // Help needs a valid token but no capability, as in Vault.
    let (_, t) = s.req(
        "POST",
        "/v1/auth/token/create",
        Some(json!({"policies": ["default"]})),
    );
    let limited = t["auth"]["client_token"].as_str().unwrap();
    let (code, body) = s.req_token(limited, "GET", "/v1/sys/policies/acl?help=1", None);
    assert_eq!(code, 200, "{body}");
    assert!(body["help"].as_str().is_some());
    let (code, _) = http(&s.addr, "GET", "/v1/sys/mounts?help=1", None, None).unwrap();
    assert_eq!(code, 403);
}

/// The sys endpoints through hvac, as Python tooling drives them: init, unseal progress,
/// seal status, health, leader, key status and rotation, seal and unseal again, audit devices
/// and their hash, and restart.
#[test]
fn hvac_drives_the_sys_lifecycle() {
    let extra = "unsafe_allow_api_audit_creation = true\n";
    let s = Server::with_config(&format!("{}{extra}", file_config()));
    let audit_log = s.dir().join("hvac-audit.log");
    let out = s.hvac(&format!(
        r#"
assert not client.sys.is_initialized()
init = client.sys.initialize(secret_shares=3, secret_threshold=2)
keys, root = init["keys"], init["root_token"]
assert len(keys) == 3 and client.sys.is_sealed()
client.sys.submit_unseal_key(keys[0])
st = client.sys.read_seal_status()
assert st["sealed"] and st["progress"] == 1 and st["t"] == 2 and st["n"] == 3, st
client.sys.submit_unseal_key(reset=True)
assert client.sys.read_seal_status()["progress"] == 0
client.sys.submit_unseal_keys(keys[1:3])
assert not client.sys.is_sealed()
client.token = root
health = client.sys.read_health_status(method="GET")
health = health if isinstance(health, dict) else health.json()
assert health["initialized"] and not health["sealed"], health
leader = client.sys.read_leader_status()
assert "ha_enabled" in leader, leader
term = client.sys.get_encryption_key_status()["data"]["term"]
client.sys.rotate_encryption_key()
assert client.sys.get_encryption_key_status()["data"]["term"] == term + 1
client.sys.enable_audit_device("file", path="hv", options={{"file_path": "{log}"}})
assert "hv/" in client.sys.list_enabled_audit_devices()["data"]
h = client.sys.calculate_hash(path="hv", input_to_hash="hello")["data"]["hash"]
assert h.startswith("hmac-sha256:"), h
client.sys.disable_audit_device(path="hv")
client.write("cubbyhole/kept", value="v")
client.sys.seal()
assert client.sys.is_sealed()
client.sys.submit_unseal_keys([keys[2], keys[0]])
assert client.read("cubbyhole/kept")["data"]["value"] == "v"
print("ok")
"#,
        log = audit_log.display()
    ));
    assert_eq!(out.trim(), "ok");
}
