//! HTTP/1.1 on the wire: one request written in one piece, one answer read with its
//! framing (Content-Length, chunked, or until close), bounded in size. The head is parsed
//! by `httparse`; everything around it is here so that the limits are ours.

use std::io::{self, Read};

/// Responses larger than this are refused: JING answers are small, and a hostile or broken
/// server must not make the host process allocate without bound.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// A response head (status line and headers) larger than this is refused.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 64;
const MAX_CHUNK_LINE: usize = 4096;

/// A header to send.
pub struct Header<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

/// Appends `Name: value` lines. Refuses values that would break the head (a server could
/// hand us a token with a line break in it).
pub fn encode_headers(out: &mut Vec<u8>, headers: &[Header<'_>]) -> Result<(), String> {
    for h in headers {
        if !h
            .value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        {
            return Err(format!("header {} is not valid", h.name));
        }
        for part in [h.name, ": ", h.value, "\r\n"] {
            out.extend_from_slice(part.as_bytes());
        }
    }
    Ok(())
}

/// The bytes of one request: `preset` holds header lines already encoded (by
/// `encode_headers`, once for every request alike), `headers` this request's own.
pub fn encode_request(
    method: &str,
    target: &str,
    preset: &[u8],
    headers: &[Header<'_>],
    body: Option<&[u8]>,
) -> Result<Vec<u8>, String> {
    let body_len = body.map_or(0, <[u8]>::len);
    let mut out = Vec::with_capacity(256 + preset.len() + target.len() + body_len);
    for part in [method, " ", target, " HTTP/1.1\r\n"] {
        out.extend_from_slice(part.as_bytes());
    }
    out.extend_from_slice(preset);
    encode_headers(&mut out, headers)?;
    if let Some(body) = body {
        out.extend_from_slice(b"Content-Type: application/json\r\n");
        out.extend_from_slice(format!("Content-Length: {body_len}\r\n\r\n").as_bytes());
        out.extend_from_slice(body);
    } else if method != "GET" {
        out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    } else {
        out.extend_from_slice(b"\r\n");
    }
    Ok(out)
}

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// The connection may carry another request: HTTP/1.1, no `Connection: close`, the
    /// body framed by its length, and nothing after it.
    pub reusable: bool,
}

#[derive(Debug)]
pub enum ReadError {
    /// The connection failed, timed out or closed early.
    Io(io::Error),
    /// Not HTTP, or HTTP we refuse (oversized head, contradictory lengths).
    Malformed(String),
    /// The body exceeds `MAX_BODY_BYTES`.
    TooLarge { status: u16 },
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// How much each read asks for.
const READ_CHUNK: usize = 16 * 1024;
/// A read buffer grown past this by a large answer is shrunk back afterwards, so that
/// pooled connections do not each keep megabytes.
const KEPT_BUFFER: usize = 64 * 1024;

/// Bytes read from the connection: `buf[pos..end]` are not consumed yet. `buf` belongs
/// to the connection and is reused answer after answer: it is zeroed only where it grows,
/// not on every read.
struct Input<'a, R: Read> {
    source: &'a mut R,
    buf: &'a mut Vec<u8>,
    pos: usize,
    end: usize,
}

impl<R: Read> Input<'_, R> {
    /// Reads once more; an early end of the stream is an error.
    fn more(&mut self) -> Result<(), ReadError> {
        if self.fill()? == 0 {
            return Err(ReadError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed before the answer was complete",
            )));
        }
        Ok(())
    }

    fn fill(&mut self) -> io::Result<usize> {
        // Consumed bytes are dropped now and then so a long chunked body cannot pile up.
        if self.pos > KEPT_BUFFER {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.buf.len() < self.end + READ_CHUNK {
            self.buf.resize(self.end + READ_CHUNK, 0);
        }
        loop {
            match self.source.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// One CRLF-terminated line (without the CRLF), reading as needed.
    fn line(&mut self) -> Result<String, ReadError> {
        loop {
            if let Some(i) = self.available().windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.available()[..i]).into_owned();
                self.pos += i + 2;
                return Ok(line);
            }
            if self.available().len() > MAX_CHUNK_LINE {
                return Err(ReadError::Malformed(
                    "a chunk header line is too long".into(),
                ));
            }
            self.more()?;
        }
    }
}

