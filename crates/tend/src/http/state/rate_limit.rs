//! Slows down password guessing and request flooding: after too many failed
//! sign-ins (or public requests) for one address, or from one client IP,
//! within a window, further attempts are refused until the window has
//! passed. Kept in memory: a restart forgets.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins allowed per address within [`WINDOW`].
const PER_ADDRESS: usize = 5;
/// Failed sign-ins allowed per client IP within [`WINDOW`] (an office may share one).
const PER_IP: usize = 20;
/// How long a failure counts.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Most keys remembered; past that the oldest failures are forgotten first.
const MAX_KEYS: usize = 100_000;

/// Recent events per key (an address, an IP), each key with its own
/// allowance within a window.
#[derive(Debug, Default)]
struct Counter(Mutex<HashMap<String, Vec<Instant>>>);

impl Counter {
    /// `Err(wait)` when any of `keys` has used up its allowance.
    fn check(&self, keys: &[(String, usize)], window: Duration) -> Result<(), Duration> {
        let Ok(mut map) = self.0.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        for (key, allowed) in keys {
            if let Some(times) = map.get_mut(key) {
                times.retain(|t| now.duration_since(*t) < window);
                if times.len() >= *allowed {
                    let oldest = times.first().copied().unwrap_or(now);
                    return Err(window.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        Ok(())
    }

    /// Counts an event against every key.
    fn count(&self, keys: &[(String, usize)], window: Duration) {
        let Ok(mut map) = self.0.lock() else {
            return;
        };
        if map.len() >= MAX_KEYS {
            let now = Instant::now();
            map.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < window));
        }
        for (key, _) in keys {
            map.entry(key.clone()).or_default().push(Instant::now());
        }
    }

    /// Forgets a key's events.
    fn forget(&self, key: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(key);
        }
    }
}

/// Recent failed sign-ins by address and by IP.
#[derive(Debug, Default)]
pub struct SignInLimiter(Counter);

/// The keys one attempt counts against, with their allowances.
fn keys(email: &str, ip: &str) -> [(String, usize); 2] {
    [
        (format!("address:{}", email.to_lowercase()), PER_ADDRESS),
        (format!("ip:{ip}"), PER_IP),
    ]
}

impl SignInLimiter {
    /// `Err(wait)` when an attempt for `email` from `ip` must wait.
    pub fn check(&self, email: &str, ip: &str) -> Result<(), Duration> {
        self.0.check(&keys(email, ip), WINDOW)
    }

    /// Counts a failed attempt.
    pub fn failed(&self, email: &str, ip: &str) {
        self.0.count(&keys(email, ip), WINDOW);
    }

    /// Why an attempt must wait, for the agent to read.
    pub fn wait_message(wait: Duration) -> String {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        format!(
            "Too many failed sign-ins. Try again in {minutes} minute{}, or ask an admin to reset your password.",
            if minutes == 1 { "" } else { "s" }
        )
    }

    /// Forgets an address's failures after it signs in.
    pub fn succeeded(&self, email: &str, ip: &str) {
        let [(address, _), _] = keys(email, ip);
        self.0.forget(&address);
    }
}

/// Requests accepted from the public form per email address within [`REQUEST_WINDOW`].
const REQUESTS_PER_ADDRESS: usize = 5;
/// Requests accepted from the public form per client IP within [`REQUEST_WINDOW`].
const REQUESTS_PER_IP: usize = 10;
/// How long a public request counts.
const REQUEST_WINDOW: Duration = Duration::from_secs(60 * 60);

/// Recent requests from the public form, by address and by IP, so one
/// sender cannot flood the queue.
#[derive(Debug, Default)]
pub struct RequestLimiter(Counter);

impl RequestLimiter {
    fn keys(email: &str, ip: &str) -> [(String, usize); 2] {
        [
            (
                format!("address:{}", email.to_lowercase()),
                REQUESTS_PER_ADDRESS,
            ),
            (format!("ip:{ip}"), REQUESTS_PER_IP),
        ]
    }

    /// `Err(wait)` when a request for `email` from `ip` must wait.
    pub fn check(&self, email: &str, ip: &str) -> Result<(), Duration> {
        self.0.check(&Self::keys(email, ip), REQUEST_WINDOW)
    }

    /// Counts an accepted request.
    pub fn accepted(&self, email: &str, ip: &str) {
        self.0.count(&Self::keys(email, ip), REQUEST_WINDOW);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_an_address_after_its_allowance_and_forgets_on_success() {
        let limiter = SignInLimiter::default();
        for _ in 0..PER_ADDRESS {
            assert!(limiter.check("a@example.com", "1.1.1.1").is_ok());
            limiter.failed("A@example.com", "1.1.1.1");
        }
        assert!(limiter.check("a@example.com", "2.2.2.2").is_err());
        assert!(limiter.check("b@example.com", "1.1.1.1").is_ok());
        limiter.succeeded("a@example.com", "1.1.1.1");
        assert!(limiter.check("a@example.com", "1.1.1.1").is_ok());
    }

    #[test]
    fn limits_public_requests_per_address() {
        let limiter = RequestLimiter::default();
        for _ in 0..REQUESTS_PER_ADDRESS {
            assert!(limiter.check("c@example.com", "5.5.5.5").is_ok());
            limiter.accepted("c@example.com", "5.5.5.5");
        }
        assert!(limiter.check("C@example.com", "6.6.6.6").is_err());
        assert!(limiter.check("d@example.com", "5.5.5.5").is_ok());
    }

    #[test]
    fn blocks_an_ip_trying_many_addresses() {
        let limiter = SignInLimiter::default();
        for i in 0..PER_IP {
            limiter.failed(&format!("user{i}@example.com"), "3.3.3.3");
        }
        assert!(limiter.check("new@example.com", "3.3.3.3").is_err());
        assert!(limiter.check("new@example.com", "4.4.4.4").is_ok());
    }
}
