//! Access tokens: fetched once, cached process-wide per (base_url, app_id, app_secret),
//! refreshed by one thread while the others wait, refresh tokens rotated on every use.

use crate::error::{Error, Kind, Result};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A secret string whose Debug output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// What the token endpoint handed out, stamped with the moment it arrived.
#[derive(Debug)]
pub struct Issued {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// Remaining lifetime as the server reported it (jing-api.md: remaining, not total).
    pub expires_in: Duration,
    pub received_at: Instant,
}

/// How to ask for a token.
#[derive(Debug)]
pub enum Grant {
    Credentials,
    Refresh(Secret),
}

#[derive(Debug)]
pub struct Token {
    pub access: Secret,
    /// Identifies this token among the ones the store has held, so that a rejection
    /// only expires the token the caller actually used.
    pub generation: u64,
    usable_until: Instant,
}

/// Refresh tokens live 30 days (jing-api.md); stop using one a day early.
const REFRESH_LIFETIME: Duration = Duration::from_secs(29 * 24 * 3600);
const MAX_MARGIN: Duration = Duration::from_secs(60);

/// When to stop using a token: before it expires by a margin of a fifth of its lifetime,
/// at most a minute. A 2-hour token is renewed a minute early, a 5-second one a second
/// early; a token with no lifetime at all is used once.
pub fn usable_until(received_at: Instant, expires_in: Duration) -> Instant {
    let margin = (expires_in / 5).min(MAX_MARGIN);
    received_at + (expires_in - margin)
}

#[derive(Default)]
struct State {
    current: Option<Arc<Token>>,
    refresh: Option<(Secret, Instant)>,
    generation: u64,
    /// The latest tokens issued, kept after they were rejected, expired or used, so that
    /// a server quoting a token the store has already let go of is still scrubbed.
    issued: VecDeque<Secret>,
}

/// How many issued tokens (access and refresh) are remembered for scrubbing.
const REMEMBERED_SECRETS: usize = 16;