/// Reads one answer, using `buf` (the connection's, kept between answers) to read into.
/// `1xx` interim answers are skipped.
pub fn read_response<R: Read>(source: &mut R, buf: &mut Vec<u8>) -> Result<Response, ReadError> {
    let mut input = Input {
        source,
        buf,
        pos: 0,
        end: 0,
    };
    let result = loop {
        let (status, framing, keep_alive) = match read_head(&mut input) {
            Ok(head) => head,
            Err(e) => break Err(e),
        };
        if (100..200).contains(&status) && status != 101 {
            continue;
        }
        break read_body(&mut input, status, framing, keep_alive);
    };
    if input.buf.len() > KEPT_BUFFER {
        input.buf.truncate(KEPT_BUFFER);
        input.buf.shrink_to_fit();
    }
    result
}

fn read_head<R: Read>(input: &mut Input<'_, R>) -> Result<(u16, Framing, bool), ReadError> {
    // Parsed on the first bytes (garbage fails fast), then again only once a blank line
    // may have arrived: re-parsing on every read would be quadratic for a head dripped a
    // byte at a time.
    let mut scanned: usize = 0;
    loop {
        if scanned == 0 || has_blank_line(&input.available()[scanned.saturating_sub(2)..]) {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut head = httparse::Response::new(&mut headers);
            match head.parse(input.available()) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = head.code.unwrap_or(0);
                    let result = framing(status, head.version == Some(1), head.headers)?;
                    input.pos += len;
                    return Ok((status, result.0, result.1));
                }
                Ok(httparse::Status::Partial) => {}
                Err(e) => {
                    return Err(ReadError::Malformed(format!(
                        "the answer's head is not valid HTTP/1.x ({e})"
                    )))
                }
            }
        }
        scanned = input.available().len();
        if scanned > MAX_HEAD_BYTES {
            return Err(ReadError::Malformed(format!(
                "the answer's head is larger than {MAX_HEAD_BYTES} bytes"
            )));
        }
        input.more()?;
    }
}

/// Whether `bytes` holds an empty line (`\n\n` or `\n\r\n`), which ends a head.
fn has_blank_line(bytes: &[u8]) -> bool {
    bytes.windows(2).enumerate().any(|(i, w)| {
        w[0] == b'\n' && (w[1] == b'\n' || (w[1] == b'\r' && bytes.get(i + 2) == Some(&b'\n')))
    })
}

/// How the body is delimited, and whether the connection stays open afterwards.
fn framing(
    status: u16,
    http11: bool,
    headers: &[httparse::Header<'_>],
) -> Result<(Framing, bool), ReadError> {
    let mut keep_alive = http11;
    let mut length: Option<usize> = None;
    let mut chunked = None;
    for h in headers {
        // Decoded only for the three headers read here.
        let text = || String::from_utf8_lossy(h.value);
        if h.name.eq_ignore_ascii_case("connection") {
            if text()
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("close"))
            {
                keep_alive = false;
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            let text = text();
            let last = text.rsplit(',').next().unwrap_or("").trim();
            chunked = Some(last.eq_ignore_ascii_case("chunked"));
        } else if h.name.eq_ignore_ascii_case("content-length") {
            let text = text();
            let value = text.trim();
            let n = value
                .parse::<u64>()
                .ok()
                .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    ReadError::Malformed(format!("Content-Length {value:?} is not a number"))
                })?;
            if n > MAX_BODY_BYTES as u64 {
                return Err(ReadError::TooLarge { status });
            }
            if length.is_some_and(|l| l != n as usize) {
                return Err(ReadError::Malformed(
                    "two different Content-Length values".into(),
                ));
            }
            length = Some(n as usize);
        }
    }
    if status == 204 || status == 304 || (100..200).contains(&status) {
        return Ok((Framing::Length(0), keep_alive));
    }
    Ok(match (chunked, length) {
        // Transfer-Encoding overrides Content-Length (RFC 9112 6.3); such an answer may be
        // an attempt at request smuggling, so its connection is not reused.
        (Some(true), l) => (Framing::Chunked, keep_alive && l.is_none()),
        (Some(false), _) => (Framing::UntilClose, false),
        (None, Some(l)) => (Framing::Length(l), keep_alive),
        (None, None) => (Framing::UntilClose, false),
    })
}

