//! How long a form took to fill in: the form carries the time it was
//! served, signed with a per-process secret, so a bot cannot claim it
//! waited. Forms served before a restart no longer verify.

use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The per-process signing secret.
#[derive(Debug)]
pub struct FormClock([u8; 32]);

impl Default for FormClock {
    fn default() -> Self {
        let mut secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
        FormClock(secret)
    }
}

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

impl FormClock {
    fn sign(&self, millis: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.0);
        h.update(millis.as_bytes());
        format!("{:x}", h.finalize())
    }

    /// A stamp for a form served now.
    pub fn stamp(&self) -> String {
        let millis = now_millis().to_string();
        format!("{millis}.{}", self.sign(&millis))
    }

    /// How long ago `stamp` was made; `None` if it is not a genuine stamp.
    pub fn elapsed(&self, stamp: &str) -> Option<Duration> {
        let (millis, sig) = stamp.split_once('.')?;
        if millis.is_empty() || !millis.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let expected = self.sign(millis);
        // Comparing digests keeps the time independent of the signature.
        if Sha256::digest(expected.as_bytes()) != Sha256::digest(sig.as_bytes()) {
            return None;
        }
        let served: u128 = millis.parse().ok()?;
        let ms = now_millis().checked_sub(served)?;
        Some(Duration::from_millis(u64::try_from(ms).ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_verify_only_unchanged_and_with_the_same_secret() {
        let clock = FormClock::default();
        let stamp = clock.stamp();
        assert!(
            clock
                .elapsed(&stamp)
                .is_some_and(|d| d < Duration::from_secs(5))
        );
        let (millis, sig) = stamp.split_once('.').unwrap();
        let earlier = format!("{}.{sig}", millis.parse::<u128>().unwrap() - 10_000);
        assert!(clock.elapsed(&earlier).is_none());
        assert!(FormClock::default().elapsed(&stamp).is_none());
        assert!(clock.elapsed("garbage").is_none());
    }
}
