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

/// The shared copy of one set-up (clones share it).
#[derive(Debug)]
pub(crate) struct Held<T>(Arc<RwLock<Snapshot<T>>>);

impl<T> Clone for Held<T> {
    fn clone(&self) -> Self {
        Held(self.0.clone())
    }
}

impl<T> Default for Held<T> {
    fn default() -> Self {
        Held(Arc::default())
    }
}

impl<T> Held<T> {
    /// The copy held now, if fresh.
    pub(crate) fn fresh(&self) -> Option<Arc<T>> {
        let held = self.0.read().ok()?;
        let (read_at, value) = held.as_ref()?;
        (read_at.elapsed() < MAX_AGE).then(|| value.clone())
    }

    /// Keeps `value` as the copy read now.
    pub(crate) fn keep(&self, value: Arc<T>) {
        if let Ok(mut held) = self.0.write() {
            *held = Some((Instant::now(), value));
        }
    }

    /// Drops the copy: the next write reads the set-up again.
    pub(crate) fn forget(&self) {
        if let Ok(mut held) = self.0.write() {
            *held = None;
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
