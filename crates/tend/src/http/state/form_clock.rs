//! How long a form took to fill in: the form carries the time it was
//! served, signed with the server's secret key (the same on every node),
//! so a bot cannot claim it waited, and any node can check a form another
//! node served.

use crate::signed_link;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tend_store::Store;

/// What the signature is for, so no other signed value verifies here.
const PURPOSE: &str = "form-clock";

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// A stamp for a form served now; `None` if the store has no key.
pub fn stamp(store: &Store) -> Option<String> {
    let millis = now_millis().to_string();
    let signature = signed_link::sign(store, PURPOSE, &millis).ok()?;
    Some(format!("{millis}.{signature}"))
}

/// How long ago `stamp` was made; `None` if it is not a genuine stamp.
pub fn elapsed(store: &Store, stamp: &str) -> Option<Duration> {
    let (millis, signature) = stamp.split_once('.')?;
    if millis.is_empty() || !millis.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    signed_link::verify(store, PURPOSE, millis, signature).ok()?;
    let served: u128 = millis.parse().ok()?;
    let ms = now_millis().checked_sub(served)?;
    Some(Duration::from_millis(u64::try_from(ms).ok()?))
}