/// The token cache of one (base_url, app_id, app_secret).
#[derive(Default)]
pub struct TokenStore {
    state: Mutex<State>,
    /// Held by the one thread that is fetching; the others wait on it, then re-check.
    fetching: Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl TokenStore {
    fn valid(&self, now: Instant) -> Option<Arc<Token>> {
        lock(&self.state)
            .current
            .as_ref()
            .filter(|t| t.usable_until > now)
            .cloned()
    }

    /// A usable token, fetching one through `fetch` when there is none. Only one thread
    /// fetches at a time; the others reuse its result.
    pub fn token(&self, fetch: impl Fn(Grant) -> Result<Issued>) -> Result<Arc<Token>> {
        if let Some(t) = self.valid(Instant::now()) {
            return Ok(t);
        }
        let _one_at_a_time = lock(&self.fetching);
        if let Some(t) = self.valid(Instant::now()) {
            return Ok(t);
        }
        let refresh = {
            let s = lock(&self.state);
            s.refresh
                .as_ref()
                .filter(|(_, until)| *until > Instant::now())
                .map(|(r, _)| r.clone())
        };
        let issued = match refresh {
            Some(r) => match fetch(Grant::Refresh(r)) {
                Ok(issued) => issued,
                // A used, revoked or expired refresh token: start over with the secret.
                Err(e) if e.kind == Kind::Auth => {
                    lock(&self.state).refresh = None;
                    fetch(Grant::Credentials)?
                }
                Err(e) => return Err(e),
            },
            None => fetch(Grant::Credentials)?,
        };
        Ok(self.store(issued))
    }

    fn store(&self, issued: Issued) -> Arc<Token> {
        let mut s = lock(&self.state);
        s.generation += 1;
        let token = Arc::new(Token {
            access: issued.access_token,
            generation: s.generation,
            usable_until: usable_until(issued.received_at, issued.expires_in),
        });
        s.current = Some(token.clone());
        let fresh = std::iter::once(&token.access).chain(issued.refresh_token.as_ref());
        for secret in fresh.cloned().collect::<Vec<_>>() {
            if s.issued.len() == REMEMBERED_SECRETS {
                s.issued.pop_front();
            }
            s.issued.push_back(secret);
        }
        if let Some(r) = issued.refresh_token {
            s.refresh = Some((r, issued.received_at + REFRESH_LIFETIME));
        }
        token
    }

    /// The server refused `token`: forget it, unless another thread has already put a
    /// newer one in its place.
    pub fn reject(&self, token: &Token) {
        let mut s = lock(&self.state);
        if s.current
            .as_ref()
            .is_some_and(|c| c.generation == token.generation)
        {
            s.current = None;
        }
    }

    /// The secrets this store holds or recently held, for scrubbing text that leaves the
    /// library: the current tokens and the last ones issued, even if already let go of.
    pub fn secrets(&self) -> Vec<String> {
        // The current access token is the latest issued, so always among these; the refresh
        // token may be older (a server need not rotate it), so it is added when missing.
        let s = lock(&self.state);
        let refresh = s.refresh.as_ref().map(|(r, _)| r);
        let missing = refresh.filter(|r| !s.issued.contains(r));
        s.issued
            .iter()
            .chain(missing)
            .map(|t| t.expose().to_owned())
            .collect()
    }
}

/// Reads the token endpoint's `data`: `access_token`, `refresh_token`, `expires_in`.
pub fn parse_issued(data: &serde_json::Value, received_at: Instant) -> Result<Issued> {
    let bad = |what: &str| {
        Error::new(
            Kind::Protocol,
            format!("the token endpoint's answer has no usable {what}"),
        )
    };
    let access = data
        .get("access_token")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("access_token"))?;
    let refresh = data
        .get("refresh_token")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty());
    // A number or a numeric string. Missing: assume ten minutes; a rejection before then
    // is handled by the one-refresh rule.
    let expires_in = match data.get("expires_in") {
        None | Some(serde_json::Value::Null) => 600.0,
        Some(v) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|n| n.is_finite())
            .ok_or_else(|| bad("expires_in"))?,
    };
    Ok(Issued {
        access_token: Secret::new(access),
        refresh_token: refresh.map(Secret::new),
        expires_in: Duration::from_secs_f64(expires_in.clamp(0.0, 365.0 * 86_400.0)),
        received_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn issued(name: &str, secs: u64) -> Issued {
        Issued {
            access_token: Secret::new(name),
            refresh_token: Some(Secret::new(format!("r-{name}"))),
            expires_in: Duration::from_secs(secs),
            received_at: Instant::now(),
        }
    }

    #[test]
    fn expiry_margin_fits_long_and_short_lifetimes() {
        let t0 = Instant::now();
        assert_eq!(
            usable_until(t0, Duration::from_secs(4511)),
            t0 + Duration::from_secs(4451)
        );
        assert_eq!(
            usable_until(t0, Duration::from_secs(7200)),
            t0 + Duration::from_secs(7140)
        );
        assert_eq!(
            usable_until(t0, Duration::from_secs(5)),
            t0 + Duration::from_secs(4)
        );
        assert_eq!(
            usable_until(t0, Duration::from_secs(1)),
            t0 + Duration::from_millis(800)
        );
        assert_eq!(usable_until(t0, Duration::ZERO), t0);
    }

    #[test]
    fn token_is_cached_until_rejected() {
        let store = TokenStore::default();
        let calls = AtomicUsize::new(0);
        let fetch = |g: Grant| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Ok(match g {
                Grant::Credentials => issued(&format!("c{n}"), 3600),
                Grant::Refresh(r) => issued(&format!("{}-refreshed", r.expose()), 3600),
            })
        };
        let a = store.token(fetch).unwrap();
        let b = store.token(fetch).unwrap();
        assert_eq!(a.generation, b.generation);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        store.reject(&a);
        let c = store.token(fetch).unwrap();
        assert_eq!(c.access.expose(), "r-c0-refreshed", "refresh token used");
        // A late rejection of the old token must not expire the new one.
        store.reject(&a);
        assert_eq!(store.token(fetch).unwrap().generation, c.generation);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn rejected_and_used_tokens_are_still_scrubbed() {
        let store = TokenStore::default();
        let first = store.token(|_| Ok(issued("a", 3600))).unwrap();
        store.reject(&first);
        let second = store.token(|_| Ok(issued("b", 3600))).unwrap();
        store.reject(&second);
        let secrets = store.secrets();
        for s in ["a", "r-a", "b", "r-b"] {
            assert!(
                secrets.iter().any(|x| x == s),
                "{s} missing from {secrets:?}"
            );
        }
        for i in 0..REMEMBERED_SECRETS {
            let t = store.token(|_| Ok(issued(&format!("n{i}"), 3600))).unwrap();
            store.reject(&t);
        }
        assert!(store.secrets().len() <= REMEMBERED_SECRETS + 2, "bounded");
    }

    #[test]
    fn failed_refresh_falls_back_to_credentials() {
        let store = TokenStore::default();
        let first = store.token(|_| Ok(issued("a", 3600))).unwrap();
        store.reject(&first);
        let t = store
            .token(|g| match g {
                Grant::Refresh(_) => Err(Error::new(Kind::Auth, "used refresh token")),
                Grant::Credentials => Ok(issued("fresh", 3600)),
            })
            .unwrap();
        assert_eq!(t.access.expose(), "fresh");
    }

    #[test]
    fn one_fetch_for_many_threads() {
        let store = Arc::new(TokenStore::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (store, calls) = (store.clone(), calls.clone());
                std::thread::spawn(move || {
                    store
                        .token(|_| {
                            calls.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(50));
                            Ok(issued("shared", 3600))
                        })
                        .unwrap()
                        .generation
                })
            })
            .collect();
        let gens: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(gens.iter().all(|g| *g == gens[0]));
    }

    #[test]
    fn parse_token_answer() {
        let now = Instant::now();
        let data = serde_json::json!({"access_token":"a","refresh_token":"r","expires_in":4511});
        let i = parse_issued(&data, now).unwrap();
        assert_eq!(i.expires_in, Duration::from_secs(4511));
        let data = serde_json::json!({"access_token":"a","expires_in":"30"});
        assert_eq!(
            parse_issued(&data, now).unwrap().expires_in,
            Duration::from_secs(30)
        );
        assert!(parse_issued(&serde_json::json!({"expires_in":1}), now).is_err());
        assert!(parse_issued(
            &serde_json::json!({"access_token":"a","expires_in":"x"}),
            now
        )
        .is_err());
        assert!(!format!("{:?}", parse_issued(&data, now).unwrap()).contains("\"a\""));
    }
}
