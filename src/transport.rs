//! HTTP transport: one pool of keep-alive connections per distinct transport setting,
//! shared by every libjing client in the process. Requests run on the calling thread
//! (no runtime, no background thread), so a call costs what the network costs.

use crate::connection::{Connection, Route};
use crate::error::{Error, Kind, Result};
use crate::http1::{self, ReadError};
use crate::url::HttpUrl;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

pub use crate::http1::{Header, MAX_BODY_BYTES as MAX_RESPONSE_BYTES};

/// Idle connections kept per pool (beyond that, the oldest is closed).
const MAX_IDLE: usize = 64;
/// An idle connection older than this is closed rather than reused: servers and NATs drop
/// idle connections after a minute or so (some firewalls silently), and a fresh one costs
/// a round trip or two.
const MAX_IDLE_TIME: Duration = Duration::from_secs(30);

/// Everything that shapes a connection pool. Equal settings share one pool.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Settings {
    pub base_url: String,
    pub proxy: Option<String>,
    pub ca_file: Option<String>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub user_agent: Option<String>,
}

// Hand-written so that a proxy password never reaches `{:?}`.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("base_url", &self.base_url)
            .field("proxy", &self.proxy.as_deref().map(crate::url::redacted))
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

pub struct Transport {
    route: Route,
    /// The process that opened the connections. A forked child must not write into
    /// sockets it shares with its parent, so it builds its own pool.
    pid: u32,
    /// `timeout_ms`: each attempt, answer included, must be done by then.
    timeout: Duration,
    /// The header lines every request carries (Host, User-Agent, Accept, proxy
    /// credentials), encoded and checked once.
    preset_headers: Vec<u8>,
    /// What precedes a call's path in the request line: the base URL's path prefix, and
    /// the origin too when a proxy takes plain HTTP in absolute form.
    target_prefix: String,
    idle: Mutex<Vec<Connection>>,
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
    /// Connecting or sending failed (DNS, refused, TLS, proxy, connect timeout, the
    /// request not written whole): the server cannot have processed it.
    NotSent(String),
    /// The request was written whole but no complete answer came back: it may have been
    /// processed.
    MaybeSent(String),
    /// The answer was larger than `MAX_RESPONSE_BYTES`.
    TooLarge { status: u16 },
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
    let transport = Arc::new(Transport::new(settings, pid)?);
    map.insert(key, transport.clone());
    Ok(transport)
}

/// How many connection pools this process holds for `base_url`.
pub fn pool_count(base_url: &str) -> usize {
    let map = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    map.keys().filter(|(_, s)| s.base_url == base_url).count()
}

fn config_url(key: &str, raw: &str) -> Result<HttpUrl> {
    HttpUrl::parse(raw).map_err(|e| Error::config(format!("{key} is not usable: {e}")))
}

impl Transport {
    fn new(s: &Settings, pid: u32) -> Result<Transport> {
        let target = config_url("base_url", &s.base_url)?;
        let proxy = s
            .proxy
            .as_deref()
            .map(|p| config_url("proxy", p))
            .transpose()?;
        let route = Route {
            tls: Arc::new(tls_config(s.ca_file.as_deref())?),
            target,
            proxy,
            connect_timeout: s.connect_timeout,
        };
        let mut agent = format!("libjing/{}", env!("CARGO_PKG_VERSION"));
        if let Some(extra) = s.user_agent.as_deref().filter(|u| !u.is_empty()) {
            agent.push(' ');
            agent.push_str(extra);
        }
        let host = route.target.authority();
        let mut common = vec![
            Header {
                name: "Host",
                value: &host,
            },
            Header {
                name: "User-Agent",
                value: &agent,
            },
            Header {
                name: "Accept",
                value: "application/json",
            },
        ];
        // Plain HTTP through a proxy: absolute-form targets, credentials on each request.
        let proxy_auth = route
            .proxy_authorization()
            .filter(|_| route.absolute_form());
        if let Some(auth) = &proxy_auth {
            common.push(Header {
                name: "Proxy-Authorization",
                value: auth,
            });
        }
        let target_prefix = match route.absolute_form() {
            true => format!("{}{}", route.target.origin(), route.target.path),
            false => route.target.path.clone(),
        };
        let mut preset_headers = Vec::new();
        http1::encode_headers(&mut preset_headers, &common).map_err(Error::config)?;
        Ok(Transport {
            route,
            pid,
            timeout: s.timeout,
            preset_headers,
            target_prefix,
            idle: Mutex::new(Vec::new()),
        })
    }

