//! This node's end of the signals between nodes (`tend_store::signals`):
//! it tells the other nodes of its presence changes and applies theirs, and
//! passes on which cases changed, whichever node changed them, so open case
//! pages refresh at once. On SQLite (one node) nothing is sent or heard and
//! case pages notice changes by polling; on PostgreSQL they poll too, but
//! rarely, as a safety net while the listener is connected.

use super::WebConfig;
use super::presence::{Presence, Signal};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tend_domain::ids::CaseId;
use tend_store::signals::{CASE_CHANGED, MAX_PAYLOAD};
use tend_store::{Dialect, Store};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// The channel presence changes are sent on.
pub const PRESENCE: &str = "tend_presence";
/// Changes waiting for a slow case page before it must re-check them all.
const BACKLOG: usize = 1024;
/// Wait before trying to listen again after failing to connect.
const RECONNECT_AFTER: Duration = Duration::from_secs(5);

/// A presence change as sent: which node it comes from, so the sender
/// does not apply its own change twice.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    node: u64,
    signal: Signal,
}

/// A case that changed, or `None`: anything may have changed (notifications
/// were missed while the listener was away).
pub type Change = Option<CaseId>;

/// This node's signals.
#[derive(Debug)]
pub struct Signals {
    /// Tells this node's messages from the others'.
    node: u64,
    changed: broadcast::Sender<Change>,
    /// Whether the listener is connected (case changes arrive as signals).
    listening: AtomicBool,
}

impl Default for Signals {
    fn default() -> Self {
        Signals {
            node: rand::random(),
            changed: broadcast::channel(BACKLOG).0,
            listening: AtomicBool::new(false),
        }
    }
}

impl Signals {
    /// Records a presence change here and tells the other nodes. A failure
    /// to tell them is logged: presence is a hint, never worth an error.
    pub async fn presence(&self, store: &Store, presence: &Presence, signal: Signal) {
        presence.apply(&signal);
        if store.dialect() != Dialect::Postgres {
            return; // one node: nobody to tell
        }
        let envelope = Envelope {
            node: self.node,
            signal,
        };
        let Ok(payload) = serde_json::to_string(&envelope) else {
            return;
        };
        if payload.len() > MAX_PAYLOAD {
            return;
        }
        if let Err(e) = store.signal(PRESENCE, &payload).await {
            tracing::warn!("telling other nodes of presence failed: {e}");
        }
    }

    /// Case changes as they are heard.
    pub fn changes(&self) -> broadcast::Receiver<Change> {
        self.changed.subscribe()
    }

    /// Whether case changes arrive as signals (so pages may poll rarely).
    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// Acts on one notification from `channel`.
    fn heard(&self, presence: &Presence, channel: &str, payload: &str) {
        match channel {
            PRESENCE => match serde_json::from_str::<Envelope>(payload) {
                Ok(envelope) if envelope.node != self.node => presence.apply(&envelope.signal),
                Ok(_) => {}
                Err(e) => tracing::warn!("unreadable presence signal: {e}"),
            },
            CASE_CHANGED => {
                if let Ok(id) = payload.parse() {
                    let _ = self.changed.send(Some(CaseId(id)));
                }
            }
            _ => {}
        }
    }
}

/// Listens for the other nodes' signals until `stop`; returns at once on
/// SQLite. Reconnects when the connection drops, telling pages to check
/// their case (changes made meanwhile were not heard).
pub async fn listen(store: Store, web: Arc<WebConfig>, stop: CancellationToken) {
    let signals = &web.signals;
    let mut listener = loop {
        match store.listen(&[PRESENCE, CASE_CHANGED]).await {
            Ok(Some(listener)) => break listener,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!("listening for other nodes' signals failed: {e}");
                let wait = tokio::time::sleep(RECONNECT_AFTER);
                if stop.run_until_cancelled(wait).await.is_none() {
                    return;
                }
            }
        }
    };
    signals.listening.store(true, Ordering::Release);
    while let Some(next) = stop.run_until_cancelled(listener.try_recv()).await {
        match next {
            Ok(Some(notification)) => {
                if !signals.listening() {
                    signals.listening.store(true, Ordering::Release);
                    let _ = signals.changed.send(None);
                }
                signals.heard(
                    &web.presence,
                    notification.channel(),
                    notification.payload(),
                );
            }
            // The connection dropped; the next call reconnects.
            Ok(None) => signals.listening.store(false, Ordering::Release),
            Err(e) => {
                signals.listening.store(false, Ordering::Release);
                tracing::warn!("listening for other nodes' signals: {e}");
                let wait = tokio::time::sleep(RECONNECT_AFTER);
                if stop.run_until_cancelled(wait).await.is_none() {
                    return;
                }
            }
        }
    }
}
