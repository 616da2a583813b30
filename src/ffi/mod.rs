//! The C ABI of libjing (abi.md). This is the only place with `unsafe` and `extern "C"`:
//! each export turns pointers into Rust values, calls the core, and turns the result back
//! into a status and an owned string. No panic crosses this boundary.

mod boundary;

use crate::client::Client;
use boundary::{guard, guard_value, opt_str_arg, str_arg};
use std::ffi::{c_char, CString};

/// Status code of every fallible call (a fixed-width integer, not a C enum).
#[allow(non_camel_case_types)]
pub type jing_status = i32;

/// Success.
pub const JING_OK: jing_status = 0;
/// NULL pointer, invalid UTF-8, malformed JSON, or a request that fails local validation
/// (nothing was sent).
pub const JING_E_INVALID_ARGUMENT: jing_status = 1;
/// Invalid client configuration.
pub const JING_E_CONFIG: jing_status = 2;
/// Credentials rejected, or no valid token after one refresh.
pub const JING_E_AUTH: jing_status = 3;
/// The rate limit would need a longer wait than `max_wait_ms`, or the server kept
/// answering "rate limited". Safe to retry later.
pub const JING_E_THROTTLED: jing_status = 4;
/// The daily quota of that interface is used up (renews at 00:00 UTC+8).
pub const JING_E_QUOTA_EXHAUSTED: jing_status = 5;
/// The request was never delivered (DNS, connect, TLS). Safe to retry.
pub const JING_E_NETWORK: jing_status = 6;
/// The request may have been processed (timeout or lost connection after sending, 5xx on
/// a call that is not idempotent). Not retried: check before sending it again.
pub const JING_E_OUTCOME_UNKNOWN: jing_status = 7;
/// The server answered with a non-zero `code` not classified above.
pub const JING_E_API: jing_status = 8;
/// The answer was not a valid JSON envelope.
pub const JING_E_PROTOCOL: jing_status = 9;
/// An internal bug was caught at the boundary; the process keeps running.
pub const JING_E_PANIC: jing_status = 99;

/// The version of this C ABI contract; `jing_abi_version()` returns it at run time.
pub const JING_ABI_VERSION: u32 = 1;

/// An opaque client. Create with `jing_client_new`, release with `jing_client_free`.
/// Thread-safe: any number of threads may call it at once.
pub struct JingClient {
    magic: u64,
    inner: Client,
}

const LIVE: u64 = 0x4a49_4e47_434c_4e54; // "JINGCLNT"

/// Borrows a client handle, refusing NULL and (best effort) a handle already freed.
unsafe fn client_arg<'a>(p: *const JingClient) -> crate::Result<&'a Client> {
    match p.as_ref() {
        None => Err(crate::Error::invalid("client is NULL")),
        Some(c) if c.magic != LIVE => Err(crate::Error::invalid(
            "client is not a live JingClient (already freed?)",
        )),
        Some(c) => Ok(&c.inner),
    }
}

/// The library version, e.g. "0.1.0".
///
/// # Safety
/// Always safe. The string is static: never free it.
#[no_mangle]
pub unsafe extern "C" fn jing_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version this library implements (`JING_ABI_VERSION`). Wrappers check it when
/// they load the library.
///
/// # Safety
/// Always safe.
#[no_mangle]
pub unsafe extern "C" fn jing_abi_version() -> u32 {
    JING_ABI_VERSION
}

/// The stable name of a status ("ok", "invalid_argument", …, "panic"), or "unknown".
///
/// # Safety
/// Always safe. The string is static: never free it.
#[no_mangle]
pub unsafe extern "C" fn jing_status_name(status: jing_status) -> *const c_char {
    guard_value(c"unknown".as_ptr(), || {
        boundary::status_name(status).as_ptr()
    })
}

