//! Agents' messages on a case, shared by the REST API and the web UI: a
//! reply on a case with an email conversation is rendered as email and
//! queued in the same write as the message.

use crate::api::error::ApiError;
use tend_domain::Invalid;
use tend_domain::ids::CaseId;
use tend_store::Store;
use tend_store::messages::NewMessage;
use tend_store::model::EmailDetails;
use tend_store::outbound::{OutboundEmail, ReplyContext};

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
        Some(ctx) => Ok(Some(email_reply(&ctx, case, msg)?)),
        None => Ok(None),
    }
}

/// Renders a reply as email for the case's conversation and marks the
/// message with its email details; answers the email to queue.
fn email_reply(
    ctx: &ReplyContext,
    case: CaseId,
    msg: &mut NewMessage,
) -> Result<OutboundEmail, ApiError> {
    let rendered = crate::mail::outbound::render(
        ctx,
        case,
        &msg.body_text,
        msg.body_html.as_deref(),
        &msg.attachments,
    )
    .map_err(|e| Invalid::new("email", e))?;
    msg.email = Some(EmailDetails {
        message_id: Some(rendered.message_id),
        from: ctx.inbox.address.clone(),
        subject: rendered.subject,
        cc: Vec::new(),
        automated: false,
        has_raw: true,
        inbox_id: Some(ctx.inbox.id),
        delivery: None,
    });
    Ok(rendered.email)
}
