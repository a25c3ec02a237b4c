//! What every handler can reach: the store, the request limits, the web
//! settings and the state shared between requests (rate limits, presence
//! on cases, the form clock). They are kept here, apart from the pages
//! that use them, so the state depends on no handler. Nothing here is
//! this node's alone except presence, which nodes share by notification.

pub mod form_clock;
pub mod presence;
pub mod rate_limit;
pub mod signals;

use std::sync::Arc;
use std::time::Duration;
use tend_store::Store;
use tokio_util::sync::CancellationToken;

/// Limits applied to requests.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_attachment_bytes: usize,
}

/// The configured body limit, put in request extensions so errors can name it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub limits: Arc<Limits>,
    pub web: Arc<WebConfig>,
    /// The token endpoint client, and the signal that wakes mailbox readers.
    pub mailboxes: crate::mail::mailboxes::Mailboxes,
    /// Cancelled when the server shuts down: endless responses (live
    /// updates) end so that shutdown need not wait for them.
    pub shutdown: CancellationToken,
}

impl AppState {
    /// Offers and changes visits as this server: its brand's name on the
    /// customer's messages, its public URL in their links.
    pub fn scheduler(&self) -> crate::appointments::scheduler::Scheduler<'_> {
        crate::appointments::scheduler::Scheduler {
            store: &self.store,
            business: &self.web.brand.name,
            public_url: &self.web.public_url,
        }
    }
}

/// Web settings and shared state.
#[derive(Debug)]
pub struct WebConfig {
    /// Mark cookies `Secure` (Tend is served over HTTPS).
    pub secure_cookies: bool,
    /// How long a sign-in waits for its two-factor code.
    pub signin_code_lifetime: Duration,
    /// How long a customer may undo resolving a case in the portal.
    pub portal_undo: Duration,
    /// Who is on which case, for the collision warning.
    pub presence: presence::Presence,
    /// What this node tells the others, and hears from them.
    pub signals: signals::Signals,
    /// Load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Origins allowed to frame the public request form.
    pub embed_origins: Vec<String>,
    /// How customer-facing pages look.
    pub brand: crate::brand::Brand,
    /// Where customers reach Tend, for links in email.
    pub public_url: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            signin_code_lifetime: Duration::from_secs(300),
            portal_undo: Duration::from_secs(600),
            presence: presence::Presence::default(),
            signals: signals::Signals::default(),
            trusted_proxies: Vec::new(),
            embed_origins: Vec::new(),
            brand: crate::brand::Brand::default(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}
