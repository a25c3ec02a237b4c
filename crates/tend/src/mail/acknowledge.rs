//! Auto-acknowledgement: when an inbox asks for it, a customer whose email
//! opens a new case gets a short reply with the case reference and the
//! first-reply promise, sent through the outbound queue like any reply and
//! recorded on the case. The store enqueues the `acknowledge` job in the
//! transaction that files the email, so a crash after the commit still
//! acknowledges; [`run`] is its handler. Never to automated mail (that is how loops start),
//! never for mail joining a case that already exists. A request sent with
//! the public web form is confirmed the same way, with where to follow it.

use super::outbound::{Copies, Sender, reply_email};
use crate::jobs::outcome::{JobError, payload_id};
use tend_domain::event::{Actor, ActorKind};
use tend_domain::ids::CaseId;
use tend_store::Store;
use tend_store::jobs::Job;
use tend_store::messages::NewMessage;

/// Runs an `acknowledge` job, which the store enqueued with the email that
/// opened the case (only for mail a person sent): queues the
/// acknowledgement if the inbox still wants one. A case already
/// acknowledged (a run that stopped between its reply and its completion)
/// is not acknowledged twice.
pub async fn run(store: Store, job: Job) -> Result<(), JobError> {
    let case = CaseId(payload_id(&job, "case_id")?);
    let inbox = store.inbox(payload_id(&job, "inbox_id")?).await?;
    if !inbox.auto_acknowledge || acknowledged(&store, case).await? {
        return Ok(());
    }
    let due = store.answer_promise(case).await?.and_then(|p| p.at);
    let promise = promise(inbox.first_reply_hours, due);
    send(&store, case, |inbox_name| {
        format!(
            "Hello,\n\nthank you for writing to {inbox_name}. Your message is case [#{case}].{promise}\n\n\
             If you write again about this, keep [#{case}] in the subject so your message joins the case.\n\n\
             {inbox_name}\n\n(This is an automatic acknowledgement.)\n",
        )
    })
    .await
}

/// Whether Tend already wrote on `case` by itself (among its first
/// messages, where an acknowledgement is).
async fn acknowledged(store: &Store, case: CaseId) -> Result<bool, JobError> {
    let first = store.messages(case, None, 20).await?;
    Ok(first
        .data
        .iter()
        .any(|m| m.author.kind == ActorKind::System && !m.internal))
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
) -> Result<(), JobError> {
    let Some(ctx) = store.reply_context(case).await? else {
        return Ok(());
    };
    let channel = store.case(case).await?.channel;
    let mut msg = NewMessage::text(Actor::system(), channel, false, text(&ctx.inbox.name));
    let mail = reply_email(&ctx, case, &mut msg, Sender::Automatic, &Copies::default())
        .map_err(JobError::permanent)?;
    store.add_message(case, msg, Some(mail), None).await?;
    Ok(())
}

/// The first-reply promise an acknowledgement makes: the SLA's due time
/// when a policy covers the case, else the inbox's first-reply hours.
fn promise(first_reply_hours: Option<i64>, sla_due: Option<jiff::Timestamp>) -> String {
    if let Some(due) = sla_due {
        return format!(
            " We will reply by {}.",
            due.strftime("%A %-d %B, %H:%M UTC")
        );
    }
    match first_reply_hours {
        Some(1) => " We will reply within 1 hour.".to_owned(),
        Some(hours) => format!(" We will reply within {hours} hours."),
        None => " We will reply as soon as we can.".to_owned(),
    }
}
