//! Every status code of abi.md, produced by the real library over HTTP against the sandbox.

mod common;

use common::*;
use jing::ffi::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn ok_creates_one_lead_with_chinese_text_intact() {
    let sb = Sandbox::start(&[]);
    let lib = Lib::new(&sb.config(json!({}))).unwrap();
    let mut l = lead("张伟");
    l["description"] = json!("客户来自上海 🚀, \"quoted\"");
    l["custom_text_1"] = json!("自定义");
    let (status, env) = lib.create(&l);
    assert_eq!(status, JING_OK, "{env}");
    assert_eq!(env["code"], 0);
    assert_eq!(env["request_id"].as_str().unwrap().len(), 32);
    let uuid = env["data"]["jing_uuid"].as_str().unwrap();
    let leads = sb.leads();
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0]["jing_uuid"], uuid);
    assert_eq!(leads[0]["name"], "张伟");
    assert_eq!(leads[0]["description"], "客户来自上海 🚀, \"quoted\"");
    assert_eq!(leads[0]["custom_text_1"], "自定义");
    // The headers JING expects.
    let create = &sb.requests(Some("/v1/leads/create"))[0];
    assert_eq!(create["headers"]["app_id"], APP_ID);
    assert_eq!(create["headers"]["access_token"], "***");
    assert!(create["headers"]["user-agent"]
        .as_str()
        .unwrap()
        .starts_with("libjing/"));
}

#[test]
fn invalid_argument_sends_nothing() {
    let sb = Sandbox::start(&[]);
    let lib = Lib::new(&sb.config(json!({}))).unwrap();
    let e = expect_error(
        &lib.create(&json!({"business_type": BUSINESS_TYPE, "mobile": "1"})),
        1,
    );
    assert!(e["message"].as_str().unwrap().contains("name"), "{e}");
    assert_eq!(e["retryable"], false);
    expect_error(&lib.create_text("{not json"), 1);
    expect_error(&lib.request("GET", "//evil.example/x", None), 1);
    expect_error(&lib.request("GET", "/v1/x?u=https://evil.example", None), 1);
    expect_error(&lib.request("PATCH", "/v1/x", None), 1);
    let mut out = std::ptr::null_mut();
    let s = unsafe {
        jing_request_json(
            lib.raw,
            c"POST".as_ptr(),
            c"/v1/x".as_ptr(),
            c"{\"a\":".as_ptr(),
            &mut out,
        )
    };
    assert_eq!(s, JING_E_INVALID_ARGUMENT);
    assert!(take(out).unwrap().contains("body is not valid JSON"));
    // NULLs and invalid UTF-8 through the raw ABI.
    let mut out = std::ptr::null_mut();
    let s = unsafe { jing_lead_create_json(std::ptr::null_mut(), c"{}".as_ptr(), &mut out) };
    assert_eq!(s, JING_E_INVALID_ARGUMENT);
    assert!(take(out).unwrap().contains("client is NULL"));
    let s = unsafe { jing_lead_create_json(lib.raw, std::ptr::null(), &mut out) };
    assert_eq!(s, JING_E_INVALID_ARGUMENT);
    assert!(take(out).unwrap().contains("lead_json is NULL"));
    let bad_utf8 = [b'{', 0xff, b'}', 0];
    let s = unsafe { jing_lead_create_json(lib.raw, bad_utf8.as_ptr().cast(), &mut out) };
    assert_eq!(s, JING_E_INVALID_ARGUMENT);
    assert!(take(out).unwrap().contains("UTF-8"));
    let s = unsafe {
        jing_request_json(
            lib.raw,
            c"GET".as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null_mut(),
        )
    };
    assert_eq!(s, JING_E_INVALID_ARGUMENT, "NULL out_json is allowed");
    assert!(
        sb.requests(None).is_empty(),
        "nothing was sent: {:?}",
        sb.requests(None)
    );
}

#[test]
fn config_errors_name_the_problem() {
    let sb = Sandbox::start(&[]);
    let (status, e) = Lib::new(&sb.config(json!({"timout_ms": 5}))).err().unwrap();
    assert_eq!(status, JING_E_CONFIG);
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("timout_ms"));
    let (status, _) =
        Lib::new(&json!({"app_id": "1", "app_secret": "x", "base_url": "http://example.com"}))
            .err()
            .unwrap();
    assert_eq!(status, JING_E_CONFIG);
    let (status, e) = Lib::new(&sb.config(json!({"ca_file": "/nonexistent.pem"})))
        .err()
        .unwrap();
    assert_eq!(status, JING_E_CONFIG);
    assert!(e["error"]["message"].as_str().unwrap().contains("ca_file"));
    // NULL out_client and NULL config.
    let mut err = std::ptr::null_mut();
    let s = unsafe { jing_client_new(c"{}".as_ptr(), std::ptr::null_mut(), &mut err) };
    assert_eq!(s, JING_E_INVALID_ARGUMENT);
    take(err);
    let mut client = std::ptr::null_mut();
    let s = unsafe { jing_client_new(std::ptr::null(), &mut client, std::ptr::null_mut()) };
    assert_eq!(s, JING_E_INVALID_ARGUMENT);
    assert!(client.is_null());
}

