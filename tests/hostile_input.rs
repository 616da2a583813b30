//! Hostile input through every export (issue 7): NULLs, invalid UTF-8, truncated and deeply
//! nested JSON, huge strings. Each gives a clear status and a well-formed error JSON, never
//! a crash or a hang. Then a deterministic property test (a seeded generator, so it runs
//! the same everywhere on stable) over the same entry points as the fuzz targets in fuzz/.

mod common;

use common::*;
use jing::ffi::*;
use serde_json::{json, Value};
use std::ffi::{c_char, CString};
use std::time::{Duration, Instant};

const MB: usize = 1024 * 1024;

/// A config for a base URL where nothing listens: whatever passes local validation fails
/// fast with JING_E_NETWORK, and nothing is ever delivered anywhere.
fn dead_end_config() -> Value {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    json!({"app_id": APP_ID, "app_secret": APP_SECRET,
           "base_url": format!("http://127.0.0.1:{port}"), "max_retries": 0,
           "rate_limit_per_second": 100000, "daily_quota": 1000000000})
}

/// Raw bytes as a C string (cut at the first NUL, which a C caller cannot pass anyway).
fn c_bytes(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap()
}

/// Checks the error JSON of a failed call and returns (status, error object).
fn error_of(status: i32, out: *mut c_char) -> (i32, Value) {
    let text = take(out).expect("out_json is always written");
    let v = parse(&text);
    if status == JING_OK {
        return (status, v);
    }
    let e = v["error"].clone();
    assert_eq!(e["status"], status, "{text}");
    for key in jing::error::ERROR_JSON_KEYS {
        assert!(e.get(key).is_some(), "{key} missing: {text}");
    }
    assert!(
        text.len() < 64 * 1024,
        "error JSON stays small: {} bytes",
        text.len()
    );
    (status, e)
}

fn client_new(config: &[u8]) -> (i32, Option<Value>, *mut JingClient) {
    let c = c_bytes(config);
    let mut client = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    let status = unsafe { jing_client_new(c.as_ptr(), &mut client, &mut err) };
    if status == JING_OK {
        assert!(err.is_null());
        (status, None, client)
    } else {
        assert!(client.is_null());
        let (_, e) = error_of(status, err);
        (status, Some(e), client)
    }
}

fn create(lib: &Lib, lead: &[u8]) -> (i32, Value) {
    let c = c_bytes(lead);
    let mut out = std::ptr::null_mut();
    let status = unsafe { jing_lead_create_json(lib.raw, c.as_ptr(), &mut out) };
    error_of(status, out)
}

fn request(lib: &Lib, method: &[u8], path: &[u8], body: Option<&[u8]>) -> (i32, Value) {
    let (m, p) = (c_bytes(method), c_bytes(path));
    let b = body.map(c_bytes);
    let mut out = std::ptr::null_mut();
    let status = unsafe {
        jing_request_json(
            lib.raw,
            m.as_ptr(),
            p.as_ptr(),
            b.as_ref().map_or(std::ptr::null(), |b| b.as_ptr()),
            &mut out,
        )
    };
    error_of(status, out)
}

fn bounded<T>(what: &str, limit: Duration, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = f();
    assert!(
        started.elapsed() < limit,
        "{what} took {:?}",
        started.elapsed()
    );
    result
}

