//! Client-side limits per interface: at most N requests in any sliding 1-second window
//! (measured at send time, with a margin for network jitter) and a daily quota whose day
//! turns at 00:00 UTC+8. One `Throttle` per (base_url, app_id) is shared process-wide;
//! the strictest limits among the clients alive at the time of a call apply.

use crate::error::{Error, Kind, Result};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The window is one second plus this, so that jitter between our send and the server's
/// receipt cannot squeeze N+1 requests into the server's second.
pub const JITTER_MARGIN: Duration = Duration::from_millis(40);
const WINDOW: Duration = Duration::from_secs(1);
const CHINA_UTC_OFFSET_SECS: i64 = 8 * 3600;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub per_second: u32,
    pub daily_quota: u32,
}

/// The day number (days since 1970-01-01 in UTC+8) that a Unix time falls on.
pub fn china_day(unix_secs: i64) -> i64 {
    (unix_secs + CHINA_UTC_OFFSET_SECS).div_euclid(86_400)
}

fn today() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    china_day(secs)
}

/// Send times of the last requests to one interface.
#[derive(Default)]
struct Window {
    sends: VecDeque<Instant>,
}

impl Window {
    /// Takes a slot at `now` if fewer than `limit` sends lie in the window ending now;
    /// otherwise tells when the next slot opens.
    fn try_take(&mut self, now: Instant, limit: u32) -> std::result::Result<(), Instant> {
        let span = WINDOW + JITTER_MARGIN;
        while self
            .sends
            .front()
            .is_some_and(|t| now.duration_since(*t) >= span)
        {
            self.sends.pop_front();
        }
        let limit = limit.max(1) as usize;
        if self.sends.len() < limit {
            self.sends.push_back(now);
            return Ok(());
        }
        // The slot opens when the send `limit` places back leaves the window.
        Err(self.sends[self.sends.len() - limit] + span)
    }
}

/// Requests sent to one interface on one day.
#[derive(Default)]
struct DailyCount {
    day: i64,
    used: u32,
}

impl DailyCount {
    fn roll(&mut self, day: i64) {
        if self.day != day {
            self.day = day;
            self.used = 0;
        }
    }

    fn try_use(&mut self, day: i64, quota: u32) -> bool {
        self.roll(day);
        if self.used >= quota {
            return false;
        }
        self.used += 1;
        true
    }
}

#[derive(Default)]
struct Interface {
    window: Window,
    count: DailyCount,
}

/// The limiter state of one app.
#[derive(Default)]
pub struct Throttle {
    members: Mutex<HashMap<u64, Limits>>,
    /// The strictest limits of the members, kept up to date on join and leave so that a
    /// call reads them without a lock. 0 while there are no members.
    strictest_rate: AtomicU32,
    strictest_quota: AtomicU32,
    interfaces: RwLock<HashMap<String, Arc<Mutex<Interface>>>>,
}

/// A client's registration of its limits; dropping it withdraws them.
pub struct Membership {
    throttle: Arc<Throttle>,
    id: u64,
}

impl Drop for Membership {
    fn drop(&mut self) {
        let mut members = lock(&self.throttle.members);
        members.remove(&self.id);
        self.throttle.update_strictest(&members);
    }
}

/// A granted slot: the day its quota was counted on, to refund it if the request is
/// never sent.
#[derive(Debug)]
pub struct Slot {
    day: i64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

static NEXT_MEMBER: AtomicU64 = AtomicU64::new(1);

impl Throttle {
    pub fn join(self: &Arc<Self>, limits: Limits) -> Membership {
        let id = NEXT_MEMBER.fetch_add(1, Ordering::Relaxed);
        let mut members = lock(&self.members);
        members.insert(id, limits);
        self.update_strictest(&members);
        Membership {
            throttle: self.clone(),
            id,
        }
    }

