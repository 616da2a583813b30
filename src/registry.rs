//! Process-wide state, keyed by app, so that a plugin creating a client per event neither
//! refetches tokens nor exceeds the limits: token caches per (base_url, app_id,
//! app_secret) — a wrong secret must fail, not borrow a good token — and limiter and retry
//! budget per (base_url, app_id), since the server limits the app whatever the secret.

use crate::auth::TokenStore;
use crate::retry::Budget;
use crate::throttle::Throttle;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, LazyLock, Mutex};

/// What every client of one app shares.
#[derive(Default)]
pub struct AppState {
    pub throttle: Arc<Throttle>,
    pub retry_budget: Budget,
}

type Map<K, V> = LazyLock<Mutex<HashMap<K, Arc<V>>>>;

static APPS: Map<(String, String), AppState> = LazyLock::new(Default::default);
static TOKENS: Map<(String, String, String), TokenStore> = LazyLock::new(Default::default);

fn entry<K: Eq + Hash, V: Default>(map: &Map<K, V>, key: K) -> Arc<V> {
    map.lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_default()
        .clone()
}

pub fn app(base_url: &str, app_id: &str) -> Arc<AppState> {
    entry(&APPS, (base_url.to_owned(), app_id.to_owned()))
}

pub fn tokens(base_url: &str, app_id: &str, app_secret: &str) -> Arc<TokenStore> {
    entry(
        &TOKENS,
        (
            base_url.to_owned(),
            app_id.to_owned(),
            app_secret.to_owned(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_state_and_secret_separates_tokens() {
        assert!(Arc::ptr_eq(&app("https://a", "1"), &app("https://a", "1")));
        assert!(!Arc::ptr_eq(&app("https://a", "1"), &app("https://a", "2")));
        let good = tokens("https://a", "1", "good");
        assert!(Arc::ptr_eq(&good, &tokens("https://a", "1", "good")));
        assert!(!Arc::ptr_eq(&good, &tokens("https://a", "1", "bad")));
    }
}
