//! The email channel: reading messages ([`parse`]), taking them in over SMTP
//! ([`smtp`]), from IMAP mailboxes ([`imap`]) and from files ([`import`]).
//! Every path ends in [`deliver`], which files one raw message into one
//! inbox, or files it as a bounce of an email Tend sent ([`bounce`]); mail
//! arriving live goes through [`receive`], which also acknowledges new cases
//! (through a job enqueued with the message).

pub mod acknowledge;
pub mod bounce;
pub mod charset;
pub mod html_body;
pub mod imap;
pub mod import;
pub mod inbox;
pub mod mailboxes;
pub mod notifications;
pub mod oauth;
pub mod outbound;
pub mod parse;
pub mod part_names;
pub mod quote;
pub mod rate_limit;
pub mod smtp;
pub mod tls;
pub mod uuencode;

use tend_store::email::{Inbox, Ingested};
use tend_store::{Store, StoreError};

/// Files a message that arrived live (SMTP or IMAP); when it opens a case
/// and the inbox asks for it, the acknowledgement job is enqueued with it
/// (see [`acknowledge`]). Imports use [`deliver`]: old mail is never
/// acknowledged.
pub async fn receive(
    store: &Store,
    inbox: &Inbox,
    raw: Vec<u8>,
    recipient: Option<&str>,
    envelope_from: Option<&str>,
) -> Result<Ingested, StoreError> {
    file(store, inbox, raw, recipient, envelope_from, true).await
}

/// Files one raw message into `inbox`. `recipient` is the address it was
/// sent to (for plus addressing), `envelope_from` the SMTP sender. A bounce
/// report for an email Tend sent marks that email bounced instead, and opens
/// or reopens no case; any other bounce is filed as automated mail.
pub async fn deliver(
    store: &Store,
    inbox: &Inbox,
    raw: Vec<u8>,
    recipient: Option<&str>,
    envelope_from: Option<&str>,
) -> Result<Ingested, StoreError> {
    file(store, inbox, raw, recipient, envelope_from, false).await
}

/// Files one raw message, acknowledging a case it opens when `live`.
async fn file(
    store: &Store,
    inbox: &Inbox,
    raw: Vec<u8>,
    recipient: Option<&str>,
    envelope_from: Option<&str>,
    live: bool,
) -> Result<Ingested, StoreError> {
    // Parsing is CPU work on untrusted input: keep it off the async threads.
    let (inbox, recipient, envelope_from) = (
        inbox.clone(),
        recipient.map(str::to_owned),
        envelope_from.map(str::to_owned),
    );
    let (mut mail, bounce) = tokio::task::spawn_blocking(move || {
        let bounce = bounce::read(&raw);
        let mail = parse::inbound(raw, inbox, recipient.as_deref(), envelope_from.as_deref());
        (mail, bounce)
    })
    .await
    .map_err(|e| StoreError::Commit(format!("reading the message failed: {e}")))?;
    if let Some(bounce) = bounce {
        let (ids, recipients) = (bounce.message_ids, bounce.recipients);
        let filed = store
            .record_bounce(ids, recipients, bounce.reason, mail.raw.clone())
            .await?;
        if let Some(filed) = filed {
            return Ok(filed);
        }
    }
    mail.acknowledge = live;
    store.ingest_email(mail).await
}
