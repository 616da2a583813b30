//! jing_request_json: method, path and body split from the input at 0xff bytes. A path that
//! abi.md says must be refused is INVALID_ARGUMENT; anything else meets the closed port.
#![no_main]

#[path = "common.rs"]
mod common;

use jing::ffi::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0xff);
    let method = common::c_bytes(parts.next().unwrap_or(b""));
    let path = common::c_bytes(parts.next().unwrap_or(b""));
    let body = parts.next().map(common::c_bytes);
    let mut out = std::ptr::null_mut();
    let status = unsafe {
        jing_request_json(
            common::client(),
            method.as_ptr(),
            path.as_ptr(),
            body.as_ref().map_or(std::ptr::null(), |b| b.as_ptr()),
            &mut out,
        )
    };
    if let Ok(p) = path.to_str() {
        let must_refuse = !p.starts_with('/')
            || p.starts_with("//")
            || p.contains("://")
            || p.chars().any(|c| c.is_whitespace() || c.is_control());
        if must_refuse {
            assert_eq!(status, JING_E_INVALID_ARGUMENT, "{p:?}");
        }
    }
    common::check(status, out, &[JING_E_INVALID_ARGUMENT, JING_E_NETWORK]);
});
