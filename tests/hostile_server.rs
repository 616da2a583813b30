//! A hostile server cannot make the library allocate without bound, hang past its
//! timeouts, follow it to another host, or crash it (issue 7). The peer is a raw std
//! `TcpListener` (tests/fake) so that it can misbehave in ways the sandbox never does.

mod common;
mod fake;

use common::*;
use fake::{envelope, http, token_reply, uuid_token, Fake, Reply};
use jing::ffi::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn config(url: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut c = json!({"app_id": APP_ID, "app_secret": APP_SECRET, "base_url": url});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn is_token_path(path: &str) -> bool {
    path.starts_with("/v1/oauth2/token")
}

/// A body of `len` bytes that is a valid envelope when `len` allows.
fn big_envelope(len: usize) -> Vec<u8> {
    let head = br#"{"code":0,"msg":"success","data":""#;
    let tail = br#""}"#;
    let mut body = head.to_vec();
    body.resize(len - tail.len(), b'a');
    body.extend_from_slice(tail);
    body
}

#[test]
fn answers_over_8_mib_are_refused_with_protocol() {
    const MIB: usize = 1024 * 1024;
    let fake = Fake::start(|req| {
        if is_token_path(&req.path) {
            return token_reply(&uuid_token(), &uuid_token());
        }
        match req.path.as_str() {
            "/v1/just-under" => http(200, "", &big_envelope(8 * MIB - 64)),
            // Declared too large: refused before reading.
            "/v1/big" | "/v1/leads/create" => http(200, "", &big_envelope(9 * MIB)),
            // No Content-Length: read until the cap is crossed, then refused.
            _ => {
                let mut bytes = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
                bytes.extend_from_slice(&big_envelope(64 * MIB));
                Reply::Raw(bytes)
            }
        }
    });
    let lib = Lib::new(&config(&fake.url, json!({"max_retries": 0}))).unwrap();
    let (status, env) = lib.request("GET", "/v1/just-under", None);
    assert_eq!(status, JING_OK, "an 8 MiB answer is fine");
    assert_eq!(env["code"], 0);
    for path in ["/v1/big", "/v1/endless"] {
        let started = Instant::now();
        let e = expect_error(&lib.request("GET", path, None), JING_E_PROTOCOL);
        assert_eq!(e["http_status"], 200, "{path}");
        assert!(
            e["message"].as_str().unwrap().contains("larger than"),
            "{e}"
        );
        assert!(started.elapsed() < Duration::from_secs(10), "{path}");
    }
    let e = expect_error(&lib.create(&lead("大")), JING_E_PROTOCOL);
    assert_eq!(e["outcome_unknown"], true, "a create may have happened");
    let creates = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/leads/create")
        .count();
    assert_eq!(creates, 1, "never resent");
}

fn drip_head() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"code\":0"
        .to_vec()
}

#[test]
fn slow_drip_answers_end_at_the_timeout() {
    let fake = Fake::start(|req| {
        if is_token_path(&req.path) {
            return token_reply(&uuid_token(), &uuid_token());
        }
        Reply::Drip {
            head: drip_head(),
            interval: Duration::from_millis(100),
            max: Duration::from_secs(30),
        }
    });
    let timeout = Duration::from_millis(800);
    let lib = Lib::new(&config(
        &fake.url,
        json!({"timeout_ms": 800, "max_retries": 2}),
    ))
    .unwrap();

    // A create: one attempt, then "may have been processed".
    let started = Instant::now();
    let e = expect_error(&lib.create(&lead("慢")), JING_E_OUTCOME_UNKNOWN);
    let took = started.elapsed();
    assert_eq!(e["outcome_unknown"], true);
    assert!(took >= timeout, "{took:?}");
    // Every socket read is bounded by the attempt's deadline: it ends at timeout_ms (plus
    // scheduling), not a whole read timeout later.
    assert!(
        took < timeout + Duration::from_millis(300),
        "a create must end at timeout_ms, took {took:?}"
    );
    let creates = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/leads/create")
        .count();
    assert_eq!(creates, 1);

    // A GET: retried (1 + max_retries attempts), then a network error.
    let started = Instant::now();
    let e = expect_error(&lib.request("GET", "/v1/drip", None), JING_E_NETWORK);
    let took = started.elapsed();
    assert_eq!(e["outcome_unknown"], false);
    let gets = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/drip")
        .count();
    assert_eq!(gets, 3, "1 + max_retries attempts");
    // 3 attempts of timeout_ms plus two backoffs (at most 200 ms and 400 ms).
    assert!(took >= timeout * 3, "{took:?}");
    assert!(
        took < timeout * 3 + Duration::from_millis(600) + timeout,
        "took {took:?}"
    );
}

