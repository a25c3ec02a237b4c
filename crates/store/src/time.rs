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
