//! Outbound email: where an agent's reply goes, and the record of each email
//! Tend sends. A reply, its email and the `send_email` job that hands it to
//! the relay ([`crate::jobs`]) are written in the same transaction, so a
//! reply is never stored without its email; the job runner's retries and
//! leases drive the sending. Each change of an email's status (queued, sent,
//! failed, bounced) is an event on its case.

use crate::cases::append_system_event;
use crate::email::{InboundEmail, Inbox, IngestOutcome, Ingested};
use crate::jobs::{self, JobKind, NewJob};
use crate::rows::get;
use crate::time::{micros, now};
use crate::tx::{Tx, args};
use crate::{Dialect, Result, Store, blobs};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use tend_domain::email::{DeliveryStatus, EmailAddress};
use tend_domain::event::EventData;
use tend_domain::ids::{CaseId, MessageId};
use utoipa::ToSchema;

/// Where a reply on a case goes by email.
#[derive(Debug, Clone)]
pub struct ReplyContext {
    /// The inbox the conversation uses; replies come from its address.
    pub inbox: Inbox,
    /// The customer's address (the sender of their latest email).
    pub recipient: String,
    /// Who else a reply copies by default ("reply all"): the Cc of the
    /// latest email on the case, and its sender when that was not the
    /// customer; never the customer or an inbox.
    pub cc: Vec<String>,
    /// Message-IDs of the conversation so far, oldest first.
    pub references: Vec<String>,
    pub case_subject: String,
}

/// A rendered email to queue with a reply.
#[derive(Debug, Clone)]
pub struct OutboundEmail {
    pub sender: String,
    pub recipient: String,
    /// Copies in the envelope besides `recipient`.
    pub copies: Vec<Copy>,
    pub raw: Vec<u8>,
}

/// A copy of an outbound email to another address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub address: String,
    /// Blind (Bcc), or named in the Cc header.
    pub blind: bool,
}

/// An email to hand to the relay, as the `send_email` job reads it.
#[derive(Debug, Clone)]
pub struct QueuedEmail {
    pub id: i64,
    pub sender: String,
    pub recipient: String,
    /// Cc and Bcc addresses, also in the envelope.
    pub copies: Vec<String>,
    pub raw: Vec<u8>,
    /// Whether it already went out (sent, or sent and bounced): a job
    /// whose claim lapsed after sending must not send it twice.
    pub delivered: bool,
}

/// How an outbound email is doing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Delivery {
    /// `queued`, `sent`, `failed` or `bounced`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Most Message-IDs put in References.
const MAX_REFERENCES: i64 = 20;
/// Longest delivery error kept, in characters.
const MAX_DETAIL: usize = 1000;
/// Most Message-IDs and recipients of one bounce report looked up.
const MAX_BOUNCE_KEYS: usize = 20;

impl Store {
    /// Where a reply on `case` would go by email: to the case customer's
    /// latest email (never to another participant who wrote last), from the
    /// inbox it came to; for a case opened on the web (the
    /// request form or the portal), to the customer's email address from
    /// the first inbox. `None` when the case has no email conversation and
    /// was not opened on the web, or no inbox exists.
    pub async fn reply_context(&self, case: CaseId) -> Result<Option<ReplyContext>> {
        let latest = sqlx::query(
            "SELECT m.email_inbox_id, m.email_from, c.subject FROM messages m JOIN cases c ON c.id = m.case_id \
             WHERE m.case_id = $1 AND m.email_inbox_id IS NOT NULL AND m.author_kind = 'customer' \
             AND m.author_id = c.customer_id \
             ORDER BY m.id DESC LIMIT 1",
        )
        .bind(case.0)
        .fetch_optional(&self.reader)
        .await?;
        let (inbox, recipient, case_subject) = match latest {
            Some(latest) => (
                self.inbox(get(&latest, "email_inbox_id")?).await?,
                get(&latest, "email_from")?,
                get(&latest, "subject")?,
            ),
            None => match self.web_reply_target(case).await? {
                Some(target) => target,
                None => return Ok(None),
            },
        };
        let rows = sqlx::query(
            "SELECT email_message_id FROM messages WHERE case_id = $1 AND email_message_id IS NOT NULL \
             AND side_conversation_id IS NULL ORDER BY id DESC LIMIT $2",
        )
        .bind(case.0)
        .bind(MAX_REFERENCES)
        .fetch_all(&self.reader)
        .await?;
        let mut references = rows
            .iter()
            .map(|r| get::<String>(r, "email_message_id"))
            .collect::<Result<Vec<_>>>()?;
        references.reverse();
        let cc = self.reply_all(case, &recipient).await?;
        Ok(Some(ReplyContext {
            inbox,
            recipient,
            cc,
            references,
            case_subject,
        }))
    }

