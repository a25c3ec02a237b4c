//! Outbound email: where an agent's reply goes, and the durable queue the
//! relay worker drains. A reply and its queued email are written in the same
//! transaction, so a reply is never stored without its email or sent twice
//! because of a crash in between; the worker leases due rows, and a lease
//! that runs out (a crashed worker) makes them due again.

use crate::email::Inbox;
use crate::rows::get;
use crate::time::{micros, now};
use crate::tx::{Tx, args};
use crate::{Dialect, Result, Store, blobs};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;
use tend_domain::ids::{CaseId, MessageId};
use utoipa::ToSchema;

/// Where a reply on a case goes by email.
#[derive(Debug, Clone)]
pub struct ReplyContext {
    /// The inbox the conversation uses; replies come from its address.
    pub inbox: Inbox,
    /// The customer's address (the sender of their latest email).
    pub recipient: String,
    /// Message-IDs of the conversation so far, oldest first.
    pub references: Vec<String>,
    pub case_subject: String,
}

/// A rendered email to queue with a reply.
#[derive(Debug, Clone)]
pub struct OutboundEmail {
    pub sender: String,
    pub recipient: String,
    pub raw: Vec<u8>,
}

/// A queued email leased to the worker.
#[derive(Debug, Clone)]
pub struct QueuedEmail {
    pub id: i64,
    pub sender: String,
    pub recipient: String,
    pub raw: Vec<u8>,
    pub attempts: i64,
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

impl Store {
    /// Where a reply on `case` would go by email: `None` when the case has
    /// no email conversation.
    pub async fn reply_context(&self, case: CaseId) -> Result<Option<ReplyContext>> {
        let latest = sqlx::query(
            "SELECT m.email_inbox_id, m.email_from, c.subject FROM messages m JOIN cases c ON c.id = m.case_id \
             WHERE m.case_id = $1 AND m.email_inbox_id IS NOT NULL AND m.author_kind = 'customer' \
             ORDER BY m.id DESC LIMIT 1",
        )
        .bind(case.0)
        .fetch_optional(&self.reader)
        .await?;
        let Some(latest) = latest else {
            return Ok(None);
        };
        let inbox = self.inbox(get(&latest, "email_inbox_id")?).await?;
        let rows = sqlx::query(
            "SELECT email_message_id FROM messages WHERE case_id = $1 AND email_message_id IS NOT NULL \
             ORDER BY id DESC LIMIT $2",
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
        Ok(Some(ReplyContext {
            inbox,
            recipient: get(&latest, "email_from")?,
            references,
            case_subject: get(&latest, "subject")?,
        }))
    }

    /// Leases up to `limit` due emails for `lease`; a worker that dies
    /// leaves them due again when the lease ends.
    pub async fn claim_outbound(&self, limit: i64, lease: Duration) -> Result<Vec<QueuedEmail>> {
        let dialect = self.dialect;
        self.write(move |tx| Box::pin(claim(tx, dialect, limit, lease)))
            .await
    }

    /// Records that an email was handed to the relay.
    pub async fn outbound_sent(&self, id: i64) -> Result<()> {
        self.outbound_outcome(id, "sent", None, None).await
    }

    /// Records a failed attempt: tried again at `retry_at`, or given up on
    /// when that is `None`.
    pub async fn outbound_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let status = if retry_at.is_some() {
            "queued"
        } else {
            "failed"
        };
        self.outbound_outcome(id, status, Some(error), retry_at)
            .await
    }

    async fn outbound_outcome(
        &self,
        id: i64,
        status: &'static str,
        error: Option<&str>,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let error = error.map(|e| e.chars().take(1000).collect::<String>());
        let t = micros(now());
        let next = retry_at.map_or(t, micros);
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "UPDATE outbound_mail SET status = $1, last_error = $2, next_attempt_at = $3, \
                     attempts = attempts + 1, updated_at = $4 WHERE id = $5",
                    args![status, error, next, t, id],
                )
                .await?;
                Ok(())
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

/// Queues `mail` for message `message` inside the reply's transaction.
pub(crate) async fn enqueue(tx: &mut Tx, message: MessageId, mail: &OutboundEmail) -> Result<()> {
    let sha256 = blobs::put(tx, &mail.raw).await?;
    let t = micros(now());
    tx.execute(
        "INSERT INTO outbound_mail (message_id, sender, recipient, raw_sha256, status, attempts, \
         next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5, $5)",
        args![message.0, &mail.sender, &mail.recipient, sha256, t],
    )
    .await?;
    Ok(())
}

async fn claim(
    tx: &mut Tx,
    dialect: Dialect,
    limit: i64,
    lease: Duration,
) -> Result<Vec<QueuedEmail>> {
    let t = micros(now());
    let until = t.saturating_add(i64::try_from(lease.as_micros()).unwrap_or(i64::MAX));
    let skip_locked = match dialect {
        Dialect::Sqlite => "",
        Dialect::Postgres => " FOR UPDATE OF o SKIP LOCKED",
    };
    let mut claimed = Vec::new();
    // One row at a time: both dialects can lease it and read its blob in
    // the same transaction without multi-row RETURNING ordering questions.
    for _ in 0..limit {
        let Some(row) = tx
            .fetch_optional(
                &format!(
                    "SELECT o.id, o.sender, o.recipient, o.attempts, b.data FROM outbound_mail o \
                     JOIN blobs b ON b.sha256 = o.raw_sha256 \
                     WHERE o.status = 'queued' AND o.next_attempt_at <= $1 \
                     ORDER BY o.next_attempt_at, o.id LIMIT 1{skip_locked}"
                ),
                args![t],
            )
            .await?
        else {
            break;
        };
        let id = row.int("id")?;
        tx.execute(
            "UPDATE outbound_mail SET next_attempt_at = $1 WHERE id = $2",
            args![until, id],
        )
        .await?;
        claimed.push(QueuedEmail {
            id,
            sender: row.text("sender")?,
            recipient: row.text("recipient")?,
            raw: row.blob("data")?,
            attempts: row.int("attempts")?,
        });
    }
    Ok(claimed)
}
