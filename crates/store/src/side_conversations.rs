//! Side conversations: email agents exchange with people outside (a
//! supplier, a subcontractor, another department) about a case. Their
//! messages are internal notes of the case carrying the conversation's id,
//! kept out of the customer's thread; only the addresses Tend's mail in a
//! conversation went to may answer into it.

use crate::cases::{append, load_state, save_state, write_message};
use crate::messages::NewMessage;
use crate::model::Message;
use crate::outbound::OutboundEmail;
use crate::rows::{MESSAGE_COLUMNS, get, optional_id, time};
use crate::time::micros;
use crate::tx::{Tx, args};
use crate::{Dialect, Result, Store, StoreError, now};
use jiff::Timestamp;
use serde::Serialize;
use tend_domain::Invalid;
use tend_domain::email::EmailAddress;
use tend_domain::event::{Actor, EventData};
use tend_domain::ids::{AgentId, CaseId, MessageId, SideConversationId};
use utoipa::ToSchema;

/// Most side conversations one case holds.
pub const MAX_PER_CASE: i64 = 50;
/// Most messages one side conversation holds (and lists).
pub const MAX_MESSAGES: i64 = 500;
/// Most addresses a side conversation is held with.
pub const MAX_PARTICIPANTS: usize = 20;
/// Most earlier Message-IDs a reply's References header names.
const MAX_REFERENCES: i64 = 20;

/// A conversation with people outside about a case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SideConversation {
    pub id: SideConversationId,
    pub case_id: CaseId,
    pub subject: String,
    /// The agent who started it.
    pub created_by: Option<AgentId>,
    pub created_at: Timestamp,
    /// The addresses Tend's mail in it went to, first recipient first:
    /// replies go to them, and only they may answer into it.
    pub participants: Vec<String>,
}

/// A side conversation to start, with its first message (internal, from
/// an agent, by email).
pub struct NewSideConversation {
    pub case_id: CaseId,
    pub agent: AgentId,
    pub subject: String,
    /// Whom it is held with, for the event.
    pub with: Vec<String>,
    pub message: NewMessage,
}

/// Makes the first message's email once the conversation's id is known
/// (its subject and Message-ID carry it); an error names what is wrong
/// with the email, and nothing is stored.
pub type RenderSide = Box<
    dyn FnOnce(SideConversationId, &mut NewMessage) -> std::result::Result<OutboundEmail, String>
        + Send,
>;

impl Store {
    /// Starts a side conversation on a case: the conversation, its
    /// `SideConversationStarted` event, its first message and the email
    /// `render` makes of it are one write.
    pub async fn start_side_conversation(
        &self,
        new: NewSideConversation,
        render: RenderSide,
    ) -> Result<SideConversation> {
        let dialect = self.dialect;
        let id = self
            .write(move |tx| Box::pin(start(tx, dialect, new, render)))
            .await?;
        self.side_conversation(id).await
    }

    /// Adds an agent's message to side conversation `id` with the email
    /// that carries it to the conversation's participants.
    pub async fn add_side_message(
        &self,
        id: SideConversationId,
        mut msg: NewMessage,
        mail: OutboundEmail,
    ) -> Result<Message> {
        let (dialect, conversation) = (self.dialect, self.side_conversation(id).await?);
        let message = self
            .write(move |tx| {
                Box::pin(async move {
                    let count = tx
                        .fetch_one(
                            "SELECT COUNT(*) AS n FROM messages WHERE side_conversation_id = $1",
                            args![id.0],
                        )
                        .await?
                        .int("n")?;
                    if count >= MAX_MESSAGES {
                        return Err(Invalid::new(
                            "body",
                            format!("a side conversation holds at most {MAX_MESSAGES} messages"),
                        )
                        .into());
                    }
                    msg.raw_sha256 = Some(crate::blobs::put(tx, &mail.raw).await?);
                    let case = conversation.case_id;
                    let message = write_message(tx, dialect, case, &msg, now()).await?;
                    file_into(tx, id, message).await?;
                    crate::outbound::enqueue(tx, dialect, case, message, &mail).await?;
                    Ok(message)
                })
            })
            .await?;
        self.message(message).await
    }

