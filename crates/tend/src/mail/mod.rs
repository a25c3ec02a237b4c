//! The email channel: reading messages ([`parse`]), taking them in over SMTP
//! ([`smtp`]) and from files ([`import`]). Every path ends in [`deliver`],
//! which files one raw message into one inbox.

pub mod import;
pub mod outbound;
pub mod parse;
pub mod quote;
pub mod smtp;

use tend_store::email::{Inbox, Ingested};
use tend_store::{Store, StoreError};

/// Files one raw message into `inbox`. `recipient` is the address it was
/// sent to (for plus addressing), `envelope_from` the SMTP sender.
pub async fn deliver(
    store: &Store,
    inbox: &Inbox,
    raw: Vec<u8>,
    recipient: Option<&str>,
    envelope_from: Option<&str>,
) -> Result<Ingested, StoreError> {
    // Parsing is CPU work on untrusted input: keep it off the async threads.
    let (inbox, recipient, envelope_from) = (
        inbox.clone(),
        recipient.map(str::to_owned),
        envelope_from.map(str::to_owned),
    );
    let mail = tokio::task::spawn_blocking(move || {
        parse::inbound(raw, inbox, recipient.as_deref(), envelope_from.as_deref())
    })
    .await
    .map_err(|e| StoreError::Commit(format!("reading the message failed: {e}")))?;
    store.ingest_email(mail).await
}
