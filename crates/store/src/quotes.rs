//! Quotes' storage. Sending one writes, in one transaction, the quote row,
//! the reply that carries it to the customer (with its PDF attached and
//! its email queued) and the `quote_sent` event; the reply is rendered by
//! the caller once the quote's id is known, inside that transaction. A
//! decision locks the case (PostgreSQL; SQLite has one writer) before it
//! reads the quote, so two clicks at once record one decision.

use crate::cases::{append, load_state, save_state, write_message};
use crate::idempotency::{self, IdempotencyKey};
use crate::messages::NewMessage;
use crate::outbound::OutboundEmail;
use crate::rows::{get, json, optional_time, time, word};
use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store, StoreError, now};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::AssertSqlSafe;
use tend_domain::Invalid;
use tend_domain::event::{Actor, EventData};
use tend_domain::ids::{AgentId, CaseId, MessageId, QuoteId};
use tend_domain::quote::{self, Decision, Quote, QuoteLine, QuoteStatus, Refused};
use utoipa::ToSchema;

/// Most quotes one case holds.
pub const MAX_PER_CASE: i64 = 100;

const COLUMNS: &str = "id, case_id, number, currency, lines, subtotal_minor, tax_minor, \
     total_minor, valid_until, status, decided_at, comment, message_id, created_by, created_at";

/// A quote as stored, with where it stands now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QuoteRecord {
    pub id: QuoteId,
    pub case_id: CaseId,
    /// The case's quotes are numbered from 1.
    pub number: i64,
    /// ISO 4217 code.
    pub currency: String,
    pub lines: Vec<QuoteLine>,
    /// Sum of the lines before tax, in minor units.
    pub subtotal_minor: i64,
    /// Sum of the lines' rounded taxes, in minor units.
    pub tax_minor: i64,
    /// Subtotal plus tax, in minor units.
    pub total_minor: i64,
    /// After this it can no longer be decided.
    pub valid_until: Timestamp,
    /// `expired` once past `valid_until` undecided.
    pub status: QuoteStatus,
    /// When the customer decided.
    pub decided_at: Option<Timestamp>,
    /// The customer's comment on the decision.
    pub comment: Option<String>,
    /// The reply that carried it (with the PDF attached).
    pub message_id: Option<MessageId>,
    /// The agent who sent it.
    pub created_by: AgentId,
    pub created_at: Timestamp,
}

/// The reply carrying a quote, made once the quote's id and number are
/// known: the message (with the PDF attached) and its email, if the case
/// has an email conversation. Runs inside the write transaction, so it
/// must not wait on the store.
pub type RenderQuote = Box<
    dyn FnOnce(QuoteId, i64) -> std::result::Result<(NewMessage, Option<OutboundEmail>), Invalid>
        + Send,
>;

/// What became of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    /// Recorded, with its event.
    Recorded,
    /// The same decision was already recorded: nothing written.
    Already,
    /// Not recorded, and why.
    Refused(Refused),
}

impl Store {
    /// Sends `quote` on `case` as `agent`: the quote, its reply (made by
    /// `render`) with the email queued, and `quote_sent`, in one
    /// transaction. A closed case, or one with 100 quotes, is refused.
    pub async fn send_quote(
        &self,
        case: CaseId,
        quote: Quote,
        agent: AgentId,
        render: RenderQuote,
        idem: Option<&IdempotencyKey>,
    ) -> Result<QuoteRecord> {
        let (dialect, idem) = (self.dialect, idem.cloned());
        let id = self
            .write(move |tx| {
                Box::pin(async move {
                    // Locks the case, so numbers are handed out one at a time.
                    load_state(tx, dialect, case).await?;
                    let count = tx
                        .fetch_one(
                            "SELECT COUNT(*) AS n, COALESCE(MAX(number), 0) AS last FROM quotes \
                             WHERE case_id = $1",
                            args![case.0],
                        )
                        .await?;
                    if count.int("n")? >= MAX_PER_CASE {
                        return Err(StoreError::State(format!(
                            "a case holds at most {MAX_PER_CASE} quotes"
                        )));
                    }
                    let number = count.int("last")? + 1;
                    let at = now();
                    let t = quote.totals;
                    let row = tx
                        .fetch_one(
                            "INSERT INTO quotes (case_id, number, currency, lines, subtotal_minor, \
                             tax_minor, total_minor, valid_until, status, created_by, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sent', $9, $10) RETURNING id",
                            args![
                                case.0,
                                number,
                                quote.currency.as_str(),
                                crate::cases::json(&quote.lines)?,
                                t.subtotal_minor,
                                t.tax_minor,
                                t.total_minor,
                                micros(quote.valid_until),
                                agent.0,
                                micros(at),
                            ],
                        )
                        .await?;
                    let id = QuoteId(row.int("id")?);
                    let (mut msg, mail) = render(id, number)?;
                    if let Some(mail) = &mail {
                        msg.raw_sha256 = Some(crate::blobs::put(tx, &mail.raw).await?);
                    }
                    let message = write_message(tx, dialect, case, &msg, at).await?;
                    if let Some(mail) = &mail {
                        crate::outbound::enqueue(tx, dialect, case, message, mail).await?;
                    }
                    tx.execute(
                        "UPDATE quotes SET message_id = $1 WHERE id = $2",
                        args![message.0, id.0],
                    )
                    .await?;
                    let mut state = load_state(tx, dialect, case).await?;
                    let before = state.clone();
                    let data = EventData::QuoteSent {
                        quote_id: id,
                        number,
                        total_minor: t.total_minor,
                        currency: quote.currency,
                        valid_until: quote.valid_until,
                    };
                    append(tx, case, &mut state, Actor::agent(agent), data, at).await?;
                    save_state(tx, case, &state, &before).await?;
                    idempotency::record(tx, idem.as_ref(), "quote", id.0).await?;
                    Ok(id)
                })
            })
            .await?;
        self.quote(id).await
    }