#[test]
fn nulls_everywhere() {
    let lib = Lib::new(&dead_end_config()).unwrap();
    let null = std::ptr::null();
    let mut out = std::ptr::null_mut();
    let mut client = std::ptr::null_mut();
    unsafe {
        assert_eq!(
            jing_client_new(null, null_mut(), null_mut()),
            JING_E_INVALID_ARGUMENT
        );
        assert_eq!(
            jing_client_new(null, &mut client, &mut out),
            JING_E_INVALID_ARGUMENT
        );
        assert!(client.is_null());
        take(out);
        for (c, l) in [(lib.raw, null), (null_mut(), c"{}".as_ptr())] {
            assert_eq!(
                jing_lead_create_json(c, l, &mut out),
                JING_E_INVALID_ARGUMENT
            );
            take(out);
            assert_eq!(
                jing_lead_create_json(c, l, null_mut()),
                JING_E_INVALID_ARGUMENT
            );
        }
        let get = c"GET".as_ptr();
        let path = c"/v1/x".as_ptr();
        for (c, m, p) in [
            (null_mut(), get, path),
            (lib.raw, null, path),
            (lib.raw, get, null),
            (lib.raw, null, null),
        ] {
            assert_eq!(
                jing_request_json(c, m, p, null, &mut out),
                JING_E_INVALID_ARGUMENT
            );
            take(out);
            assert_eq!(
                jing_request_json(c, m, p, null, null_mut()),
                JING_E_INVALID_ARGUMENT
            );
        }
        jing_free_string(null_mut());
        jing_client_free(null_mut());
        assert!(!jing_status_name(i32::MIN).is_null());
        assert!(!jing_version().is_null());
    }
}

fn null_mut<T>() -> *mut T {
    std::ptr::null_mut()
}

#[test]
fn invalid_utf8_is_refused_never_replaced() {
    let lib = Lib::new(&dead_end_config()).unwrap();
    for bad in [
        &b"\xff"[..],
        b"{\"a\":\"\xc3\"}",
        b"{\"a\":\"\xed\xa0\x80\"}",     // a UTF-16 surrogate
        b"{\"a\":\"\xf4\x90\x80\x80\"}", // beyond U+10FFFF
        b"\xc0\xaf",                     // overlong '/'
    ] {
        let (s, e, _) = client_new(bad);
        assert_eq!(s, JING_E_INVALID_ARGUMENT, "{e:?}");
        let (s, e) = create(&lib, bad);
        assert_eq!(s, JING_E_INVALID_ARGUMENT);
        assert!(e["message"].as_str().unwrap().contains("UTF-8"), "{e}");
        assert_eq!(
            request(&lib, bad, b"/v1/x", None).0,
            JING_E_INVALID_ARGUMENT
        );
        assert_eq!(request(&lib, b"GET", bad, None).0, JING_E_INVALID_ARGUMENT);
        assert_eq!(
            request(&lib, b"POST", b"/v1/x", Some(bad)).0,
            JING_E_INVALID_ARGUMENT
        );
    }
}

#[test]
fn truncated_and_deeply_nested_json() {
    let lib = Lib::new(&dead_end_config()).unwrap();
    let good_lead = lead("截断").to_string();
    let good_config = dead_end_config().to_string();
    // Every prefix of a valid document is refused (the full one passes validation).
    for cut in 0..good_lead.len() {
        if !good_lead.is_char_boundary(cut) {
            continue;
        }
        let (s, _) = create(&lib, &good_lead.as_bytes()[..cut]);
        assert_eq!(s, JING_E_INVALID_ARGUMENT, "{:?}", &good_lead[..cut]);
        let (s, _) = request(&lib, b"POST", b"/v1/x", Some(&good_lead.as_bytes()[..cut]));
        assert_eq!(s, JING_E_INVALID_ARGUMENT);
    }
    for cut in 0..good_config.len() {
        let (s, _, _) = client_new(&good_config.as_bytes()[..cut]);
        assert_eq!(s, JING_E_CONFIG, "{:?}", &good_config[..cut]);
    }
    let deep_array = "[".repeat(100_000);
    let deep_closed = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = "{\"a\":".repeat(100_000);
    let deep_in_lead =
        format!("{{\"business_type\":\"b\",\"name\":\"n\",\"mobile\":\"1\",\"x\":{deep_closed}}}");
    for deep in [&deep_array, &deep_closed, &deep_object, &deep_in_lead] {
        bounded("deep JSON", Duration::from_secs(5), || {
            assert_eq!(client_new(deep.as_bytes()).0, JING_E_CONFIG);
            let (s, e) = create(&lib, deep.as_bytes());
            assert_eq!(s, JING_E_INVALID_ARGUMENT, "{e}");
            let (s, _) = request(&lib, b"POST", b"/v1/x", Some(deep.as_bytes()));
            assert_eq!(s, JING_E_INVALID_ARGUMENT);
        });
    }
}