/// Creates a client from a configuration JSON object (keys in the README).
///
/// On success writes the new client to `*out_client` (the caller owns it and releases it
/// with `jing_client_free`) and NULL to `*out_error`. On failure leaves `*out_client`
/// untouched and writes an error JSON to `*out_error` (when non-NULL), which the caller
/// releases with `jing_free_string`.
///
/// # Safety
/// `config_json` is NULL or a NUL-terminated string; `out_client` is NULL or writable;
/// `out_error` is NULL or writable. The library keeps no pointer to `config_json`.
#[no_mangle]
pub unsafe extern "C" fn jing_client_new(
    config_json: *const c_char,
    out_client: *mut *mut JingClient,
    out_error: *mut *mut c_char,
) -> jing_status {
    guard(out_error, || {
        if out_client.is_null() {
            return Err(crate::Error::invalid("out_client is NULL"));
        }
        let config = str_arg(config_json, "config_json")?;
        let inner = Client::new(config)?;
        *out_client = Box::into_raw(Box::new(JingClient { magic: LIVE, inner }));
        Ok(None)
    })
}

/// Releases a client. NULL is a no-op. Must not race with other calls on the same client;
/// the handle is invalid afterwards. Shared state (tokens, limits, connections) stays for
/// other clients of the same app.
///
/// # Safety
/// `client` is NULL or a pointer from `jing_client_new` not yet freed, with no call on it
/// running in another thread.
#[no_mangle]
pub unsafe extern "C" fn jing_client_free(client: *mut JingClient) {
    guard_value((), || {
        if client.is_null() || (*client).magic != LIVE {
            return;
        }
        (*client).magic = 0;
        drop(Box::from_raw(client));
    })
}

/// Creates a lead (`POST /v1/leads/create`). `lead_json` is a JSON object with non-empty
/// string `business_type` and `name` and a non-empty `mobile` or `email`; other fields
/// pass through unchanged. A lead is never sent twice by the library.
///
/// `*out_json` (when `out_json` is non-NULL) receives the server's envelope as received
/// on `JING_OK`, or an error JSON otherwise; the caller releases it with
/// `jing_free_string`. On `JING_E_OUTCOME_UNKNOWN` the lead may exist: look it up before
/// creating it again.
///
/// # Safety
/// `client` is NULL or a live client; `lead_json` is NULL or a NUL-terminated string;
/// `out_json` is NULL or writable. The library keeps no pointer to the inputs.
#[no_mangle]
pub unsafe extern "C" fn jing_lead_create_json(
    client: *mut JingClient,
    lead_json: *const c_char,
    out_json: *mut *mut c_char,
) -> jing_status {
    guard(out_json, || {
        let client = client_arg(client)?;
        let lead = str_arg(lead_json, "lead_json")?;
        client.create_lead(lead).map(Some)
    })
}

/// Calls any Open API endpoint. `method` is GET, POST, PUT or DELETE; `path` starts with
/// `/` and may carry a query string; it is appended to `base_url` as text, so it can never
/// name another host. `body_json` may be NULL. Throttling is per path (without query);
/// GET and known query endpoints are retried when safe, anything else is not.
///
/// `*out_json` as for `jing_lead_create_json`.
///
/// # Safety
/// `client` is NULL or a live client; `method`, `path` are NULL or NUL-terminated strings;
/// `body_json` is NULL or a NUL-terminated string; `out_json` is NULL or writable. The
/// library keeps no pointer to the inputs.
#[no_mangle]
pub unsafe extern "C" fn jing_request_json(
    client: *mut JingClient,
    method: *const c_char,
    path: *const c_char,
    body_json: *const c_char,
    out_json: *mut *mut c_char,
) -> jing_status {
    guard(out_json, || {
        let client = client_arg(client)?;
        let method = str_arg(method, "method")?;
        let path = str_arg(path, "path")?;
        let body = opt_str_arg(body_json, "body_json")?;
        client.request(method, path, body).map(Some)
    })
}

/// Releases a string the library returned through a `char **`. NULL is a no-op. Never
/// pass a string from anywhere else, and never use `free()` on the library's strings.
///
/// # Safety
/// `s` is NULL or a string from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn jing_free_string(s: *mut c_char) {
    guard_value((), || {
        if !s.is_null() {
            drop(CString::from_raw(s));
        }
    })
}

/// Test-only: panics inside the library, to prove the boundary returns `JING_E_PANIC` and
/// the process keeps running. Present only in builds with the `test-panic` feature.
///
/// # Safety
/// `out_json` is NULL or writable; it receives an error JSON to free with
/// `jing_free_string`.
#[cfg(feature = "test-panic")]
#[no_mangle]
pub unsafe extern "C" fn jing_test_panic(out_json: *mut *mut c_char) -> jing_status {
    guard(out_json, || panic!("jing_test_panic was called"))
}
