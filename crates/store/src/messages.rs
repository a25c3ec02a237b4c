//! Messages on cases and their attachments. Bodies are indexed for search by
//! the database itself (a trigger on SQLite, a generated column on PostgreSQL).

use crate::cursor::{self, Cursor};
use crate::model::{Attachment, EmailDetails, Message, Page};
use crate::rows::{self, MESSAGE_COLUMNS, get};
use crate::sql::Sql;
use crate::time::micros;
use crate::tx::{Arg, Tx, args};
use crate::{Result, Store, StoreError, blobs};
use jiff::Timestamp;
use sqlx::AssertSqlSafe;
use std::collections::HashMap;
use tend_domain::case::Channel;
use tend_domain::event::{Actor, ActorKind};
use tend_domain::html::EmailHtml;
use tend_domain::ids::{AttachmentId, CaseId, MessageId};
use tend_domain::promise::NewPromise;

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub author: Actor,
    pub channel: Channel,
    /// Internal notes are never shown to customers.
    pub internal: bool,
    pub body_text: String,
    /// The HTML, sanitised by whoever made the message, off the writer.
    pub body_html: Option<EmailHtml>,
    pub attachments: Vec<NewAttachment>,
    /// Email headers, for messages that came or went by email.
    pub email: Option<EmailDetails>,
    /// The raw message, already stored in blobs.
    pub raw_sha256: Option<String>,
    /// Where the quoted history below an email reply's new text begins in
    /// `body_text` (a byte offset); `body_html` knows its own.
    pub text_quote_start: Option<usize>,
    /// A promise made with this message, in the same write, after it (so
    /// a reply does not keep the promise it makes).
    pub promise: Option<NewPromise>,
}

impl NewMessage {
    /// A plain-text message with no HTML, attachments or email details; set
    /// the other fields with struct update syntax where they apply.
    pub fn text(author: Actor, channel: Channel, internal: bool, body_text: String) -> Self {
        NewMessage {
            author,
            channel,
            internal,
            body_text,
            body_html: None,
            attachments: Vec::new(),
            email: None,
            raw_sha256: None,
            text_quote_start: None,
            promise: None,
        }
    }
}

/// A file to attach.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
    /// The Content-ID of an inline email part, which its HTML may show.
    pub content_id: Option<String>,
}