    /// One side conversation.
    pub async fn side_conversation(&self, id: SideConversationId) -> Result<SideConversation> {
        let row = crate::tx::bind(
            "SELECT id, case_id, subject, created_by, created_at FROM side_conversations WHERE id = $1",
            args![id.0],
        )
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("side conversation"))?;
        self.conversation(&row).await
    }

    /// A case's side conversations, oldest first.
    pub async fn side_conversations(&self, case: CaseId) -> Result<Vec<SideConversation>> {
        self.case(case).await?;
        let rows = crate::tx::bind(
            "SELECT id, case_id, subject, created_by, created_at FROM side_conversations \
             WHERE case_id = $1 ORDER BY id LIMIT $2",
            args![case.0, MAX_PER_CASE],
        )
        .fetch_all(&self.reader)
        .await?;
        let mut all = Vec::with_capacity(rows.len());
        for row in &rows {
            all.push(self.conversation(row).await?);
        }
        Ok(all)
    }

    /// A side conversation's messages, oldest first.
    pub async fn side_messages(&self, id: SideConversationId) -> Result<Vec<Message>> {
        self.side_conversation(id).await?;
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE side_conversation_id = $1 ORDER BY id LIMIT $2"
        );
        let rows = crate::tx::bind(&sql, args![id.0, MAX_MESSAGES])
            .fetch_all(&self.reader)
            .await?;
        self.with_details(&rows).await
    }

    /// The Message-IDs a reply in side conversation `id` answers, oldest
    /// first (the latest few).
    pub async fn side_references(&self, id: SideConversationId) -> Result<Vec<String>> {
        let rows = crate::tx::bind(
            "SELECT email_message_id FROM messages WHERE side_conversation_id = $1 \
             AND email_message_id IS NOT NULL ORDER BY id DESC LIMIT $2",
            args![id.0, MAX_REFERENCES],
        )
        .fetch_all(&self.reader)
        .await?;
        let mut refs = rows
            .iter()
            .map(|r| get::<String>(r, "email_message_id"))
            .collect::<Result<Vec<_>>>()?;
        refs.reverse();
        Ok(refs)
    }

    async fn conversation(&self, row: &sqlx::any::AnyRow) -> Result<SideConversation> {
        let id = SideConversationId(get(row, "id")?);
        let rows = crate::tx::bind(PARTICIPANTS, args![id.0])
            .fetch_all(&self.reader)
            .await?;
        let mut participants: Vec<String> = Vec::new();
        for r in &rows {
            let address: String = get(r, "address")?;
            if !participants.contains(&address) && participants.len() < MAX_PARTICIPANTS {
                participants.push(address);
            }
        }
        Ok(SideConversation {
            id,
            case_id: CaseId(get(row, "case_id")?),
            subject: get(row, "subject")?,
            created_by: optional_id(row, "created_by", AgentId)?,
            created_at: time(row, "created_at")?,
            participants,
        })
    }
}

/// The addresses Tend's mail in side conversation `$1` went to (recipients,
/// then copies), in the order it sent them.
const PARTICIPANTS: &str = "SELECT o.recipient AS address, o.id AS sent, 0 AS copy FROM outbound_mail o \
     JOIN messages m ON m.id = o.message_id WHERE m.side_conversation_id = $1 \
     UNION ALL SELECT k.address AS address, o.id AS sent, k.id AS copy FROM outbound_copies k \
     JOIN outbound_mail o ON o.id = k.outbound_id JOIN messages m ON m.id = o.message_id \
     WHERE m.side_conversation_id = $1 ORDER BY sent, copy LIMIT 200";

async fn start(
    tx: &mut Tx,
    dialect: Dialect,
    new: NewSideConversation,
    render: RenderSide,
) -> Result<SideConversationId> {
    let case = new.case_id;
    let count = tx
        .fetch_one(
            "SELECT COUNT(*) AS n FROM side_conversations WHERE case_id = $1",
            args![case.0],
        )
        .await?
        .int("n")?;
    if count >= MAX_PER_CASE {
        return Err(Invalid::new(
            "subject",
            format!("a case holds at most {MAX_PER_CASE} side conversations"),
        )
        .into());
    }
    let at = now();
    let mut state = load_state(tx, dialect, case).await?;
    let before = state.clone();
    let id = SideConversationId(
        tx.fetch_one(
            "INSERT INTO side_conversations (case_id, subject, created_by, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
            args![case.0, &new.subject, new.agent.0, micros(at)],
        )
        .await?
        .int("id")?,
    );
    let started = EventData::SideConversationStarted {
        side_conversation_id: id,
        with: new.with,
        subject: new.subject,
    };
    append(tx, case, &mut state, Actor::agent(new.agent), started, at).await?;
    save_state(tx, case, &state, &before).await?;
    let mut msg = new.message;
    let mail = render(id, &mut msg).map_err(|e| Invalid::new("to", e))?;
    msg.raw_sha256 = Some(crate::blobs::put(tx, &mail.raw).await?);
    let message = write_message(tx, dialect, case, &msg, at).await?;
    file_into(tx, id, message).await?;
    crate::outbound::enqueue(tx, dialect, case, message, &mail).await?;
    Ok(id)
}

/// Files stored message `message` into side conversation `id`.
pub(crate) async fn file_into(
    tx: &mut Tx,
    id: SideConversationId,
    message: MessageId,
) -> Result<()> {
    tx.execute(
        "UPDATE messages SET side_conversation_id = $1 WHERE id = $2",
        args![id.0, message.0],
    )
    .await?;
    Ok(())
}

/// Whether `address` takes part in side conversation `id`: Tend's mail in
/// it went to them (To, Cc or Bcc).
pub(crate) async fn is_participant(
    tx: &mut Tx,
    id: SideConversationId,
    address: &EmailAddress,
) -> Result<bool> {
    let found = tx
        .fetch_optional(
            "SELECT o.id FROM outbound_mail o JOIN messages m ON m.id = o.message_id \
             WHERE m.side_conversation_id = $1 AND (o.recipient = $2 OR EXISTS (SELECT 1 \
             FROM outbound_copies k WHERE k.outbound_id = o.id AND k.address = $2)) LIMIT 1",
            args![id.0, address.as_str()],
        )
        .await?;
    Ok(found.is_some())
}
