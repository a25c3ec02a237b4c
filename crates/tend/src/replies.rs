//! Agents' messages on a case, shared by the REST API and the web UI: a
//! reply on a case with an email conversation is rendered as email and
//! queued in the same write as the message.

use crate::http::error::ApiError;
use crate::mail::outbound::{Sender, reply_email};
use tend_domain::Invalid;
use tend_domain::ids::CaseId;
use tend_domain::promise::NewPromise;
use tend_store::Store;
use tend_store::messages::NewMessage;
use tend_store::outbound::OutboundEmail;

/// Longest message body, in characters.
pub const MAX_BODY: usize = 200_000;

/// The email to queue with `msg`, if it is a reply on a case whose customer
/// wrote by email; marks `msg` with the email's details.
pub async fn outbound_for(
    store: &Store,
    case: CaseId,
    msg: &mut NewMessage,
) -> Result<Option<OutboundEmail>, ApiError> {
    if msg.internal {
        return Ok(None);
    }
    match store.reply_context(case).await? {
        Some(ctx) => Ok(Some(
            reply_email(&ctx, case, msg, Sender::Person).map_err(|e| Invalid::new("email", e))?,
        )),
        None => Ok(None),
    }
}

/// Ends a reply's text (and HTML, if any) with the promise it makes, when
/// the customer is to see it: "Our promise: …, by Friday 11 December,
/// 17:00 UTC."
pub fn state_promise(body: &mut String, body_html: Option<&mut String>, promise: &NewPromise) {
    if !promise.visible_to_customer {
        return;
    }
    let line = promise.customer_line();
    body.push_str(&format!("\n\n{line}"));
    if let Some(html) = body_html {
        html.push_str(&format!(
            "<p>{}</p>",
            tend_domain::links::linked_text(&line)
        ));
    }
}
