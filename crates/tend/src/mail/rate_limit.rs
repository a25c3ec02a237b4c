//! The per-sender limit on mail coming in over SMTP: a sender past its
//! allowance in a window is told to try again later (`450 4.7.1`), so its
//! mail waits in the sending server's queue and nothing is lost. Counted in
//! the database (`tend_store::throttle`), so the limit holds however the
//! sender spreads its mail over several nodes' listeners; imported mail
//! never passes through it.

use std::time::Duration;
use tend_store::Store;
use tend_store::throttle::Allowance;

/// How much mail one sender may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Messages per window; 0 turns the limit off.
    pub messages: u32,
    /// The window: a sender's messages count for this long (at most a day).
    pub window: Duration,
}

/// Counts mail per sender.
#[derive(Debug, Clone, Copy)]
pub struct Limiter {
    limit: RateLimit,
}

impl Limiter {
    /// A limiter enforcing `limit`.
    pub fn new(limit: RateLimit) -> Self {
        Limiter { limit }
    }

    /// Counts one message from `sender` (lower-case address, or another
    /// key for the null sender); `false`, without counting it, when the
    /// sender has used up its window. If the count cannot be read the
    /// message is let through: mail is never refused for want of a count.
    pub async fn admit(&self, store: &Store, sender: &str) -> bool {
        let RateLimit { messages, window } = self.limit;
        if messages == 0 {
            return true;
        }
        let allowance = [Allowance::new(
            format!("smtp:{sender}"),
            usize::try_from(messages).unwrap_or(usize::MAX),
        )];
        match store.throttle_admit(&allowance, window).await {
            Ok(admitted) => admitted,
            Err(e) => {
                tracing::warn!(error = %e, "counting mail for the rate limit failed; letting it through");
                true
            }
        }
    }
}
