//! Surveys' storage. A case moving to `resolved` enqueues the `survey` job
//! in the same transaction (when its inbox sends surveys), due after the
//! inbox's delay; the job's handler (in the app) renders the email, and
//! [`Store::record_survey_sent`] queues it with its `survey_sent` event,
//! checking again in the write transaction that the case is still resolved
//! and that neither this case nor, within the inbox's period, another case
//! of the customer was surveyed. Answers are `survey_answered` events
//! ([`Store::record_survey_answer`]); the events are the only record, so
//! the frequency cap and the latest answers are queries over them.

use crate::cases::{EVENT_COLUMNS, append, event, load_state, save_state};
use crate::email::Inbox;
use crate::jobs::{self, JobKind, NewJob};
use crate::outbound::{OutboundEmail, enqueue_system};
use crate::time::{from_micros, micros};
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError, now};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;
use tend_domain::case::Status;
use tend_domain::event::{Actor, CaseEvent, EventData};
use tend_domain::ids::{CaseId, CustomerId};
use tend_domain::survey::{self, SentSurvey, SurveyKind};
use utoipa::ToSchema;

/// An inbox's survey settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct SurveySettings {
    /// Whether customers are surveyed after their cases are resolved.
    pub enabled: bool,
    /// Whether the CSAT question (1 to 5) is asked with the CES one.
    pub csat: bool,
    /// Minutes after resolution the survey is sent.
    pub delay_minutes: i64,
    /// A customer gets at most one survey in this many days.
    pub every_days: i64,
}

impl Default for SurveySettings {
    /// Off; when turned on, an hour after resolution, at most one a month.
    fn default() -> Self {
        SurveySettings {
            enabled: false,
            csat: false,
            delay_minutes: 60,
            every_days: 30,
        }
    }
}

/// Whether a survey went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyOutcome {
    /// Queued, with its event.
    Sent,
    /// Not sent: the case is no longer resolved, or was already surveyed.
    NotDue,
    /// Not sent: the customer was surveyed within the inbox's period.
    Capped,
}

/// What became of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// Recorded as a new event.
    Recorded,
    /// The same answer was already the latest: nothing written.
    Unchanged,
    /// The survey may no longer be answered (past its window).
    Closed,
}

/// Called for each event appended: a move to `resolved` schedules the
/// survey when the case's inbox (the one its latest email came to, else the
/// first) sends surveys.
pub(crate) async fn after_event(
    tx: &mut Tx,
    case: CaseId,
    data: &EventData,
    at: Timestamp,
) -> Result<()> {
    if !matches!(
        data,
        EventData::StatusChanged {
            to: Status::Resolved,
            ..
        }
    ) {
        return Ok(());
    }
    let inbox = tx
        .fetch_optional(
            "SELECT survey_enabled, survey_delay_minutes FROM inboxes WHERE id = COALESCE(\
             (SELECT email_inbox_id FROM messages WHERE case_id = $1 AND email_inbox_id IS NOT NULL \
             ORDER BY id DESC LIMIT 1), (SELECT MIN(id) FROM inboxes))",
            args![case.0],
        )
        .await?;
    let Some(inbox) = inbox else {
        return Ok(());
    };
    if inbox.int("survey_enabled")? == 0 {
        return Ok(());
    }
    let delay = SignedDuration::from_mins(inbox.int("survey_delay_minutes")?.max(0));
    let due = at.checked_add(delay).unwrap_or(at);
    let job = NewJob::new(JobKind::Survey, json!({ "case_id": case.0 }), due);
    jobs::enqueue(tx, &job).await?;
    Ok(())
}

