//! The floor for `benches/run.sh`: the same lead creates libjing sends, made by hand with a
//! bare reqwest blocking client (what a user would write instead of using the library).
//!
//! The token is fetched once; every create carries the same headers (`app_id`,
//! `access_token`, `Content-Type: application/json`) and the same body as the other
//! benchmarks. One `reqwest::blocking::Client` (one connection pool) is shared by all
//! threads, as libjing shares one per base URL.
//!
//!   overhead --base-url http://127.0.0.1:PORT [--threads 1] [--count 2000] [--reps 3]
//!            [--warmup 50] [--app-id ID] [--app-secret S] [--via-jing]
//!
//! `--via-jing` makes the same creates through libjing's Rust API (the rlib, linked
//! statically): the library's own cost without the C boundary and the shared object, so that
//! the table can tell the two apart.
//!
//! `--raw` makes them over a bare std `TcpStream` per thread (kept alive), the request
//! bytes built once and the answer head parsed with `httparse`: the parts libjing's own
//! transport is built from, without the library. The lowest cost a Rust caller can have.
//!
//! `--count` is per thread. Prints one line per repetition:
//!   RESULT n=.. errors=.. wall_s=.. rate=.. p50_us=.. p99_us=..
//! (Run by `benches/run.sh`; `cargo bench --bench overhead -- --base-url ...` works too.)

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const LEAD: &str =
    r#"{"business_type":"bt000000000000000000000000000001","name":"张三","mobile":"13800000000"}"#;

struct Args {
    base_url: String,
    threads: usize,
    count: usize,
    reps: usize,
    warmup: usize,
    app_id: String,
    app_secret: String,
    via_jing: bool,
    raw: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        base_url: String::new(),
        threads: 1,
        count: 2000,
        reps: 3,
        warmup: 50,
        app_id: "1000000000000001".into(),
        app_secret: "0123456789abcdef0123456789abcdef".into(),
        via_jing: false,
        raw: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || {
            it.next()
                .unwrap_or_else(|| die(&format!("{k} needs a value")))
        };
        match k.as_str() {
            "--base-url" => a.base_url = v(),
            "--threads" => a.threads = v().parse().unwrap_or_else(|_| die("bad --threads")),
            "--count" => a.count = v().parse().unwrap_or_else(|_| die("bad --count")),
            "--reps" => a.reps = v().parse().unwrap_or_else(|_| die("bad --reps")),
            "--warmup" => a.warmup = v().parse().unwrap_or_else(|_| die("bad --warmup")),
            "--app-id" => a.app_id = v(),
            "--app-secret" => a.app_secret = v(),
            "--via-jing" => a.via_jing = true,
            "--raw" => a.raw = true,
            "--bench" => {} // added by `cargo bench`
            other => die(&format!("unknown argument {other}")),
        }
    }
    if a.base_url.is_empty() {
        die("--base-url is required");
    }
    a
}

fn die(msg: &str) -> ! {
    eprintln!("overhead: {msg}");
    std::process::exit(2)
}

fn fetch_token(http: &reqwest::blocking::Client, a: &Args) -> String {
    let body = serde_json::json!({"app_id": a.app_id, "app_secret": a.app_secret}).to_string();
    let text = http
        .post(format!("{}/v1/oauth2/token", a.base_url))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .and_then(|r| r.text())
        .unwrap_or_else(|e| die(&format!("token request failed: {e}")));
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|_| die(&format!("token answer: {text}")));
    v["data"]["access_token"]
        .as_str()
        .unwrap_or_else(|| die(&format!("no access_token in {text}")))
        .to_owned()
}

