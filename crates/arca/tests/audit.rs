//! Audit devices through the real server: Vault's entry format with HMAC'd values,
//! config-declared devices and the API-creation switch, fail-closed behaviour, a dead device
//! that never stalls service, SIGHUP reopening for log rotation, and syslog/socket sinks.

mod common;

use std::io::Read;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

fn config_with(audit: &str, extra: &str) -> String {
    format!("{}\n{audit}\n{extra}\n", file_config())
}

fn entries(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line is not JSON ({e}): {l}"))
        })
        .collect()
}

#[test]
fn file_device_writes_vault_format_with_hmac() {
    let audit = r#"audit "file" "file" { options { file_path = "{dir}/audit.log" } }"#;
    let mut s = Server::with_config(&config_with(audit, ""));
    init_and_unseal(&mut s);
    let secret = "audit-canary-59c1";
    let (code, _) = s.req(
        "POST",
        "/v1/cubbyhole/db",
        Some(json!({"password": secret, "n": 3})),
    );
    assert_eq!(code, 204);
    let (code, _) = s.req("GET", "/v1/cubbyhole/db", None);
    assert_eq!(code, 200);
    let log_path = s.dir().join("audit.log");
    let raw = std::fs::read_to_string(&log_path).unwrap();
    assert!(!raw.contains(secret), "secret value in the audit log");
    assert!(!raw.contains(&s.token), "client token in the audit log");

    let all = entries(&log_path);
    let writes: Vec<&Value> = all
        .iter()
        .filter(|e| e["request"]["path"] == "cubbyhole/db")
        .collect();
    assert_eq!(
        writes.len(),
        4,
        "one request and one response entry per request"
    );
    let req = writes[0];
    assert_eq!(req["type"], "request");
    assert_eq!(req["request"]["operation"], "update");
    assert_eq!(req["request"]["mount_type"], "cubbyhole");
    assert_eq!(req["request"]["namespace"]["id"], "root");
    assert_eq!(req["request"]["remote_address"], "127.0.0.1");
    assert_eq!(req["request"]["data"]["n"], 3, "numbers are not hashed");
    let hashed = req["request"]["data"]["password"].as_str().unwrap();
    assert!(hashed.starts_with("hmac-sha256:"));
    // sys/audit-hash gives the same HMAC.
    let (_, h) = s.req(
        "POST",
        "/v1/sys/audit-hash/file",
        Some(json!({"input": secret})),
    );
    assert_eq!(h["hash"], hashed);
    let (_, h) = s.req(
        "POST",
        "/v1/sys/audit-hash/file",
        Some(json!({"input": s.token})),
    );
    assert_eq!(h["hash"], req["auth"]["client_token"]);
    let (code, body) = s.req(
        "POST",
        "/v1/sys/audit-hash/file",
        Some(json!({"input": ""})),
    );
    assert_eq!(code, 400, "{body}");
    assert_eq!(req["auth"]["policies"], json!(["root"]));
    assert_eq!(req["auth"]["policy_results"]["allowed"], true);
    let resp = writes[3];
    assert_eq!(resp["type"], "response");
    assert!(resp["response"]["data"]["password"]
        .as_str()
        .unwrap()
        .starts_with("hmac-sha256:"));
    assert_eq!(resp["request"]["id"], writes[2]["request"]["id"]);
    assert!(resp["time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn api_audit_creation_is_off_unless_unsafe_flag_set() {
    let mut s = Server::with_config(file_config());
    init_and_unseal(&mut s);
    let path = s.dir().join("api.log");
    let out = s.bao(&[
        "audit",
        "enable",
        "file",
        &format!("file_path={}", path.display()),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unsafe_allow_api_audit_creation"),
        "the refusal says how to enable it: {err}"
    );

    let mut s = Server::with_config(&config_with("", "unsafe_allow_api_audit_creation = true"));
    init_and_unseal(&mut s);
    let path = s.dir().join("api.log");
    s.bao_ok(&[
        "audit",
        "enable",
        "file",
        &format!("file_path={}", path.display()),
    ]);
    let list = s.bao_json(&["audit", "list"]);
    assert_eq!(list["file/"]["type"], "file");
    assert_eq!(
        list["file/"]["options"]["file_path"],
        path.to_str().unwrap()
    );
    s.bao_ok(&["write", "cubbyhole/x", "a=b"]);
    assert!(!entries(&path).is_empty());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0, "audit file is executable: {mode:o}");
    // Bad options are refused at enable time and change nothing.
    for args in [
        vec![
            "audit",
            "enable",
            "-path=exec",
            "file",
            "file_path=/tmp/x.log",
            "mode=0755",
        ],
        vec![
            "audit",
            "enable",
            "-path=rel",
            "file",
            "file_path=relative.log",
        ],
        vec![
            "audit",
            "enable",
            "-path=sock",
            "socket",
            "socket_type=carrier-pigeon",
            "address=127.0.0.1:1",
        ],
        vec!["audit", "enable", "-path=nofile", "file"],
        vec![
            "audit",
            "enable",
            "-path=weird",
            "file",
            "file_path=/tmp/w.log",
            "bogus_option=1",
        ],
        vec!["audit", "enable", "-path=badtype", "teletype"],
    ] {
        let out = s.bao(&args);
        assert!(!out.status.success(), "{args:?} should be refused");
    }
    let list = s.bao_json(&["audit", "list"]);
    assert_eq!(list.as_object().unwrap().len(), 1);
    s.bao_ok(&["audit", "disable", "file"]);
    assert!(s.bao(&["audit", "list", "-format=json"]).status.success());
    let (_, list) = s.req("GET", "/v1/sys/audit", None);
    assert!(list["data"].as_object().unwrap().is_empty());
}

#[test]
fn fail_closed_write_is_not_performed() {
    // mode 0666 is /dev/full's own: the device chmods its file, and must not change the host's.
    let audit = r#"audit "file" "full" { options { file_path = "/dev/full" mode = "0666" } }"#;
    let mut s = Server::with_config(&config_with(audit, ""));
    let keys = init_and_unseal(&mut s);
    // /dev/full opens but every write fails with ENOSPC.
    let (code, body) = s.req("POST", "/v1/cubbyhole/never", Some(json!({"a": "b"})));
    assert_eq!(code, 500, "{body}");
    let (code, _) = s.req("GET", "/v1/sys/mounts", None);
    assert_eq!(code, 500, "reads are refused too");
    assert!(
        s.log_text().contains("audit: device failed"),
        "the failure is logged"
    );
    let cfg = s.dir().join("config.hcl");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(audit, "");
    std::fs::write(&cfg, text).unwrap();
    let s = s.restart_with_config();
    unseal(&s, &keys);
    let (code, _) = s.req("GET", "/v1/cubbyhole/never", None);
    assert_eq!(code, 404, "a refused request must not have been performed");
}

#[test]
fn one_failing_device_of_two_keeps_service_and_is_counted() {
    let dead_port = free_port();
    let audit = format!(
        r#"
audit "file" "file" {{ options {{ file_path = "{{dir}}/audit.log" }} }}
audit "socket" "net" {{ options {{ address = "127.0.0.1:{dead_port}" socket_type = "tcp" write_timeout = "500ms" }} }}
"#
    );
    let mut s = Server::with_config(&config_with(&audit, ""));
    init_and_unseal(&mut s);
    for i in 0..5 {
        let (code, _) = s.req(
            "POST",
            &format!("/v1/cubbyhole/k{i}"),
            Some(json!({"v": i})),
        );
        assert_eq!(code, 204);
    }
    let (_, list) = s.req("GET", "/v1/sys/audit", None);
    let net = &list["data"]["net/"];
    assert_eq!(net["health"]["healthy"], false, "{list}");
    assert!(net["health"]["failures"].as_u64().unwrap() >= 5);
    assert_eq!(list["data"]["file/"]["health"]["healthy"], true);
    assert!(s.log_text().contains("audit: device failed"));
    // The failures are counted in the metrics too.
    let (code, _, body) = http_raw(
        &s.addr,
        "GET",
        "/v1/sys/metrics?format=prometheus",
        Some(&s.token),
        None,
        &[],
    )
    .unwrap();
    assert_eq!(code, 200);
    let text = String::from_utf8(body).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("arca_audit_device_failures_total{path=\"net/\""))
        .unwrap_or_else(|| panic!("no failure counter for net/ in:\n{text}"));
    let n: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n >= 5, "{line}");
    assert!(text.contains("arca_audit_device_healthy{path=\"net/\",type=\"socket\"} 0"));
    // The JSON form is the bare metrics object, as Vault's.
    let (code, metrics) = s.req("GET", "/v1/sys/metrics", None);
    assert_eq!(code, 200);
    assert!(metrics.get("data").is_none(), "{metrics}");
    assert!(metrics["Samples"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["Labels"]["path"] == "net/" && m["Count"].as_u64().unwrap() >= 5));
}

