//! Many threads and many clients against one sandbox: thread safety, process-wide sharing of
//! tokens, connections and limits, and pacing measured at the server.

mod common;

use common::*;
use jing::ffi::JING_OK;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

const FAST: &str = r#"{"rate_limit_per_second": 100000, "daily_quota": 1000000000}"#;

#[test]
fn sixteen_threads_share_one_client() {
    let sb = Sandbox::start(&["--no-limits"]);
    let lib = Arc::new(Lib::new(&sb.config(serde_json::from_str(FAST).unwrap())).unwrap());
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let lib = lib.clone();
            std::thread::spawn(move || {
                (0..20)
                    .map(|i| {
                        let (status, env) = lib.create(&lead(&format!("线程{t}-{i}")));
                        assert_eq!(status, JING_OK, "{env}");
                        env["data"]["jing_uuid"].as_str().unwrap().to_owned()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let uuids: HashSet<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(uuids.len(), 320);
    assert_eq!(sb.leads().len(), 320);
    assert_eq!(
        sb.requests(Some("/v1/oauth2/token")).len(),
        1,
        "one token for all threads"
    );
}

#[test]
fn clients_of_one_app_share_tokens_and_connections() {
    let sb = Sandbox::start(&["--no-limits"]);
    let config = sb.config(json!({}));
    let clients: Vec<Lib> = (0..50).map(|_| Lib::new(&config).unwrap()).collect();
    assert_eq!(
        jing::transport::pool_count(&sb.url),
        1,
        "50 clients, one pool"
    );
    for (i, c) in clients.iter().enumerate().take(5) {
        assert_eq!(c.create(&lead(&format!("c{i}"))).0, JING_OK);
    }
    drop(clients);
    // A client per event, as plugins do: still no new token.
    for i in 0..5 {
        assert_eq!(
            Lib::new(&config).unwrap().create(&lead(&format!("e{i}"))).0,
            JING_OK
        );
    }
    assert_eq!(sb.requests(Some("/v1/oauth2/token")).len(), 1);
    assert_eq!(sb.leads().len(), 10);
}

/// Send times (µs) of the journal's accepted creates, sorted.
fn create_times(sb: &Sandbox) -> Vec<u64> {
    let mut times: Vec<u64> = sb
        .requests(Some("/v1/leads/create"))
        .iter()
        .map(|r| r["time_us"].as_u64().unwrap())
        .collect();
    times.sort_unstable();
    times
}

#[test]
fn eight_threads_over_three_clients_never_trip_the_server_limit() {
    let sb = Sandbox::start(&[]); // 10 per second, like JING
    let clients: Vec<Arc<Lib>> = (0..3)
        .map(|_| Arc::new(Lib::new(&sb.config(json!({}))).unwrap()))
        .collect();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let lib = clients[t % 3].clone();
            std::thread::spawn(move || {
                for i in 0..4 {
                    let (status, env) = lib.create(&lead(&format!("t{t}-{i}")));
                    assert_eq!(status, JING_OK, "{env}");
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let journal = sb.requests(Some("/v1/leads/create"));
    assert_eq!(journal.len(), 32);
    assert!(
        journal.iter().all(|r| r["code"] == 0),
        "no request was rate limited by the server"
    );
    let times = create_times(&sb);
    for w in times.windows(11) {
        assert!(w[10] - w[0] > 1_000_000, "11 sends within a second: {w:?}");
    }
}

#[test]
fn the_strictest_live_client_sets_the_pace() {
    let sb = Sandbox::start(&["--no-limits"]);
    let strict = Lib::new(&sb.config(json!({"rate_limit_per_second": 2}))).unwrap();
    let loose = Lib::new(&sb.config(json!({"rate_limit_per_second": 50}))).unwrap();
    for i in 0..5 {
        assert_eq!(loose.create(&lead(&format!("{i}"))).0, JING_OK);
    }
    let times = create_times(&sb);
    for w in times.windows(3) {
        assert!(
            w[2] - w[0] > 1_000_000,
            "more than 2 per second while the strict client lives"
        );
    }
    drop(strict);
    let started = std::time::Instant::now();
    for i in 0..10 {
        assert_eq!(loose.create(&lead(&format!("after{i}"))).0, JING_OK);
    }
    assert!(
        started.elapsed() < std::time::Duration::from_millis(900),
        "its own limit applies again"
    );
}