#[test]
fn slow_drip_headers_end_at_the_timeout() {
    let fake = Fake::start(|req| {
        if is_token_path(&req.path) {
            return token_reply(&uuid_token(), &uuid_token());
        }
        Reply::Drip {
            head: b"HTTP/1.1 200 OK\r\nX-Slow: ".to_vec(),
            interval: Duration::from_millis(100),
            max: Duration::from_secs(30),
        }
    });
    let lib = Lib::new(&config(
        &fake.url,
        json!({"timeout_ms": 600, "max_retries": 0}),
    ))
    .unwrap();
    let started = Instant::now();
    expect_error(&lib.create(&lead("慢")), JING_E_OUTCOME_UNKNOWN);
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_silent_token_endpoint_ends_at_the_timeout() {
    let fake = Fake::start(|_| Reply::Drip {
        head: Vec::new(),
        interval: Duration::from_millis(200),
        max: Duration::from_secs(30),
    });
    let lib = Lib::new(&config(
        &fake.url,
        json!({"timeout_ms": 500, "max_retries": 3}),
    ))
    .unwrap();
    let started = Instant::now();
    let (status, _) = lib.create(&lead("x"));
    assert_eq!(
        status, JING_E_NETWORK,
        "no token, so the lead was never sent"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert!(fake.requests().iter().all(|r| r.path == "/v1/oauth2/token"));
}

#[test]
fn redirects_are_never_followed() {
    let elsewhere = Fake::start(|_| envelope(0, "success", json!({"stolen": true})));
    let target = format!("{}/steal", elsewhere.url);
    // API calls redirected (every flavour), tokens issued normally.
    let fake = Fake::start(move |req| {
        if is_token_path(&req.path) {
            return token_reply(&uuid_token(), &uuid_token());
        }
        let status = match req.path.as_str() {
            "/v1/r301" => 301,
            "/v1/r303" => 303,
            "/v1/r307" => 307,
            "/v1/r308" => 308,
            _ => 302,
        };
        http(status, &format!("Location: {target}\r\n"), b"")
    });
    let lib = Lib::new(&config(&fake.url, json!({"max_retries": 1}))).unwrap();
    for path in ["/v1/r301", "/v1/r302", "/v1/r303", "/v1/r307", "/v1/r308"] {
        let e = expect_error(&lib.request("GET", path, None), JING_E_PROTOCOL);
        assert!(e["http_status"].as_u64().unwrap() / 100 == 3, "{e}");
        let e = expect_error(
            &lib.request("POST", path, Some(&json!({"a": 1}))),
            JING_E_PROTOCOL,
        );
        assert!(e["http_status"].as_u64().unwrap() / 100 == 3, "{e}");
    }
    let e = expect_error(&lib.create(&lead("x")), JING_E_PROTOCOL);
    assert_eq!(e["http_status"], 302);

    // The token endpoint redirected with 307 (which would resend the app_secret).
    let target = format!("{}/steal", elsewhere.url);
    let fake2 = Fake::start(move |_| http(307, &format!("Location: {target}\r\n"), b""));
    let lib = Lib::new(&config(&fake2.url, json!({}))).unwrap();
    let (status, e) = lib.create(&lead("x"));
    assert!(status == JING_E_PROTOCOL || status == JING_E_NETWORK, "{e}");
    assert!(!e.to_string().contains(APP_SECRET));

    assert_eq!(
        elsewhere.connections(),
        0,
        "the other host received nothing"
    );
    assert!(elsewhere.requests().is_empty());
}

#[test]
fn garbage_answers_are_protocol_errors_without_crashing() {
    let deep = "[".repeat(100_000);
    let deep_obj = "{\"a\":".repeat(100_000);
    let fake = Fake::start(move |req| {
        if is_token_path(&req.path) {
            return token_reply(&uuid_token(), &uuid_token());
        }
        match req.path.as_str() {
            "/v1/deep" => http(200, "", deep.as_bytes()),
            "/v1/deep-obj" => http(200, "", deep_obj.as_bytes()),
            "/v1/nul" => http(200, "", b"{\"code\":0,\"msg\":\"a\x00b\"}"),
            "/v1/latin1" => http(200, "", b"{\"code\":0,\"msg\":\"caf\xe9\"}"),
            "/v1/huge-code" => http(200, "", b"{\"code\":1e999,\"msg\":\"x\"}"),
            "/v1/string-code" => http(200, "", b"{\"code\":\"0\"}"),
            "/v1/short" => Reply::Raw(
                b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"code\":0"
                    .to_vec(),
            ),
            "/v1/bad-status" => Reply::Raw(b"HTTP/1.1 999999 Nope\r\n\r\n".to_vec()),
            "/v1/not-http" => Reply::Raw(b"SSH-2.0-OpenSSH_9.0\r\n".to_vec()),
            "/v1/huge-header" => {
                let mut bytes = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
                bytes.extend(std::iter::repeat_n(b'a', 1024 * 1024));
                bytes.extend_from_slice(b"\r\nContent-Length: 9\r\n\r\n{\"code\":0}");
                Reply::Raw(bytes)
            }
            _ => Reply::Close,
        }
    });
    let lib = Lib::new(&config(
        &fake.url,
        json!({"max_retries": 0, "timeout_ms": 5000}),
    ))
    .unwrap();
    for path in [
        "/v1/deep",
        "/v1/deep-obj",
        "/v1/latin1",
        "/v1/huge-code",
        "/v1/string-code",
    ] {
        let started = Instant::now();
        expect_error(
            &lib.request("POST", path, Some(&json!({}))),
            JING_E_PROTOCOL,
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{path}");
    }
    // A NUL inside a JSON string cannot be handed to C: refused, not truncated.
    expect_error(&lib.request("GET", "/v1/nul", None), JING_E_PROTOCOL);
    // Broken HTTP: the request may have been delivered.
    for path in [
        "/v1/short",
        "/v1/bad-status",
        "/v1/not-http",
        "/v1/huge-header",
        "/v1/closed",
    ] {
        let (status, e) = lib.request("POST", path, Some(&json!({})));
        assert!(
            status == JING_E_OUTCOME_UNKNOWN || status == JING_E_PROTOCOL,
            "{path}: {status} {e}"
        );
        let (status, e) = lib.request("GET", path, None);
        assert!(
            status == JING_E_NETWORK || status == JING_E_PROTOCOL,
            "{path}: {status} {e}"
        );
    }
}

#[test]
fn paths_never_climb_out_of_the_base_url_prefix() {
    let fake = Fake::start(|req| {
        if req.path.contains("/oauth2/token") {
            return token_reply(&uuid_token(), &uuid_token());
        }
        envelope(0, "success", json!({}))
    });
    let base = format!("{}/api", fake.url);
    let lib = Lib::new(&config(&base, json!({"token_path": "/oauth2/token"}))).unwrap();
    assert_eq!(lib.request("GET", "/v1/ok", None).0, JING_OK);
    for path in ["/../x", "/%2e%2e/x", "/v1/.%2E/%2e./x", "/v1/%2E%2E?x=1"] {
        let e = expect_error(&lib.request("GET", path, None), JING_E_INVALID_ARGUMENT);
        assert!(e["message"].as_str().unwrap().contains(".."), "{e}");
    }
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert!(paths.iter().all(|p| p.starts_with("/api/")), "{paths:?}");
}