    /// Whom a reply on `case` to `recipient` copies by default: the Cc of
    /// the latest email on the case (the customer's, a participant's or
    /// Tend's own, so an address an agent took off stays off), and the
    /// sender of that email when it was a participant rather than the
    /// customer; never `recipient` or an inbox address.
    async fn reply_all(&self, case: CaseId, recipient: &str) -> Result<Vec<String>> {
        let latest = sqlx::query(
            "SELECT m.email_from, m.email_cc, m.author_kind, m.author_id, c.customer_id \
             FROM messages m JOIN cases c ON c.id = m.case_id \
             WHERE m.case_id = $1 AND m.internal = 0 AND m.email_inbox_id IS NOT NULL \
             ORDER BY m.id DESC LIMIT 1",
        )
        .bind(case.0)
        .fetch_optional(&self.reader)
        .await?;
        let Some(latest) = latest else {
            return Ok(Vec::new());
        };
        let mut copied: Vec<String> = match get::<Option<String>>(&latest, "email_cc")? {
            Some(raw) => serde_json::from_str(&raw).unwrap_or_default(),
            None => Vec::new(),
        };
        let from_participant = get::<String>(&latest, "author_kind")? == "customer"
            && get::<Option<i64>>(&latest, "author_id")? != Some(get(&latest, "customer_id")?);
        if from_participant {
            copied.insert(0, get(&latest, "email_from")?);
        }
        let inboxes: Vec<String> = self
            .inboxes()
            .await?
            .into_iter()
            .map(|i| i.address)
            .collect();
        let mut seen = std::collections::HashSet::new();
        Ok(copied
            .into_iter()
            .map(|a| a.to_lowercase())
            .filter(|a| a != &recipient.to_lowercase() && !inboxes.contains(a))
            .filter(|a| seen.insert(a.clone()))
            .take(tend_domain::email::MAX_COPIES)
            .collect())
    }

    /// The first inbox, the customer's first email address and the subject
    /// of a case opened on the web.
    async fn web_reply_target(&self, case: CaseId) -> Result<Option<(Inbox, String, String)>> {
        let row = sqlx::query(
            "SELECT c.subject, (SELECT p.value FROM contact_points p WHERE p.customer_id = c.customer_id \
             AND p.kind = 'email' ORDER BY p.id LIMIT 1) AS address FROM cases c \
             WHERE c.id = $1 AND c.channel IN ('web_form', 'portal')",
        )
        .bind(case.0)
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let Some(address) = get::<Option<String>>(&row, "address")? else {
            return Ok(None);
        };
        let Some(inbox) = self.first_inbox().await? else {
            return Ok(None);
        };
        Ok(Some((inbox, address, get(&row, "subject")?)))
    }

    /// Queues a system email, one that belongs to no case (a sign-in link).
    pub async fn queue_system_email(&self, mail: OutboundEmail) -> Result<()> {
        self.write(move |tx| Box::pin(async move { enqueue_system(tx, &mail).await }))
            .await
    }

