//! One connection to the server: TCP (through an HTTP proxy if configured), then TLS for
//! `https://`. All I/O runs on the calling thread, each socket read and write bounded by
//! the request's deadline: libjing starts no threads of its own.

use crate::url::{percent_decode, HttpUrl, Scheme};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A TCP socket whose every read and write ends by `deadline`.
pub struct Timed {
    tcp: TcpStream,
    deadline: Instant,
    /// The socket timeouts as last set, so that a syscall is saved when they still fit.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

/// How far past the deadline a socket timeout may reach before it is set anew. Keeping
/// one that is a little long saves two syscalls per request on a busy connection.
const TIMEOUT_SLACK: Duration = Duration::from_millis(5);

impl Timed {
    fn new(tcp: TcpStream, deadline: Instant) -> Timed {
        Timed {
            tcp,
            deadline,
            read_timeout: None,
            write_timeout: None,
        }
    }

    fn remaining(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
        }
        Ok(left)
    }
}

/// Sets a socket timeout of `left` unless the current one already ends between the
/// deadline and `TIMEOUT_SLACK` after it (never before: that would end a read early).
fn arm(
    current: &mut Option<Duration>,
    left: Duration,
    set: impl FnOnce(Option<Duration>) -> io::Result<()>,
) -> io::Result<()> {
    match *current {
        Some(t) if t >= left && t <= left + TIMEOUT_SLACK => Ok(()),
        _ => {
            set(Some(left))?;
            *current = Some(left);
            Ok(())
        }
    }
}

/// A socket timeout reads as `WouldBlock` on Unix and `TimedOut` on Windows: one name.
fn timeout_as_timed_out(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock => io::Error::new(io::ErrorKind::TimedOut, "timed out"),
        _ => e,
    }
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.remaining()?;
        arm(&mut self.read_timeout, left, |t| {
            self.tcp.set_read_timeout(t)
        })?;
        self.tcp.read(buf).map_err(timeout_as_timed_out)
    }
}

impl Write for Timed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.remaining()?;
        arm(&mut self.write_timeout, left, |t| {
            self.tcp.set_write_timeout(t)
        })?;
        self.tcp.write(buf).map_err(timeout_as_timed_out)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

type Tls<S> = StreamOwned<ClientConnection, S>;

/// What each layer of a stream is: something to read from and write to.
trait Io: Read + Write {}
impl<T: Read + Write> Io for T {}

enum Stream {
    Plain(Timed),
    Tls(Box<Tls<Timed>>),
    /// `https://` through an `https://` proxy: TLS to the server inside TLS to the proxy.
    TlsInTls(Box<Tls<Tls<Timed>>>),
}

pub struct Connection {
    stream: Stream,
    /// When it was last handed back to the pool.
    pub idle_since: Instant,
    /// What answers are read into, kept from one answer to the next.
    pub read_buf: Vec<u8>,
}

/// Where connections go and how.
pub struct Route {
    pub target: HttpUrl,
    pub proxy: Option<HttpUrl>,
    pub tls: Arc<ClientConfig>,
    pub connect_timeout: Duration,
}

impl Route {
    /// `Proxy-Authorization` for a proxy URL with `user:password@`.
    pub fn proxy_authorization(&self) -> Option<String> {
        let info = self.proxy.as_ref()?.userinfo.as_ref()?;
        Some(format!("Basic {}", base64(&percent_decode(info))))
    }

    /// Plain HTTP through a proxy is sent to the proxy in absolute form; everything else
    /// travels in a tunnel or directly.
    pub fn absolute_form(&self) -> bool {
        self.proxy.is_some() && self.target.scheme == Scheme::Http
    }

    /// Opens a connection, ready for a request. Any error here means nothing was sent.
    pub fn open(&self, deadline: Instant) -> Result<Connection, String> {
        let deadline = deadline.min(Instant::now() + self.connect_timeout);
        let first_hop = self.proxy.as_ref().unwrap_or(&self.target);
        let tcp = connect(first_hop, deadline)?;
        let timed = Timed::new(tcp, deadline);
        let proxy_tls = self.proxy.as_ref().filter(|p| p.scheme == Scheme::Https);
        let stream = match (proxy_tls, self.target.scheme) {
            (None, Scheme::Http) => Stream::Plain(timed),
            (None, Scheme::Https) => {
                let mut plain = timed;
                if self.proxy.is_some() {
                    self.tunnel(&mut plain)?;
                }
                Stream::Tls(Box::new(handshake(&self.tls, &self.target, plain)?))
            }
            (Some(proxy), scheme) => {
                let mut outer = handshake(&self.tls, proxy, timed)?;
                match scheme {
                    Scheme::Http => Stream::Tls(Box::new(outer)),
                    Scheme::Https => {
                        self.tunnel(&mut outer)?;
                        Stream::TlsInTls(Box::new(handshake(&self.tls, &self.target, outer)?))
                    }
                }
            }
        };
        Ok(Connection {
            stream,
            idle_since: Instant::now(),
            read_buf: Vec::new(),
        })
    }

    /// `CONNECT host:port` through the proxy.
    fn tunnel<S: Read + Write>(&self, via: &mut S) -> Result<(), String> {
        let authority = self.target.host_port();
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(auth) = self.proxy_authorization() {
            request.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
        }
        request.push_str("\r\n");
        via.write_all(request.as_bytes())
            .and_then(|_| via.flush())
            .map_err(|e| format!("the proxy could not be reached: {e}"))?;
        // Read the proxy's answer byte by byte: nothing after its head belongs to it.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match via.read(&mut byte) {
                Ok(0) => return Err("the proxy closed the connection during CONNECT".into()),
                Ok(_) => head.push(byte[0]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("the proxy did not answer CONNECT: {e}")),
            }
            if head.len() > 16 * 1024 {
                return Err("the proxy's answer to CONNECT is too large".into());
            }
        }
        let status_line = String::from_utf8_lossy(&head);
        let status_line = status_line.lines().next().unwrap_or("");
        match status_line.split(' ').nth(1) {
            Some(code) if code.starts_with('2') && status_line.starts_with("HTTP/1.") => Ok(()),
            _ => Err(format!("the proxy refused the tunnel: {status_line}")),
        }
    }
}

