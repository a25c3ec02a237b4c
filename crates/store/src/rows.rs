//! Decoding rows into read models, shared by every query that returns them.

use crate::model::*;
use crate::time::from_micros;
use crate::{Result, StoreError};
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;
use tend_domain::Invalid;
use tend_domain::case::{Channel, Priority, Status};
use tend_domain::customer::{AgreementStatus, VerificationLevel};
use tend_domain::effort::EffortLevel;
use tend_domain::event::{Actor, ActorKind};
use tend_domain::ids::*;

pub(crate) fn get<'r, T>(row: &'r AnyRow, col: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    Ok(row.try_get(col)?)
}

pub(crate) fn time(row: &AnyRow, col: &str) -> Result<Timestamp> {
    from_micros(get(row, col)?)
}

/// A time column that may be null.
pub(crate) fn optional_time(row: &AnyRow, col: &str) -> Result<Option<Timestamp>> {
    get::<Option<i64>>(row, col)?.map(from_micros).transpose()
}

pub(crate) fn flag(row: &AnyRow, col: &str) -> Result<bool> {
    Ok(get::<i64>(row, col)? != 0)
}

/// Parses a stored enum word, treating failure as corruption.
pub(crate) fn word<T>(
    row: &AnyRow,
    col: &str,
    parse: fn(&str, &str) -> Result<T, Invalid>,
) -> Result<T> {
    parse_word(col, &get::<String>(row, col)?, parse)
}

/// Parses the stored enum word `raw` of column `col`.
pub(crate) fn parse_word<T>(
    col: &str,
    raw: &str,
    parse: fn(&str, &str) -> Result<T, Invalid>,
) -> Result<T> {
    parse(col, raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    parse_json(col, &get::<String>(row, col)?)
}

/// Parses the stored JSON `raw` of column `col`.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(col: &str, raw: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(crate) fn optional_id<T>(row: &AnyRow, col: &str, wrap: fn(i64) -> T) -> Result<Option<T>> {
    Ok(get::<Option<i64>>(row, col)?.map(wrap))
}

/// Columns [`case`] reads, for `SELECT` lists.
pub(crate) const CASE_COLUMNS: &str = "id, subject, status, priority, channel, customer_id, assignee_id, team_id, \
     agreement_id, tags, custom_fields, message_count, last_seq, created_at, updated_at, merged_into_id, \
     effort, effort_index, effort_level, waiting_since, first_response_at, resolved_at, repeat_of_id, \
     snoozed_until, sla_policy_id, sla_clock, sla_due_at";

pub(crate) fn case(row: &AnyRow) -> Result<Case> {
    let id = CaseId(get(row, "id")?);
    let effort: tend_domain::effort::EffortTally = json(row, "effort")?;
    Ok(Case {
        id,
        reference: case_reference(id),
        subject: get(row, "subject")?,
        status: word(row, "status", Status::parse)?,
        priority: word(row, "priority", Priority::parse)?,
        channel: word(row, "channel", Channel::parse)?,
        customer_id: CustomerId(get(row, "customer_id")?),
        assignee_id: optional_id(row, "assignee_id", AgentId)?,
        team_id: optional_id(row, "team_id", TeamId)?,
        agreement_id: optional_id(row, "agreement_id", AgreementId)?,
        tags: json(row, "tags")?,
        custom_fields: json(row, "custom_fields")?,
        message_count: get(row, "message_count")?,
        last_seq: get(row, "last_seq")?,
        merged_into_id: optional_id(row, "merged_into_id", CaseId)?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        effort_index: u32::try_from(get::<i64>(row, "effort_index")?)
            .map_err(|_| StoreError::Corrupt("effort_index out of range".into()))?,
        effort_level: word(row, "effort_level", EffortLevel::parse)?,
        waiting_since: optional_time(row, "waiting_since")?,
        first_response_at: optional_time(row, "first_response_at")?,
        resolved_at: optional_time(row, "resolved_at")?,
        repeat_of_id: optional_id(row, "repeat_of_id", CaseId)?,
        snoozed_until: optional_time(row, "snoozed_until")?,
        sla: CaseSlaSummary {
            policy_id: get(row, "sla_policy_id")?,
            clock: get(row, "sla_clock")?,
            due_at: optional_time(row, "sla_due_at")?,
        },
        frustration: effort.frustration,
        frustration_signals: effort.frustration_signals.clone(),
        effort,
    })
}

pub(crate) const ORGANIZATION_COLUMNS: &str =
    "id, name, domain, share_cases, created_at, updated_at";

