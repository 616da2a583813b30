//! The transport's own promises: one kept-alive connection carries call after call; a
//! connection the server closed while idle is never written into (a create on it would be
//! reported as "outcome unknown" for nothing); every HTTP/1.1 framing is read.

mod common;
mod fake;

use common::*;
use fake::{chunked, envelope, kept_alive, token_reply, uuid_token, Fake, Reply};
use jing::ffi::*;
use serde_json::json;
use std::time::Duration;

fn config(url: &str) -> serde_json::Value {
    json!({"app_id": APP_ID, "app_secret": APP_SECRET, "base_url": url, "max_retries": 0})
}

fn creates(fake: &Fake) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.path == "/v1/leads/create")
        .count()
}

/// A well-behaved server that keeps connections open for `idle`.
fn keep_alive_server(idle: Duration) -> Fake {
    Fake::start(move |req| {
        let reply = if req.path.starts_with("/v1/oauth2/token") {
            token_reply(&uuid_token(), &uuid_token())
        } else {
            envelope(0, "success", json!({"jing_uuid": uuid_token()}))
        };
        kept_alive(reply, idle)
    })
}

#[test]
fn one_connection_carries_sequential_calls() {
    let fake = keep_alive_server(Duration::from_secs(10));
    let lib = Lib::new(&config(&fake.url)).unwrap();
    for i in 0..50 {
        let (status, env) = lib.create(&lead(&format!("连接{i}")));
        assert_eq!(status, JING_OK, "{env}");
    }
    assert_eq!(creates(&fake), 50);
    assert_eq!(
        fake.requests().len(),
        51,
        "one token request and 50 creates"
    );
    assert_eq!(fake.connections(), 1, "all over one kept-alive connection");
}

#[test]
fn a_connection_closed_by_the_server_while_idle_is_not_reused() {
    let idle = Duration::from_millis(100);
    let fake = keep_alive_server(idle);
    let lib = Lib::new(&config(&fake.url)).unwrap();
    for round in 1..=3 {
        let (status, env) = lib.create(&lead("闲置"));
        assert_eq!(status, JING_OK, "round {round}: {env}");
        // Long enough for the server to close the pooled connection.
        std::thread::sleep(idle * 4);
    }
    assert_eq!(creates(&fake), 3, "each create sent once");
    assert_eq!(
        fake.connections(),
        3,
        "a fresh connection each round (the first also carried the token request)"
    );
}

#[test]
fn chunked_answers_are_read_and_the_connection_kept() {
    let fake = Fake::start(|req| {
        if req.path.starts_with("/v1/oauth2/token") {
            return kept_alive(
                token_reply(&uuid_token(), &uuid_token()),
                Duration::from_secs(10),
            );
        }
        let body = json!({"code": 0, "msg": "success", "request_id": "r1",
                          "data": {"jing_uuid": uuid_token(), "name": "分块".repeat(2000)}});
        Reply::KeepAlive {
            bytes: chunked(body.to_string().as_bytes(), 333),
            idle: Duration::from_secs(10),
        }
    });
    let lib = Lib::new(&config(&fake.url)).unwrap();
    for _ in 0..3 {
        let (status, env) = lib.create(&lead("分块"));
        assert_eq!(status, JING_OK, "{env}");
        assert_eq!(env["data"]["name"], "分块".repeat(2000));
    }
    assert_eq!(fake.connections(), 1);
}

#[test]
fn answers_with_connection_close_get_a_new_connection_each_time() {
    let fake = Fake::start(|req| {
        if req.path.starts_with("/v1/oauth2/token") {
            return token_reply(&uuid_token(), &uuid_token());
        }
        envelope(0, "success", json!({"jing_uuid": uuid_token()}))
    });
    let lib = Lib::new(&config(&fake.url)).unwrap();
    for _ in 0..5 {
        assert_eq!(lib.create(&lead("关闭")).0, JING_OK);
    }
    assert_eq!((creates(&fake), fake.connections()), (5, 6));
}

#[test]
fn the_sandbox_sees_one_connection_for_sequential_calls() {
    let sb = Sandbox::start(&["--no-limits"]);
    let lib = Lib::new(&sb.config(json!({}))).unwrap();
    for i in 0..30 {
        assert_eq!(lib.create(&lead(&format!("沙盒{i}"))).0, JING_OK);
    }
    // The sandbox's journal numbers the connection of each request: one for all 31.
    let journal = sb.requests(None);
    assert_eq!(journal.len(), 31, "one token request and 30 creates");
    let connections: std::collections::BTreeSet<u64> = journal
        .iter()
        .map(|r| r["connection"].as_u64().expect("journal has connection"))
        .collect();
    assert_eq!(connections.len(), 1, "{connections:?}");
}
