//! jing_client_new: any configuration text gives OK, CONFIG or INVALID_ARGUMENT (bad
//! UTF-8), with a well-formed error JSON, never a panic.
#![no_main]

#[path = "common.rs"]
mod common;

use jing::ffi::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config = common::c_bytes(data);
    let mut client = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    let status = unsafe { jing_client_new(config.as_ptr(), &mut client, &mut err) };
    if status == JING_OK {
        assert!(err.is_null() && !client.is_null());
        unsafe { jing_client_free(client) };
    } else {
        assert!(client.is_null());
        common::check(status, err, &[JING_E_CONFIG, JING_E_INVALID_ARGUMENT]);
    }
});