/// Tries each address of the host in turn, each with an equal share of what is left of
/// the deadline, so that one unreachable address (a black-holed IPv6 route) cannot use up
/// the whole budget.
fn connect(to: &HttpUrl, deadline: Instant) -> Result<TcpStream, String> {
    let name = to.host_port();
    let addrs = resolve(&to.host, to.port, deadline)?;
    let mut last = format!("{} resolves to no address", to.host);
    for (i, addr) in addrs.iter().enumerate() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("connecting to {name} timed out"));
        }
        let share = left / (addrs.len() - i) as u32;
        match TcpStream::connect_timeout(addr, share) {
            Ok(tcp) => {
                // Requests are written in one piece: no reason to delay it.
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = format!("connecting to {addr} failed: {e}"),
        }
    }
    Err(last)
}

/// Lookups abandoned at their deadline keep their thread until the system resolver gives
/// up; while the resolver hangs, no more than this many are started.
const MAX_LOOKUPS_IN_FLIGHT: usize = 8;
static LOOKUPS_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Host name to addresses, within the connect deadline. The system resolver cannot be
/// interrupted, so it runs on a helper thread that is abandoned (and ends when the
/// resolver returns) if the deadline passes first. IP addresses need no lookup.
fn resolve(host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    if LOOKUPS_IN_FLIGHT.fetch_add(1, Ordering::SeqCst) >= MAX_LOOKUPS_IN_FLIGHT {
        LOOKUPS_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        return Err(format!(
            "{host} cannot be resolved: {MAX_LOOKUPS_IN_FLIGHT} lookups are already waiting \
             for the system resolver"
        ));
    }
    let (tx, rx) = mpsc::channel();
    let name = host.to_string();
    let lookup = move || {
        let _ = tx.send((name.as_str(), port).to_socket_addrs().map(Vec::from_iter));
        LOOKUPS_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    };
    if let Err(e) = std::thread::Builder::new()
        .name("jing-dns".into())
        .spawn(lookup)
    {
        LOOKUPS_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        return Err(format!(
            "{host} cannot be resolved: no thread for the lookup: {e}"
        ));
    }
    let left = deadline.saturating_duration_since(Instant::now());
    match rx.recv_timeout(left) {
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(e)) => Err(format!("{host} cannot be resolved: {e}")),
        Err(_) => Err(format!("resolving {host} timed out (connect_timeout_ms)")),
    }
}

fn handshake<S: Read + Write>(
    config: &Arc<ClientConfig>,
    server: &HttpUrl,
    mut sock: S,
) -> Result<Tls<S>, String> {
    let name = ServerName::try_from(server.host.clone())
        .map_err(|_| format!("{} is not a valid TLS server name", server.host))?;
    let mut conn = ClientConnection::new(config.clone(), name)
        .map_err(|e| format!("TLS set-up failed: {e}"))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut sock)
            .map_err(|e| format!("TLS handshake with {} failed: {e}", server.host))?;
    }
    Ok(StreamOwned::new(conn, sock))
}

impl Connection {
    fn timed(&mut self) -> &mut Timed {
        match &mut self.stream {
            Stream::Plain(t) => t,
            Stream::Tls(s) => &mut s.sock,
            Stream::TlsInTls(s) => &mut s.sock.sock,
        }
    }

    /// The outermost layer of the stream, where requests and answers are plain text.
    fn io(&mut self) -> &mut dyn Io {
        match &mut self.stream {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.as_mut(),
            Stream::TlsInTls(s) => s.as_mut(),
        }
    }

    /// Every read and write from now on ends by `deadline`.
    pub fn set_deadline(&mut self, deadline: Instant) {
        self.timed().deadline = deadline;
    }

    /// Whether an idle connection can still carry a request: the server has neither
    /// closed it nor sent anything unasked. Checked before reuse so that a create is
    /// never written into a connection the server already dropped.
    pub fn is_usable(&mut self) -> bool {
        let tcp = &self.timed().tcp;
        if tcp.set_nonblocking(true).is_err() {
            return false;
        }
        let mut byte = [0u8; 1];
        let quiet = matches!(tcp.peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        tcp.set_nonblocking(false).is_ok() && quiet
    }
}

impl Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.io().read(buf)
    }
}

impl Write for Connection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.io().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.io().flush()
    }
}

/// Standard base64 with padding, for `Proxy-Authorization: Basic`.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_timeout_is_kept_only_when_it_ends_at_or_just_after_the_deadline() {
        let calls = std::cell::Cell::new(0);
        let set = |_| {
            calls.set(calls.get() + 1);
            Ok(())
        };
        let mut current = None;
        let ms = Duration::from_millis;
        arm(&mut current, ms(1000), set).unwrap();
        assert_eq!((current, calls.get()), (Some(ms(1000)), 1));
        arm(&mut current, ms(998), set).unwrap(); // ends 2 ms late: kept
        assert_eq!((current, calls.get()), (Some(ms(1000)), 1));
        arm(&mut current, ms(990), set).unwrap(); // would end 10 ms late: set anew
        assert_eq!((current, calls.get()), (Some(ms(990)), 2));
        arm(&mut current, ms(995), set).unwrap(); // would end early: set anew
        assert_eq!((current, calls.get()), (Some(ms(995)), 3));
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("Aladdin:open sesame", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
    }
}
