//! Security properties of issue 7, through the C ABI against real peers on loopback:
//! TLS verification (certificates made at test time with rcgen), the `proxy` setting
//! through a real tinyproxy, and secrets (app_secret, access and refresh tokens) never
//! leaving the library in anything it returns or prints.

mod common;
mod fake;

use common::*;
use fake::{envelope, http, Fake};
use jing::ffi::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use serde_json::{json, Value};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// TLS

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "jing-{what}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn make_ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).unwrap();
    Ca { cert, key }
}

/// (certificate PEM, key PEM) of an end-entity certificate for `names`, issued by `ca`,
/// or self-signed when `ca` is None.
fn make_leaf(names: &[&str], ca: Option<&Ca>) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names.clone()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, &names[0]);
    let cert = match ca {
        Some(ca) => params.signed_by(&key, &ca.cert, &ca.key).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    (cert.pem(), key.serialize_pem())
}

fn tls_sandbox(dir: &TempDir, leaf: &(String, String)) -> Sandbox {
    let cert = dir.write("server.pem", &leaf.0);
    let key = dir.write("server.key", &leaf.1);
    let sb = Sandbox::start(&["--no-limits", "--tls-cert", &cert, "--tls-key", &key]);
    assert!(sb.url.starts_with("https://127.0.0.1:"), "{}", sb.url);
    sb
}

fn tls_config(url: &str, ca_file: Option<&str>) -> Value {
    let mut c = json!({"app_id": APP_ID, "app_secret": APP_SECRET, "base_url": url,
                       "max_retries": 0});
    if let Some(ca) = ca_file {
        c["ca_file"] = json!(ca);
    }
    c
}

fn expect_certificate_error(config: &Value, why: &str) {
    let lib = Lib::new(config).unwrap();
    let e = expect_error(&lib.create(&lead("tls")), JING_E_NETWORK);
    let message = e["message"].as_str().unwrap();
    assert!(message.contains("certificate"), "{why}: {message}");
    assert_eq!(e["outcome_unknown"], false, "{why}");
}

#[test]
fn tls_unknown_ca_is_refused_and_ca_file_makes_it_trusted() {
    let dir = TempDir::new("tls-ca");
    let ca = make_ca("libjing test CA");
    let ca_file = dir.write("ca.pem", &ca.cert.pem());
    let sb = tls_sandbox(&dir, &make_leaf(&["127.0.0.1", "localhost"], Some(&ca)));

    // Not in the bundled roots: refused, nothing sent.
    expect_certificate_error(&tls_config(&sb.url, None), "unknown CA");
    // Another CA in ca_file does not help.
    let other = dir.write("other-ca.pem", &make_ca("another CA").cert.pem());
    expect_certificate_error(&tls_config(&sb.url, Some(&other)), "other CA");

    // Trusted through ca_file, by IP address and by host name.
    let localhost = sb.url.replace("127.0.0.1", "localhost");
    for url in [&sb.url, &localhost] {
        let lib = Lib::new(&tls_config(url, Some(&ca_file))).unwrap();
        let (status, env) = lib.create(&lead("安全"));
        assert_eq!(status, JING_OK, "{url}: {env}");
    }
    // Only the two trusted creates reached the server.
    let lib = Lib::new(&tls_config(&sb.url, Some(&ca_file))).unwrap();
    let (status, env) = lib.request("POST", "/v1/leads/query", Some(&json!({})));
    assert_eq!(status, JING_OK, "{env}");
    assert_eq!(env["data"]["total"], 2, "{env}");

    // TLS connections are kept alive too: ten more creates, no new connection.
    let sb = sb.trusting(&ca.cert.pem());
    let before = sb.requests(None).len();
    for i in 0..10 {
        assert_eq!(lib.create(&lead(&format!("保持{i}"))).0, JING_OK);
    }
    let journal = sb.requests(None);
    let connections: std::collections::BTreeSet<u64> = journal[before - 1..]
        .iter()
        .map(|r| r["connection"].as_u64().unwrap())
        .collect();
    assert_eq!(connections.len(), 1, "{connections:?}");
}

#[test]
fn tls_certificate_for_another_host_is_refused() {
    let dir = TempDir::new("tls-name");
    let ca = make_ca("libjing test CA");
    let ca_file = dir.write("ca.pem", &ca.cert.pem());
    let sb = tls_sandbox(&dir, &make_leaf(&["jing.example", "10.9.8.7"], Some(&ca)));
    expect_certificate_error(&tls_config(&sb.url, Some(&ca_file)), "wrong host name");
    let localhost = sb.url.replace("127.0.0.1", "localhost");
    expect_certificate_error(&tls_config(&localhost, Some(&ca_file)), "wrong host name");
}