    fn update_strictest(&self, members: &HashMap<u64, Limits>) {
        let rate = members.values().map(|l| l.per_second).min().unwrap_or(0);
        let quota = members.values().map(|l| l.daily_quota).min().unwrap_or(0);
        self.strictest_rate.store(rate, Ordering::Release);
        self.strictest_quota.store(quota, Ordering::Release);
    }

    /// The strictest limits among the live members and `own`.
    fn effective(&self, own: Limits) -> Limits {
        let min_with = |own: u32, shared: &AtomicU32| match shared.load(Ordering::Acquire) {
            0 => own,
            shared => own.min(shared),
        };
        Limits {
            per_second: min_with(own.per_second, &self.strictest_rate),
            daily_quota: min_with(own.daily_quota, &self.strictest_quota),
        }
    }

    fn interface(&self, name: &str) -> Arc<Mutex<Interface>> {
        // Read-locked lookup by &str: the key is allocated once per interface, not per call.
        if let Some(state) = self
            .interfaces
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return state.clone();
        }
        let mut map = self.interfaces.write().unwrap_or_else(|p| p.into_inner());
        map.entry(name.to_owned()).or_default().clone()
    }

    /// Waits for a send slot on `interface`, at most until `deadline`. Fails fast when
    /// the day's quota is spent or the wait would pass the deadline.
    pub fn acquire(&self, interface: &str, own: Limits, deadline: Instant) -> Result<Slot> {
        let state = self.interface(interface);
        loop {
            let limits = self.effective(own);
            let open_at = {
                let mut s = lock(&state);
                let day = today();
                s.count.roll(day);
                if s.count.used >= limits.daily_quota {
                    return Err(quota_error(interface, limits.daily_quota));
                }
                match s.window.try_take(Instant::now(), limits.per_second) {
                    Ok(()) => {
                        s.count.try_use(day, limits.daily_quota);
                        return Ok(Slot { day });
                    }
                    Err(open_at) => open_at,
                }
            };
            if open_at > deadline {
                return Err(Error::new(
                    Kind::Throttled,
                    format!(
                        "the rate limit of {interface} ({} requests per second) would delay \
                         this call past max_wait_ms",
                        limits.per_second
                    ),
                ));
            }
            std::thread::sleep(open_at.saturating_duration_since(Instant::now()));
        }
    }

    /// Gives back the quota of a request that was never delivered.
    pub fn refund(&self, interface: &str, slot: Slot) {
        let state = self.interface(interface);
        let mut s = lock(&state);
        if s.count.day == slot.day && s.count.used > 0 {
            s.count.used -= 1;
        }
    }

    /// The server says the quota is spent: believe it for the rest of the day.
    pub fn mark_spent(&self, interface: &str, own: Limits) {
        let quota = self.effective(own).daily_quota;
        let state = self.interface(interface);
        let mut s = lock(&state);
        s.count.roll(today());
        s.count.used = s.count.used.max(quota);
    }

    /// Requests counted against today's quota of `interface`.
    #[cfg(test)]
    fn used_today(&self, interface: &str) -> u32 {
        let state = self.interface(interface);
        let mut s = lock(&state);
        s.count.roll(today());
        s.count.used
    }
}

