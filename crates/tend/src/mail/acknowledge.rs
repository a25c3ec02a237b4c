//! Auto-acknowledgement: when an inbox asks for it, a customer whose email
//! opens a new case gets a short reply with the case reference and the
//! first-reply promise, sent through the outbound queue like any reply and
//! recorded on the case. Never to automated mail (that is how loops start),
//! never for mail joining a case that already exists.

use super::outbound::{Sender, reply_email};
use tend_domain::case::Channel;
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
    let Some(ctx) = store
        .reply_context(filed.case_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let mut msg = NewMessage::text(
        Actor::system(),
        Channel::Email,
        false,
        text(inbox, filed.case_id),
    );
    let mail = reply_email(&ctx, filed.case_id, &mut msg, Sender::Automatic)?;
    store
        .add_message(filed.case_id, msg, Some(mail), None)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The acknowledgement's words.
fn text(inbox: &Inbox, case: CaseId) -> String {
    let promise = match inbox.first_reply_hours {
        Some(1) => " We will reply within 1 hour.".to_owned(),
        Some(hours) => format!(" We will reply within {hours} hours."),
        None => " We will reply as soon as we can.".to_owned(),
    };
    format!(
        "Hello,\n\nthank you for writing to {name}. Your message is case [#{case}].{promise}\n\n\
         If you write again about this, keep [#{case}] in the subject so your message joins the case.\n\n\
         {name}\n\n(This is an automatic acknowledgement.)\n",
        name = inbox.name,
    )
}