#[test]
fn auth_wrong_secret_fails_even_when_a_good_token_is_cached() {
    let sb = Sandbox::start(&[]);
    let good = Lib::new(&sb.config(json!({}))).unwrap();
    assert_eq!(good.create(&lead("a")).0, JING_OK);
    let bad =
        Lib::new(&sb.config(json!({"app_secret": "ffffffffffffffffffffffffffffffff"}))).unwrap();
    let e = expect_error(&bad.create(&lead("b")), JING_E_AUTH);
    assert_eq!(e["api_code"], 40002);
    assert!(!e["request_id"].is_null());
    assert!(!e.to_string().contains("ffffffffffffffffffffffffffffffff"));
    assert_eq!(sb.leads().len(), 1);
}

#[test]
fn token_rejected_once_is_refreshed_and_the_call_retried_once() {
    let sb = Sandbox::start(&[]);
    let lib = Lib::new(&sb.config(json!({}))).unwrap();
    assert_eq!(lib.create(&lead("first")).0, JING_OK);
    sb.faults(json!([{"kind": "invalidate_token", "path": "/v1/leads/create"}]));
    let (status, env) = lib.create(&lead("second"));
    assert_eq!(status, JING_OK, "{env}");
    assert_eq!(sb.leads().len(), 2);
    assert_eq!(sb.requests(Some("/v1/leads/create")).len(), 3);
    // One credential fetch at first, then the refresh token was used.
    assert_eq!(sb.requests(Some("/v1/oauth2/token")).len(), 1);
    assert_eq!(sb.requests(Some("/v1/oauth2/token/refresh")).len(), 1);

    // Rejected again after the refresh: JING_E_AUTH, no loop.
    sb.faults(json!([{"kind": "api_code", "code": 40101, "path": "/v1/leads/create", "count": 5}]));
    let e = expect_error(&lib.create(&lead("third")), JING_E_AUTH);
    assert_eq!(e["api_code"], 40101);
    assert_eq!(sb.requests(Some("/v1/leads/create")).len(), 5);
    assert_eq!(sb.leads().len(), 2);
}

#[test]
fn expired_tokens_are_renewed_with_rotating_refresh_tokens() {
    let sb = Sandbox::start(&["--token-ttl", "1"]);
    let lib = Lib::new(&sb.config(json!({}))).unwrap();
    for i in 0..3 {
        assert_eq!(lib.request("GET", "/v1/echo", None).0, JING_OK, "call {i}");
        std::thread::sleep(Duration::from_millis(900));
    }
    let refreshes = sb.requests(Some("/v1/oauth2/token/refresh"));
    assert!(refreshes.len() >= 2, "{refreshes:?}");
    assert!(
        refreshes.iter().all(|r| r["code"] == 0),
        "single-use refresh tokens were rotated"
    );
    assert!(
        sb.requests(Some("/v1/echo")).iter().all(|r| r["code"] == 0),
        "no call used an expired token"
    );
}

#[test]
fn throttled_when_the_server_keeps_answering_rate_limited() {
    let sb = Sandbox::start(&[]);
    let lib = Lib::new(&sb.config(json!({"max_wait_ms": 600}))).unwrap();
    sb.faults(
        json!([{"kind": "api_code", "code": 42901, "path": "/v1/leads/create", "count": 100}]),
    );
    let started = Instant::now();
    let e = expect_error(&lib.create(&lead("x")), JING_E_THROTTLED);
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(e["api_code"], 42901);
    assert_eq!(e["retryable"], true);
    assert!(
        sb.requests(Some("/v1/leads/create")).len() >= 2,
        "it backed off and retried"
    );
    assert!(sb.leads().is_empty());

    // One rate-limit answer, then success: the lead exists once.
    sb.post("/_sandbox/reset", json!({}));
    sb.faults(json!([{"kind": "http_status", "status": 429, "path": "/v1/leads/create"}]));
    let lib = Lib::new(&sb.config(json!({}))).unwrap();
    assert_eq!(lib.create(&lead("y")).0, JING_OK);
    assert_eq!(sb.leads().len(), 1);
}