fn read_body<R: Read>(
    input: &mut Input<'_, R>,
    status: u16,
    framing: Framing,
    keep_alive: bool,
) -> Result<Response, ReadError> {
    let body = match framing {
        Framing::Length(len) => {
            while input.available().len() < len {
                input.more()?;
            }
            let body = input.available()[..len].to_vec();
            input.pos += len;
            body
        }
        Framing::Chunked => read_chunks(input, status)?,
        Framing::UntilClose => {
            while input.fill()? > 0 {
                if input.available().len() > MAX_BODY_BYTES {
                    return Err(ReadError::TooLarge { status });
                }
            }
            let body = input.available().to_vec();
            input.pos = input.end;
            body
        }
    };
    let reusable =
        keep_alive && !matches!(framing, Framing::UntilClose) && input.available().is_empty();
    Ok(Response {
        status,
        body,
        reusable,
    })
}

fn read_chunks<R: Read>(input: &mut Input<'_, R>, status: u16) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let line = input.line()?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16)
            .ok()
            .filter(|_| !size.is_empty() && size.len() <= 8)
            .ok_or_else(|| ReadError::Malformed(format!("bad chunk size {size:?}")))?;
        if size == 0 {
            // Trailer fields, if any, up to the empty line.
            let mut trailer_bytes = 0;
            loop {
                let line = input.line()?;
                if line.is_empty() {
                    return Ok(body);
                }
                trailer_bytes += line.len();
                if trailer_bytes > MAX_HEAD_BYTES {
                    return Err(ReadError::Malformed("the trailer is too large".into()));
                }
            }
        }
        // Subtraction: `body.len() + size` could wrap on 32-bit targets.
        if size > MAX_BODY_BYTES - body.len() {
            return Err(ReadError::TooLarge { status });
        }
        while input.available().len() < size + 2 {
            input.more()?;
        }
        let data = &input.available()[..size + 2];
        if &data[size..] != b"\r\n" {
            return Err(ReadError::Malformed(
                "a chunk does not end with CRLF".into(),
            ));
        }
        body.extend_from_slice(&data[..size]);
        input.pos += size + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out its bytes a few at a time, as a slow network would.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn read(raw: &[u8]) -> Result<Response, ReadError> {
        for step in [1, 7, 100_000] {
            let a = read_response(&mut Trickle(raw, step), &mut Vec::new());
            let b = read_response(&mut Trickle(raw, 100_000), &mut Vec::new());
            match (&a, &b) {
                (Ok(x), Ok(y)) => assert_eq!(
                    (x.status, &x.body, x.reusable),
                    (y.status, &y.body, y.reusable)
                ),
                (Err(_), Err(_)) => {}
                _ => panic!("step {step} reads differently"),
            }
        }
        read_response(&mut Trickle(raw, 3), &mut Vec::new())
    }

    #[test]
    fn requests_are_one_piece_with_their_length() {
        let h = [Header {
            name: "app_id",
            value: "1",
        }];
        let r =
            encode_request("POST", "/v1/x", b"", &h, Some("{\"a\":\"张\"}".as_bytes())).unwrap();
        let text = String::from_utf8(r).unwrap();
        assert!(
            text.starts_with("POST /v1/x HTTP/1.1\r\napp_id: 1\r\n"),
            "{text}"
        );
        assert!(
            text.ends_with("Content-Length: 11\r\n\r\n{\"a\":\"张\"}"),
            "{text}"
        );
        let get = encode_request("GET", "/", b"", &[], None).unwrap();
        assert!(String::from_utf8(get)
            .unwrap()
            .ends_with("HTTP/1.1\r\n\r\n"));
        let bad = [Header {
            name: "access_token",
            value: "t\r\nX-Evil: 1",
        }];
        assert!(encode_request("GET", "/", b"", &bad, None).is_err());
    }

    #[test]
    fn framings() {
        let r = read(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), r.reusable),
            (200, &b"hello"[..], true)
        );
        let r = read(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 C\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        assert_eq!((r.status, r.body.len()), (201, 0));
        let r = read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\n").unwrap();
        assert_eq!(
            (r.body.as_slice(), r.reusable),
            (&b"abc0123456789"[..], true)
        );
        let r = read(b"HTTP/1.1 200 OK\r\n\r\nuntil close").unwrap();
        assert_eq!(
            (r.body.as_slice(), r.reusable),
            (&b"until close"[..], false)
        );
        let r =
            read(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok").unwrap();
        assert!(!r.reusable);
        let r = read(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok").unwrap();
        assert!(!r.reusable);
        let r = read(b"HTTP/1.1 204 No\r\n\r\n").unwrap();
        assert_eq!((r.status, r.reusable), (204, true));
        // Bytes after the answer, already here: do not reuse. (Bytes that come later are
        // caught by the pool's check before reuse.)
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA";
        let r = read_response(&mut Trickle(raw, raw.len()), &mut Vec::new()).unwrap();
        assert_eq!((r.body.as_slice(), r.reusable), (&b"ok"[..], false));
    }

    #[test]
    fn broken_answers_are_errors() {
        for raw in [
            &b"SSH-2.0-OpenSSH_9.0\r\n"[..],
            b"HTTP/1.1 999999 Nope\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX0\r\n\r\n",
        ] {
            assert!(matches!(read(raw), Err(ReadError::Malformed(_))), "{raw:?}");
        }
        for raw in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"[..],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
            b"HTTP/1.1 200",
            b"",
        ] {
            match read(raw) {
                Err(ReadError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof),
                other => panic!("{raw:?}: {:?}", other.err()),
            }
        }
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend(format!("X-{i}: 1\r\n").as_bytes());
        }
        many.extend(b"Content-Length: 0\r\n\r\n");
        assert!(matches!(read(&many), Err(ReadError::Malformed(_))));
        let mut big = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEAD_BYTES + 1));
        assert!(matches!(read(&big), Err(ReadError::Malformed(_))));
    }

    #[test]
    fn bodies_over_the_cap_are_refused_without_reading_them() {
        let raw = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_BYTES + 1
        );
        assert!(matches!(
            read(raw.as_bytes()),
            Err(ReadError::TooLarge { status: 200 })
        ));
        let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        chunked.extend(format!("{:x}\r\n", MAX_BODY_BYTES + 1).as_bytes());
        assert!(matches!(read(&chunked), Err(ReadError::TooLarge { .. })));
        // The largest size a chunk line may state: refused, no overflow on 32-bit targets.
        let mut huge = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        huge.extend(b"4\r\nabcd\r\nffffffff\r\n");
        assert!(matches!(read(&huge), Err(ReadError::TooLarge { .. })));
        let mut close = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        close.extend(std::iter::repeat_n(b'a', MAX_BODY_BYTES + 1));
        assert!(matches!(
            read_response(&mut Trickle(&close, 1 << 20), &mut Vec::new()),
            Err(ReadError::TooLarge { .. })
        ));
    }
}
