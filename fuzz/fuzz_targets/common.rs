//! Shared by the fuzz targets: drive the C ABI exactly as a C caller would.
#![allow(dead_code)]

use jing::ffi::*;
use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

/// Raw bytes as a C string, cut at the first NUL (a C caller cannot pass one).
pub fn c_bytes(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap()
}

/// Checks a status and its out_json, then frees it. Any violation aborts the fuzzer.
pub fn check(status: jing_status, out: *mut c_char, allowed: &[jing_status]) {
    assert!(allowed.contains(&status), "unexpected status {status}");
    assert!(!out.is_null(), "out_json is always written");
    let text = unsafe { CStr::from_ptr(out) }.to_str().expect("UTF-8 out_json").to_owned();
    unsafe { jing_free_string(out) };
    let v: serde_json::Value = serde_json::from_str(&text).expect("out_json is JSON");
    if status != JING_OK {
        assert_eq!(v["error"]["status"], status, "{text}");
        assert!(!text.contains(SECRET), "the secret leaked: {text}");
    }
}

pub const SECRET: &str = "0123456789abcdef0123456789abcdef";

/// A client whose base URL is a loopback port where nothing listens: whatever passes local
/// validation fails fast with JING_E_NETWORK and nothing is delivered.
pub fn client() -> *mut JingClient {
    struct Handle(*mut JingClient);
    unsafe impl Send for Handle {}
    unsafe impl Sync for Handle {}
    static CLIENT: OnceLock<Handle> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let config = CString::new(format!(
                r#"{{"app_id":"1000000000000001","app_secret":"{SECRET}",
                    "base_url":"http://127.0.0.1:9","max_retries":0,
                    "connect_timeout_ms":200,"timeout_ms":500,
                    "rate_limit_per_second":100000,"daily_quota":1000000000}}"#
            ))
            .unwrap();
            let mut client = std::ptr::null_mut();
            let status =
                unsafe { jing_client_new(config.as_ptr(), &mut client, std::ptr::null_mut()) };
            assert_eq!(status, JING_OK);
            Handle(client)
        })
        .0
}