fn quota_error(interface: &str, quota: u32) -> Error {
    Error::new(
        Kind::QuotaExhausted,
        format!(
            "the daily quota of {quota} requests to {interface} is used up; it renews at \
             00:00 China Standard Time (UTC+8)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_never_holds_more_than_the_limit() {
        let mut w = Window::default();
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(w.try_take(t0 + Duration::from_millis(i * 10), 3).is_ok());
        }
        let open = w.try_take(t0 + Duration::from_millis(500), 3).unwrap_err();
        assert_eq!(open, t0 + WINDOW + JITTER_MARGIN);
        // Just before the first send leaves the window: still closed.
        assert!(w.try_take(open - Duration::from_millis(1), 3).is_err());
        assert!(w.try_take(open, 3).is_ok());
        // The next one waits for the second send to leave.
        let open2 = w.try_take(open, 3).unwrap_err();
        assert_eq!(
            open2,
            t0 + Duration::from_millis(10) + WINDOW + JITTER_MARGIN
        );
    }

    #[test]
    fn any_n_plus_one_sends_span_more_than_a_second() {
        // Greedy sender: take a slot whenever one is open, for 5 simulated seconds.
        let mut w = Window::default();
        let t0 = Instant::now();
        let mut sends = vec![];
        let mut now = t0;
        while now < t0 + Duration::from_secs(5) {
            match w.try_take(now, 10) {
                Ok(()) => sends.push(now),
                Err(open) => now = open,
            }
        }
        assert!(sends.len() >= 45, "{}", sends.len());
        for pair in sends.windows(11) {
            assert!(pair[10] - pair[0] > WINDOW);
        }
    }

    #[test]
    fn day_turns_at_midnight_china_time() {
        // 2026-11-25T15:59:59Z is 23:59:59 in UTC+8; one second later is a new day there.
        let before = 1_795_622_399; // 2026-11-25T15:59:59Z
        assert_eq!(china_day(before) + 1, china_day(before + 1));
        // Midnight UTC is 08:00 in China: same day on both sides.
        let utc_midnight = 1_795_564_800; // 2026-11-25T00:00:00Z
        assert_eq!(china_day(utc_midnight - 1), china_day(utc_midnight));
        assert_eq!(china_day(-CHINA_UTC_OFFSET_SECS), 0);
        assert_eq!(china_day(-CHINA_UTC_OFFSET_SECS - 1), -1);
    }

    #[test]
    fn daily_count_resets_on_a_new_day() {
        let mut c = DailyCount::default();
        assert!(c.try_use(10, 2));
        assert!(c.try_use(10, 2));
        assert!(!c.try_use(10, 2));
        assert!(c.try_use(11, 2));
        assert_eq!(c.used, 1);
    }

    #[test]
    fn strictest_live_member_applies_and_leaves_with_it() {
        let t = Arc::new(Throttle::default());
        let own = Limits {
            per_second: 10,
            daily_quota: 100,
        };
        let strict = t.join(Limits {
            per_second: 2,
            daily_quota: 50,
        });
        let _loose = t.join(Limits {
            per_second: 20,
            daily_quota: 1000,
        });
        assert_eq!(
            t.effective(own),
            Limits {
                per_second: 2,
                daily_quota: 50
            }
        );
        drop(strict);
        assert_eq!(t.effective(own), own);
    }

    #[test]
    fn quota_fails_fast_and_refunds() {
        let t = Arc::new(Throttle::default());
        let own = Limits {
            per_second: 100,
            daily_quota: 2,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let a = t.acquire("/x", own, deadline).unwrap();
        t.acquire("/x", own, deadline).unwrap();
        let started = Instant::now();
        let e = t.acquire("/x", own, deadline).unwrap_err();
        assert_eq!(e.kind, Kind::QuotaExhausted);
        assert!(started.elapsed() < Duration::from_millis(100));
        assert!(
            t.acquire("/y", own, deadline).is_ok(),
            "quota is per interface"
        );
        t.refund("/x", a);
        assert_eq!(t.used_today("/x"), 1);
        assert!(t.acquire("/x", own, deadline).is_ok());
        t.mark_spent("/y", own);
        assert_eq!(
            t.acquire("/y", own, deadline).unwrap_err().kind,
            Kind::QuotaExhausted
        );
    }

    #[test]
    fn wait_past_the_deadline_is_throttled_without_sleeping() {
        let t = Arc::new(Throttle::default());
        let own = Limits {
            per_second: 1,
            daily_quota: 100,
        };
        t.acquire("/x", own, Instant::now()).unwrap();
        let started = Instant::now();
        let e = t
            .acquire("/x", own, Instant::now() + Duration::from_millis(100))
            .unwrap_err();
        assert_eq!(e.kind, Kind::Throttled);
        assert!(e.retryable);
        assert!(started.elapsed() < Duration::from_millis(50));
    }
}