#[test]
fn throttled_locally_when_the_wait_exceeds_max_wait() {
    let sb = Sandbox::start(&[]);
    let lib =
        Lib::new(&sb.config(json!({"rate_limit_per_second": 2, "max_wait_ms": 100}))).unwrap();
    assert_eq!(lib.create(&lead("1")).0, JING_OK);
    assert_eq!(lib.create(&lead("2")).0, JING_OK);
    let started = Instant::now();
    let e = expect_error(&lib.create(&lead("3")), JING_E_THROTTLED);
    assert!(e["api_code"].is_null());
    assert!(started.elapsed() < Duration::from_millis(200), "fails fast");
    assert_eq!(sb.requests(Some("/v1/leads/create")).len(), 2);
}

#[test]
fn quota_exhausted_locally_and_by_the_server() {
    let sb = Sandbox::start(&[]);
    let lib = Lib::new(&sb.config(json!({"daily_quota": 2}))).unwrap();
    assert_eq!(lib.create(&lead("1")).0, JING_OK);
    assert_eq!(lib.create(&lead("2")).0, JING_OK);
    let e = expect_error(&lib.create(&lead("3")), JING_E_QUOTA_EXHAUSTED);
    assert_eq!(e["retryable"], false);
    assert!(e["message"].as_str().unwrap().contains("UTC+8"));
    assert_eq!(
        sb.requests(Some("/v1/leads/create")).len(),
        2,
        "no request sent"
    );
    // Other interfaces have their own quota.
    assert_eq!(lib.request("GET", "/v1/other", None).0, JING_OK);

    // Retries are requests sent: they count. Two 503s and a success spend a quota of 3.
    // (The client with quota 2 goes first: the strictest live limit would apply.)
    drop(lib);
    let lib = Lib::new(&sb.config(json!({"daily_quota": 3}))).unwrap();
    sb.faults(json!([{"kind": "http_status", "status": 503, "path": "/v1/q", "count": 2}]));
    assert_eq!(lib.request("GET", "/v1/q", None).0, JING_OK);
    expect_error(&lib.request("GET", "/v1/q", None), JING_E_QUOTA_EXHAUSTED);
    assert_eq!(sb.requests(Some("/v1/q")).len(), 3);

    let sb = Sandbox::start(&["--daily-quota", "1"]);
    let lib = Lib::new(&sb.config(json!({}))).unwrap();
    assert_eq!(lib.create(&lead("1")).0, JING_OK);
    let e = expect_error(&lib.create(&lead("2")), JING_E_QUOTA_EXHAUSTED);
    assert_eq!(e["api_code"], 42902);
    expect_error(&lib.create(&lead("3")), JING_E_QUOTA_EXHAUSTED);
    assert_eq!(
        sb.requests(Some("/v1/leads/create")).len(),
        2,
        "believed for the day"
    );
}

#[test]
fn network_error_when_nothing_listens() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = json!({"app_id": APP_ID, "app_secret": APP_SECRET,
                        "base_url": format!("http://127.0.0.1:{port}"), "max_retries": 2});
    let lib = Lib::new(&config).unwrap();
    let e = expect_error(&lib.create(&lead("x")), JING_E_NETWORK);
    assert_eq!(e["retryable"], true);
    assert_eq!(e["outcome_unknown"], false);
    assert!(e["http_status"].is_null());
}

fn create_with_fault(
    fault: serde_json::Value,
    extra: serde_json::Value,
) -> (Sandbox, serde_json::Value) {
    let sb = Sandbox::start(&[]);
    let lib = Lib::new(&sb.config(extra)).unwrap();
    let mut fault = fault;
    fault["path"] = json!("/v1/leads/create");
    sb.faults(json!([fault]));
    let e = expect_error(&lib.create(&lead("once")), JING_E_OUTCOME_UNKNOWN);
    assert_eq!(e["outcome_unknown"], true);
    assert_eq!(e["retryable"], false);
    assert_eq!(
        sb.requests(Some("/v1/leads/create")).len(),
        1,
        "exactly one create reached the server"
    );
    (sb, e)
}

#[test]
fn outcome_unknown_on_5xx_create_is_never_retried() {
    for status in [500, 502, 503] {
        let (_sb, e) =
            create_with_fault(json!({"kind": "http_status", "status": status}), json!({}));
        assert_eq!(e["http_status"], status);
    }
}

#[test]
fn outcome_unknown_on_dropped_connections() {
    let (sb, _) = create_with_fault(json!({"kind": "close_after"}), json!({}));
    assert_eq!(sb.leads().len(), 1, "the server did create it");
    let (sb, _) = create_with_fault(json!({"kind": "close_before"}), json!({}));
    assert_eq!(sb.leads().len(), 0);
}

#[test]
fn outcome_unknown_on_timeout_after_sending() {
    let started = Instant::now();
    let (sb, e) = create_with_fault(
        json!({"kind": "delay", "delay_ms": 3000}),
        json!({"timeout_ms": 400}),
    );
    assert!(started.elapsed() < Duration::from_millis(2500));
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("may have been processed"));
    assert_eq!(sb.leads().len(), 1);
}

