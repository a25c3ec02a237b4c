//! Rate limits shared by every Tend node: each counted attempt (a failed
//! sign-in, a public request, a deflection) is a row under a key, and a
//! limit counts a key's rows within its window. Keeping them in the
//! database means a limit holds however a load balancer spreads requests
//! over nodes, and survives restarts. Times are the store's clock.
//!
//! Checking and counting are separate statements, so attempts racing on
//! several nodes may each pass a limit that has one attempt left: a limit
//! can be overrun by the number of attempts in flight at once, never more.

use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store};
use jiff::{SignedDuration, Timestamp};
use std::time::Duration;

/// Longest window any limit uses; rows older than this are deleted by
/// [`Store::delete_expired`]'s caller.
pub const LONGEST_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// One key a limit counts, with how many attempts it allows per window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    pub key: String,
    pub allowed: usize,
}

/// Longest key stored as it is; longer keys (a 100k-character address
/// typed into a form) are stored as their SHA-256, so no key outgrows the
/// index.
const MAX_KEY_BYTES: usize = 200;

impl Allowance {
    /// `allowed` attempts per window under `key`.
    pub fn new(key: impl Into<String>, allowed: usize) -> Self {
        let key = key.into();
        let key = if key.len() > MAX_KEY_BYTES {
            use sha2::{Digest, Sha256};
            format!("sha256:{:x}", Sha256::digest(key.as_bytes()))
        } else {
            key
        };
        Allowance { key, allowed }
    }
}

/// The start of a window of length `window` ending at `now`.
fn window_start(now: Timestamp, window: Duration) -> Timestamp {
    let window = SignedDuration::try_from(window.min(LONGEST_WINDOW)).unwrap_or_default();
    now.checked_sub(window).unwrap_or(Timestamp::MIN)
}

impl Store {
    /// `Ok(Err(wait))` when any of `allowances` is used up within `window`:
    /// `wait` is how long until its oldest attempt stops counting.
    pub async fn throttle_check(
        &self,
        allowances: &[Allowance],
        window: Duration,
    ) -> Result<std::result::Result<(), Duration>> {
        let now = self.clock.now();
        let since = micros(window_start(now, window));
        for allowance in allowances {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM throttle_hits WHERE key = $1 AND at > $2",
            )
            .bind(&allowance.key)
            .bind(since)
            .fetch_one(&self.reader)
            .await?;
            let n: i64 = crate::rows::get(&row, "n")?;
            if usize::try_from(n).unwrap_or(usize::MAX) >= allowance.allowed {
                let oldest: Option<i64> = crate::rows::get(&row, "oldest")?;
                let counted_for = oldest.map_or(0, |at| micros(now).saturating_sub(at));
                let left = window.saturating_sub(Duration::from_micros(
                    u64::try_from(counted_for).unwrap_or_default(),
                ));
                return Ok(Err(left));
            }
        }
        Ok(Ok(()))
    }

    /// Counts one attempt against every key of `allowances`.
    pub async fn throttle_count(&self, allowances: &[Allowance]) -> Result<()> {
        let at = micros(self.clock.now());
        let keys: Vec<String> = allowances.iter().map(|a| a.key.clone()).collect();
        self.write(move |tx| {
            Box::pin(async move {
                for key in keys {
                    tx.execute(
                        "INSERT INTO throttle_hits (key, at) VALUES ($1, $2)",
                        args![key, at],
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Checks `allowances` and, if none is used up, counts the attempt:
    /// `Ok(false)` when it must wait.
    pub async fn throttle_admit(&self, allowances: &[Allowance], window: Duration) -> Result<bool> {
        if self.throttle_check(allowances, window).await?.is_err() {
            return Ok(false);
        }
        self.throttle_count(allowances).await?;
        Ok(true)
    }

    /// Forgets every attempt counted under `key`.
    pub async fn throttle_forget(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute("DELETE FROM throttle_hits WHERE key = $1", args![key])
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Deletes attempts older than the longest window; answers how many.
    pub async fn delete_old_throttle_hits(&self) -> Result<u64> {
        let before = micros(window_start(self.clock.now(), LONGEST_WINDOW));
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute("DELETE FROM throttle_hits WHERE at < $1", args![before])
                    .await
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_keys_are_stored_by_their_digest() {
        assert_eq!(
            Allowance::new("signin:ip:1.2.3.4", 5).key,
            "signin:ip:1.2.3.4"
        );
        let long = Allowance::new(format!("signin:address:{}", "a".repeat(100_000)), 5);
        assert!(long.key.len() <= MAX_KEY_BYTES, "{}", long.key.len());
        let other = Allowance::new(format!("signin:address:{}", "b".repeat(100_000)), 5);
        assert_ne!(long.key, other.key);
    }
}
