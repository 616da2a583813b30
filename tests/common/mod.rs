//! Shared by the integration tests: a real jing-sandbox on a free loopback port, and the
//! library driven through its C ABI exactly as a C caller would.
#![allow(dead_code)]

use jing::ffi::*;
use serde_json::{json, Value};
use std::ffi::{c_char, CStr, CString};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::Duration;

pub const APP_ID: &str = "1000000000000001";
pub const APP_SECRET: &str = "0123456789abcdef0123456789abcdef";
pub const BUSINESS_TYPE: &str = "bt000000000000000000000000000001";

/// The sandbox binary: `JING_SANDBOX_BIN`, else the workspace's target dir, built on
/// first use when missing.
pub fn sandbox_bin() -> PathBuf {
    if let Ok(p) = std::env::var("JING_SANDBOX_BIN") {
        return PathBuf::from(p);
    }
    static BUILD: Once = Once::new();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let bin = target.join("debug").join("jing-sandbox");
    BUILD.call_once(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "jing-sandbox"])
            .current_dir(&root)
            .status()
            .expect("cargo build -p jing-sandbox");
        assert!(status.success(), "building jing-sandbox failed");
    });
    bin
}

pub struct Sandbox {
    child: Child,
    pub url: String,
    http: reqwest::blocking::Client,
}

impl Sandbox {
    pub fn start(args: &[&str]) -> Sandbox {
        let mut child = Command::new(sandbox_bin())
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn jing-sandbox");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("sandbox prints its address");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .no_proxy()
            .build()
            .unwrap();
        Sandbox { child, url, http }
    }

    /// For a sandbox in TLS mode: trust this CA (PEM) on the control API too.
    #[allow(dead_code)]
    pub fn trusting(mut self, ca_pem: &str) -> Sandbox {
        let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap();
        self.http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .no_proxy()
            .add_root_certificate(ca)
            .build()
            .unwrap();
        self
    }

    pub fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().unwrap_or(Value::Null)
    }

    pub fn faults(&self, faults: Value) {
        self.post("/_sandbox/faults", json!({ "faults": faults }));
    }

    pub fn set(&self, config: Value) {
        self.post("/_sandbox/config", config);
    }

    /// Journal entries for one path (all paths when `None`).
    pub fn journal(&self) -> Value {
        self.http
            .get(format!("{}/_sandbox/journal", self.url))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    pub fn requests(&self, path: Option<&str>) -> Vec<Value> {
        self.journal()["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| path.is_none_or(|p| r["path"] == p))
            .cloned()
            .collect()
    }

    pub fn leads(&self) -> Vec<Value> {
        self.journal()["leads"].as_array().unwrap().clone()
    }

    /// A client config for this sandbox, with `extra` keys merged in.
    pub fn config(&self, extra: Value) -> Value {
        let mut c = json!({"app_id": APP_ID, "app_secret": APP_SECRET, "base_url": self.url});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every text the library returned in this process, for the secret scan.
pub static RETURNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Takes ownership of a string the library returned.
pub fn take(p: *mut c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    unsafe { jing_free_string(p) };
    RETURNED.lock().unwrap().push(s.clone());
    Some(s)
}

pub fn parse(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// A libjing client handle used through the C ABI.
pub struct Lib {
    pub raw: *mut JingClient,
}

unsafe impl Send for Lib {}
unsafe impl Sync for Lib {}

/// (status, parsed out_json)
pub type Outcome = (i32, Value);

impl Lib {
    pub fn new(config: &Value) -> Result<Lib, Outcome> {
        let text = CString::new(config.to_string()).unwrap();
        let mut raw = std::ptr::null_mut();
        let mut err = std::ptr::null_mut();
        let status = unsafe { jing_client_new(text.as_ptr(), &mut raw, &mut err) };
        let err = take(err);
        if status == JING_OK {
            assert!(err.is_none(), "no error text on success");
            Ok(Lib { raw })
        } else {
            assert!(raw.is_null(), "no client on failure");
            Err((status, parse(&err.expect("error JSON on failure"))))
        }
    }

    pub fn create(&self, lead: &Value) -> Outcome {
        self.create_text(&lead.to_string())
    }

    pub fn create_text(&self, lead: &str) -> Outcome {
        let text = CString::new(lead).unwrap();
        let mut out = std::ptr::null_mut();
        let status = unsafe { jing_lead_create_json(self.raw, text.as_ptr(), &mut out) };
        (
            status,
            parse(&take(out).expect("out_json is always written")),
        )
    }

    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Outcome {
        let m = CString::new(method).unwrap();
        let p = CString::new(path).unwrap();
        let b = body.map(|b| CString::new(b.to_string()).unwrap());
        let mut out = std::ptr::null_mut();
        let status = unsafe {
            jing_request_json(
                self.raw,
                m.as_ptr(),
                p.as_ptr(),
                b.as_ref().map_or(std::ptr::null(), |b| b.as_ptr()),
                &mut out,
            )
        };
        (
            status,
            parse(&take(out).expect("out_json is always written")),
        )
    }
}

impl Drop for Lib {
    fn drop(&mut self) {
        unsafe { jing_client_free(self.raw) };
    }
}

pub fn lead(name: &str) -> Value {
    json!({"business_type": BUSINESS_TYPE, "name": name, "mobile": "13800000000"})
}

/// Asserts a failure's status and kind and returns its error object.
pub fn expect_error(outcome: &Outcome, status: i32) -> Value {
    assert_eq!(outcome.0, status, "{}", outcome.1);
    let e = outcome.1["error"].clone();
    assert_eq!(e["status"], status);
    let name = unsafe { CStr::from_ptr(jing_status_name(status)) };
    assert_eq!(e["kind"], name.to_str().unwrap());
    e
}
