//! The mechanics of crossing the C boundary, written once: catching panics, reading C
//! strings, writing owned strings out. Every export goes through `guard`.

use super::{jing_status, JING_E_INVALID_ARGUMENT, JING_E_PANIC, JING_E_PROTOCOL, JING_OK};
use crate::error::{Error, Kind, Result};
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`, catching any panic, and turns its outcome into a status. On success the
/// returned text (if any) goes to `*out`; on failure the error JSON does. `*out` is set
/// to NULL when there is nothing to write, so a caller never sees a stale pointer.
///
/// # Safety
/// `out` is NULL or valid for one pointer write.
pub unsafe fn guard(
    out: *mut *mut c_char,
    f: impl FnOnce() -> Result<Option<String>>,
) -> jing_status {
    let (status, text) = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(text)) => (JING_OK, text),
        Ok(Err(e)) => (e.kind.status(), Some(e.to_json())),
        Err(_) => (JING_E_PANIC, Some(panic_error().to_json())),
    };
    if out.is_null() {
        return status;
    }
    let Some(text) = text else {
        *out = std::ptr::null_mut();
        return status;
    };
    match CString::new(text) {
        Ok(c) => {
            *out = c.into_raw();
            status
        }
        // Only a server answer could hold a NUL byte; JSON text cannot.
        Err(_) => {
            let e = Error::new(Kind::Protocol, "the answer contains a NUL byte");
            *out = CString::new(e.to_json()).map_or(std::ptr::null_mut(), CString::into_raw);
            JING_E_PROTOCOL
        }
    }
}

/// Like `guard` for functions that return no string (or a value of their own).
pub fn guard_value<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(on_panic)
}

pub fn panic_error() -> Error {
    Error::new(
        Kind::Panic,
        "an internal error was caught at the library boundary (a bug in libjing; please \
         report it); the process can continue",
    )
}

/// Borrows a required C string argument as UTF-8.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the returned borrow.
pub unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::invalid(format!("{name} is NULL")));
    }
    CStr::from_ptr(p).to_str().map_err(|e| {
        Error::invalid(format!(
            "{name} is not valid UTF-8 (first bad byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Like `str_arg` where NULL means "none".
///
/// # Safety
/// As for `str_arg`.
pub unsafe fn opt_str_arg<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        str_arg(p, name).map(Some)
    }
}

/// Makes sure the status names agree with the core's kinds (checked by a unit test).
pub fn status_name(status: jing_status) -> &'static CStr {
    match status {
        JING_OK => c"ok",
        JING_E_INVALID_ARGUMENT => c"invalid_argument",
        2 => c"config",
        3 => c"auth",
        4 => c"throttled",
        5 => c"quota_exhausted",
        6 => c"network",
        7 => c"outcome_unknown",
        8 => c"api",
        9 => c"protocol",
        JING_E_PANIC => c"panic",
        _ => c"unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_match_kinds() {
        for kind in [
            Kind::InvalidArgument,
            Kind::Config,
            Kind::Auth,
            Kind::Throttled,
            Kind::QuotaExhausted,
            Kind::Network,
            Kind::OutcomeUnknown,
            Kind::Api,
            Kind::Protocol,
            Kind::Panic,
        ] {
            assert_eq!(status_name(kind.status()).to_str().unwrap(), kind.name());
        }
        assert_eq!(status_name(0).to_str().unwrap(), "ok");
        assert_eq!(status_name(-1).to_str().unwrap(), "unknown");
        assert_eq!(status_name(10).to_str().unwrap(), "unknown");
    }

    #[test]
    fn guard_turns_a_panic_into_a_status_and_json() {
        let mut out: *mut c_char = std::ptr::null_mut();
        let status = unsafe { guard(&mut out, || panic!("boom")) };
        assert_eq!(status, JING_E_PANIC);
        let text = unsafe { CString::from_raw(out) }.into_string().unwrap();
        assert!(text.contains("\"kind\":\"panic\""), "{text}");
    }
}
