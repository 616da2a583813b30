//! The sandbox's API over real HTTP: start-up, tokens, leads, metadata, echo,
//! limits, journal, config and reset.

mod common;

use common::*;
use serde_json::{json, Value};
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

#[test]
fn startup_line_and_clean_sigterm_exit() {
    let started = Instant::now();
    let mut sb = Sandbox::start(&[]);
    assert!(started.elapsed() < Duration::from_secs(2));
    let port: u16 = sb
        .first_line
        .strip_prefix("listening on http://127.0.0.1:")
        .expect("first line format")
        .parse()
        .expect("port");
    assert_ne!(port, 0);
    // The port really serves.
    assert_eq!(sb.get("/_sandbox/config")["app_id"], APP_ID);
    let status = sb.signal_and_wait("TERM");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn clean_sigint_exit() {
    let mut sb = Sandbox::start(&[]);
    let status = sb.signal_and_wait("INT");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn help_documents_flags_endpoints_and_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_jing-sandbox"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--port",
        "--app-id",
        "--app-secret",
        "--token-ttl",
        "--revoke-previous",
        "--rate-limit",
        "--daily-quota",
        "--no-limits",
        "--tls-cert",
        "--tls-key",
        "/v1/oauth2/token",
        "/v1/oauth2/token/refresh",
        "/v1/leads/create",
        "/v1/leads/update",
        "/v1/leads/query",
        "/v1/crm/object/business_types",
        "/v1/crm/object/fields",
        "/_sandbox/faults",
        "/_sandbox/invalidate_tokens",
        "/_sandbox/config",
        "/_sandbox/journal",
        "/_sandbox/reset",
        "40001",
        "40002",
        "40101",
        "40102",
        "40401",
        "42901",
        "42902",
        "50001",
        BT_DEFAULT,
    ] {
        assert!(help.contains(needle), "--help lacks {needle}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_jing-sandbox"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn token_issue_and_refresh_rotation() {
    let sb = Sandbox::start(&[]);
    let r = sb.post(
        "/v1/oauth2/token",
        &json!({"app_id": APP_ID, "app_secret": APP_SECRET}),
    );
    assert_envelope(&r);
    assert_eq!(r["code"], 0);
    assert_eq!(r["msg"], "success");
    let d = &r["data"];
    assert_eq!(d["scope"], "all");
    assert_eq!(d["token_type"], "bearer");
    assert_eq!(d["expires_in"], 7200);
    let at = d["access_token"].as_str().unwrap();
    let rt = d["refresh_token"].as_str().unwrap();
    assert_eq!(at.len(), 36);
    assert_eq!(at.matches('-').count(), 4);
    assert_ne!(at, rt);

    let refresh = |rt: &str| {
        sb.post(
            "/v1/oauth2/token/refresh",
            &json!({"app_id": APP_ID, "app_secret": APP_SECRET, "refresh_token": rt}),
        )
    };
    let r2 = refresh(rt);
    assert_eq!(r2["code"], 0, "{r2}");
    let at2 = r2["data"]["access_token"].as_str().unwrap();
    let rt2 = r2["data"]["refresh_token"].as_str().unwrap();
    assert_ne!(at2, at);
    assert_ne!(rt2, rt);
    assert_eq!(r2["data"]["scope"], "all");
    // Single use: the old refresh token is now rejected, the new one works once.
    assert_eq!(refresh(rt)["code"], 40002);
    assert_eq!(
        refresh("00000000-0000-4000-8000-000000000000")["code"],
        40002
    );
    // Without --revoke-previous both access tokens stay valid.
    assert_eq!(sb.call("GET", "/v1/ping", at, None)["code"], 0);
    assert_eq!(sb.call("GET", "/v1/ping", at2, None)["code"], 0);
    assert_eq!(refresh(rt2)["code"], 0);
    // Refresh with a wrong secret fails even with a fresh refresh token.
    let (_, rt3) = sb.token_pair();
    let bad = sb.post(
        "/v1/oauth2/token/refresh",
        &json!({"app_id": APP_ID, "app_secret": "wrong", "refresh_token": rt3}),
    );
    assert_eq!(bad["code"], 40002);
    // A missing refresh_token is a bad parameter.
    let missing = sb.post(
        "/v1/oauth2/token/refresh",
        &json!({"app_id": APP_ID, "app_secret": APP_SECRET}),
    );
    assert_eq!(missing["code"], 40001);
    assert!(missing["msg"].as_str().unwrap().contains("refresh_token"));
}

#[test]
fn bad_credentials_and_custom_credentials() {
    let sb = Sandbox::start(&["--app-id", "42", "--app-secret", "s3cr3t"]);
    let r = sb.post(
        "/v1/oauth2/token",
        &json!({"app_id": APP_ID, "app_secret": APP_SECRET}),
    );
    assert_eq!(r["code"], 40002);
    assert_eq!(r["data"], Value::Null);
    let r = sb.post(
        "/v1/oauth2/token",
        &json!({"app_id": "42", "app_secret": "wrong"}),
    );
    assert_eq!(r["code"], 40002);
    let r = sb.post("/v1/oauth2/token", &json!({"app_id": "42"}));
    assert_eq!(r["code"], 40001);
    assert!(r["msg"].as_str().unwrap().contains("app_secret"));
    let r = sb.post(
        "/v1/oauth2/token",
        &json!({"app_id": "42", "app_secret": "s3cr3t"}),
    );
    assert_eq!(r["code"], 0);
}

#[test]
fn access_token_checks() {
    let sb = Sandbox::start(&[]);
    let token = sb.token();
    // Missing headers.
    let r: Value = sb
        .http
        .get(sb.url("/v1/ping"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(r["code"], 40101);
    let r: Value = sb
        .http
        .get(sb.url("/v1/ping"))
        .header("access_token", &token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(r["code"], 40101);
    // app_id header not the token's.
    let r: Value = sb
        .http
        .get(sb.url("/v1/ping"))
        .header("app_id", "999")
        .header("access_token", &token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(r["code"], 40101);
    // Unknown token.
    assert_eq!(
        sb.call("GET", "/v1/ping", "not-a-token", None)["code"],
        40101
    );
    assert_eq!(sb.call("GET", "/v1/ping", &token, None)["code"], 0);
    // Control endpoint revokes.
    let r = sb
        .http
        .post(sb.url("/_sandbox/invalidate_tokens"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sb.call("GET", "/v1/ping", &token, None)["code"], 40101);
    assert_eq!(sb.call("GET", "/v1/ping", &sb.token(), None)["code"], 0);
}

#[test]
fn token_ttl_expiry() {
    let sb = Sandbox::start(&["--token-ttl", "1"]);
    let r = sb.post(
        "/v1/oauth2/token",
        &json!({"app_id": APP_ID, "app_secret": APP_SECRET}),
    );
    assert_eq!(r["data"]["expires_in"], 1);
    let token = r["data"]["access_token"].as_str().unwrap();
    let rt = r["data"]["refresh_token"].as_str().unwrap();
    assert_eq!(sb.call("GET", "/v1/ping", token, None)["code"], 0);
    sleep(Duration::from_millis(1100));
    let e = sb.call("GET", "/v1/ping", token, None);
    assert_eq!(e["code"], 40102, "{e}");
    // The refresh token still works after the access token expired.
    let r = sb.post(
        "/v1/oauth2/token/refresh",
        &json!({"app_id": APP_ID, "app_secret": APP_SECRET, "refresh_token": rt}),
    );
    assert_eq!(r["code"], 0);
    let fresh = r["data"]["access_token"].as_str().unwrap();
    assert_eq!(sb.call("GET", "/v1/ping", fresh, None)["code"], 0);
}

#[test]
fn revoke_previous() {
    let sb = Sandbox::start(&["--revoke-previous"]);
    let (a, ra) = sb.token_pair();
    let b = sb.token();
    assert_eq!(sb.call("GET", "/v1/ping", &a, None)["code"], 40101);
    assert_eq!(sb.call("GET", "/v1/ping", &b, None)["code"], 0);
    // A refresh also replaces the previous access token.
    let r = sb.post(
        "/v1/oauth2/token/refresh",
        &json!({"app_id": APP_ID, "app_secret": APP_SECRET, "refresh_token": ra}),
    );
    assert_eq!(r["code"], 0);
    let c = r["data"]["access_token"].as_str().unwrap();
    assert_eq!(sb.call("GET", "/v1/ping", &b, None)["code"], 40101);
    assert_eq!(sb.call("GET", "/v1/ping", c, None)["code"], 0);
}

#[test]
fn lead_create_validation() {
    let sb = Sandbox::start(&["--no-limits"]);
    let t = sb.token();
    let base = lead("张三", "13800000000");
    let with = |k: &str, v: Value| {
        let mut l = base.clone();
        l[k] = v;
        l
    };
    let without = |keys: &[&str]| {
        let mut l = base.clone();
        for k in keys {
            l.as_object_mut().unwrap().remove(*k);
        }
        l
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!([1, 2]), "body"),
        (json!("text"), "body"),
        (without(&["business_type"]), "business_type"),
        (with("business_type", json!("")), "business_type"),
        (with("business_type", json!(7)), "business_type"),
        (
            with("business_type", json!("bt999999999999999999999999999999")),
            "business_type",
        ),
        (without(&["name"]), "name"),
        (with("name", json!("")), "name"),
        (with("name", json!(null)), "name"),
        (without(&["mobile"]), "mobile or email"),
        (with("mobile", json!("")), "mobile or email"),
        (with("mobile", json!(13800000000u64)), "mobile"),
        (with("email", json!(["a@b.c"])), "email"),
        (with("title", json!(3)), "title"),
        (with("custom_text_1", json!({"a": 1})), "custom_text_1"),
        (with("custom_dept", json!("d1")), "custom_dept"),
        (
            with("custom_multi_dept", json!("d1,d2")),
            "custom_multi_dept",
        ),
        (
            with("custom_image", json!("http://x/y.png")),
            "custom_image",
        ),
        (with("custom_lookup", json!("abc")), "custom_lookup"),
    ];
    for (body, field) in &cases {
        let r = sb.create_lead(&t, body);
        assert_envelope(&r);
        assert_eq!(r["code"], 40001, "{body} -> {r}");
        assert!(
            r["msg"].as_str().unwrap().contains(field),
            "{body}: msg {} does not name {field}",
            r["msg"]
        );
        assert_eq!(r["data"], Value::Null);
    }
    // Non-JSON body.
    let r: Value = sb
        .http
        .post(sb.url("/v1/leads/create"))
        .header("app_id", APP_ID)
        .header("access_token", &t)
        .body("not json")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(r["code"], 40001);
    assert!(sb.leads().is_empty(), "no invalid lead may be stored");

    // Valid variants: email only, every business type, unknown keys, custom text.
    let ok = [
        json!({"business_type": BT_DEFAULT, "name": "a", "email": "a@example.com"}),
        json!({"business_type": "bt000000000000000000000000000002", "name": "b", "mobile": "1"}),
        json!({"business_type": "bt000000000000000000000000000003", "name": "c", "mobile": "2",
               "email": "", "custom_text_1": "x", "no_such_field": "kept", "department": "销售部"}),
    ];
    for body in &ok {
        let r = sb.create_lead(&t, body);
        assert_eq!(r["code"], 0, "{body} -> {r}");
        let id = r["data"]["jing_uuid"].as_str().unwrap();
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    }
    let leads = sb.leads();
    assert_eq!(leads.len(), 3);
    assert_eq!(leads[2]["no_such_field"], "kept");
}

#[test]
fn chinese_round_trip_update_and_query() {
    let sb = Sandbox::start(&[]);
    let t = sb.token();
    let name = "张三·测试 𠀀 ✓";
    let desc = "来自线下活动（上海）— “引号” 🎉";
    let mut l = lead(name, "13800000000");
    l["description"] = json!(desc);
    l["custom_text_1"] = json!("自定义");
    let r = sb.create_lead(&t, &l);
    assert_eq!(r["code"], 0);
    let id = r["data"]["jing_uuid"].as_str().unwrap().to_string();

    let resp = sb
        .request("GET", &format!("/v1/leads/query?jing_uuid={id}"), &t, None)
        .unwrap();
    let raw = resp.bytes().unwrap();
    let text = std::str::from_utf8(&raw).expect("UTF-8 body");
    // Byte-exact: the UTF-8 text appears as is (not \u-escaped).
    assert!(text.contains(name), "{text}");
    assert!(text.contains(desc), "{text}");
    let v: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(v["code"], 0);
    let got = &v["data"];
    assert_eq!(got["jing_uuid"], id.as_str());
    assert_eq!(got["name"], name);
    assert_eq!(got["description"], desc);
    assert_eq!(got["custom_text_1"], "自定义");
    assert_eq!(got["business_type"], BT_DEFAULT);

    // Update.
    let r = sb.call(
        "POST",
        "/v1/leads/update",
        &t,
        Some(&json!({"jing_uuid": id, "title": "经理", "email": "z@example.com"})),
    );
    assert_eq!(r["code"], 0, "{r}");
    assert_eq!(r["data"]["jing_uuid"], id.as_str());
    let got = sb.call("GET", &format!("/v1/leads/query?jing_uuid={id}"), &t, None);
    assert_eq!(got["data"]["title"], "经理");
    assert_eq!(got["data"]["email"], "z@example.com");
    assert_eq!(got["data"]["name"], name);
    // Update rules.
    let unknown = json!({"jing_uuid": "ffffffffffffffffffffffffffffffff", "title": "x"});
    let r = sb.call("POST", "/v1/leads/update", &t, Some(&unknown));
    assert_eq!(r["code"], 40401);
    let r = sb.call("POST", "/v1/leads/update", &t, Some(&json!({"title": "x"})));
    assert_eq!(r["code"], 40001);
    assert!(r["msg"].as_str().unwrap().contains("jing_uuid"));
    let ro = json!({"jing_uuid": id, "custom_image": "x"});
    let r = sb.call("POST", "/v1/leads/update", &t, Some(&ro));
    assert_eq!(r["code"], 40001);
    assert!(r["msg"].as_str().unwrap().contains("custom_image"));
    let r = sb.call(
        "GET",
        "/v1/leads/query?jing_uuid=ffffffffffffffffffffffffffffffff",
        &t,
        None,
    );
    assert_eq!(r["code"], 40401);
    let r = sb.call("GET", "/v1/leads/query", &t, None);
    assert_eq!(r["code"], 40001);

    // Search by mobile / email / name.
    let r = sb.create_lead(&t, &lead("李四", "13900000000"));
    assert_eq!(r["code"], 0);
    let search = |body: Value| sb.call("POST", "/v1/leads/query", &t, Some(&body));
    let r = search(json!({"mobile": "13800000000"}));
    assert_eq!(r["data"]["total"], 1, "{r}");
    assert_eq!(r["data"]["list"][0]["jing_uuid"], id.as_str());
    assert_eq!(search(json!({"name": "李四"}))["data"]["total"], 1);
    assert_eq!(
        search(json!({"email": "z@example.com"}))["data"]["total"],
        1
    );
    assert_eq!(
        search(json!({"email": "z@example.com", "name": "李四"}))["data"]["total"],
        0
    );
    assert_eq!(search(json!({}))["data"]["total"], 2);
    assert_eq!(search(json!({"mobile": 1}))["code"], 40001);
}

#[test]
fn metadata_business_types_and_fields() {
    let sb = Sandbox::start(&[]);
    let t = sb.token();
    let r = sb.call(
        "GET",
        "/v1/crm/object/business_types?object_name=lead",
        &t,
        None,
    );
    assert_eq!(r["code"], 0);
    let list = r["data"]["list"].as_array().unwrap();
    assert!(list.len() >= 2);
    assert_eq!(list[0]["jing_uuid"], BT_DEFAULT);
    assert_eq!(list[0]["is_default"], 1);
    for bt in &list[1..] {
        assert_eq!(bt["is_default"], 0);
        assert_eq!(bt["jing_uuid"].as_str().unwrap().len(), 32);
        assert!(bt["name"].is_string());
    }
    let r = sb.call("GET", "/v1/crm/object/fields?object_name=lead", &t, None);
    assert_eq!(r["code"], 0);
    let fields = r["data"]["list"].as_array().unwrap();
    let find = |code: &str| {
        fields
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("no field {code}"))
    };
    for preset in [
        "business_type",
        "name",
        "mobile",
        "email",
        "company_id",
        "owner",
    ] {
        assert_eq!(find(preset)["is_preset"], 1);
    }
    for (code, ty) in [
        ("custom_text_1", "text"),
        ("custom_dept", "department"),
        ("custom_multi_dept", "multi_departmemt"),
        ("custom_image", "image"),
        ("custom_lookup", "look_up"),
    ] {
        assert_eq!(find(code)["type"], ty);
        assert_eq!(find(code)["is_preset"], 0);
        assert!(find(code)["name"].is_string());
    }
    let r = sb.call("GET", "/v1/crm/object/fields", &t, None);
    assert_eq!(r["code"], 40001);
}

#[test]
fn unknown_path_echo() {
    let sb = Sandbox::start(&[]);
    let t = sb.token();
    let r = sb.call(
        "PUT",
        "/v1/user/create?returnFull=true&x=%E4%B8%AD",
        &t,
        Some(&json!([{"name": "王五"}])),
    );
    assert_envelope(&r);
    assert_eq!(r["code"], 0);
    let e = &r["data"]["echo"];
    assert_eq!(e["method"], "PUT");
    assert_eq!(e["path"], "/v1/user/create");
    assert_eq!(e["query"], "returnFull=true&x=%E4%B8%AD");
    assert_eq!(e["body"], json!([{"name": "王五"}]));
    let r = sb.call("DELETE", "/v2/anything", &t, None);
    let e = &r["data"]["echo"];
    assert_eq!(e["method"], "DELETE");
    assert_eq!(e["query"], Value::Null);
    assert_eq!(e["body"], Value::Null);
    // Unknown paths still need a token.
    assert_eq!(sb.call("GET", "/v2/anything", "nope", None)["code"], 40101);
}

fn codes(sb: &Sandbox, t: &str, path: &str, n: usize) -> Vec<i64> {
    (0..n)
        .map(|_| sb.call("GET", path, t, None)["code"].as_i64().unwrap())
        .collect()
}

#[test]
fn rate_limit_sliding_window() {
    let sb = Sandbox::start(&[]);
    let t = sb.token();
    // On a very loaded machine 11 calls might not fit in one second: then try
    // again on a fresh interface rather than fail.
    let mut attempt = 0;
    let got = loop {
        attempt += 1;
        let path = format!("/v1/ping{attempt}");
        let started = Instant::now();
        let got = codes(&sb, &t, &path, 11);
        if started.elapsed() < Duration::from_millis(900) || attempt == 3 {
            break got;
        }
    };
    assert_eq!(got.iter().filter(|c| **c == 42901).count(), 1, "{got:?}");
    assert_eq!(got[10], 42901);
    let ping = format!("/v1/ping{attempt}");
    // Another interface has its own window; the query string is not part of it.
    assert_eq!(codes(&sb, &t, "/v1/other?a=1", 1), vec![0]);
    assert_eq!(codes(&sb, &t, "/v1/other?a=2", 1), vec![0]);
    sleep(Duration::from_millis(1050));
    assert_eq!(codes(&sb, &t, &ping, 10), vec![0; 10]);
    // Token endpoints are never limited.
    for _ in 0..15 {
        sb.token();
    }
}

#[test]
fn daily_quota_and_rate_rejections_do_not_count() {
    let sb = Sandbox::start(&["--daily-quota", "3", "--rate-limit", "2"]);
    let t = sb.token();
    assert_eq!(codes(&sb, &t, "/v1/q", 3), vec![0, 0, 42901]);
    sleep(Duration::from_millis(1050));
    // The rate-limited call did not use quota: one more success, then 42902.
    assert_eq!(codes(&sb, &t, "/v1/q", 2), vec![0, 42902]);
    sleep(Duration::from_millis(1050));
    assert_eq!(codes(&sb, &t, "/v1/q", 1), vec![42902]);
    // Per interface.
    assert_eq!(codes(&sb, &t, "/v1/other", 2), vec![0, 0]);
    // Run-time config: lift the limits, then set a new quota.
    let r: Value = sb
        .http
        .post(sb.url("/_sandbox/config"))
        .json(&json!({"limits": false}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(r["limits"], false);
    assert_eq!(codes(&sb, &t, "/v1/q", 5), vec![0; 5]);
}

#[test]
fn no_limits_flag() {
    let sb = Sandbox::start(&["--no-limits", "--daily-quota", "1"]);
    let t = sb.token();
    assert_eq!(codes(&sb, &t, "/v1/ping", 25), vec![0; 25]);
}

#[test]
fn runtime_config() {
    let sb = Sandbox::start(&[]);
    let cfg = sb.get("/_sandbox/config");
    assert_eq!(cfg["rate_limit"], 10);
    assert_eq!(cfg["daily_quota"], 10000);
    assert_eq!(cfg["token_ttl"], 7200);
    assert_eq!(cfg["limits"], true);
    assert_eq!(cfg["revoke_previous"], false);
    assert_ne!(cfg["app_secret"], APP_SECRET);
    let set = |body: Value| {
        sb.http
            .post(sb.url("/_sandbox/config"))
            .json(&body)
            .send()
            .unwrap()
    };
    assert_eq!(
        set(json!({"rate_limit": 1, "token_ttl": 60, "revoke_previous": true})).status(),
        200
    );
    assert_eq!(set(json!({"rate_limt": 1})).status(), 400);
    assert_eq!(set(json!({"rate_limit": "x"})).status(), 400);
    let r = sb.post(
        "/v1/oauth2/token",
        &json!({"app_id": APP_ID, "app_secret": APP_SECRET}),
    );
    assert_eq!(r["data"]["expires_in"], 60);
    let t = r["data"]["access_token"].as_str().unwrap();
    assert_eq!(codes(&sb, t, "/v1/ping", 2), vec![0, 42901]);
    let t2 = sb.token();
    assert_eq!(sb.call("GET", "/v1/x", t, None)["code"], 40101);
    assert_eq!(sb.call("GET", "/v1/x", &t2, None)["code"], 0);
}

#[test]
fn journal_records_and_masks_secrets() {
    let sb = Sandbox::start(&[]);
    let (at, rt) = sb.token_pair();
    let r = sb.post(
        "/v1/oauth2/token/refresh",
        &json!({"app_id": APP_ID, "app_secret": APP_SECRET, "refresh_token": rt}),
    );
    let rt2 = r["data"]["refresh_token"].as_str().unwrap().to_string();
    let body = json!({"business_type": BT_DEFAULT, "name": "n", "mobile": "1"});
    assert_eq!(sb.create_lead(&at, &body)["code"], 0);
    sb.call("GET", "/v1/leads/query?jing_uuid=nope", &at, None);
    let nested = json!({"nested": {"access_token": at, "list": [{"app_secret": "x"}]}});
    assert_eq!(sb.call("POST", "/v1/custom", &at, Some(&nested))["code"], 0);

    let text = sb
        .http
        .get(sb.url("/_sandbox/journal"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let j: Value = serde_json::from_str(&text).unwrap();
    for secret in [APP_SECRET, at.as_str(), rt.as_str(), rt2.as_str()] {
        assert!(!text.contains(secret), "journal leaks {secret}");
    }
    let reqs = j["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 5);
    let seqs: Vec<u64> = reqs.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(reqs[0]["path"], "/v1/oauth2/token");
    assert_eq!(reqs[0]["body"]["app_secret"], "***");
    assert_eq!(reqs[0]["body"]["app_id"], APP_ID);
    assert_eq!(reqs[1]["body"]["refresh_token"], "***");
    let create = &reqs[2];
    assert_eq!(create["method"], "POST");
    assert_eq!(create["headers"]["access_token"], "***");
    assert_eq!(create["headers"]["app_id"], APP_ID);
    assert_eq!(create["body"]["name"], "n");
    assert_eq!(create["http_status"], 200);
    assert_eq!(create["code"], 0);
    assert_eq!(create["fault"], Value::Null);
    assert_eq!(create["query"], Value::Null);
    assert!(create["time_ms"].as_f64().unwrap() > 1.6e12);
    assert!(create["time_us"].as_u64().unwrap() > 1_600_000_000_000_000);
    assert_eq!(reqs[3]["query"], "jing_uuid=nope");
    assert_eq!(reqs[3]["code"], 40401);
    assert_eq!(reqs[4]["body"]["nested"]["access_token"], "***");
    assert_eq!(reqs[4]["body"]["nested"]["list"][0]["app_secret"], "***");
    assert_eq!(j["leads"].as_array().unwrap().len(), 1);
    // Control calls are not journaled; the path filter works.
    let f = sb.get("/_sandbox/journal?path=/v1/leads/create");
    let f = f["requests"].as_array().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["path"], "/v1/leads/create");
}

#[test]
fn reset_clears_everything() {
    let sb = Sandbox::start(&[]);
    let t = sb.token();
    assert_eq!(sb.create_lead(&t, &lead("a", "1"))["code"], 0);
    sb.faults(json!([{"kind": "non_json", "path": "/v1/never"}]));
    let set = sb
        .http
        .post(sb.url("/_sandbox/config"))
        .json(&json!({"rate_limit": 1}))
        .send()
        .unwrap();
    assert_eq!(set.status(), 200);
    assert_eq!(codes(&sb, &t, "/v1/p", 2), vec![0, 42901]);
    let r = sb.http.post(sb.url("/_sandbox/reset")).send().unwrap();
    assert_eq!(r.status(), 200);
    let j = sb.journal();
    assert_eq!(j["requests"].as_array().unwrap().len(), 0);
    assert_eq!(j["leads"].as_array().unwrap().len(), 0);
    assert_eq!(sb.get("/_sandbox/faults")["faults"], json!([]));
    assert_eq!(sb.get("/_sandbox/config")["rate_limit"], 10);
    assert_eq!(sb.call("GET", "/v1/p", &t, None)["code"], 40101);
    let t2 = sb.token();
    assert_eq!(codes(&sb, &t2, "/v1/p", 2), vec![0, 0]);
}
