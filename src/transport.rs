//! HTTP transport: one reqwest blocking client (a connection pool and one background
//! runtime thread) per distinct transport setting, shared by every libjing client in the
//! process. Fifty clients to one base URL cost one pool and one thread, not fifty.

use crate::error::{Error, Kind, Result};
use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// Responses larger than this are refused: JING answers are small, and a hostile or broken
/// server must not make the host process allocate without bound.
pub const MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;

/// Everything that shapes an HTTP client. Equal settings share one client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Settings {
    pub base_url: String,
    pub proxy: Option<String>,
    pub ca_file: Option<String>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub user_agent: Option<String>,
}

pub struct Transport {
    http: reqwest::blocking::Client,
    /// The process that built the pool. After `fork()` its thread is gone in the child,
    /// so a child must build its own.
    pid: u32,
    /// `timeout_ms`: the whole request, answer included, must be done by then.
    timeout: Duration,
}

/// An HTTP answer, whatever its status.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why no answer came back, split by what matters for retries: whether the request may
/// have reached the server.
#[derive(Debug)]
pub enum Failure {
    /// Connecting failed (DNS, refused, TLS, connect timeout): nothing was delivered.
    NotSent(String),
    /// The request may have been delivered: timeout after sending, connection lost.
    MaybeSent(String),
    /// The answer was larger than `MAX_RESPONSE_BYTES`.
    TooLarge { status: u16 },
}

/// A header to send; `sensitive` ones are hidden from reqwest's Debug output.
pub struct Header<'a> {
    /// A lower-case header name (`HeaderName::from_static` panics on anything else).
    pub name: &'static str,
    pub value: &'a str,
    pub sensitive: bool,
}

/// Keyed by process id too: a forked child must not use its parent's pool.
type Pools = Mutex<HashMap<(u32, Settings), Arc<Transport>>>;

static SHARED: LazyLock<Pools> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The process-wide transport for these settings, built on first use.
pub fn shared(settings: &Settings) -> Result<Arc<Transport>> {
    let pid = std::process::id();
    let key = (pid, settings.clone());
    let mut map = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(t) = map.get(&key) {
        return Ok(t.clone());
    }
    let transport = Arc::new(Transport {
        http: build_client(settings)?,
        pid,
        timeout: settings.timeout,
    });
    map.insert(key, transport.clone());
    Ok(transport)
}

/// How many HTTP clients (each with its own background thread) this process holds for
/// `base_url`.
pub fn pool_count(base_url: &str) -> usize {
    let map = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    map.keys().filter(|(_, s)| s.base_url == base_url).count()
}

fn build_client(s: &Settings) -> Result<reqwest::blocking::Client> {
    let mut agent = format!("libjing/{}", env!("CARGO_PKG_VERSION"));
    if let Some(extra) = s.user_agent.as_deref().filter(|u| !u.is_empty()) {
        agent.push(' ');
        agent.push_str(extra);
    }
    let mut builder = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .timeout(s.timeout)
        .connect_timeout(s.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .user_agent(agent)
        // Credentials travel in headers: never follow a redirect anywhere.
        .redirect(reqwest::redirect::Policy::none())
        // Environment proxies are ignored unless configured (abi.md).
        .no_proxy();
    if let Some(proxy) = &s.proxy {
        let proxy = reqwest::Proxy::all(proxy)
            .map_err(|e| Error::config(format!("proxy is not usable: {}", chain(&e))))?;
        builder = builder.proxy(proxy);
    }
    if let Some(path) = &s.ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| Error::config(format!("ca_file {path} cannot be read: {e}")))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| Error::config(format!("ca_file {path} is not PEM: {}", chain(&e))))?;
        if certs.is_empty() {
            return Err(Error::config(format!(
                "ca_file {path} holds no PEM certificate"
            )));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| Error::config(format!("HTTP client cannot be built: {}", chain(&e))))
}

impl Transport {
    pub fn is_current_process(&self) -> bool {
        self.pid == std::process::id()
    }

    /// Sends one request and reads the whole answer (up to the size cap).
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[Header<'_>],
        body: Option<&str>,
    ) -> std::result::Result<Answer, Failure> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| Failure::NotSent(format!("bad method {method}")))?;
        let mut request = self.http.request(method, url);
        for h in headers {
            let mut value = reqwest::header::HeaderValue::from_str(h.value)
                .map_err(|_| Failure::NotSent(format!("header {} is not valid", h.name)))?;
            value.set_sensitive(h.sensitive);
            request = request.header(reqwest::header::HeaderName::from_static(h.name), value);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_owned());
        }
        let started = Instant::now();
        let mut response = request.send().map_err(|e| {
            let text = chain(&e);
            if e.is_connect() || e.is_builder() {
                Failure::NotSent(text)
            } else {
                Failure::MaybeSent(text)
            }
        })?;
        let status = response.status().as_u16();
        let body = match response.content_length() {
            Some(declared) if declared > MAX_RESPONSE_BYTES => {
                return Err(Failure::TooLarge { status })
            }
            // The common case: the length is declared (and within the cap), and hyper never
            // delivers more. One wait for the whole body, bounded by `timeout`.
            Some(_) => response.bytes().map(Vec::from).map_err(|e| {
                Failure::MaybeSent(format!("reading the answer failed: {}", chain(&e)))
            })?,
            None => self.read_unsized(&mut response, started + self.timeout, status)?,
        };
        Ok(Answer { status, body })
    }

    /// Reads a body of undeclared length (chunked or until close) up to the size cap.
    /// reqwest's blocking timeout bounds each read, not the whole body: a server dripping a
    /// byte now and then would hold the caller forever, so the deadline is checked between
    /// reads and the whole answer takes at most about `timeout` (never more than twice).
    fn read_unsized(
        &self,
        response: &mut reqwest::blocking::Response,
        deadline: Instant,
        status: u16,
    ) -> std::result::Result<Vec<u8>, Failure> {
        let mut body = Vec::new();
        let mut chunk = [0u8; 8 * 1024];
        loop {
            if Instant::now() >= deadline {
                return Err(Failure::MaybeSent(format!(
                    "the answer was not complete within timeout_ms ({} ms)",
                    self.timeout.as_millis()
                )));
            }
            match response.read(&mut chunk) {
                Ok(0) => return Ok(body),
                Ok(n) => {
                    body.extend_from_slice(&chunk[..n]);
                    if body.len() as u64 > MAX_RESPONSE_BYTES {
                        return Err(Failure::TooLarge { status });
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Failure::MaybeSent(format!(
                        "reading the answer failed: {}",
                        chain(&e)
                    )))
                }
            }
        }
    }
}

impl Failure {
    /// The error a caller sees when this failure is final.
    pub fn into_error(self, idempotent: bool) -> Error {
        match self {
            Failure::NotSent(text) => Error::new(
                Kind::Network,
                format!("the request could not be delivered: {text}"),
            ),
            Failure::MaybeSent(text) if idempotent => {
                Error::new(Kind::Network, format!("no answer from the server: {text}"))
            }
            Failure::MaybeSent(text) => Error::new(
                Kind::OutcomeUnknown,
                format!(
                    "the request may have been processed but no answer came back ({text}); \
                     it was not retried: check before sending it again"
                ),
            ),
            Failure::TooLarge { status } => Error::new(
                Kind::Protocol,
                format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes and was refused"),
            )
            .with_http_status(Some(status))
            .with_outcome_unknown(!idempotent),
        }
    }
}

/// An error and its causes in one line ("…: …: certificate unknown"), so that the root
/// cause a user can act on is visible.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
