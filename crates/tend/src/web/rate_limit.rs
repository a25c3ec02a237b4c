//! Slows down password guessing: after too many failed sign-ins for one
//! address, or from one client IP, within a window, further attempts are
//! refused until the window has passed. Kept in memory: a restart forgets.

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

/// Recent failed sign-ins by address and by IP.
#[derive(Debug, Default)]
pub struct SignInLimiter(Mutex<HashMap<String, Vec<Instant>>>);

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
        let Ok(mut map) = self.0.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        for (key, allowed) in keys(email, ip) {
            if let Some(times) = map.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < WINDOW);
                if times.len() >= allowed {
                    let oldest = times.first().copied().unwrap_or(now);
                    return Err(WINDOW.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        Ok(())
    }

    /// Counts a failed attempt.
    pub fn failed(&self, email: &str, ip: &str) {
        let Ok(mut map) = self.0.lock() else {
            return;
        };
        if map.len() >= MAX_KEYS {
            let now = Instant::now();
            map.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
        for (key, _) in keys(email, ip) {
            map.entry(key).or_default().push(Instant::now());
        }
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
        if let Ok(mut map) = self.0.lock() {
            let [(address, _), _] = keys(email, ip);
            map.remove(&address);
        }
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
    fn blocks_an_ip_trying_many_addresses() {
        let limiter = SignInLimiter::default();
        for i in 0..PER_IP {
            limiter.failed(&format!("user{i}@example.com"), "3.3.3.3");
        }
        assert!(limiter.check("new@example.com", "3.3.3.3").is_err());
        assert!(limiter.check("new@example.com", "4.4.4.4").is_ok());
    }
}