#[test]
fn huge_strings_are_refused_quickly() {
    let lib = Lib::new(&dead_end_config()).unwrap();
    let huge = "a".repeat(20 * MB);
    let huge_string = format!("\"{huge}\"");
    let huge_lead = format!(
        "{{\"business_type\":\"b\",\"name\":\"n\",\"mobile\":\"1\",\"description\":\"{huge}\"}}"
    );
    let limit = Duration::from_secs(10);
    bounded("huge lead", limit, || {
        let (s, e) = create(&lib, huge_lead.as_bytes());
        assert_eq!(s, JING_E_INVALID_ARGUMENT);
        assert!(
            e["message"].as_str().unwrap().contains("larger than"),
            "{e}"
        );
    });
    bounded("huge body", limit, || {
        let (s, _) = request(&lib, b"POST", b"/v1/x", Some(huge_string.as_bytes()));
        assert_eq!(s, JING_E_INVALID_ARGUMENT);
    });
    bounded("huge path", limit, || {
        let path = format!("/{huge}");
        let (s, e) = request(&lib, b"GET", path.as_bytes(), None);
        assert_eq!(s, JING_E_INVALID_ARGUMENT);
        assert!(
            e["message"].as_str().unwrap().contains("longer than"),
            "{e}"
        );
    });
    bounded("huge method", limit, || {
        let (s, e) = request(&lib, huge.as_bytes(), b"/v1/x", None);
        assert_eq!(s, JING_E_INVALID_ARGUMENT);
        assert!(e["message"].as_str().unwrap().len() < 200, "{e}");
    });
    // Configurations: the whole text, and each string value, huge.
    bounded("huge config", limit, || {
        assert_eq!(client_new(huge.as_bytes()).0, JING_E_CONFIG);
    });
    for key in [
        "app_id",
        "app_secret",
        "base_url",
        "user_agent",
        "proxy",
        "ca_file",
    ] {
        let mut c = dead_end_config();
        c[key] = json!(huge);
        let text = c.to_string();
        bounded(key, limit, || {
            let (s, e, _) = client_new(text.as_bytes());
            assert_eq!(s, JING_E_CONFIG, "{key}: {e:?}");
            let text = e.unwrap().to_string();
            assert!(text.len() < 64 * 1024, "{key}: the error does not echo it");
        });
    }
}

// ---------------------------------------------------------------------------------------
// Property test: seeded random inputs, mutated from valid ones, with oracles from abi.md.

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

const ATOMS: &[&str] = &[
    "",
    " ",
    "/",
    "//",
    "://",
    "?",
    "#",
    "\\",
    "..",
    ".",
    "%2e",
    "%2E%2e",
    "%2f",
    "%00",
    "@",
    ":",
    "\t",
    "\r\n",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "张伟",
    "🚀",
    "\"",
    "'",
    "{",
    "}",
    "[",
    "]",
    ",",
    "null",
    "true",
    "0",
    "-1",
    "1e999",
    "http://evil.example",
    "evil.example",
    "v1",
    "leads",
    "create",
    "x=1&y=2",
    "\\u0000",
    "\u{0}",
];

fn random_text(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(6) {
        s.push_str(rng.pick(ATOMS));
    }
    s
}

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    (0..rng.below(40)).map(|_| rng.next() as u8).collect()
}

fn random_value(rng: &mut Rng, depth: u32) -> Value {
    match rng.below(if depth > 2 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => json!(rng.chance(2)),
        2 => json!(rng.next() as i64 >> rng.below(64)),
        3 | 4 => json!(random_text(rng)),
        5 => Value::Array(
            (0..rng.below(3))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut m = serde_json::Map::new();
            for _ in 0..rng.below(3) {
                m.insert(random_text(rng), random_value(rng, depth + 1));
            }
            Value::Object(m)
        }
    }
}

