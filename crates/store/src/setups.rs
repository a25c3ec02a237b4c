//! Set-up every case write reads (SLA policies and calendars, automation
//! rules, webhooks), read once from the database and kept in memory. An admin's
//! change in this process drops the copy at once; a change made by another
//! node is picked up within [`MAX_AGE`].

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a node trusts its copy of a set-up.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(30);

/// A copy of a set-up and when it was read.
type Snapshot<T> = Option<(Instant, Arc<T>)>;

/// The copy, and how many times it was dropped: a read that began before a
/// drop must not be kept after it (it may predate the change that dropped
/// it).
#[derive(Debug)]
struct Slot<T> {
    snapshot: Snapshot<T>,
    drops: u64,
}

/// When a read of a set-up began, for [`Held::keep`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp(u64);

/// The shared copy of one set-up (clones share it).
#[derive(Debug)]
pub(crate) struct Held<T>(Arc<RwLock<Slot<T>>>);

impl<T> Clone for Held<T> {
    fn clone(&self) -> Self {
        Held(self.0.clone())
    }
}

impl<T> Default for Held<T> {
    fn default() -> Self {
        Held(Arc::new(RwLock::new(Slot {
            snapshot: None,
            drops: 0,
        })))
    }
}

impl<T> Held<T> {
    /// The copy held now, if fresh.
    pub(crate) fn fresh(&self) -> Option<Arc<T>> {
        self.fresh_or_stamp().ok()
    }

    /// The copy held now if fresh; otherwise the stamp to keep a new read
    /// with.
    pub(crate) fn fresh_or_stamp(&self) -> Result<Arc<T>, Stamp> {
        let Ok(held) = self.0.read() else {
            return Err(Stamp(u64::MAX));
        };
        match &held.snapshot {
            Some((read_at, value)) if read_at.elapsed() < MAX_AGE => Ok(value.clone()),
            _ => Err(Stamp(held.drops)),
        }
    }

    /// Keeps `value`, read after `stamp` was taken, as the copy read now;
    /// unless the copy was dropped since (the read may be stale).
    pub(crate) fn keep(&self, value: Arc<T>, stamp: Stamp) {
        if let Ok(mut held) = self.0.write()
            && held.drops == stamp.0
        {
            held.snapshot = Some((Instant::now(), value));
        }
    }

    /// Drops the copy: the next write reads the set-up again.
    pub(crate) fn forget(&self) {
        if let Ok(mut held) = self.0.write() {
            held.snapshot = None;
            held.drops += 1;
        }
    }
}

/// Every set-up a write may need, shared by a store's transactions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Setups {
    pub(crate) sla: crate::service_levels::SlaCache,
    pub(crate) rules: crate::rules::RuleCache,
    pub(crate) webhooks: crate::webhooks::dispatch::WebhookCache,
}