    pub fn is_current_process(&self) -> bool {
        self.pid == std::process::id()
    }

    /// Sends one request to `path` (below the base URL) and reads the whole answer (up to
    /// the size cap).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[Header<'_>],
        body: Option<&str>,
    ) -> std::result::Result<Answer, Failure> {
        let deadline = Instant::now() + self.timeout;
        let target = format!("{}{}", self.target_prefix, crate::url::encode_path(path));
        let body = body.map(str::as_bytes);
        let request = http1::encode_request(method, &target, &self.preset_headers, headers, body)
            .map_err(Failure::NotSent)?;

        let mut conn = match self.checkout() {
            Some(conn) => conn,
            None => self.route.open(deadline).map_err(Failure::NotSent)?,
        };
        conn.set_deadline(deadline);
        // Not written whole: the server has at most part of a request, which it cannot
        // process.
        conn.write_all(&request)
            .and_then(|_| conn.flush())
            .map_err(|e| Failure::NotSent(format!("sending the request failed: {e}")))?;
        let mut buf = std::mem::take(&mut conn.read_buf);
        let answer = http1::read_response(&mut conn, &mut buf);
        conn.read_buf = buf;
        match answer {
            Ok(response) => {
                // Plain HTTP through a proxy (loopback sandboxes only) is never reused:
                // proxies such as tinyproxy close after each answer without saying so,
                // and a create written into that connection would be "outcome unknown".
                if response.reusable && !self.route.absolute_form() {
                    self.checkin(conn);
                }
                Ok(Answer {
                    status: response.status,
                    body: response.body,
                })
            }
            Err(ReadError::TooLarge { status }) => Err(Failure::TooLarge { status }),
            Err(ReadError::Malformed(text)) => Err(Failure::MaybeSent(text)),
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
                Err(Failure::MaybeSent(format!(
                    "the answer was not complete within timeout_ms ({} ms)",
                    self.timeout.as_millis()
                )))
            }
            Err(ReadError::Io(e)) => Err(Failure::MaybeSent(format!(
                "reading the answer failed: {}",
                chain(&e)
            ))),
        }
    }

    /// The most recently used idle connection that is still usable.
    fn checkout(&self) -> Option<Connection> {
        loop {
            let mut conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()?;
            // Checked however recently it was used: a peer may close right after its
            // answer without saying so (tinyproxy does), and a create written into that
            // connection would end as "outcome unknown".
            if conn.idle_since.elapsed() < MAX_IDLE_TIME && conn.is_usable() {
                return Some(conn);
            }
        }
    }

    fn checkin(&self, mut conn: Connection) {
        conn.idle_since = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() >= MAX_IDLE {
            idle.remove(0);
        }
        idle.push(conn);
    }
}

/// TLS settings: the bundled Mozilla roots plus `ca_file`, ring as the crypto provider.
fn tls_config(ca_file: Option<&str>) -> Result<rustls::ClientConfig> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| Error::config(format!("ca_file {path} cannot be read: {e}")))?;
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert =
                cert.map_err(|e| Error::config(format!("ca_file {path} is not PEM: {e}")))?;
            roots.add(cert).map_err(|e| {
                Error::config(format!("ca_file {path} holds an unusable certificate: {e}"))
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(Error::config(format!(
                "ca_file {path} holds no PEM certificate"
            )));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("TLS cannot be set up: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
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