/// Kills the helper process when dropped, even if the test panics.
struct Reaper(std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A TCP peer that accepts and never reads, with a tiny receive buffer: writes to it hang.
fn black_hole() -> (Reaper, u16) {
    let port = free_port();
    let script = format!(
        "import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,1024)\ns.bind(('127.0.0.1',{port}))\ns.listen(5)\nc=[]\nwhile True:\n  x,_=s.accept();x.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,1024);c.append(x)\n"
    );
    let child = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let child = Reaper(child);
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        && start.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, port)
}

#[test]
fn a_black_holed_device_never_stalls_the_server() {
    let (_hole, port) = black_hole();
    let audit = format!(
        r#"
audit "file" "file" {{ options {{ file_path = "{{dir}}/audit.log" }} }}
audit "socket" "hole" {{ options {{ address = "127.0.0.1:{port}" write_timeout = "300ms" log_raw = "true" }} }}
"#
    );
    let mut s = Server::with_config(&config_with(&audit, ""));
    init_and_unseal(&mut s);
    // Big raw-logged values fill the peer's window quickly; every request must still be answered.
    let big = "x".repeat(512 * 1024);
    for i in 0..60 {
        let (code, body) = s.req(
            "POST",
            &format!("/v1/cubbyhole/big{i}"),
            Some(json!({"v": big})),
        );
        assert_eq!(code, 204, "request {i}: {body}");
    }
    std::thread::sleep(Duration::from_millis(800));
    let (_, list) = s.req("GET", "/v1/sys/audit", None);
    assert!(
        list["data"]["hole/"]["health"]["failures"]
            .as_u64()
            .unwrap()
            > 0,
        "{list}"
    );
}