    /// Records `actor`'s `decision` on quote `id` with `comment`, as the
    /// quote's status and a `quote_approved` or `quote_declined` event:
    /// once, before its validity ends (checked on the store's clock).
    pub async fn decide_quote(
        &self,
        id: QuoteId,
        decision: Decision,
        comment: Option<String>,
        actor: Actor,
    ) -> Result<Decided> {
        let case = self.quote(id).await?.case_id;
        let (dialect, clock) = (self.dialect, self.clock.clone());
        self.write(move |tx| {
            Box::pin(async move {
                let mut state = load_state(tx, dialect, case).await?;
                let row = tx
                    .fetch_one(
                        "SELECT status, valid_until FROM quotes WHERE id = $1",
                        args![id.0],
                    )
                    .await?;
                let status = QuoteStatus::parse("status", &row.text("status")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let valid_until = crate::time::from_micros(row.int("valid_until")?)?;
                match quote::decide(status, valid_until, clock.now(), decision) {
                    Ok(true) => {}
                    Ok(false) => return Ok(Decided::Already),
                    Err(refused) => return Ok(Decided::Refused(refused)),
                }
                let at = now();
                tx.execute(
                    "UPDATE quotes SET status = $1, decided_at = $2, comment = $3 WHERE id = $4",
                    args![
                        decision.status().as_str(),
                        micros(at),
                        comment.clone(),
                        id.0
                    ],
                )
                .await?;
                let before = state.clone();
                let data = match decision {
                    Decision::Approve => EventData::QuoteApproved {
                        quote_id: id,
                        comment,
                    },
                    Decision::Decline => EventData::QuoteDeclined {
                        quote_id: id,
                        comment,
                    },
                };
                append(tx, case, &mut state, actor, data, at).await?;
                save_state(tx, case, &state, &before).await?;
                Ok(Decided::Recorded)
            })
        })
        .await
    }

    /// One quote.
    pub async fn quote(&self, id: QuoteId) -> Result<QuoteRecord> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM quotes WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("quote"))?;
        self.quote_row(&row)
    }

    /// Case `case`'s quotes, oldest first.
    pub async fn case_quotes(&self, case: CaseId) -> Result<Vec<QuoteRecord>> {
        self.case(case).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM quotes WHERE case_id = $1 ORDER BY number LIMIT {MAX_PER_CASE}"
        )))
        .bind(case.0)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| self.quote_row(r)).collect()
    }

    /// Reads a row, undecided quotes past their validity as expired.
    fn quote_row(&self, row: &sqlx::any::AnyRow) -> Result<QuoteRecord> {
        let valid_until = time(row, "valid_until")?;
        let mut status = word(row, "status", QuoteStatus::parse)?;
        if status == QuoteStatus::Sent && valid_until <= self.clock.now() {
            status = QuoteStatus::Expired;
        }
        Ok(QuoteRecord {
            id: QuoteId(get(row, "id")?),
            case_id: CaseId(get(row, "case_id")?),
            number: get(row, "number")?,
            currency: get(row, "currency")?,
            lines: json(row, "lines")?,
            subtotal_minor: get(row, "subtotal_minor")?,
            tax_minor: get(row, "tax_minor")?,
            total_minor: get(row, "total_minor")?,
            valid_until,
            status,
            decided_at: optional_time(row, "decided_at")?,
            comment: get(row, "comment")?,
            message_id: get::<Option<i64>>(row, "message_id")?.map(MessageId),
            created_by: AgentId(get(row, "created_by")?),
            created_at: time(row, "created_at")?,
        })
    }
}