/// Text mutations of a JSON document: cut, splice, flip a byte.
fn mutate_text(rng: &mut Rng, text: String) -> Vec<u8> {
    let mut b = text.into_bytes();
    match rng.below(6) {
        0 if !b.is_empty() => b.truncate(rng.below(b.len())),
        1 if !b.is_empty() => {
            let i = rng.below(b.len());
            b[i] = rng.next() as u8;
        }
        2 => {
            let i = rng.below(b.len() + 1);
            let insert = random_text(rng);
            b.splice(i..i, insert.into_bytes());
        }
        3 => b = random_bytes(rng),
        _ => {}
    }
    b
}

const STATUSES: &[i32] = &[
    JING_OK,
    JING_E_INVALID_ARGUMENT,
    JING_E_CONFIG,
    JING_E_AUTH,
    JING_E_THROTTLED,
    JING_E_QUOTA_EXHAUSTED,
    JING_E_NETWORK,
    JING_E_OUTCOME_UNKNOWN,
    JING_E_API,
    JING_E_PROTOCOL,
];

#[test]
fn property_config_parsing() {
    let mut rng = Rng(0x5eed_0001);
    let keys = [
        "app_id",
        "app_secret",
        "base_url",
        "timeout_ms",
        "max_retries",
        "proxy",
        "ca_file",
        "user_agent",
        "rate_limit_per_second",
        "auth_error_codes",
        "token_path",
        "unknown_key",
    ];
    for _ in 0..3000 {
        let mut c = dead_end_config();
        let mut has_unknown = false;
        for _ in 0..rng.below(3) {
            let key = rng.pick(&keys);
            has_unknown |= key == "unknown_key";
            c[key] = random_value(&mut rng, 0);
        }
        let text = c.to_string();
        let mutated = rng.chance(3);
        let input = if mutated {
            mutate_text(&mut rng, text)
        } else {
            text.into_bytes()
        };
        let (status, _, client) = client_new(&input);
        let utf8 = std::str::from_utf8(&c_bytes(&input).into_bytes()).is_ok();
        match status {
            JING_OK => unsafe { jing_client_free(client) },
            JING_E_CONFIG => assert!(utf8),
            JING_E_INVALID_ARGUMENT => assert!(!utf8, "{input:?}"),
            other => panic!("status {other} for {:?}", String::from_utf8_lossy(&input)),
        }
        if has_unknown && !mutated {
            assert_eq!(status, JING_E_CONFIG, "unknown keys are refused");
        }
    }
}

/// abi.md's lead rule: an object with non-empty strings business_type and name, and a
/// non-empty mobile or email. `None` when the rule says "valid".
fn lead_violation(v: &Value) -> Option<&'static str> {
    let Some(obj) = v.as_object() else {
        return Some("object");
    };
    let text = |k: &str| match obj.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(()),
    };
    for key in ["business_type", "name"] {
        if !matches!(text(key), Ok(Some(_))) {
            return Some(if key == "name" {
                "name"
            } else {
                "business_type"
            });
        }
    }
    match (text("mobile"), text("email")) {
        (Err(()), _) | (_, Err(())) => Some("mobile"),
        (Ok(None), Ok(None)) => Some("mobile"),
        _ => None,
    }
}

