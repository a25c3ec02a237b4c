//! What the web layer and the IMAP workers share about mailboxes: the HTTP
//! client for OAuth token endpoints, and a signal that inbox settings or
//! credentials changed (a new inbox, a mailbox connected again), which
//! wakes the workers at once instead of at their next poll or retry.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Longest wait for a token endpoint.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// The shared handle; clones share the client and the signal.
#[derive(Debug, Clone)]
pub struct Mailboxes {
    /// Talks to OAuth token endpoints, trusting the IMAP CA settings.
    pub http: reqwest::Client,
    changed: Arc<watch::Sender<u64>>,
}

impl Mailboxes {
    /// A handle whose HTTP client uses `tls` (see [`super::imap::tls_config`]).
    pub fn new(tls: Arc<rustls::ClientConfig>) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls.as_ref().clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TOKEN_TIMEOUT)
            .build()
            .map_err(|e| format!("HTTP client for OAuth: {e}"))?;
        Ok(Mailboxes {
            http,
            changed: Arc::new(watch::channel(0).0),
        })
    }

    /// Tells the workers that inbox settings or credentials changed.
    pub fn changed(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every later [`Mailboxes::changed`].
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}