#[test]
fn tls_self_signed_certificate_is_refused() {
    let dir = TempDir::new("tls-self");
    let sb = tls_sandbox(&dir, &make_leaf(&["127.0.0.1", "localhost"], None));
    expect_certificate_error(&tls_config(&sb.url, None), "self-signed");
}

#[test]
fn tls_ca_file_that_is_not_pem_is_a_config_error() {
    let dir = TempDir::new("tls-bad");
    let junk = dir.write("junk.pem", "not a certificate\n");
    let (status, e) = Lib::new(&tls_config("https://127.0.0.1:1", Some(&junk)))
        .err()
        .unwrap();
    assert_eq!(status, JING_E_CONFIG, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("ca_file"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// Proxy

/// A tinyproxy on a free loopback port, with its own configuration in a temp dir.
struct Tinyproxy {
    child: Child,
    port: u16,
    _dir: TempDir,
}

fn tinyproxy_bin() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join("tinyproxy"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "tinyproxy is missing: install the `tinyproxy` package (apt-get install \
                 tinyproxy). The proxy test needs a real proxy and does not skip."
            )
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Tinyproxy {
    fn start() -> Tinyproxy {
        Tinyproxy::start_with("")
    }

    /// With extra lines of tinyproxy configuration (e.g. `BasicAuth user password`).
    fn start_with(extra_conf: &str) -> Tinyproxy {
        let bin = tinyproxy_bin();
        // tinyproxy cannot listen on port 0: pick a free port and retry if it was taken.
        for _ in 0..5 {
            let dir = TempDir::new("tinyproxy");
            let port = free_port();
            let log = dir.0.join("tinyproxy.log");
            let conf = dir.write(
                "tinyproxy.conf",
                &format!(
                    "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nAllow 127.0.0.1\n\
                     LogLevel Info\nLogFile \"{}\"\n{extra_conf}",
                    log.display()
                ),
            );
            let mut child = Command::new(&bin)
                .args(["-d", "-c", &conf])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Tinyproxy {
                        child,
                        port,
                        _dir: dir,
                    };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("tinyproxy did not start listening (tried 5 ports)");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn proxy_setting_goes_through_a_real_proxy() {
    let proxy = Tinyproxy::start();
    let sb = Sandbox::start(&["--no-limits"]);
    let lib = Lib::new(&sb.config(json!({"proxy": proxy.url()}))).unwrap();
    let (status, env) = lib.create(&lead("代理"));
    assert_eq!(status, JING_OK, "{env}");
    let creates = sb.requests(Some("/v1/leads/create"));
    assert_eq!(creates.len(), 1);
    // tinyproxy adds a Via header: the request really went through it.
    let via = creates[0]["headers"]["via"].as_str().unwrap_or("");
    assert!(
        via.contains("tinyproxy"),
        "no Via header from the proxy: {}",
        creates[0]
    );
    let tokens = sb.requests(Some("/v1/oauth2/token"));
    assert!(tokens[0]["headers"]["via"]
        .as_str()
        .unwrap_or("")
        .contains("tinyproxy"));
    assert_eq!(sb.leads()[0]["name"], "代理");
}

#[test]
fn https_goes_through_the_proxy_in_a_connect_tunnel() {
    let proxy = Tinyproxy::start();
    let dir = TempDir::new("tls-proxy");
    let ca = make_ca("libjing test CA");
    let ca_file = dir.write("ca.pem", &ca.cert.pem());
    let sb = tls_sandbox(&dir, &make_leaf(&["127.0.0.1", "localhost"], Some(&ca)));
    let mut config = tls_config(&sb.url, Some(&ca_file));
    config["proxy"] = json!(proxy.url());
    let lib = Lib::new(&config).unwrap();
    for name in ["隧道1", "隧道2"] {
        let (status, env) = lib.create(&lead(name));
        assert_eq!(status, JING_OK, "{env}");
    }
    // Inside a tunnel the proxy cannot add headers: its log shows the CONNECT instead.
    let log = std::fs::read_to_string(proxy._dir.0.join("tinyproxy.log")).unwrap_or_default();
    let port = sb.url.rsplit(':').next().unwrap();
    assert!(
        log.contains(&format!("CONNECT 127.0.0.1:{port}")),
        "no CONNECT in the proxy's log:\n{log}"
    );
    // The same certificate checks apply through the tunnel.
    config["ca_file"] = serde_json::Value::Null;
    expect_certificate_error(&config, "unknown CA through the proxy");
}

#[test]
fn proxy_credentials_in_the_url_are_sent_and_wrong_ones_refused() {
    let proxy = Tinyproxy::start_with("BasicAuth jing s3.cr-et\n");
    // Percent-encoded in the URL ('.' as %2E), decoded before sending.
    let proxy_url = |userinfo: &str| {
        proxy
            .url()
            .replace("http://", &format!("http://{userinfo}@"))
    };

    // Plain HTTP (loopback only): the credentials go with every request.
    let sb = Sandbox::start(&["--no-limits"]);
    let config = sb.config(json!({"proxy": proxy_url("jing:s3%2Ecr-et"), "max_retries": 0}));
    let (status, env) = Lib::new(&config).unwrap().create(&lead("凭据"));
    assert_eq!(status, JING_OK, "{env}");

    // HTTPS: the credentials go with CONNECT; wrong ones end there, before anything is sent.
    let dir = TempDir::new("tls-proxy-auth");
    let ca = make_ca("libjing test CA");
    let ca_file = dir.write("ca.pem", &ca.cert.pem());
    let tls = tls_sandbox(&dir, &make_leaf(&["127.0.0.1"], Some(&ca)));
    let mut config = tls_config(&tls.url, Some(&ca_file));
    config["proxy"] = json!(proxy_url("jing:s3%2Ecr-et"));
    let good = Lib::new(&config).unwrap();
    let (status, env) = good.create(&lead("凭据"));
    assert_eq!(status, JING_OK, "{env}");
    let mut wrong = config.clone();
    wrong["proxy"] = json!(proxy_url("jing:wrong-password"));
    wrong["app_id"] = json!("1000000000000002"); // no token cached for this app yet
    let e = expect_error(
        &Lib::new(&wrong).unwrap().create(&lead("x")),
        JING_E_NETWORK,
    );
    assert_eq!(e["outcome_unknown"], false);
    let message = e["message"].as_str().unwrap();
    // tinyproxy answers 401 rather than the standard 407.
    assert!(message.contains("proxy refused the tunnel"), "{message}");
    assert!(
        !e.to_string().contains("wrong-password"),
        "no password in errors: {e}"
    );
    let (status, env) = good.request("POST", "/v1/leads/query", Some(&json!({})));
    assert_eq!(status, JING_OK, "{env}");
    assert_eq!(
        env["data"]["total"], 1,
        "only the good client's lead: {env}"
    );
}

/// A minimal `https://` proxy (tinyproxy speaks only plain HTTP): TLS from the client with
/// `leaf` as its certificate, then `CONNECT host:port`, then bytes pumped both ways. It
/// records each CONNECT target.
struct TlsProxy {
    port: u16,
    connects: Arc<Mutex<Vec<String>>>,
}

impl TlsProxy {
    fn start(leaf: &(String, String)) -> TlsProxy {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs = vec![CertificateDer::from_pem_slice(leaf.0.as_bytes()).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(leaf.1.as_bytes()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connects = Arc::new(Mutex::new(Vec::new()));
        let seen = connects.clone();
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, seen) = (config.clone(), seen.clone());
                std::thread::spawn(move || TlsProxy::serve(tcp, config, &seen));
            }
        });
        TlsProxy { port, connects }
    }

    fn serve(tcp: TcpStream, config: Arc<rustls::ServerConfig>, seen: &Mutex<Vec<String>>) {
        use std::io::{ErrorKind, Read, Write};
        let conn = rustls::ServerConnection::new(config).unwrap();
        let mut client = rustls::StreamOwned::new(conn, tcp);
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match client.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let Some(target) = head
            .strip_prefix("CONNECT ")
            .and_then(|r| r.split(' ').next())
        else {
            let _ = client.write_all(b"HTTP/1.1 405 Only CONNECT\r\nContent-Length: 0\r\n\r\n");
            return;
        };
        seen.lock().unwrap().push(target.to_string());
        let Ok(mut upstream) = TcpStream::connect(target) else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
            return;
        };
        let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
        let _ = client.flush();
        // Both sides non-blocking, polled in turn: simple, and fast enough for a test.
        client.sock.set_nonblocking(true).unwrap();
        upstream.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 16 * 1024];
        loop {
            let mut moved = false;
            match client.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    moved = true;
                    let mut rest = &buf[..n];
                    while !rest.is_empty() {
                        match upstream.write(rest) {
                            Ok(k) => rest = &rest[k..],
                            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                            Err(_) => return,
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
            match upstream.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    moved = true;
                    if client.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
            // Push out what rustls still holds.
            while client.conn.wants_write() {
                match client.conn.write_tls(&mut client.sock) {
                    Ok(_) => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => return,
                }
            }
            if !moved {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

#[test]
fn an_https_proxy_carries_https_in_a_tunnel_inside_tls() {
    let dir = TempDir::new("tls-in-tls");
    let ca = make_ca("libjing test CA");
    let ca_file = dir.write("ca.pem", &ca.cert.pem());
    let sb = tls_sandbox(&dir, &make_leaf(&["127.0.0.1"], Some(&ca)));
    let proxy = TlsProxy::start(&make_leaf(&["localhost"], Some(&ca)));
    let mut config = tls_config(&sb.url, Some(&ca_file));
    config["proxy"] = json!(format!("https://localhost:{}", proxy.port));
    let lib = Lib::new(&config).unwrap();
    for name in ["双层1", "双层2", "双层3"] {
        let (status, env) = lib.create(&lead(name));
        assert_eq!(status, JING_OK, "{env}");
    }
    let port = sb.url.rsplit(':').next().unwrap();
    let connects = proxy.connects.lock().unwrap().clone();
    assert_eq!(
        connects,
        vec![format!("127.0.0.1:{port}")],
        "one tunnel, kept alive for the token request and three creates"
    );
    let sb = sb.trusting(&ca.cert.pem());
    assert_eq!(sb.leads().len(), 3);

    // The proxy's own certificate is verified too: without the CA, nothing gets through.
    config["ca_file"] = Value::Null;
    config["app_id"] = json!("1000000000000003");
    expect_certificate_error(&config, "untrusted https proxy");
    assert_eq!(
        proxy.connects.lock().unwrap().len(),
        1,
        "no CONNECT was sent"
    );
}

#[test]
fn proxy_where_nothing_listens_is_a_network_error() {
    let sb = Sandbox::start(&["--no-limits"]);
    let proxy = format!("http://127.0.0.1:{}", free_port());
    let lib = Lib::new(&sb.config(json!({"proxy": proxy, "max_retries": 1}))).unwrap();
    let e = expect_error(&lib.create(&lead("x")), JING_E_NETWORK);
    assert_eq!(e["outcome_unknown"], false);
    assert!(sb.requests(None).is_empty(), "nothing bypassed the proxy");
}

// ---------------------------------------------------------------------------------------
// Secrets

/// The first UUID-shaped substring (8-4-4-4-12 hex digits, as the sandbox's tokens).
fn find_uuid(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(35)).find_map(|i| {
        let w = &b[i..i + 36];
        let ok = w.iter().enumerate().all(|(j, c)| match j {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
        ok.then(|| &text[i..i + 36])
    })
}

/// What the library returned, minus the `data` of success envelopes (the caller's own
/// data: a token there is one the caller asked for).
fn outside_data(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(mut map)) if map.get("code") == Some(&json!(0)) => {
            map.remove("data");
            Value::Object(map).to_string()
        }
        _ => text.to_string(),
    }
}

const WRONG_SECRET: &str = "fedcba9876543210fedcba9876543210";

/// Every scenario that makes the sandbox hand out tokens and the library return text.
fn sandbox_scenarios() {
    let sb = Sandbox::start(&["--token-ttl", "1", "--no-limits"]);
    let lib = Lib::new(&sb.config(json!({"timeout_ms": 400, "max_retries": 1}))).unwrap();
    let (status, env) = lib.create(&lead("秘密"));
    assert_eq!(status, JING_OK, "{env}");
    let uuid = env["data"]["jing_uuid"].as_str().unwrap().to_string();
    lib.request("GET", &format!("/v1/leads/query?jing_uuid={uuid}"), None);
    lib.request(
        "POST",
        "/v1/leads/query",
        Some(&json!({"mobile": "13800000000"})),
    );
    // Token expiry (1 s) and refresh, revocation and refresh, rejection after refresh.
    std::thread::sleep(Duration::from_millis(1100));
    lib.request("GET", "/v1/echo", None);
    sb.faults(json!([{"kind": "invalidate_token", "path": "/v1/echo"}]));
    lib.request("GET", "/v1/echo", None);
    sb.faults(json!([{"kind": "api_code", "code": 40101, "path": "/v1/echo", "count": 2}]));
    lib.request("GET", "/v1/echo", None);
    // Errors whose server text repeats the secret.
    sb.faults(
        json!([{"kind": "api_code", "code": 12345, "msg": format!("bad {APP_SECRET}"),
                      "path": "/v1/echo"}]),
    );
    let (status, e) = lib.request("GET", "/v1/echo", None);
    assert_eq!(status, JING_E_API, "{e}");
    // Transport and server failures.
    for fault in [
        json!({"kind": "http_status", "status": 500}),
        json!({"kind": "close_after"}),
        json!({"kind": "close_before"}),
        json!({"kind": "non_json"}),
        json!({"kind": "delay", "delay_ms": 1000}),
        json!({"kind": "api_code", "code": 42902}),
    ] {
        let mut fault = fault;
        fault["path"] = json!("/v1/leads/create");
        sb.faults(json!([fault]));
        lib.create(&lead("故障"));
    }
    // Faults on the token endpoints themselves.
    sb.post("/_sandbox/invalidate_tokens", json!({}));
    sb.faults(
        json!([{"kind": "api_code", "code": 40002, "msg": "refresh refused",
                      "path": "/v1/oauth2/token/refresh"}]),
    );
    lib.request("GET", "/v1/echo", None);
    sb.post("/_sandbox/invalidate_tokens", json!({}));
    sb.faults(
        json!([{"kind": "http_status", "status": 500, "path": "/v1/oauth2/token/refresh"},
                     {"kind": "http_status", "status": 500, "path": "/v1/oauth2/token"}]),
    );
    lib.request("GET", "/v1/echo", None);
    sb.post("/_sandbox/reset", json!({}));
    // A wrong secret.
    let bad = Lib::new(&sb.config(json!({"app_secret": WRONG_SECRET}))).unwrap();
    expect_error(&bad.create(&lead("x")), JING_E_AUTH);
    // Configuration errors with the secret in the configuration.
    for extra in [
        json!({"timout_ms": 1}),
        json!({"base_url": "http://example.com"}),
        json!({"ca_file": "/nonexistent.pem"}),
        json!({"proxy": "socks5://127.0.0.1:1"}),
        json!({"max_retries": "many"}),
    ] {
        let (status, _) = Lib::new(&sb.config(extra)).err().unwrap();
        assert_eq!(status, JING_E_CONFIG);
    }
    let (status, _) = Lib::new(&json!({"app_id": APP_ID, "app_secret": format!("{APP_SECRET}\n")}))
        .err()
        .unwrap();
    assert_eq!(status, JING_E_CONFIG);
    // Nothing listening.
    let closed = json!({"app_id": APP_ID, "app_secret": APP_SECRET,
                        "base_url": format!("http://127.0.0.1:{}", free_port()),
                        "max_retries": 0});
    expect_error(
        &Lib::new(&closed).unwrap().create(&lead("x")),
        JING_E_NETWORK,
    );
}

/// A hostile server that knows which tokens it issued and puts them (and the secret) in
/// every error text it can.
fn echoing_server_scenarios() -> Vec<String> {
    let issued: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = issued.clone();
    let fake = Fake::start(move |req| {
        let mut issued = log.lock().unwrap();
        // The tokens it handed out lately (the library remembers the last 16 for scrubbing;
        // a server quoting older, long-dead ones is out of scope), what it was sent, and the
        // secret.
        let recent = issued[issued.len().saturating_sub(8)..].join(" ");
        let everything = format!("{recent} {} {APP_SECRET}", req.body);
        if req.path == "/v1/oauth2/token" || req.path == "/v1/oauth2/token/refresh" {
            if req.path.ends_with("refresh") && issued.len() >= 6 {
                // Refuse the refresh, repeating the refresh token it was sent.
                return envelope(
                    40002,
                    &format!("refresh refused: {everything}"),
                    Value::Null,
                );
            }
            let (access, refresh) = (fake::uuid_token(), fake::uuid_token());
            issued.push(access.clone());
            issued.push(refresh.clone());
            return fake::token_reply(&access, &refresh);
        }
        let token = req.header("access_token").unwrap_or("").to_string();
        match req.path.as_str() {
            "/v1/reject" => envelope(
                40101,
                &format!("token {token} rejected; {everything}"),
                Value::Null,
            ),
            "/v1/api" => envelope(12345, &format!("token {token}; {everything}"), Value::Null),
            "/v1/500" => http(500, "", format!("token {token}; {everything}").as_bytes()),
            "/v1/401" => http(401, "", format!("token {token}").as_bytes()),
            "/v1/429" => http(429, "", format!("token {token}").as_bytes()),
            _ => envelope(0, "success", json!({"seen": "ok"})),
        }
    });
    let config = json!({"app_id": APP_ID, "app_secret": APP_SECRET, "base_url": fake.url,
                        "max_retries": 1, "max_wait_ms": 300});
    let lib = Lib::new(&config).unwrap();
    for path in [
        "/v1/ok",
        "/v1/reject",
        "/v1/api",
        "/v1/500",
        "/v1/401",
        "/v1/429",
        "/v1/reject",
    ] {
        lib.request("GET", path, None);
        lib.request("POST", path, Some(&json!({})));
    }
    lib.create(&lead("x"));
    let issued = issued.lock().unwrap().clone();
    assert!(issued.len() >= 6, "the server issued tokens: {issued:?}");
    issued
}

#[test]
fn secrets_never_appear_in_anything_the_library_returns() {
    sandbox_scenarios();
    let tokens = echoing_server_scenarios();
    let returned = RETURNED.lock().unwrap().clone();
    assert!(
        returned.len() > 40,
        "scenarios returned text: {}",
        returned.len()
    );
    for text in &returned {
        for secret in [APP_SECRET, WRONG_SECRET] {
            assert!(!text.contains(secret), "the app_secret leaked: {text}");
        }
        for token in &tokens {
            assert!(
                !text.contains(token.as_str()),
                "token {token} leaked: {text}"
            );
        }
        let outside = outside_data(text);
        assert!(
            find_uuid(&outside).is_none(),
            "a UUID-shaped token outside an envelope's data: {outside}"
        );
    }
}

#[test]
fn debug_output_never_shows_secrets() {
    let sb = Sandbox::start(&["--no-limits"]);
    let config = sb.config(json!({"proxy": null})).to_string();
    let client = jing::Client::new(&config).unwrap();
    // After a token was fetched and while it is cached.
    let envelope = client.request("GET", "/v1/echo", None).unwrap();
    assert!(envelope.contains("\"code\":0"));
    let parsed = jing::config::Config::from_json(&config).unwrap();
    sb.faults(json!([{"kind": "api_code", "code": 12345, "msg": APP_SECRET, "path": "/v1/x"}]));
    let error = client.request("GET", "/v1/x", None).unwrap_err();
    for text in [
        format!("{client:?}"),
        format!("{client:#?}"),
        format!("{parsed:?}"),
        format!("{parsed:#?}"),
        format!("{error:?}"),
        format!("{error}"),
        error.to_json(),
    ] {
        assert!(!text.contains(APP_SECRET), "{text}");
        assert!(find_uuid(&text).is_none(), "{text}");
    }
    let secret = jing::auth::Secret::new("4b8e2c1a-0000-4000-8000-123456789abc");
    assert!(!format!("{secret:?}").contains("4b8e2c1a"));

    // A proxy password, even one with an unencoded '/', shows nowhere either.
    let proxy = "http://alice:Top/S3cretPw@127.0.0.1:9";
    let with_proxy = sb.config(json!({"proxy": proxy})).to_string();
    let client = jing::Client::new(&with_proxy).unwrap();
    let parsed = jing::config::Config::from_json(&with_proxy).unwrap();
    for text in [format!("{client:?}"), format!("{parsed:#?}")] {
        assert!(text.contains("127.0.0.1:9"), "{text}");
        assert!(!text.contains("S3cretPw"), "{text}");
    }
    let broken = sb.config(json!({"proxy": "http://alice:Top/S3cretPw@127.0.0.1:x"}));
    let e = jing::Client::new(&broken.to_string()).unwrap_err();
    assert!(!format!("{e:?} {e}").contains("S3cretPw"), "{e:?}");
}

#[test]
fn uuid_finder_finds_tokens() {
    assert_eq!(
        find_uuid("x 123e4567-e89b-12d3-a456-426614174000 y"),
        Some("123e4567-e89b-12d3-a456-426614174000")
    );
    assert_eq!(find_uuid("0123456789abcdef0123456789abcdef"), None);
    assert_eq!(
        outside_data(r#"{"code":0,"data":{"t":"123e4567-e89b-12d3-a456-426614174000"}}"#),
        r#"{"code":0}"#
    );
}