    /// Outbound email `id` with its raw message, for sending.
    pub async fn outbound_email(&self, id: i64) -> Result<QueuedEmail> {
        let row = sqlx::query(
            "SELECT o.id, o.sender, o.recipient, o.status, b.data FROM outbound_mail o \
             JOIN blobs b ON b.sha256 = o.raw_sha256 WHERE o.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(crate::StoreError::NotFound("outbound email"))?;
        let status: String = get(&row, "status")?;
        let copies =
            sqlx::query("SELECT address FROM outbound_copies WHERE outbound_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.reader)
                .await?
                .iter()
                .map(|r| get(r, "address"))
                .collect::<Result<_>>()?;
        Ok(QueuedEmail {
            id: get(&row, "id")?,
            sender: get(&row, "sender")?,
            recipient: get(&row, "recipient")?,
            copies,
            raw: get(&row, "data")?,
            delivered: status == DeliveryStatus::Sent.as_str()
                || status == DeliveryStatus::Bounced.as_str(),
        })
    }

    /// How many outbound emails there are in each status (`queued`,
    /// `sent`, `failed`, `bounced`), for the metrics.
    pub async fn outbound_counts(&self) -> Result<Vec<(String, i64)>> {
        sqlx::query("SELECT status, COUNT(*) AS n FROM outbound_mail GROUP BY status")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|row| Ok((get(row, "status")?, get(row, "n")?)))
            .collect()
    }

    /// Records that an email was handed to the relay.
    pub async fn outbound_sent(&self, id: i64) -> Result<()> {
        self.outbound_outcome(id, DeliveryStatus::Sent, None).await
    }

    /// Records a failed attempt: the email stays queued (its job tries
    /// again), or is failed when `given_up`.
    pub async fn outbound_failed(&self, id: i64, error: &str, given_up: bool) -> Result<()> {
        let status = if given_up {
            DeliveryStatus::Failed
        } else {
            DeliveryStatus::Queued
        };
        self.outbound_outcome(id, status, Some(error)).await
    }

    async fn outbound_outcome(
        &self,
        id: i64,
        status: DeliveryStatus,
        error: Option<&str>,
    ) -> Result<()> {
        let (dialect, error) = (self.dialect, error.map(str::to_owned));
        let at = now();
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "UPDATE outbound_mail SET attempts = attempts + 1 WHERE id = $1",
                    args![id],
                )
                .await?;
                set_status(tx, dialect, id, status, error.as_deref(), at).await?;
                Ok(())
            })
        })
        .await
    }

    /// Files a bounce report for an email Tend sent: the email whose
    /// Message-ID the report quotes (any of `message_ids`), or when it
    /// quotes none, the latest sent email to one of `recipients`, is marked
    /// bounced with `reason`
    /// and the report's raw source is kept with it. `None` when the report
    /// matches no email of Tend's; then it is ordinary (automated) mail.
    pub async fn record_bounce(
        &self,
        message_ids: Vec<String>,
        recipients: Vec<String>,
        reason: String,
        raw: Vec<u8>,
    ) -> Result<Option<Ingested>> {
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let Some((id, message_id)) = bounced_email(tx, &message_ids, &recipients).await?
                else {
                    return Ok(None);
                };
                let sha256 = blobs::put(tx, &raw).await?;
                tx.execute(
                    "UPDATE outbound_mail SET bounce_sha256 = $1 WHERE id = $2",
                    args![sha256, id],
                )
                .await?;
                let case_id = set_status(
                    tx,
                    dialect,
                    id,
                    DeliveryStatus::Bounced,
                    Some(&reason),
                    now(),
                )
                .await?
                .ok_or(crate::StoreError::NotFound("case"))?;
                Ok(Some(Ingested {
                    case_id,
                    message_id,
                    outcome: IngestOutcome::Bounced,
                }))
            })
        })
        .await
    }

    /// Delivery status of the outbound emails of these messages.
    pub(crate) async fn deliveries_of(
        &self,
        ids: &[MessageId],
    ) -> Result<HashMap<MessageId, Delivery>> {
        let mut found = HashMap::new();
        if ids.is_empty() {
            return Ok(found);
        }
        let ids: Vec<i64> = ids.iter().map(|m| m.0).collect();
        let mut sql = crate::sql::Sql::new(
            "SELECT message_id, status, attempts, last_error FROM outbound_mail WHERE message_id IN ",
        );
        sql.id_list(&ids);
        for row in sql.query().fetch_all(&self.reader).await? {
            found.insert(
                MessageId(get(&row, "message_id")?),
                Delivery {
                    status: get(&row, "status")?,
                    attempts: get(&row, "attempts")?,
                    last_error: get(&row, "last_error")?,
                },
            );
        }
        Ok(found)
    }
}

/// Queues `mail` for message `message` of `case` inside the reply's
/// transaction, with its `queued` event and its `send_email` job.
pub(crate) async fn enqueue(
    tx: &mut Tx,
    dialect: Dialect,
    case: CaseId,
    message: MessageId,
    mail: &OutboundEmail,
) -> Result<()> {
    let at = now();
    insert(tx, Some(message), mail, at).await?;
    let queued = delivery_event(message, DeliveryStatus::Queued, None);
    append_system_event(tx, dialect, case, queued, at).await?;
    Ok(())
}

/// Enqueues, in the transaction that files `mail`, the acknowledgement of
/// the case it opened (`case`, with its first message `message`), when the
/// mail arrived live, its inbox asks for acknowledgements, and a person
/// sent it (never automated mail: that is how loops start). A crash after
/// the commit still acknowledges: the job is durable.
pub(crate) async fn acknowledge_later(
    tx: &mut Tx,
    mail: &InboundEmail,
    case: CaseId,
    message: MessageId,
) -> Result<()> {
    let from_a_person = mail.message.email.as_ref().is_some_and(|e| !e.automated)
        && mail.from != EmailAddress::unknown_sender();
    if !(mail.acknowledge && mail.inbox.auto_acknowledge && from_a_person) {
        return Ok(());
    }
    let payload = json!({ "case_id": case.0, "message_id": message.0, "inbox_id": mail.inbox.id });
    jobs::enqueue(tx, &NewJob::new(JobKind::Acknowledge, payload, now())).await?;
    Ok(())
}

