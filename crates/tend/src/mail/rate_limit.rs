//! The per-sender limit on mail coming in over SMTP: a sender past its
//! allowance in a window is told to try again later (`450 4.7.1`), so its
//! mail waits in the sending server's queue and nothing is lost. Kept in
//! memory and bounded in size; imported mail never passes through it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Senders tracked at once; past that, finished windows are dropped first,
/// then the oldest.
const MAX_SENDERS: usize = 10_000;

/// How much mail one sender may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Messages per window; 0 turns the limit off.
    pub messages: u32,
    /// The window, starting at the sender's first message.
    pub window: Duration,
}

/// Counts mail per sender; clones share the counts.
#[derive(Debug, Clone)]
pub struct Limiter {
    limit: RateLimit,
    windows: Arc<Mutex<HashMap<String, Window>>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
}

impl Limiter {
    /// A limiter enforcing `limit`.
    pub fn new(limit: RateLimit) -> Self {
        Limiter {
            limit,
            windows: Arc::default(),
        }
    }

    /// Counts one message from `sender` (lower-case address, or another
    /// key for the null sender); `false`, without counting it, when the
    /// sender has used up its window.
    pub fn admit(&self, sender: &str) -> bool {
        self.admit_at(sender, Instant::now())
    }

    fn admit_at(&self, sender: &str, now: Instant) -> bool {
        let RateLimit { messages, window } = self.limit;
        if messages == 0 {
            return true;
        }
        // A panic elsewhere while holding the lock leaves counts that are
        // still counts: carry on with them.
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !windows.contains_key(sender) && windows.len() >= MAX_SENDERS {
            windows.retain(|_, w| now.duration_since(w.start) < window);
            let oldest = windows
                .iter()
                .min_by_key(|(_, w)| w.start)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest.filter(|_| windows.len() >= MAX_SENDERS) {
                windows.remove(&oldest);
            }
        }
        let current = windows.entry(sender.to_owned()).or_insert(Window {
            start: now,
            count: 0,
        });
        if now.duration_since(current.start) >= window {
            *current = Window {
                start: now,
                count: 0,
            };
        }
        if current.count >= messages {
            return false;
        }
        current.count += 1;
        true
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.windows.lock().map_or(0, |w| w.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(messages: u32) -> Limiter {
        Limiter::new(RateLimit {
            messages,
            window: Duration::from_secs(60),
        })
    }

    #[test]
    fn a_sender_past_its_allowance_waits_for_the_next_window() {
        let l = limiter(2);
        let t0 = Instant::now();
        assert!(l.admit_at("a@x.org", t0));
        assert!(l.admit_at("a@x.org", t0));
        assert!(!l.admit_at("a@x.org", t0 + Duration::from_secs(59)));
        assert!(l.admit_at("b@x.org", t0), "other senders are not held up");
        assert!(l.admit_at("a@x.org", t0 + Duration::from_secs(60)));
        assert!(limiter(0).admit_at("a@x.org", t0), "0 turns it off");
    }

    #[test]
    fn memory_stays_bounded() {
        let l = limiter(1);
        let t0 = Instant::now();
        for i in 0..MAX_SENDERS + 50 {
            assert!(l.admit_at(&format!("s{i}@x.org"), t0));
        }
        assert_eq!(l.tracked(), MAX_SENDERS);
    }
}