pub(crate) fn organization(row: &AnyRow) -> Result<Organization> {
    Ok(Organization {
        id: OrganizationId(get(row, "id")?),
        name: get(row, "name")?,
        domain: get(row, "domain")?,
        share_cases: flag(row, "share_cases")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

pub(crate) const CUSTOMER_COLUMNS: &str = "id, name, organization_id, verification_level, verification_method, \
     merged_into_id, language, created_at, updated_at";

/// A customer without contact points; callers attach them.
pub(crate) fn customer(row: &AnyRow) -> Result<Customer> {
    Ok(Customer {
        id: CustomerId(get(row, "id")?),
        name: get(row, "name")?,
        organization_id: optional_id(row, "organization_id", OrganizationId)?,
        verification_level: word(row, "verification_level", VerificationLevel::parse)?,
        verification_method: get(row, "verification_method")?,
        language: get(row, "language")?,
        contact_points: Vec::new(),
        merged_into_id: optional_id(row, "merged_into_id", CustomerId)?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

pub(crate) const AGREEMENT_COLUMNS: &str = "id, customer_id, organization_id, name, reference, status, starts_on, \
     ends_on, terms, created_at, updated_at";

pub(crate) fn agreement(row: &AnyRow) -> Result<Agreement> {
    Ok(Agreement {
        id: AgreementId(get(row, "id")?),
        customer_id: optional_id(row, "customer_id", CustomerId)?,
        organization_id: optional_id(row, "organization_id", OrganizationId)?,
        name: get(row, "name")?,
        reference: get(row, "reference")?,
        status: word(row, "status", AgreementStatus::parse)?,
        starts_on: get(row, "starts_on")?,
        ends_on: get(row, "ends_on")?,
        terms: get(row, "terms")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

pub(crate) fn actor(row: &AnyRow, kind_col: &str, id_col: &str) -> Result<Actor> {
    Ok(Actor {
        kind: word(row, kind_col, ActorKind::parse)?,
        id: get(row, id_col)?,
    })
}

pub(crate) const MESSAGE_COLUMNS: &str = "id, case_id, author_kind, author_id, channel, internal, body_text, body_html, \
     created_at, email_message_id, email_from, email_subject, email_cc, email_automated, raw_sha256, email_inbox_id, \
     text_quote_start, html_quote_start, email_to, email_bcc, side_conversation_id";

/// A message without attachments; callers attach them.
pub(crate) fn message(row: &AnyRow) -> Result<Message> {
    let body_text: String = get(row, "body_text")?;
    let body_html: Option<String> = get(row, "body_html")?;
    Ok(Message {
        id: MessageId(get(row, "id")?),
        case_id: CaseId(get(row, "case_id")?),
        author: actor(row, "author_kind", "author_id")?,
        channel: word(row, "channel", Channel::parse)?,
        internal: flag(row, "internal")?,
        quoted_text: suffix(Some(&body_text), get(row, "text_quote_start")?),
        quoted_html: suffix(body_html.as_deref(), get(row, "html_quote_start")?),
        body_text,
        body_html,
        attachments: Vec::new(),
        email: email_details(row)?,
        side_conversation_id: optional_id(row, "side_conversation_id", SideConversationId)?,
        created_at: time(row, "created_at")?,
    })
}

/// `text` from byte `start` on, when both are there.
fn suffix(text: Option<&str>, start: Option<i64>) -> Option<String> {
    let start = usize::try_from(start?).ok()?;
    text?.get(start..).map(str::to_owned)
}

/// The email columns of a message row, when it is an email.
fn email_details(row: &AnyRow) -> Result<Option<EmailDetails>> {
    let Some(from) = get::<Option<String>>(row, "email_from")? else {
        return Ok(None);
    };
    let list = |column: &str| -> Result<Vec<String>> {
        match get::<Option<String>>(row, column)? {
            Some(raw) => parse_json(column, &raw),
            None => Ok(Vec::new()),
        }
    };
    Ok(Some(EmailDetails {
        message_id: get(row, "email_message_id")?,
        from,
        subject: get::<Option<String>>(row, "email_subject")?.unwrap_or_default(),
        to: list("email_to")?,
        cc: list("email_cc")?,
        bcc: list("email_bcc")?,
        automated: flag(row, "email_automated")?,
        has_raw: get::<Option<String>>(row, "raw_sha256")?.is_some(),
        inbox_id: get(row, "email_inbox_id")?,
        delivery: None,
    }))
}