#[test]
fn property_lead_validation() {
    let lib = Lib::new(&dead_end_config()).unwrap();
    let mut rng = Rng(0x5eed_0002);
    for _ in 0..3000 {
        let mut l = lead("属性");
        for _ in 0..rng.below(4) {
            let key = rng.pick(&["business_type", "name", "mobile", "email", "custom"]);
            if rng.chance(3) {
                l.as_object_mut().unwrap().remove(key);
            } else {
                l[key] = random_value(&mut rng, 0);
            }
        }
        let mutated = rng.chance(4);
        let input = if mutated {
            mutate_text(&mut rng, l.to_string())
        } else {
            l.to_string().into_bytes()
        };
        let (status, e) = create(&lib, &input);
        assert!(
            status == JING_E_INVALID_ARGUMENT || status == JING_E_NETWORK,
            "{status}: {e}"
        );
        if !mutated {
            match lead_violation(&l) {
                Some(field) => {
                    assert_eq!(status, JING_E_INVALID_ARGUMENT, "{l}");
                    let m = e["message"].as_str().unwrap();
                    assert!(m.contains(field) || m.contains("lead"), "{l}: {m}");
                }
                None => assert_eq!(status, JING_E_NETWORK, "valid lead refused: {l} {e}"),
            }
        }
    }
}

/// abi.md: a path that does not start with '/', starts with '//', contains '://',
/// whitespace or control characters is refused locally.
fn path_must_be_refused(p: &str) -> bool {
    !p.starts_with('/')
        || p.starts_with("//")
        || p.contains("://")
        || p.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[test]
fn property_request_paths_stay_on_the_configured_host() {
    // A sandbox: any path the library accepts must reach it (never another host), so the
    // call ends with the sandbox's answer, not a network error.
    let sb = Sandbox::start(&["--no-limits"]);
    let lib = Lib::new(&sb.config(json!({"max_retries": 0,
        "rate_limit_per_second": 100000, "daily_quota": 1000000000})))
    .unwrap();
    let mut rng = Rng(0x5eed_0003);
    let mut sent = 0;
    for _ in 0..1500 {
        let mut path = String::from(rng.pick(&["/", "/v1/", "", "//", "/v1/echo?"]));
        for _ in 0..rng.below(5) {
            path.push_str(rng.pick(ATOMS));
        }
        let method = rng.pick(&["GET", "POST", "put", "DELETE", "PATCH", "", "GET\n"]);
        let body = rng.chance(2).then(|| random_value(&mut rng, 0).to_string());
        let (status, e) = request(
            &lib,
            method.as_bytes(),
            path.as_bytes(),
            body.as_deref().map(str::as_bytes),
        );
        // What a C caller can pass ends at the first NUL.
        let effective = path.split('\0').next().unwrap();
        if path_must_be_refused(effective) {
            assert_eq!(status, JING_E_INVALID_ARGUMENT, "{path:?}: {e}");
        }
        if status != JING_E_INVALID_ARGUMENT {
            sent += 1;
            assert!(
                status == JING_OK || status == JING_E_API || status == JING_E_PROTOCOL,
                "{method} {path:?}: {status} {e}"
            );
        }
        assert!(STATUSES.contains(&status));
    }
    assert!(sent > 100, "enough requests were accepted: {sent}");
    // Everything the library sent went to the sandbox: one journal entry per request.
    let journal = sb.requests(None);
    let api = journal
        .iter()
        .filter(|r| !r["path"].as_str().unwrap().starts_with("/v1/oauth2/"))
        .count();
    assert_eq!(api, sent);
}

#[test]
fn property_random_bytes_through_every_export() {
    let lib = Lib::new(&dead_end_config()).unwrap();
    let mut rng = Rng(0x5eed_0004);
    for _ in 0..2000 {
        let (a, b, c) = (
            random_bytes(&mut rng),
            random_bytes(&mut rng),
            random_bytes(&mut rng),
        );
        let (s, _, client) = client_new(&a);
        assert!(s == JING_E_CONFIG || s == JING_E_INVALID_ARGUMENT, "{s}");
        assert!(client.is_null());
        assert_eq!(create(&lib, &a).0, JING_E_INVALID_ARGUMENT);
        let (s, e) = request(&lib, &a, &b, Some(&c));
        assert_eq!(s, JING_E_INVALID_ARGUMENT, "{e}");
        let name = unsafe { std::ffi::CStr::from_ptr(jing_status_name(rng.next() as i32)) };
        assert!(!name.to_bytes().is_empty());
    }
}