/// Queues a system email (one that is no message of a case, such as a
/// sign-in link or a survey) for the relay.
pub(crate) async fn enqueue_system(tx: &mut Tx, mail: &OutboundEmail) -> Result<()> {
    insert(tx, None, mail, now()).await
}

/// Stores `mail` (of `message`, if it is a reply) as queued, with the job
/// that sends it.
async fn insert(
    tx: &mut Tx,
    message: Option<MessageId>,
    mail: &OutboundEmail,
    at: Timestamp,
) -> Result<()> {
    let sha256 = blobs::put(tx, &mail.raw).await?;
    let id = tx
        .fetch_one(
            "INSERT INTO outbound_mail (message_id, sender, recipient, raw_sha256, status, attempts, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5) \
             RETURNING id",
            args![
                message.map(|m| m.0),
                &mail.sender,
                &mail.recipient,
                sha256,
                micros(at)
            ],
        )
        .await?
        .int("id")?;
    for copy in &mail.copies {
        tx.execute(
            "INSERT INTO outbound_copies (outbound_id, address, kind) VALUES ($1, $2, $3)",
            args![id, &copy.address, if copy.blind { "bcc" } else { "cc" }],
        )
        .await?;
    }
    let job = NewJob::new(JobKind::SendEmail, json!({ "outbound_id": id }), at);
    jobs::enqueue(tx, &job).await?;
    Ok(())
}

/// Moves outbound email `id` to `status` with `detail` as its last error;
/// for a reply, a real change of status is also an event on its case.
/// Answers the case, if the email belongs to one.
async fn set_status(
    tx: &mut Tx,
    dialect: Dialect,
    id: i64,
    status: DeliveryStatus,
    detail: Option<&str>,
    at: Timestamp,
) -> Result<Option<CaseId>> {
    let detail = detail.map(|d| d.chars().take(MAX_DETAIL).collect::<String>());
    let row = tx
        .fetch_one(
            "SELECT o.status, o.message_id, m.case_id FROM outbound_mail o \
             LEFT JOIN messages m ON m.id = o.message_id WHERE o.id = $1",
            args![id],
        )
        .await?;
    tx.execute(
        "UPDATE outbound_mail SET status = $1, last_error = $2, updated_at = $3 WHERE id = $4",
        args![status.as_str(), detail.clone(), micros(at), id],
    )
    .await?;
    let (Some(case), Some(message)) = (row.opt_int("case_id")?, row.opt_int("message_id")?) else {
        return Ok(None);
    };
    if row.text("status")? != status.as_str() {
        let event = delivery_event(MessageId(message), status, detail);
        append_system_event(tx, dialect, CaseId(case), event, at).await?;
    }
    Ok(Some(CaseId(case)))
}

fn delivery_event(
    message_id: MessageId,
    status: DeliveryStatus,
    detail: Option<String>,
) -> EventData {
    EventData::EmailDeliveryChanged {
        message_id,
        status,
        detail,
    }
}

/// The outbound email a bounce report is about, and its message.
async fn bounced_email(
    tx: &mut Tx,
    message_ids: &[String],
    recipients: &[String],
) -> Result<Option<(i64, MessageId)>> {
    let by_id = "SELECT o.id, o.message_id FROM outbound_mail o JOIN messages m ON m.id = o.message_id \
                 WHERE m.email_message_id = $1";
    for message_id in message_ids.iter().take(MAX_BOUNCE_KEYS) {
        if let Some(row) = tx.fetch_optional(by_id, args![message_id]).await? {
            return Ok(Some((row.int("id")?, MessageId(row.int("message_id")?))));
        }
    }
    if !message_ids.is_empty() {
        // It names the returned message, and that is none of Tend's.
        return Ok(None);
    }
    let by_recipient = "SELECT id, message_id FROM outbound_mail WHERE recipient = $1 \
                        AND message_id IS NOT NULL AND status IN ('sent', 'bounced') \
                        ORDER BY id DESC LIMIT 1";
    for recipient in recipients.iter().take(MAX_BOUNCE_KEYS) {
        let recipient = recipient.to_lowercase();
        if let Some(row) = tx.fetch_optional(by_recipient, args![recipient]).await? {
            return Ok(Some((row.int("id")?, MessageId(row.int("message_id")?))));
        }
    }
    Ok(None)
}