#[test]
fn idempotent_calls_are_retried_through_5xx_and_drops() {
    let sb = Sandbox::start(&[]);
    let lib = Lib::new(&sb.config(json!({}))).unwrap();
    sb.faults(
        json!([{"kind": "http_status", "status": 503, "path": "/v1/leads/query", "count": 2},
                     {"kind": "close_before", "path": "/v1/leads/query"}]),
    );
    let (status, env) = lib.request("GET", "/v1/leads/query?jing_uuid=nope", None);
    assert_eq!(status, JING_E_API, "reached the server's answer: {env}");
    assert_eq!(env["error"]["api_code"], 40401);
    assert_eq!(sb.requests(Some("/v1/leads/query")).len(), 4);
    // Retries run out: protocol error for answers without an envelope.
    sb.faults(json!([{"kind": "http_status", "status": 502, "path": "/v1/x", "count": 10}]));
    let lib = Lib::new(&sb.config(json!({"max_retries": 1}))).unwrap();
    let e = expect_error(&lib.request("GET", "/v1/x", None), JING_E_PROTOCOL);
    assert_eq!(e["http_status"], 502);
    assert_eq!(sb.requests(Some("/v1/x")).len(), 2);
}

#[test]
fn api_error_keeps_code_msg_and_request_id() {
    let sb = Sandbox::start(&[]);
    let lib = Lib::new(&sb.config(json!({}))).unwrap();
    sb.faults(
        json!([{"kind": "api_code", "code": 12345, "msg": "业务错误", "path": "/v1/leads/create"}]),
    );
    let e = expect_error(&lib.create(&lead("x")), JING_E_API);
    assert_eq!(e["api_code"], 12345);
    assert_eq!(e["api_msg"], "业务错误");
    assert_eq!(e["request_id"].as_str().unwrap().len(), 32);
    assert_eq!(e["http_status"], 200);
    // The sandbox's own validation answer is an API error too.
    let mut l = lead("x");
    l["custom_image"] = json!("img");
    let e = expect_error(&lib.create(&l), JING_E_API);
    assert_eq!(e["api_code"], 40001);
    assert!(e["api_msg"].as_str().unwrap().contains("custom_image"));
}

#[test]
fn protocol_error_for_answers_that_are_not_envelopes() {
    let sb = Sandbox::start(&[]);
    let lib = Lib::new(&sb.config(json!({}))).unwrap();
    sb.faults(json!([{"kind": "non_json", "path": "/v1/x"}]));
    let e = expect_error(&lib.request("GET", "/v1/x", None), JING_E_PROTOCOL);
    assert_eq!(e["outcome_unknown"], false);
    assert_eq!(e["http_status"], 200);
    sb.faults(json!([{"kind": "non_json", "path": "/v1/leads/create"}]));
    let e = expect_error(&lib.create(&lead("x")), JING_E_PROTOCOL);
    assert_eq!(
        e["outcome_unknown"], true,
        "a create answered with garbage may have happened"
    );
    sb.faults(json!([{"kind": "http_status", "status": 404, "path": "/v1/y"}]));
    let e = expect_error(
        &lib.request("POST", "/v1/y", Some(&json!({}))),
        JING_E_PROTOCOL,
    );
    assert_eq!(e["http_status"], 404);
}

#[cfg(feature = "test-panic")]
#[test]
fn panic_is_caught_and_the_next_call_works() {
    let sb = Sandbox::start(&[]);
    let lib = Lib::new(&sb.config(json!({}))).unwrap();
    let mut out = std::ptr::null_mut();
    let status = unsafe { jing_test_panic(&mut out) };
    assert_eq!(status, JING_E_PANIC);
    let e = parse(&take(out).unwrap());
    assert_eq!(e["error"]["kind"], "panic");
    assert_eq!(lib.create(&lead("after")).0, JING_OK);
}

#[test]
fn status_names_and_versions() {
    let name = |s| {
        unsafe { std::ffi::CStr::from_ptr(jing_status_name(s)) }
            .to_str()
            .unwrap()
    };
    assert_eq!(name(0), "ok");
    assert_eq!(name(7), "outcome_unknown");
    assert_eq!(name(99), "panic");
    assert_eq!(name(42), "unknown");
    assert_eq!(unsafe { jing_abi_version() }, JING_ABI_VERSION);
    let v = unsafe { std::ffi::CStr::from_ptr(jing_version()) }
        .to_str()
        .unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    unsafe {
        jing_free_string(std::ptr::null_mut());
        jing_client_free(std::ptr::null_mut());
    }
}