#[test]
fn only_a_black_holed_device_refuses_within_the_timeout() {
    let (_hole, port) = black_hole();
    let audit = format!(
        r#"audit "socket" "hole" {{ options {{ address = "127.0.0.1:{port}" write_timeout = "300ms" log_raw = "true" }} }}"#
    );
    let mut s = Server::with_config(&config_with(&audit, ""));
    init_and_unseal(&mut s);
    let big = "x".repeat(64 * 1024);
    let mut refused = 0;
    for i in 0..40 {
        // The harness client gives up after 30s: an answer at all proves no hang.
        let (code, _) = s.req(
            "POST",
            &format!("/v1/cubbyhole/big{i}"),
            Some(json!({"v": big})),
        );
        assert!(code == 204 || code == 500, "unexpected {code}");
        if code == 500 {
            refused += 1;
        }
    }
    assert!(
        refused > 0,
        "writes to a hung peer must eventually be refused"
    );
}

#[test]
fn sighup_reopens_the_file_and_loses_no_entry() {
    let audit = r#"audit "file" "file" { options { file_path = "{dir}/audit.log" } }"#;
    let mut s = Server::with_config(&config_with(audit, ""));
    init_and_unseal(&mut s);
    let addr = s.addr.clone();
    let token = s.token.clone();
    let n = 300;
    let writer = std::thread::spawn(move || {
        for i in 0..n {
            let (code, _) = http(
                &addr,
                "POST",
                &format!("/v1/cubbyhole/rot/k{i}"),
                Some(&token),
                Some(json!({"v": i})),
            )
            .unwrap();
            assert_eq!(code, 204);
        }
    });
    std::thread::sleep(Duration::from_millis(150));
    let log = s.dir().join("audit.log");
    let rotated = s.dir().join("audit.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    std::process::Command::new("kill")
        .arg("-HUP")
        .arg(s.pid().to_string())
        .status()
        .unwrap();
    writer.join().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let count = |p: &std::path::Path| {
        entries(p)
            .iter()
            .filter(|e| {
                e["request"]["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("cubbyhole/rot/"))
            })
            .count()
    };
    let (old, new) = (count(&rotated), count(&log));
    assert!(new > 0, "nothing written after reopen");
    assert_eq!(
        old + new,
        2 * n,
        "entries lost across rotation: {old} + {new}"
    );
}

#[test]
fn denied_requests_record_why_and_options_are_honoured() {
    let audit = r#"
audit "file" "file" { options { file_path = "{dir}/audit.log" } }
audit "file" "raw" { options { file_path = "{dir}/raw.log" log_raw = "true" hmac_accessor = "false" elide_list_responses = "true" } }
"#;
    let mut s = Server::with_config(&config_with(audit, ""));
    init_and_unseal(&mut s);
    s.req(
        "PUT",
        "/v1/sys/policies/acl/limited",
        Some(json!({"policy": "path \"cubbyhole/*\" { capabilities = [\"read\"] }"})),
    );
    let (_, t) = s.req(
        "POST",
        "/v1/auth/token/create",
        Some(json!({"policies": ["limited"], "no_default_policy": true})),
    );
    let limited = t["auth"]["client_token"].as_str().unwrap().to_string();
    let (code, body) = s.req_token(&limited, "POST", "/v1/cubbyhole/x", Some(json!({"a": "b"})));
    assert_eq!(code, 403);
    assert_eq!(
        body["errors"],
        json!(["permission denied"]),
        "the client sees nothing more"
    );
    let denied: Vec<Value> = entries(&s.dir().join("audit.log"))
        .into_iter()
        .filter(|e| e["error"] == "permission denied")
        .collect();
    // A request entry and a response entry, as Vault logs a refusal.
    assert_eq!(denied.len(), 2, "{denied:?}");
    assert_eq!(denied[0]["type"], "request");
    assert_eq!(denied[1]["type"], "response");
    assert_eq!(denied[0]["request"]["id"], denied[1]["request"]["id"]);
    let why = &denied[0]["arca_acl"];
    assert_eq!(why["matched_path"], "cubbyhole/*");
    assert!(why["reason"].as_str().unwrap().contains("update"), "{why}");
    assert_eq!(denied[0]["auth"]["policy_results"]["allowed"], false);

    // Unknown and missing tokens are refused and audited too, with Vault's empty auth.
    let (code, _) = s.req_token("hvs.not-a-token", "GET", "/v1/cubbyhole/x", None);
    assert_eq!(code, 403);
    let (code, _) = http(&s.addr, "GET", "/v1/sys/mounts", None, None).unwrap();
    assert_eq!(code, 403);
    let refused: Vec<Value> = entries(&s.dir().join("audit.log"))
        .into_iter()
        .filter(|e| e["error"] == "permission denied" && e["auth"]["token_type"] == "default")
        .collect();
    assert_eq!(refused.len(), 4, "{refused:?}");
    assert_eq!(refused[0]["request"]["path"], "cubbyhole/x");
    assert!(refused[0]["request"]["client_token"]
        .as_str()
        .unwrap()
        .starts_with("hmac-sha256:"));
    assert_eq!(refused[3]["type"], "response");
    assert_eq!(refused[3]["request"]["path"], "sys/mounts");
    assert!(refused[3]["request"].get("client_token").is_none());

    // log_raw keeps values in the clear; hmac_accessor=false keeps accessors readable.
    s.req(
        "POST",
        "/v1/cubbyhole/raw",
        Some(json!({"visible": "in-raw-log"})),
    );
    let raw = std::fs::read_to_string(s.dir().join("raw.log")).unwrap();
    assert!(raw.contains("in-raw-log"));
    // elide_list_responses records how many keys a LIST returned, not the keys.
    let (code, _) = s.req("LIST", "/v1/cubbyhole/", None);
    assert_eq!(code, 200);
    let listed: Vec<Value> = entries(&s.dir().join("raw.log"))
        .into_iter()
        .filter(|e| e["type"] == "response" && e["request"]["operation"] == "list")
        .collect();
    assert!(
        listed.last().unwrap()["response"]["data"]["keys"].is_u64(),
        "{listed:?}"
    );
    let hashed = std::fs::read_to_string(s.dir().join("audit.log")).unwrap();
    assert!(!hashed.contains("in-raw-log"));

    // A mount's audit_non_hmac_request_keys leave those keys readable.
    s.req(
        "POST",
        "/v1/sys/mounts/cubbyhole/tune",
        Some(json!({"audit_non_hmac_request_keys": ["visible_key"]})),
    );
    s.req(
        "POST",
        "/v1/cubbyhole/nonhmac",
        Some(json!({"visible_key": "plain-value", "other": "hidden-value"})),
    );
    let hashed = std::fs::read_to_string(s.dir().join("audit.log")).unwrap();
    assert!(hashed.contains("plain-value"));
    assert!(!hashed.contains("hidden-value"));
    // At any depth, as Vault's hash walker: KV v2 keeps values under "data".
    let (code, body) = s.req(
        "POST",
        "/v1/sys/mounts/secret",
        Some(json!({"type": "kv", "options": {"version": "2"}})),
    );
    assert_eq!(code, 204, "{body}");
    s.req(
        "POST",
        "/v1/sys/mounts/secret/tune",
        Some(json!({"audit_non_hmac_request_keys": ["pw"]})),
    );
    s.req(
        "POST",
        "/v1/secret/data/nested",
        Some(json!({"data": {"pw": "nested-plain", "other": "nested-hidden"}})),
    );
    let hashed = std::fs::read_to_string(s.dir().join("audit.log")).unwrap();
    assert!(hashed.contains("nested-plain"));
    assert!(!hashed.contains("nested-hidden"));
}

#[test]
fn syslog_device_sends_rfc3164_datagrams() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("log.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let audit = format!(
        r#"audit "syslog" "syslog" {{ options {{ facility = "AUTH" tag = "arca" socket_path = "{}" }} }}"#,
        sock_path.display()
    );
    let mut s = Server::with_config(&config_with(&audit, ""));
    init_and_unseal(&mut s);
    s.req("GET", "/v1/sys/mounts", None);
    let mut buf = vec![0u8; 65536];
    let mut got = String::new();
    for _ in 0..4 {
        let n = sock.recv(&mut buf).unwrap();
        got = String::from_utf8_lossy(&buf[..n]).into_owned();
        if got.contains("sys/mounts") {
            break;
        }
    }
    assert!(got.starts_with("<38>"), "AUTH.info priority: {got}");
    assert!(got.contains("arca["));
    let json_start = got.find('{').unwrap();
    let entry: Value = serde_json::from_str(&got[json_start..]).unwrap();
    assert!(entry["type"] == "request" || entry["type"] == "response");
}

#[test]
fn socket_device_streams_entries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let reader = std::thread::spawn(move || {
        let (mut c, _) = listener.accept().unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        while !String::from_utf8_lossy(&out).contains("cubbyhole/sock") {
            match c.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    });
    let audit = format!(
        r#"audit "socket" "net" {{ options {{ address = "127.0.0.1:{port}" socket_type = "tcp" }} }}"#
    );
    let mut s = Server::with_config(&config_with(&audit, ""));
    init_and_unseal(&mut s);
    s.req("POST", "/v1/cubbyhole/sock", Some(json!({"a": "b"})));
    let text = reader.join().unwrap();
    let line = text.lines().find(|l| l.contains("cubbyhole/sock")).unwrap();
    let entry: Value = serde_json::from_str(line).unwrap();
    assert_eq!(entry["request"]["path"], "cubbyhole/sock");
}

/// A file device whose writes hang (a FIFO nobody reads, as a stalled NFS mount) next to a
/// healthy one: service continues, the server does not pile up threads, every entry reaches
/// the healthy device with its request entry first, and the dead device can be removed.
#[test]
fn a_hung_file_device_never_stalls_the_server() {
    let mut s = Server::with_config(&config_with("", "unsafe_allow_api_audit_creation = true"));
    init_and_unseal(&mut s);
    let fifo = s.dir().join("stuck.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Held open for reading and never read: writes block once the pipe buffer is full.
    let _reader = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo)
            .unwrap()
    };
    let good = s.dir().join("good.log");
    for (path, file) in [("good", &good), ("dead", &fifo)] {
        let (code, body) = s.req(
            "PUT",
            &format!("/v1/sys/audit/{path}"),
            Some(json!({"type": "file", "options": {"file_path": file, "log_raw": "true"}})),
        );
        assert_eq!(code, 204, "{body}");
    }
    let big = "x".repeat(16 * 1024);
    let mut handles = Vec::new();
    for t in 0..4 {
        let addr = s.addr.clone();
        let token = s.token.clone();
        let big = big.clone();
        handles.push(std::thread::spawn(move || {
            for i in 0..150 {
                let (code, body) = http(
                    &addr,
                    "POST",
                    &format!("/v1/cubbyhole/t{t}/k{i}"),
                    Some(&token),
                    Some(json!({"v": big})),
                )
                .unwrap();
                assert_eq!(code, 204, "thread {t} request {i}: {body}");
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.pid())).unwrap();
    let threads: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    assert!(threads < 64, "a hung device piled up {threads} threads");
    let (_, list) = s.req("GET", "/v1/sys/audit", None);
    assert!(
        list["data"]["dead/"]["health"]["failures"]
            .as_u64()
            .unwrap()
            > 0,
        "{list}"
    );
    let (code, body) = s.req("DELETE", "/v1/sys/audit/dead", None);
    assert_eq!(code, 204, "the dead device can be removed: {body}");
    // Each request's entries are in order: the request entry before its response entry
    // (the device's own enable request was logged only once it existed: its response).
    let mut seen = std::collections::HashSet::new();
    let mut checked = 0;
    for e in entries(&good).into_iter().filter(|e| {
        e["request"]["path"]
            .as_str()
            .unwrap_or_default()
            .starts_with("cubbyhole/")
    }) {
        checked += 1;
        let id = e["request"]["id"].as_str().unwrap_or_default().to_string();
        match e["type"].as_str() {
            Some("request") => {
                seen.insert(id);
            }
            Some("response") => assert!(seen.contains(&id), "response before request: {e}"),
            _ => {}
        }
    }
    assert_eq!(
        checked,
        2 * 4 * 150,
        "every request and response entry is in the log"
    );
}

/// A device that cannot write is refused when enabled through the API (Vault's test
/// message), so it never becomes the only device that refuses every request; `prefix` needs
/// `allow_audit_log_prefixing`.
#[test]
fn devices_are_tested_at_enable_and_prefixes_need_the_config_switch() {
    let mut s = Server::with_config(&config_with("", "unsafe_allow_api_audit_creation = true"));
    init_and_unseal(&mut s);
    let closed_port = free_port();
    let (code, body) = s.req(
        "PUT",
        "/v1/sys/audit/typo",
        Some(json!({"type": "socket", "options": {"address": format!("127.0.0.1:{closed_port}")}})),
    );
    assert_eq!(code, 400, "{body}");
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .contains("audit backend failed test message"),
        "{body}"
    );
    let (code, list) = s.req("GET", "/v1/sys/audit", None);
    assert_eq!(code, 200, "service continues: {list}");
    assert!(list["data"].get("typo/").is_none(), "{list}");
    let (code, body) = s.req(
        "PUT",
        "/v1/sys/audit/p",
        Some(json!({"type": "file", "options": {"file_path": s.dir().join("p.log"), "prefix": "@cee: "}})),
    );
    assert_eq!(code, 400, "{body}");
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .contains("prefixing is not allowed"),
        "{body}"
    );
    // The test entry is Vault's: a request for sys/audit/test.
    let log = s.dir().join("ok.log");
    let (code, body) = s.req(
        "PUT",
        "/v1/sys/audit/ok",
        Some(json!({"type": "file", "options": {"file_path": log}})),
    );
    assert_eq!(code, 204, "{body}");
    assert_eq!(entries(&log)[0]["request"]["path"], "sys/audit/test");
}
