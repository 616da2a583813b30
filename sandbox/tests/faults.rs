//! Fault injection over real HTTP (and raw TCP), plus HTTPS mode.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Send one raw HTTP/1.1 request and read everything the server sends back
/// until it closes the connection.
fn raw_exchange(sb: &Sandbox, method: &str, path: &str, token: &str, body: &str) -> Vec<u8> {
    let addr = sb.url.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\napp_id: {APP_ID}\r\naccess_token: {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    match s.read_to_end(&mut out) {
        Ok(_) => {}
        // A reset also means "no answer"; the bytes read so far are what counts.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("read failed: {e}"),
    }
    out
}

fn last_request(sb: &Sandbox) -> Value {
    let j = sb.journal();
    j["requests"].as_array().unwrap().last().unwrap().clone()
}

#[test]
fn close_before_drops_without_processing() {
    let sb = Sandbox::start(&[]);
    let t = sb.token();
    sb.faults(json!([{"kind": "close_before", "path": "/v1/leads/create"}]));
    let err = sb
        .request("POST", "/v1/leads/create", &t, Some(&lead("a", "1")))
        .expect_err("the connection must be dropped");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert!(sb.leads().is_empty(), "close_before must not process");
    let r = last_request(&sb);
    assert_eq!(r["fault"], "close_before");
    assert_eq!(r["http_status"], Value::Null);

    // From a plain TCP client: zero response bytes, then EOF.
    sb.faults(json!([{"kind": "close_before"}]));
    let body = serde_json::to_string(&lead("b", "2")).unwrap();
    let bytes = raw_exchange(&sb, "POST", "/v1/leads/create", &t, &body);
    assert!(
        bytes.is_empty(),
        "got {:?}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(sb.leads().is_empty());
    // The queue is empty again: the next request is served normally.
    assert_eq!(sb.create_lead(&t, &lead("c", "3"))["code"], 0);
    assert_eq!(sb.leads().len(), 1);
}

#[test]
fn close_after_processes_then_drops() {
    let sb = Sandbox::start(&[]);
    let t = sb.token();
    sb.faults(json!([{"kind": "close_after", "path": "/v1/leads/create"}]));
    let err = sb
        .request("POST", "/v1/leads/create", &t, Some(&lead("张三", "1")))
        .expect_err("the connection must be dropped");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    let leads = sb.leads();
    assert_eq!(leads.len(), 1, "close_after must store the lead");
    assert_eq!(leads[0]["name"], "张三");
    let r = last_request(&sb);
    assert_eq!(r["fault"], "close_after");
    assert_eq!(r["code"], 0);
    assert_eq!(r["http_status"], Value::Null);

    sb.faults(json!([{"kind": "close_after"}]));
    let body = serde_json::to_string(&lead("b", "2")).unwrap();
    let bytes = raw_exchange(&sb, "POST", "/v1/leads/create", &t, &body);
    assert!(bytes.is_empty(), "{:?}", String::from_utf8_lossy(&bytes));
    assert_eq!(sb.leads().len(), 2);
}

#[test]
fn delay_processes_then_answers_late() {
    let sb = Sandbox::start(&[]);
    let t = sb.token();
    sb.faults(json!([{"kind": "delay", "delay_ms": 400, "path": "/v1/leads/create"}]));
    let started = Instant::now();
    let r = sb.create_lead(&t, &lead("a", "1"));
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(r["code"], 0);
    assert_eq!(last_request(&sb)["fault"], "delay");

    // A client that gives up first: outcome unknown, but the lead is stored.
    let impatient = reqwest::blocking::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    sb.faults(json!([{"kind": "delay", "delay_ms": 1000}]));
    let err = impatient
        .post(sb.url("/v1/leads/create"))
        .header("app_id", APP_ID)
        .header("access_token", &t)
        .json(&lead("b", "2"))
        .send()
        .expect_err("must time out");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(sb.leads().len(), 2);
}

#[test]
fn non_json_http_status_and_api_code() {
    let sb = Sandbox::start(&[]);
    let t = sb.token();
    sb.faults(json!([
        {"kind": "non_json", "path": "/v1/leads/create"},
        {"kind": "http_status", "status": 503, "body": "upstream down", "path": "/v1/leads/create"},
        {"kind": "http_status", "status": 500, "path": "/v1/leads/create"},
        {"kind": "api_code", "code": 42901, "msg": "too fast", "http_status": 429,
         "path": "/v1/leads/create"},
        {"kind": "api_code", "code": 50001, "path": "/v1/leads/create"},
    ]));
    let send = || {
        sb.request("POST", "/v1/leads/create", &t, Some(&lead("a", "1")))
            .unwrap()
    };
    let r = send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "<html>oops</html>");
    let r = send();
    assert_eq!(r.status(), 503);
    assert_eq!(r.text().unwrap(), "upstream down");
    let r = send();
    assert_eq!(r.status(), 500);
    let text = r.text().unwrap();
    assert_eq!(text, "Internal Server Error");
    assert!(serde_json::from_str::<Value>(&text).is_err());
    let r = send();
    assert_eq!(r.status(), 429);
    let v: Value = r.json().unwrap();
    assert_envelope(&v);
    assert_eq!(v["code"], 42901);
    assert_eq!(v["msg"], "too fast");
    assert_eq!(v["data"], Value::Null);
    let r = send();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(v["code"], 50001);
    assert!(sb.leads().is_empty(), "these faults must not process");
    // Queue drained: normal again.
    assert_eq!(send().json::<Value>().unwrap()["code"], 0);
    let j = sb.get("/_sandbox/journal?path=/v1/leads/create");
    let kinds: Vec<Value> = j["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["fault"].clone())
        .collect();
    assert_eq!(
        kinds,
        vec![
            json!("non_json"),
            json!("http_status"),
            json!("http_status"),
            json!("api_code"),
            json!("api_code"),
            Value::Null
        ]
    );
    let statuses: Vec<Value> = j["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["http_status"].clone())
        .collect();
    assert_eq!(
        statuses,
        vec![
            json!(200),
            json!(503),
            json!(500),
            json!(429),
            json!(200),
            json!(200)
        ]
    );
}

#[test]
fn invalidate_token_fault() {
    let sb = Sandbox::start(&[]);
    let t = sb.token();
    let (other, _) = sb.token_pair();
    sb.faults(json!([{"kind": "invalidate_token", "path": "/v1/leads/create"}]));
    let r = sb.create_lead(&t, &lead("a", "1"));
    assert_eq!(r["code"], 40101);
    assert!(sb.leads().is_empty());
    assert_eq!(last_request(&sb)["fault"], "invalidate_token");
    // Every access token of the app was revoked; a new one works.
    assert_eq!(sb.call("GET", "/v1/ping", &other, None)["code"], 40101);
    let t2 = sb.token();
    assert_eq!(sb.create_lead(&t2, &lead("a", "1"))["code"], 0);
}

#[test]
fn fault_queue_matching_count_and_control() {
    let sb = Sandbox::start(&["--no-limits"]);
    let t = sb.token();
    sb.faults(json!([
        {"kind": "api_code", "code": 40101, "path": "/v1/a?ignored=1", "count": 2},
        {"kind": "api_code", "code": 777},
    ]));
    let pending = sb.get("/_sandbox/faults");
    assert_eq!(pending["faults"].as_array().unwrap().len(), 2);
    assert_eq!(pending["faults"][0]["count"], 2);
    // /v1/b matches only the path-less fault (the first matching one fires).
    assert_eq!(sb.call("GET", "/v1/b", &t, None)["code"], 777);
    assert_eq!(sb.call("GET", "/v1/a?x=1", &t, None)["code"], 40101);
    let pending = sb.get("/_sandbox/faults");
    assert_eq!(pending["faults"][0]["count"], 1);
    assert_eq!(sb.call("GET", "/v1/a", &t, None)["code"], 40101);
    assert_eq!(sb.call("GET", "/v1/a", &t, None)["code"], 0);
    assert_eq!(sb.get("/_sandbox/faults")["faults"], json!([]));

    // A path-less fault also hits the token endpoint.
    sb.faults(json!([{"kind": "http_status", "status": 502}]));
    let r = sb
        .http
        .post(sb.url("/v1/oauth2/token"))
        .json(&json!({"app_id": APP_ID, "app_secret": APP_SECRET}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(r.text().unwrap(), "Bad Gateway");

    // DELETE clears; invalid faults are refused with 400.
    sb.faults(json!([{"kind": "non_json"}, {"kind": "close_before"}]));
    let r = sb.http.delete(sb.url("/_sandbox/faults")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sb.get("/_sandbox/faults")["faults"], json!([]));
    for bad in [
        json!({"faults": [{"kind": "nope"}]}),
        json!({"faults": [{"kind": "http_status"}]}),
        json!({"faults": [{"kind": "delay"}]}),
        json!({"faults": [{"kind": "api_code"}]}),
        json!({"faults": [{"kind": "non_json", "count": 0}]}),
    ] {
        let r = sb
            .http
            .post(sb.url("/_sandbox/faults"))
            .json(&bad)
            .send()
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    assert_eq!(sb.get("/_sandbox/faults")["faults"], json!([]));
    // Control endpoints are never faulted, limited or journaled.
    sb.faults(json!([{"kind": "close_before"}]));
    assert_eq!(sb.get("/_sandbox/config")["app_id"], APP_ID);
    let n = sb.journal()["requests"].as_array().unwrap().len();
    assert_eq!(n, 6);
}

fn temp_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "jing-sandbox-tls-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn tls_mode_with_generated_certificate() {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "jing-sandbox test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();

    let dir = temp_dir();
    let cert_file = dir.join("cert.pem");
    let key_file = dir.join("key.pem");
    std::fs::write(&cert_file, leaf.pem()).unwrap();
    std::fs::write(&key_file, leaf_key.serialize_pem()).unwrap();

    let trusting = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut sb = Sandbox::start_with_client(
        &[
            "--tls-cert",
            cert_file.to_str().unwrap(),
            "--tls-key",
            key_file.to_str().unwrap(),
        ],
        trusting,
    );
    assert!(
        sb.url.starts_with("https://127.0.0.1:"),
        "{}",
        sb.first_line
    );
    let t = sb.token();
    assert_eq!(sb.create_lead(&t, &lead("安全", "1"))["code"], 0);
    assert_eq!(sb.leads()[0]["name"], "安全");

    // A client that does not trust the CA is refused.
    let untrusting = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    assert!(untrusting.get(sb.url("/_sandbox/config")).send().is_err());

    // close_before over TLS: no response, the client sees a connection error.
    sb.faults(json!([{"kind": "close_before"}]));
    let err = sb
        .request("POST", "/v1/leads/create", &t, Some(&lead("x", "2")))
        .expect_err("dropped");
    assert!(!err.is_status(), "{err:?}");
    assert_eq!(sb.leads().len(), 1);

    assert_eq!(sb.signal_and_wait("TERM").code(), Some(0));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn tls_flags_must_come_together_and_files_must_be_valid() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jing-sandbox"))
        .args(["--port", "0", "--tls-cert", "/nonexistent.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jing-sandbox"))
        .args([
            "--port",
            "0",
            "--tls-cert",
            "/nonexistent.pem",
            "--tls-key",
            "/nonexistent.key",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.pem"));
}
