//! A hostile (or just broken) HTTP server for the security tests: a std `TcpListener` on
//! loopback answering raw bytes chosen by the test, so that the answers the sandbox would
//! never give (oversized, dripping, redirecting, echoing secrets) can be produced.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the fake server read it.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub enum Reply {
    /// These bytes, then the connection is closed.
    Raw(Vec<u8>),
    /// `head` at once, then one byte of `body_byte` every `interval`, for at most `max`.
    Drip {
        head: Vec<u8>,
        interval: Duration,
        max: Duration,
    },
    /// Close the connection without a byte.
    Close,
    /// These bytes, then the connection stays open for the next request; the server closes
    /// it once it has been idle for `idle`.
    KeepAlive { bytes: Vec<u8>, idle: Duration },
}

pub type Handler = dyn Fn(&Req) -> Reply + Send + Sync;

pub struct Fake {
    pub url: String,
    pub port: u16,
    requests: Arc<Mutex<Vec<Req>>>,
    connections: Arc<Mutex<usize>>,
}

impl Fake {
    pub fn start(handler: impl Fn(&Req) -> Reply + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (reqs, conns) = (requests.clone(), connections.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                *conns.lock().unwrap() += 1;
                let (handler, reqs) = (handler.clone(), reqs.clone());
                std::thread::spawn(move || serve(stream, &*handler, &reqs));
            }
        });
        Fake {
            url: format!("http://127.0.0.1:{port}"),
            port,
            requests,
            connections,
        }
    }

    pub fn requests(&self) -> Vec<Req> {
        self.requests.lock().unwrap().clone()
    }

    /// TCP connections accepted so far (whether or not a request was read).
    pub fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }
}

fn serve(stream: TcpStream, handler: &Handler, requests: &Mutex<Vec<Req>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    while let Some(req) = read_request(&mut reader) {
        requests.lock().unwrap().push(req.clone());
        match handler(&req) {
            Reply::KeepAlive { bytes, idle } => {
                if writer.write_all(&bytes).is_err() {
                    return;
                }
                let _ = writer.set_read_timeout(Some(idle));
                continue;
            }
            Reply::Raw(bytes) => {
                let _ = writer.write_all(&bytes);
                let _ = writer.flush();
            }
            Reply::Drip {
                head,
                interval,
                max,
            } => {
                let started = Instant::now();
                if writer.write_all(&head).is_err() {
                    return;
                }
                while started.elapsed() < max {
                    if writer.write_all(b" ").and_then(|_| writer.flush()).is_err() {
                        return;
                    }
                    std::thread::sleep(interval);
                }
            }
            Reply::Close => {}
        }
        break;
    }
    let _ = writer.shutdown(std::net::Shutdown::Both);
}

/// The next request on the connection; `None` at its end (or after the idle timeout).
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Req> {
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Req {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A complete answer with a Content-Length and `Connection: close`.
pub fn http(status: u16, extra_headers: &str, body: &[u8]) -> Reply {
    let mut bytes = format!(
        "HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         {extra_headers}Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    Reply::Raw(bytes)
}

pub fn envelope(code: i64, msg: &str, data: serde_json::Value) -> Reply {
    let body = serde_json::json!({
        "request_id": "fa4efa4efa4efa4efa4efa4efa4efa4e",
        "code": code, "msg": msg, "data": data,
    });
    http(200, "", body.to_string().as_bytes())
}

/// A token answer handing out these tokens.
pub fn token_reply(access: &str, refresh: &str) -> Reply {
    envelope(
        0,
        "success",
        serde_json::json!({"access_token": access, "refresh_token": refresh,
                           "expires_in": 7200, "token_type": "bearer", "scope": "all"}),
    )
}

/// A fresh UUID-shaped token (the sandbox's tokens are UUIDs), distinct per call.
pub fn uuid_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{nanos:08x}-{:04x}-4abc-8def-{:012x}",
        n & 0xffff,
        (n << 20) ^ 0x5eed
    )
}

/// The same answer without `Connection: close`: the server keeps the connection open for
/// the next request, and closes it after `idle` without one.
pub fn kept_alive(reply: Reply, idle: Duration) -> Reply {
    let Reply::Raw(mut bytes) = reply else {
        panic!("only complete answers can be kept alive")
    };
    let close = b"Connection: close\r\n";
    if let Some(i) = bytes.windows(close.len()).position(|w| w == close) {
        bytes.drain(i..i + close.len());
    }
    Reply::KeepAlive { bytes, idle }
}

/// A 200 answer with this body in chunked transfer encoding, `piece` bytes a chunk.
pub fn chunked(body: &[u8], piece: usize) -> Vec<u8> {
    let mut bytes =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for part in body.chunks(piece) {
        bytes.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        bytes.extend_from_slice(part);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    bytes
}
