//! Retry timing: jittered exponential backoff, and a retry budget per app so that an outage
//! does not multiply the load on the server by `max_retries`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Delay before retry number `attempt` (1-based): `base * 2^(attempt-1)`, capped, then
/// "equal jitter" (a random point in the upper half) so that clients spread out.
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let full = exp.min(cap);
    let half = full / 2;
    half + half.mul_f64(random_unit())
}

/// Backoff after a transport failure or 5xx.
pub fn failure_backoff(attempt: u32) -> Duration {
    backoff(attempt, Duration::from_millis(100), Duration::from_secs(2))
}

/// Backoff after the server said "rate limited": its window is about a second.
pub fn rate_backoff(attempt: u32) -> Duration {
    backoff(attempt, Duration::from_millis(250), Duration::from_secs(2))
}

/// A float in [0, 1) from std's randomly keyed hasher (no rand crate needed for jitter).
fn random_unit() -> f64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// A token bucket of retries: each retry spends one token, each success earns a tenth.
/// While the server is healthy retries are free; when most calls fail, retries stop after
/// the bucket is empty and calls fail fast instead of tripling the load.
pub struct Budget {
    /// In tenths of a retry, so that ten successes earn exactly one. An atomic, because
    /// every successful call earns and a lock there would serialize all threads.
    tenths: AtomicU32,
}

const BUDGET_CAPACITY_TENTHS: u32 = 200;

impl Default for Budget {
    fn default() -> Self {
        Budget {
            tenths: AtomicU32::new(BUDGET_CAPACITY_TENTHS),
        }
    }
}

impl Budget {
    pub fn try_spend(&self) -> bool {
        self.tenths
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(10))
            .is_ok()
    }

    pub fn earn(&self) {
        // Full most of the time: then nothing is written at all.
        let _ = self
            .tenths
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t < BUDGET_CAPACITY_TENTHS).then_some(t + 1)
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered_within_bounds() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(2);
        for attempt in 1..=10 {
            let full = (base * (1 << (attempt - 1))).min(cap);
            for _ in 0..50 {
                let d = backoff(attempt, base, cap);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
            }
        }
        let samples: Vec<_> = (0..20).map(|_| backoff(3, base, cap)).collect();
        assert!(samples.iter().any(|d| *d != samples[0]), "no jitter");
        assert!(backoff(1000, base, cap) <= cap);
    }

    #[test]
    fn budget_runs_out_and_refills_with_successes() {
        let b = Budget::default();
        let spent = (0..100).filter(|_| b.try_spend()).count();
        assert_eq!(spent, 20);
        assert!(!b.try_spend());
        for _ in 0..10 {
            b.earn();
        }
        assert!(b.try_spend());
        assert!(!b.try_spend());
    }
}
