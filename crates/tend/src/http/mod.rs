//! The HTTP pieces the API and the web pages share: the state every handler
//! reaches, the one error type with its mapping from store and domain errors
//! to status codes, file downloads, upload checks, the health check,
//! cookies, the client's address and request ids, and which database views
//! read from (a read replica).
//! `api` and `web` build on this module and never on each other; the
//! application router (`crate::router`) is the one place that knows both.

pub mod client_ip;
pub mod cookies;
pub mod download;
pub mod error;
pub mod health;
pub mod read_your_writes;
pub mod reads;
pub mod request_id;
pub mod state;
pub mod upload;

pub use download::download;
pub use state::{AppState, Limits, WebConfig};
