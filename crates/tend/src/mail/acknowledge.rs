//! Auto-acknowledgement: when an inbox asks for it, a customer whose email
//! opens a new case gets a short reply with the case reference and the
//! first-reply promise, sent through the outbound queue like any reply and
//! recorded on the case. Never to automated mail (that is how loops start),
//! never for mail joining a case that already exists. A request sent with
//! the public web form is confirmed the same way, with where to follow it.

use super::outbound::{Sender, reply_email};
use tend_domain::email::EmailAddress;
use tend_domain::event::Actor;
use tend_domain::ids::CaseId;
use tend_store::Store;
use tend_store::email::{Inbox, IngestOutcome, Ingested};
use tend_store::messages::NewMessage;

/// Queues the acknowledgement for `filed` if `inbox` wants one and the mail
/// deserves one. Failures are logged: the customer's message is stored
/// either way, and must still be accepted.
pub async fn acknowledge(store: &Store, inbox: &Inbox, filed: &Ingested) {
    if !inbox.auto_acknowledge || filed.outcome != IngestOutcome::NewCase {
        return;
    }
    if let Err(e) = queue(store, inbox, filed).await {
        tracing::warn!(case = %filed.case_id, error = %e, "acknowledging a new case failed");
    }
}

async fn queue(store: &Store, inbox: &Inbox, filed: &Ingested) -> Result<(), String> {
    let received = store
        .message(filed.message_id)
        .await
        .map_err(|e| e.to_string())?;
    let Some(email) = received.email else {
        return Ok(());
    };
    if email.automated || email.from == EmailAddress::unknown_sender().as_str() {
        return Ok(());
    }
    let promise = promise(inbox.first_reply_hours);
    send(store, filed.case_id, |inbox_name| {
        format!(
            "Hello,\n\nthank you for writing to {inbox_name}. Your message is case [#{case}].{promise}\n\n\
             If you write again about this, keep [#{case}] in the subject so your message joins the case.\n\n\
             {inbox_name}\n\n(This is an automatic acknowledgement.)\n",
            case = filed.case_id,
        )
    })
    .await
}

/// Confirms by email a request sent with the public web form, with where
/// to follow it (`portal_url`), from the first inbox. Failures are logged:
/// the request is stored either way.
pub async fn confirm_web_request(store: &Store, case: CaseId, portal_url: &str) {
    let sent = send(store, case, |inbox_name| {
        format!(
            "Hello,\n\nthank you for contacting {inbox_name}. We have received your request; \
             it is case [#{case}]. We will reply to this address.\n\n\
             You can follow it and reply at {portal_url} (sign in with this email address).\n\n\
             {inbox_name}\n\n(This is an automatic confirmation.)\n"
        )
    })
    .await;
    if let Err(e) = sent {
        tracing::warn!(%case, error = %e, "confirming a web request failed");
    }
}

/// Queues an automatic reply on `case` with the words `text` gives for the
/// inbox's name, if the case has somewhere to send it.
async fn send(
    store: &Store,
    case: CaseId,
    text: impl FnOnce(&str) -> String,
) -> Result<(), String> {
    let Some(ctx) = store.reply_context(case).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let channel = store.case(case).await.map_err(|e| e.to_string())?.channel;
    let mut msg = NewMessage::text(Actor::system(), channel, false, text(&ctx.inbox.name));
    let mail = reply_email(&ctx, case, &mut msg, Sender::Automatic)?;
    store
        .add_message(case, msg, Some(mail), None)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The first-reply promise an acknowledgement makes.
fn promise(first_reply_hours: Option<i64>) -> String {
    match first_reply_hours {
        Some(1) => " We will reply within 1 hour.".to_owned(),
        Some(hours) => format!(" We will reply within {hours} hours."),
        None => " We will reply as soon as we can.".to_owned(),
    }
}
