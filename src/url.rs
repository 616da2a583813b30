//! The two URLs libjing takes, `base_url` and `proxy`, parsed strictly by hand: scheme,
//! optional user info, host, port and a path prefix. Nothing else (no query, no fragment,
//! ASCII host names only), so the transport needs no general URL library.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv6Addr};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl {
    pub scheme: Scheme,
    /// Lower case; an IPv6 address without its brackets.
    pub host: String,
    pub port: u16,
    /// Percent-encoded where needed, without a trailing `/` (empty for the root).
    pub path: String,
    /// `user:password` as written (still percent-encoded); proxies only.
    pub userinfo: Option<String>,
}

// Hand-written so that a proxy password never reaches `{:?}`.
impl std::fmt::Debug for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.origin(), self.path)
    }
}

impl HttpUrl {
    pub fn parse(raw: &str) -> Result<HttpUrl, String> {
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| "not an absolute URL (scheme://host)".to_string())?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => return Err(format!("scheme {other}:// is not supported")),
        };
        // User info first, up to the LAST '@': a password may hold '/', '?', '#' or '@'
        // unencoded, and no part of it may ever reach an error message.
        let (userinfo, rest) = match rest.rsplit_once('@') {
            Some((u, r)) => (Some(u.to_string()), r),
            None => (None, rest),
        };
        if rest.contains(['?', '#']) {
            return Err("a query or fragment is not allowed".into());
        }
        let (hostport, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (host, port) = split_host_port(hostport)?;
        if let Some(c) = path.chars().find(|c| c.is_control() || c.is_whitespace()) {
            return Err(format!(
                "the path contains a control or space character (U+{:04X})",
                c as u32
            ));
        }
        Ok(HttpUrl {
            scheme,
            host,
            port: port.unwrap_or(scheme.default_port()),
            path: encode_path(path.trim_end_matches('/')),
            userinfo,
        })
    }

    /// The host as it appears in a URL or header: an IPv6 address in brackets.
    fn bracketed_host(&self) -> String {
        match self.host.contains(':') {
            true => format!("[{}]", self.host),
            false => self.host.clone(),
        }
    }

    /// `host:port`, the port always: what `CONNECT` and error messages name.
    pub fn host_port(&self) -> String {
        format!("{}:{}", self.bracketed_host(), self.port)
    }

    /// `host[:port]`, the port only when it is not the scheme's default: the `Host` header.
    pub fn authority(&self) -> String {
        let mut text = self.bracketed_host();
        if self.port != self.scheme.default_port() {
            let _ = write!(text, ":{}", self.port);
        }
        text
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme.as_str(), self.authority())
    }

    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<IpAddr>()
                .map(|ip| ip.is_loopback())
                .unwrap_or(false)
    }
}

fn split_host_port(hostport: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address without its closing ']'")?;
        v6.parse::<Ipv6Addr>()
            .map_err(|_| format!("[{v6}] is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("junk after the IPv6 address")?),
        };
        (v6.to_ascii_lowercase(), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (hostport.to_ascii_lowercase(), None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    if !host.contains(':')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
    {
        return Err(format!(
            "host {host} must be ASCII letters, digits, '.', '-' (punycode for international names)"
        ));
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(format!("port {p} is not a number from 1 to 65535")),
        },
    };
    Ok((host, port))
}

/// `raw` with any user info replaced by `***`, for messages and `Debug` output.
pub fn redacted(raw: &str) -> String {
    match raw.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, after)) => format!("{scheme}://***@{after}"),
            None => raw.to_string(),
        },
        None if raw.contains('@') => "***".to_string(),
        None => raw.to_string(),
    }
}

/// Percent-encodes what may not appear raw in an HTTP request target: bytes outside
/// printable ASCII and `"<>\^`{|}` and space. `%` stays as it is: the caller may have
/// encoded already.
pub fn encode_path(path: &str) -> String {
    let raw_ok = |b: u8| {
        b.is_ascii_graphic()
            && !matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
    };
    if path.bytes().all(raw_ok) {
        return path.to_string();
    }
    let mut out = String::with_capacity(path.len() * 3);
    for b in path.bytes() {
        if raw_ok(b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes `%XX` sequences (for proxy user names and passwords).
pub fn percent_decode(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).and_then(|&c| hex(c)),
            b.get(i + 2).and_then(|&c| hex(c)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_libjing_takes() {
        let u = HttpUrl::parse("HTTPS://Api.Example.COM:8443/v/").unwrap();
        assert_eq!(u.scheme, Scheme::Https);
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("api.example.com", 8443, "/v")
        );
        assert_eq!(u.origin(), "https://api.example.com:8443");
        let u = HttpUrl::parse("http://[::1]:80").unwrap();
        assert_eq!(
            (u.host.as_str(), u.authority()),
            ("::1", "[::1]".to_string())
        );
        assert_eq!(u.host_port(), "[::1]:80");
        assert!(u.is_loopback());
        let u = HttpUrl::parse("http://user:p%40ss@proxy:3128").unwrap();
        assert_eq!(u.userinfo.as_deref(), Some("user:p%40ss"));
        assert_eq!(percent_decode("p%40ss%zz"), b"p@ss%zz");
        assert!(!format!("{u:?}").contains("p%40ss"));
        assert!(HttpUrl::parse("https://h/a b")
            .unwrap_err()
            .contains("U+0020"));
        assert_eq!(
            encode_path("/a\"b<{|}>^`\\c?d=1%20"),
            "/a%22b%3C%7B%7C%7D%3E%5E%60%5Cc?d=1%20"
        );
        assert_eq!(
            HttpUrl::parse("https://h/线索").unwrap().path,
            "/%E7%BA%BF%E7%B4%A2"
        );
    }

    #[test]
    fn passwords_with_any_character_stay_out_of_errors_and_debug() {
        for raw in [
            "http://alice:Top/Secret9@proxy.corp:3128",
            "http://alice:a?b#c@d@proxy.corp:3128",
        ] {
            let u = HttpUrl::parse(raw).unwrap();
            assert_eq!((u.host.as_str(), u.port), ("proxy.corp", 3128));
            assert!(!format!("{u:?}").contains("Secret") && !format!("{u:?}").contains("a?b"));
            assert_eq!(redacted(raw), "http://***@proxy.corp:3128");
        }
        let e = HttpUrl::parse("http://alice:Top/Secret9@proxy.corp:31x").unwrap_err();
        assert!(!e.contains("Secret"), "{e}");
        assert_eq!(redacted("nonsense@x"), "***");
        assert_eq!(redacted("https://h/p"), "https://h/p");
    }

    #[test]
    fn refuses_the_rest() {
        for bad in [
            "nonsense",
            "ftp://h",
            "https://",
            "https://:80",
            "https://h:0",
            "https://h:99999",
            "https://h:+8",
            "https://h?x=1",
            "https://h#f",
            "https://[::1",
            "https://[zz]:1",
            "https://例子.cn",
            "https://a b",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
