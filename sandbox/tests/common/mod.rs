//! Test helpers: spawn the built sandbox on a free port and talk to it over HTTP.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const APP_ID: &str = "1000000000000001";
pub const APP_SECRET: &str = "0123456789abcdef0123456789abcdef";
pub const BT_DEFAULT: &str = "bt000000000000000000000000000001";

pub struct Sandbox {
    pub child: Child,
    pub url: String,
    pub first_line: String,
    pub http: reqwest::blocking::Client,
    _stdout: BufReader<ChildStdout>,
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

impl Sandbox {
    pub fn start(args: &[&str]) -> Sandbox {
        Self::start_with_client(args, client())
    }

    pub fn start_with_client(args: &[&str], http: reqwest::blocking::Client) -> Sandbox {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jing-sandbox"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn jing-sandbox");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("first line");
        let first_line = line.trim_end().to_string();
        let url = first_line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
            .to_string();
        Sandbox {
            child,
            url,
            first_line,
            http,
            _stdout: stdout,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send a signal with the system `kill` and wait (at most 5 s) for the exit.
    pub fn signal_and_wait(&mut self, sig: &str) -> ExitStatus {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill -{sig} failed");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                return st;
            }
            assert!(Instant::now() < deadline, "sandbox did not exit on {sig}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// POST JSON, answer the parsed JSON body (panics when it is not JSON).
    pub fn post(&self, path: &str, body: &Value) -> Value {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .expect("send")
            .json()
            .expect("json body")
    }

    pub fn get(&self, path: &str) -> Value {
        self.http
            .get(self.url(path))
            .send()
            .expect("send")
            .json()
            .expect("json body")
    }

    pub fn token_pair(&self) -> (String, String) {
        let r = self.post(
            "/v1/oauth2/token",
            &json!({"app_id": APP_ID, "app_secret": APP_SECRET}),
        );
        assert_eq!(r["code"], 0, "{r}");
        (
            r["data"]["access_token"].as_str().unwrap().to_string(),
            r["data"]["refresh_token"].as_str().unwrap().to_string(),
        )
    }

    pub fn token(&self) -> String {
        self.token_pair().0
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> reqwest::Result<reqwest::blocking::Response> {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self
            .http
            .request(m, self.url(path))
            .header("app_id", APP_ID)
            .header("access_token", token);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        rb.send()
    }

    /// An authenticated call answering the envelope.
    pub fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Value {
        self.request(method, path, token, body)
            .expect("send")
            .json()
            .expect("json envelope")
    }

    pub fn create_lead(&self, token: &str, lead: &Value) -> Value {
        self.call("POST", "/v1/leads/create", token, Some(lead))
    }

    pub fn journal(&self) -> Value {
        self.get("/_sandbox/journal")
    }

    pub fn leads(&self) -> Vec<Value> {
        self.journal()["leads"].as_array().unwrap().clone()
    }

    pub fn faults(&self, faults: Value) {
        let r = self
            .http
            .post(self.url("/_sandbox/faults"))
            .json(&json!({ "faults": faults }))
            .send()
            .expect("send");
        assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn lead(name: &str, mobile: &str) -> Value {
    json!({"business_type": BT_DEFAULT, "name": name, "mobile": mobile})
}

pub fn assert_envelope(v: &Value) {
    let id = v["request_id"].as_str().expect("request_id");
    assert_eq!(id.len(), 32, "{v}");
    assert!(
        id.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "{v}"
    );
    assert!(v["code"].is_i64(), "{v}");
    assert!(v["msg"].is_string(), "{v}");
    assert!(v.get("data").is_some(), "{v}");
}
