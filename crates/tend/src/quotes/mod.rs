//! Quotes sent from cases ([`tend_domain::quote`]): the reply that carries
//! one, with its PDF ([`pdf`]) and one-click decision links ([`link`]),
//! made and queued by [`send`]. The pages that take decisions are in
//! `web::public::quote` (from the email) and the portal; decisions are
//! case events.

pub mod link;
pub mod pdf;
pub mod send;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use tend_domain::ids::QuoteId;
use tend_store::{Store, StoreError};

/// `at` for the customer, in UTC: `11 December 2026, 17:00 UTC`.
pub fn until_text(at: Timestamp) -> String {
    at.to_zoned(TimeZone::UTC)
        .strftime("%-d %B %Y, %H:%M UTC")
        .to_string()
}

/// The PDF copy of quote `id` as attached to the reply that sent it: its
/// file name and bytes.
pub async fn stored_pdf(store: &Store, id: QuoteId) -> Result<(String, Vec<u8>), StoreError> {
    let message = store
        .quote(id)
        .await?
        .message_id
        .ok_or(StoreError::NotFound("quote PDF"))?;
    let file = store
        .message(message)
        .await?
        .attachments
        .into_iter()
        .find(|a| a.content_type == "application/pdf")
        .ok_or(StoreError::NotFound("quote PDF"))?;
    Ok((file.filename, store.blob(&file.sha256).await?))
}
