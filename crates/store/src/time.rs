//! Timestamps are stored as microseconds since the Unix epoch in both dialects.

use crate::StoreError;
use jiff::Timestamp;

/// The current time, truncated to what the database stores.
pub fn now() -> Timestamp {
    from_micros(Timestamp::now().as_microsecond()).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Storage form of a timestamp.
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// Timestamp from its storage form.
pub(crate) fn from_micros(us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(format!("timestamp {us}: {e}")))
}

/// The store's clock for time-based state (when a snooze ends, whether a
/// promise is due in the future): the system time, shifted by an offset
/// that only tests and simulations move, so that they can see a snoozed
/// case come back without waiting for it. Clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_micros: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    /// The current time on this clock.
    pub fn now(&self) -> Timestamp {
        let offset = self
            .offset_micros
            .load(std::sync::atomic::Ordering::Relaxed);
        from_micros(micros(now()).saturating_add(offset)).unwrap_or_else(|_| now())
    }

    /// Moves this clock (and every clone) forward by `by`.
    pub fn advance(&self, by: jiff::SignedDuration) {
        let by = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        self.offset_micros
            .fetch_add(by, std::sync::atomic::Ordering::Relaxed);
    }
}
