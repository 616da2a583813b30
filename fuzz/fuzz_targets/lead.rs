//! jing_lead_create_json: any lead text is refused locally (INVALID_ARGUMENT) or passes
//! validation and meets the closed port (NETWORK); never a panic.
#![no_main]

#[path = "common.rs"]
mod common;

use jing::ffi::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lead = common::c_bytes(data);
    let mut out = std::ptr::null_mut();
    let status = unsafe { jing_lead_create_json(common::client(), lead.as_ptr(), &mut out) };
    common::check(status, out, &[JING_E_INVALID_ARGUMENT, JING_E_NETWORK]);
});