/// One create; true when the envelope says `code` 0.
fn create(http: &reqwest::blocking::Client, url: &str, app_id: &str, token: &str) -> bool {
    if let Some(client) = VIA_JING.get() {
        return client.create_lead(LEAD).is_ok();
    }
    if let Some(raw) = RAW.get() {
        return raw_create(raw);
    }
    let result = http
        .post(url)
        .header("app_id", app_id)
        .header("access_token", token)
        .header("Content-Type", "application/json")
        .body(LEAD)
        .send()
        .and_then(|r| r.bytes());
    match result {
        Ok(body) => body.windows(8).any(|w| w == b"\"code\":0"),
        Err(_) => false,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e6
}

/// `--raw`: where to connect and the complete request bytes of one create.
struct RawTarget {
    addr: String,
    request: Vec<u8>,
}

static RAW: std::sync::OnceLock<RawTarget> = std::sync::OnceLock::new();

thread_local! {
    static RAW_CONN: std::cell::RefCell<Option<std::net::TcpStream>> =
        const { std::cell::RefCell::new(None) };
}

fn raw_target(a: &Args, token: &str) -> RawTarget {
    let addr = a
        .base_url
        .trim_start_matches("http://")
        .trim_end_matches('/');
    if a.base_url.starts_with("https://") || addr.contains('/') {
        die("--raw needs a plain http://host:port base URL");
    }
    let request = format!(
        "POST /v1/leads/create HTTP/1.1\r\nHost: {addr}\r\napp_id: {}\r\naccess_token: {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{LEAD}",
        a.app_id,
        LEAD.len()
    );
    RawTarget {
        addr: addr.to_string(),
        request: request.into_bytes(),
    }
}

fn raw_create(t: &RawTarget) -> bool {
    use std::io::{Read, Write};
    RAW_CONN.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let tcp = std::net::TcpStream::connect(&t.addr)
                .unwrap_or_else(|e| die(&format!("connect {}: {e}", t.addr)));
            let _ = tcp.set_nodelay(true);
            *slot = Some(tcp);
        }
        let tcp = slot.as_mut().unwrap();
        if tcp.write_all(&t.request).is_err() {
            *slot = None;
            return false;
        }
        let mut buf = Vec::with_capacity(4096);
        let mut chunk = [0u8; 4096];
        loop {
            let n = match tcp.read(&mut chunk) {
                Ok(0) | Err(_) => {
                    *slot = None;
                    return false;
                }
                Ok(n) => n,
            };
            buf.extend_from_slice(&chunk[..n]);
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut head = httparse::Response::new(&mut headers);
            if let Ok(httparse::Status::Complete(len)) = head.parse(&buf) {
                let body_len: usize = head
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
                    .unwrap_or(0);
                if buf.len() >= len + body_len {
                    return buf[len..len + body_len]
                        .windows(8)
                        .any(|w| w == b"\"code\":0");
                }
            }
        }
    })
}

/// The libjing client of `--via-jing`.
static VIA_JING: std::sync::OnceLock<jing::Client> = std::sync::OnceLock::new();

fn main() {
    let a = parse_args();
    if a.via_jing {
        let config = serde_json::json!({
            "app_id": a.app_id, "app_secret": a.app_secret, "base_url": a.base_url,
            "rate_limit_per_second": 100_000, "daily_quota": 1_000_000_000u32,
        });
        let client = jing::Client::new(&config.to_string())
            .unwrap_or_else(|e| die(&format!("jing client: {e}")));
        let _ = VIA_JING.set(client);
    }
    let http = reqwest::blocking::Client::builder()
        .tcp_nodelay(true)
        .no_proxy()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap_or_else(|e| die(&format!("client: {e}")));
    let token = Arc::new(fetch_token(&http, &a));
    if a.raw {
        let _ = RAW.set(raw_target(&a, &token));
    }
    let url = Arc::new(format!("{}/v1/leads/create", a.base_url));
    let app_id = Arc::new(a.app_id.clone());

    for rep in 0..a.reps {
        let barrier = Arc::new(Barrier::new(a.threads + 1));
        let handles: Vec<_> = (0..a.threads)
            .map(|_| {
                let (http, url, app_id, token, barrier) = (
                    http.clone(),
                    url.clone(),
                    app_id.clone(),
                    token.clone(),
                    barrier.clone(),
                );
                let (count, warmup) = (a.count, if rep == 0 { a.warmup } else { 0 });
                std::thread::spawn(move || {
                    for _ in 0..warmup {
                        create(&http, &url, &app_id, &token);
                    }
                    barrier.wait();
                    let mut lat = Vec::with_capacity(count);
                    let mut errors = 0usize;
                    for _ in 0..count {
                        let t = Instant::now();
                        if !create(&http, &url, &app_id, &token) {
                            errors += 1;
                        }
                        lat.push(t.elapsed());
                    }
                    (lat, errors)
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let mut lat = Vec::with_capacity(a.threads * a.count);
        let mut errors = 0;
        for h in handles {
            let (l, e) = h.join().expect("bench thread");
            lat.extend(l);
            errors += e;
        }
        let wall = start.elapsed().as_secs_f64();
        lat.sort_unstable();
        println!(
            "RESULT n={} errors={} wall_s={:.4} rate={:.1} p50_us={:.1} p99_us={:.1}",
            lat.len(),
            errors,
            wall,
            lat.len() as f64 / wall,
            percentile(&lat, 0.50),
            percentile(&lat, 0.99)
        );
    }
}