impl Store {
    /// One message with its attachments.
    pub async fn message(&self, id: MessageId) -> Result<Message> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("message"))?;
        let mut message = rows::message(&row)?;
        message.attachments = self
            .attachments_of(&[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        self.add_deliveries(std::slice::from_mut(&mut message))
            .await?;
        Ok(message)
    }

    /// A case's messages, oldest first, a page at a time: its own thread
    /// (customer messages, replies and notes), without side conversations.
    pub async fn messages(
        &self,
        case_id: CaseId,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<Message>> {
        self.messages_in_order(case_id, after, limit, false, false)
            .await
    }

    /// A case's messages, newest first, a page at a time: each page's cursor
    /// continues with older messages.
    pub async fn messages_newest_first(
        &self,
        case_id: CaseId,
        before: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<Message>> {
        self.messages_in_order(case_id, before, limit, true, false)
            .await
    }

    /// A case's messages without its internal notes, newest first, a page
    /// at a time: what the customer may read.
    pub async fn public_messages_newest_first(
        &self,
        case_id: CaseId,
        before: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<Message>> {
        self.messages_in_order(case_id, before, limit, true, true)
            .await
    }

    async fn messages_in_order(
        &self,
        case_id: CaseId,
        after: Option<Cursor>,
        limit: i64,
        descending: bool,
        public_only: bool,
    ) -> Result<Page<Message>> {
        self.case(case_id).await?;
        let mut sql = Sql::new(format!("SELECT {MESSAGE_COLUMNS} FROM messages"));
        sql.eq("case_id", Some(case_id.0))
            .eq("internal", public_only.then_some(0_i64))
            .and()
            .push("side_conversation_id IS NULL")
            .after("id", after, descending)
            .order_limit("id", descending, limit);
        let rows = sql.query().fetch_all(&self.reader).await?;
        let items = self.with_details(&rows).await?;
        Ok(cursor::page(items, limit, |m| Cursor {
            key: m.id.0,
            id: m.id.0,
        }))
    }

    /// Messages read from `rows`, with their attachments and deliveries.
    pub(crate) async fn with_details(&self, rows: &[sqlx::any::AnyRow]) -> Result<Vec<Message>> {
        let mut items = rows.iter().map(rows::message).collect::<Result<Vec<_>>>()?;
        let ids: Vec<MessageId> = items.iter().map(|m| m.id).collect();
        let mut attachments = self.attachments_of(&ids).await?;
        for m in &mut items {
            m.attachments = attachments.remove(&m.id).unwrap_or_default();
        }
        self.add_deliveries(&mut items).await?;
        Ok(items)
    }

    async fn attachments_of(
        &self,
        ids: &[MessageId],
    ) -> Result<HashMap<MessageId, Vec<Attachment>>> {
        let mut by_message: HashMap<MessageId, Vec<Attachment>> = HashMap::new();
        if ids.is_empty() {
            return Ok(by_message);
        }
        let mut sql = Sql::new(
            "SELECT id, message_id, filename, content_type, size, sha256, content_id FROM attachments",
        );
        let ids: Vec<i64> = ids.iter().map(|m| m.0).collect();
        sql.and()
            .push("message_id IN ")
            .id_list(&ids)
            .push(" ORDER BY id");
        for row in sql.query().fetch_all(&self.reader).await? {
            by_message
                .entry(MessageId(get(&row, "message_id")?))
                .or_default()
                .push(attachment(&row)?);
        }
        Ok(by_message)
    }

    /// Fills in the delivery status of replies sent by email.
    async fn add_deliveries(&self, messages: &mut [Message]) -> Result<()> {
        let sent: Vec<MessageId> = messages
            .iter()
            .filter(|m| m.email.is_some() && m.author.kind != ActorKind::Customer)
            .map(|m| m.id)
            .collect();
        let mut deliveries = self.deliveries_of(&sent).await?;
        for m in messages {
            if let Some(email) = &mut m.email {
                email.delivery = deliveries.remove(&m.id);
            }
        }
        Ok(())
    }

    /// The raw source of an email message, as received.
    pub async fn message_raw(&self, id: MessageId) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT raw_sha256 FROM messages WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("message"))?;
        let sha256: Option<String> = get(&row, "raw_sha256")?;
        self.blob(&sha256.ok_or(StoreError::NotFound("raw message"))?)
            .await
    }

    /// The bounce report a reply's email drew, as received: what the
    /// agent reads to see why and where it bounced (its returned message).
    pub async fn bounce_report(&self, id: MessageId) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT bounce_sha256 FROM outbound_mail WHERE message_id = $1")
            .bind(id.0)
            .fetch_optional(&self.reader)
            .await?;
        let sha256 = match row {
            Some(row) => get::<Option<String>>(&row, "bounce_sha256")?,
            None => None,
        };
        self.blob(&sha256.ok_or(StoreError::NotFound("bounce report"))?)
            .await
    }

    /// An attachment's metadata, the message it belongs to and whether that
    /// message is an internal note.
    pub async fn attachment(&self, id: AttachmentId) -> Result<(Attachment, CaseId, bool)> {
        let row = sqlx::query(
            "SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.sha256, a.content_id, m.case_id, m.internal \
             FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("attachment"))?;
        Ok((
            attachment(&row)?,
            CaseId(get(&row, "case_id")?),
            rows::flag(&row, "internal")?,
        ))
    }
}

fn attachment(row: &sqlx::any::AnyRow) -> Result<Attachment> {
    Ok(Attachment {
        id: AttachmentId(get(row, "id")?),
        filename: get(row, "filename")?,
        content_type: get(row, "content_type")?,
        size: get(row, "size")?,
        sha256: get(row, "sha256")?,
        content_id: get(row, "content_id")?,
    })
}

/// The message columns [`message_values`] fills, in its order.
macro_rules! message_value_columns {
    () => {
        "author_kind, author_id, channel, internal, body_text, body_html, created_at, email_message_id, \
         email_from, email_subject, email_cc, email_automated, raw_sha256, email_inbox_id, \
         text_quote_start, html_quote_start"
    };
}
pub(crate) use message_value_columns;

/// Inserts a message row, its attachments and its search entry.
pub(crate) async fn insert_message(
    tx: &mut Tx,
    case_id: CaseId,
    msg: &NewMessage,
    at: Timestamp,
) -> Result<MessageId> {
    let mut values = args![case_id.0];
    values.extend(message_values(msg, at)?);
    let row = tx
        .fetch_one(
            concat!(
                "INSERT INTO messages (case_id, ",
                message_value_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id"
            ),
            values,
        )
        .await?;
    let id = MessageId(row.int("id")?);
    if let Some(email) = &msg.email {
        write_recipients(tx, id, email).await?;
    }
    let mut parts = HashMap::new();
    for file in &msg.attachments {
        let sha256 = blobs::put(tx, &file.data).await?;
        let row = tx
            .fetch_one(
                "INSERT INTO attachments (message_id, filename, content_type, size, sha256, content_id) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                args![id.0, &file.filename, &file.content_type, file.data.len() as i64, sha256, file.content_id.clone()],
            )
            .await?;
        if let Some(cid) = &file.content_id {
            parts.insert(cid.clone(), AttachmentId(row.int("id")?));
        }
    }
    if let (false, Some(safe)) = (parts.is_empty(), &msg.body_html) {
        let (html, start) = safe.resolve(&parts);
        tx.execute(
            "UPDATE messages SET body_html = $1, html_quote_start = $2 WHERE id = $3",
            args![html, start.map(|at| at as i64), id.0],
        )
        .await?;
    }
    Ok(id)
}

/// The values of a message row but its `case_id`, in the order of
/// [`message_value_columns`]. HTML showing inline parts is written with its
/// images unresolved; `insert_message` points them at the stored parts.
pub(crate) fn message_values(msg: &NewMessage, at: Timestamp) -> Result<Vec<Arg>> {
    let (html, html_quote_start) = match &msg.body_html {
        Some(safe) => {
            let (html, start) = safe.resolve(&HashMap::new());
            (Some(html), start)
        }
        None => (None, None),
    };
    let text_quote_start = msg
        .text_quote_start
        .filter(|&at| at < msg.body_text.len() && msg.body_text.is_char_boundary(at));
    let email = msg.email.as_ref();
    let cc = email
        .map(|e| serde_json::to_string(&e.cc))
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(args![
        msg.author.kind.as_str(),
        msg.author.id,
        msg.channel.as_str(),
        msg.internal,
        &msg.body_text,
        html,
        micros(at),
        email.and_then(|e| e.message_id.clone()),
        email.map(|e| e.from.clone()),
        email.map(|e| e.subject.clone()),
        cc,
        email.is_some_and(|e| e.automated),
        msg.raw_sha256.clone(),
        email.and_then(|e| e.inbox_id),
        text_quote_start.map(|at| at as i64),
        html_quote_start.map(|at| at as i64),
    ])
}

/// Writes whom Tend's own email went to (To and Bcc), which only its
/// outgoing messages carry, so the columns stay out of [`message_values`].
pub(crate) async fn write_recipients(
    tx: &mut Tx,
    id: MessageId,
    email: &EmailDetails,
) -> Result<()> {
    if email.to.is_empty() && email.bcc.is_empty() {
        return Ok(());
    }
    let json = |list: &Vec<String>| {
        serde_json::to_string(list).map_err(|e| StoreError::Corrupt(e.to_string()))
    };
    tx.execute(
        "UPDATE messages SET email_to = $1, email_bcc = $2 WHERE id = $3",
        args![json(&email.to)?, json(&email.bcc)?, id.0],
    )
    .await?;
    Ok(())
}