impl Store {
    /// Changes inbox `id`'s survey settings alone.
    pub async fn set_inbox_survey(&self, id: i64, survey: SurveySettings) -> Result<Inbox> {
        let changed = self
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "UPDATE inboxes SET survey_enabled = $1, survey_csat = $2, \
                         survey_delay_minutes = $3, survey_every_days = $4 WHERE id = $5",
                        args![
                            survey.enabled,
                            survey.csat,
                            survey.delay_minutes,
                            survey.every_days,
                            id
                        ],
                    )
                    .await
                })
            })
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound("inbox"));
        }
        self.inbox(id).await
    }

    /// Whether the latest email the case's customer sent on `case` was
    /// automated (an auto-reply, a list, a bulk sender): such senders are
    /// never surveyed.
    pub async fn survey_sender_automated(&self, case: CaseId) -> Result<bool> {
        let row = sqlx::query(
            "SELECT m.email_automated FROM messages m JOIN cases c ON c.id = m.case_id \
             WHERE m.case_id = $1 AND m.email_inbox_id IS NOT NULL AND m.author_kind = 'customer' \
             AND m.author_id = c.customer_id ORDER BY m.id DESC LIMIT 1",
        )
        .bind(case.0)
        .fetch_optional(&self.reader)
        .await?;
        match row {
            Some(row) => crate::rows::flag(&row, "email_automated"),
            None => Ok(false),
        }
    }

    /// Whether mail Tend sent to `address` ever bounced.
    pub async fn address_bounced(&self, address: &str) -> Result<bool> {
        Ok(sqlx::query(
            "SELECT id FROM outbound_mail WHERE recipient = $1 AND status = 'bounced' LIMIT 1",
        )
        .bind(address.to_lowercase())
        .fetch_optional(&self.reader)
        .await?
        .is_some())
    }

    /// Queues the survey email `mail` of survey `survey` on `case`, with its
    /// `survey_sent` event, in one transaction, if the case is still
    /// resolved (or closed, not merged), was never surveyed, and its
    /// customer got no survey in the last `every_days` days.
    pub async fn record_survey_sent(
        &self,
        case: CaseId,
        survey: String,
        csat: bool,
        every_days: i64,
        mail: OutboundEmail,
    ) -> Result<SurveyOutcome> {
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let mut state = load_state(tx, dialect, case).await?;
                let resolved = matches!(state.status, Status::Resolved | Status::Closed);
                if !resolved || state.merged_into.is_some() {
                    return Ok(SurveyOutcome::NotDue);
                }
                // Two of the customer's cases surveyed at once wait for each
                // other here, so the cap holds.
                tx.fetch_optional(
                    &format!(
                        "SELECT id FROM customers WHERE id = $1{}",
                        dialect.for_update()
                    ),
                    args![state.customer_id.0],
                )
                .await?;
                let surveyed = tx
                    .fetch_optional(
                        "SELECT id FROM case_events WHERE kind = 'survey_sent' AND case_id = $1 LIMIT 1",
                        args![case.0],
                    )
                    .await?;
                if surveyed.is_some() {
                    return Ok(SurveyOutcome::NotDue);
                }
                let at = now();
                let since = at
                    .checked_sub(SignedDuration::from_hours(every_days.clamp(0, 3650) * 24))
                    .unwrap_or(Timestamp::MIN);
                let recent = tx
                    .fetch_optional(
                        "SELECT id FROM case_events WHERE kind = 'survey_sent' AND created_at >= $1 \
                         AND case_id IN (SELECT id FROM cases WHERE customer_id = $2) LIMIT 1",
                        args![micros(since), state.customer_id.0],
                    )
                    .await?;
                if recent.is_some() {
                    return Ok(SurveyOutcome::Capped);
                }
                enqueue_system(tx, &mail).await?;
                let before = state.clone();
                let data = EventData::SurveySent { survey, csat };
                append(tx, case, &mut state, Actor::system(), data, at).await?;
                save_state(tx, case, &state, &before).await?;
                Ok(SurveyOutcome::Sent)
            })
        })
        .await
    }

    /// Records `actor`'s answer `score` (with `comment`) to question `kind`
    /// of survey `survey` on `case`: nothing when it is the latest answer
    /// already; refused once the survey is past its answer window. Not
    /// found when the case sent no such survey or did not ask `kind`.
    pub async fn record_survey_answer(
        &self,
        case: CaseId,
        survey: String,
        kind: SurveyKind,
        score: u8,
        comment: Option<String>,
        actor: Actor,
    ) -> Result<Answered> {
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let mut state = load_state(tx, dialect, case).await?;
                let rows = tx
                    .fetch_all(
                        "SELECT data, created_at FROM case_events WHERE case_id = $1 \
                         AND kind IN ('survey_sent', 'survey_answered') ORDER BY seq",
                        args![case.0],
                    )
                    .await?;
                let events = rows
                    .iter()
                    .map(|r| {
                        let data = serde_json::from_str::<EventData>(&r.text("data")?)
                            .map_err(|e| StoreError::Corrupt(format!("event data: {e}")))?;
                        Ok((from_micros(r.int("created_at")?)?, data))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let sent = survey::latest_answers(events.iter().map(|(at, d)| (*at, d)))
                    .into_iter()
                    .find(|s| s.survey == survey && s.asks(kind))
                    .ok_or(StoreError::NotFound("survey"))?;
                let at = now();
                if !survey::open_at(sent.sent_at, at) {
                    return Ok(Answered::Closed);
                }
                if sent
                    .answer(kind)
                    .is_some_and(|a| a.score == score && a.comment == comment)
                {
                    return Ok(Answered::Unchanged);
                }
                let before = state.clone();
                let data = EventData::SurveyAnswered {
                    survey,
                    kind,
                    score,
                    comment,
                };
                append(tx, case, &mut state, actor, data, at).await?;
                save_state(tx, case, &state, &before).await?;
                Ok(Answered::Recorded)
            })
        })
        .await
    }

    /// The surveys sent on `case`, oldest first, with their latest answers.
    pub async fn case_surveys(&self, case: CaseId) -> Result<Vec<SentSurvey>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM case_events WHERE case_id = $1 \
             AND kind IN ('survey_sent', 'survey_answered') ORDER BY seq"
        )))
        .bind(case.0)
        .fetch_all(&self.reader)
        .await?;
        let events = rows.iter().map(event).collect::<Result<Vec<_>>>()?;
        Ok(survey::latest_answers(
            events.iter().map(|e| (e.at, &e.data)),
        ))
    }

    /// The latest answer of `customer` to each survey question, on any of
    /// their cases, newest first.
    pub async fn latest_survey_answers(&self, customer: CustomerId) -> Result<Vec<CaseEvent>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM case_events WHERE kind = 'survey_answered' \
             AND case_id IN (SELECT id FROM cases WHERE customer_id = $1) ORDER BY id DESC LIMIT 50"
        )))
        .bind(customer.0)
        .fetch_all(&self.reader)
        .await?;
        let mut latest: Vec<CaseEvent> = Vec::new();
        for row in &rows {
            let answer = event(row)?;
            let kind = |e: &CaseEvent| match &e.data {
                EventData::SurveyAnswered { kind, .. } => Some(*kind),
                _ => None,
            };
            if latest.iter().all(|seen| kind(seen) != kind(&answer)) {
                latest.push(answer);
            }
        }
        Ok(latest)
    }
}
