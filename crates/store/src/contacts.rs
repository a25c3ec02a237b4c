//! Contacts outside Tend's own channels (phone calls, walk-ins), logged by
//! agents or by other systems through the API, and the customer's effort
//! across their recent cases.

use crate::cases::{append, load_state, save_state};
use crate::messages::{NewMessage, insert_message};
use crate::rows::get;
use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store, StoreError, now};
use jiff::Timestamp;
use serde::Serialize;
use tend_domain::Invalid;
use tend_domain::case::{Channel, Status};
use tend_domain::effort::{ActionKind, Direction};
use tend_domain::event::{Actor, ActorKind, CaseEvent, EventData};
use tend_domain::ids::{CaseId, CustomerId};
use utoipa::ToSchema;

/// A contact to log on a case.
#[derive(Debug, Clone)]
pub struct LoggedContact {
    pub channel: Channel,
    pub direction: Direction,
    pub duration_seconds: Option<u32>,
    /// What was said, kept as an internal note.
    pub summary: String,
}

/// Longest summary of a logged contact, in characters.
pub const MAX_SUMMARY: usize = 10_000;
/// Longest call or visit that can be logged: a day.
pub const MAX_DURATION_SECONDS: u32 = 86_400;

impl LoggedContact {
    /// A checked contact: a phone call or walk-in (other channels record
    /// themselves), at most a day long, with a summary.
    pub fn checked(
        channel: Channel,
        direction: Direction,
        duration_seconds: Option<u32>,
        summary: &str,
    ) -> Result<Self, Invalid> {
        if !matches!(channel, Channel::Phone | Channel::WalkIn) {
            return Err(Invalid::new(
                "channel",
                "log `phone` or `walk_in` contacts; other channels record themselves",
            ));
        }
        if duration_seconds.is_some_and(|d| d > MAX_DURATION_SECONDS) {
            return Err(Invalid::new(
                "duration_seconds",
                format!("at most {MAX_DURATION_SECONDS} seconds"),
            ));
        }
        Ok(LoggedContact {
            channel,
            direction,
            duration_seconds,
            summary: tend_domain::text::required_clean("summary", summary, MAX_SUMMARY)?,
        })
    }
}

/// A customer's effort over their cases opened in a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerEffort {
    /// Cases opened in the period (merged ones left out).
    pub cases: i64,
    /// Their average effort index, if there were any.
    pub average_index: Option<f64>,
    /// The highest effort index among them.
    pub highest_index: Option<i64>,
    /// How many were high effort.
    pub high_effort_cases: i64,
}

impl Store {
    /// Logs a contact on a case: an internal note with the summary and a
    /// `contact_logged` event. A contact from the customer reopens a case
    /// that waited on them or was resolved, as their message would.
    pub async fn log_contact(
        &self,
        case_id: CaseId,
        contact: LoggedContact,
        actor: Actor,
    ) -> Result<CaseEvent> {
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let mut state = load_state(tx, dialect, case_id).await?;
                if state.status == Status::Closed {
                    return Err(StoreError::State(format!(
                        "case #{case_id} is closed; open a follow-up case instead"
                    )));
                }
                let before = state.clone();
                let at = now();
                let note = NewMessage::text(actor, contact.channel, true, contact.summary);
                let message_id = insert_message(tx, case_id, &note, at).await?;
                let data = EventData::ContactLogged {
                    message_id,
                    channel: contact.channel,
                    direction: contact.direction,
                    duration_seconds: contact.duration_seconds,
                };
                let event = append(tx, case_id, &mut state, actor, data, at).await?;
                let by = match contact.direction {
                    Direction::Inbound => ActorKind::Customer,
                    Direction::Outbound => ActorKind::Agent,
                };
                if let Some(to) = state.status_after_message(by, false) {
                    let data = EventData::StatusChanged {
                        from: state.status,
                        to,
                    };
                    append(tx, case_id, &mut state, Actor::system(), data, at).await?;
                }
                save_state(tx, case_id, &state, &before).await?;
                Ok(event)
            })
        })
        .await
    }

    /// The effort of `customer`'s cases opened since `since`. A case
    /// changes no earlier than it opens, so `updated_at >= since` holds for
    /// every such case: it lets the customer index (by `updated_at`) skip
    /// their older cases, which matters for a customer with thousands.
    pub async fn customer_effort(
        &self,
        customer: CustomerId,
        since: Timestamp,
    ) -> Result<CustomerEffort> {
        let row = crate::tx::bind(
            "SELECT COUNT(*) AS cases, CAST(AVG(effort_index) AS DOUBLE PRECISION) AS average, \
             MAX(effort_index) AS highest, \
             CAST(COALESCE(SUM(CASE WHEN effort_level = 'high' THEN 1 ELSE 0 END), 0) AS BIGINT) AS high \
             FROM cases WHERE customer_id = $1 AND created_at >= $2 AND updated_at >= $2 \
             AND merged_into_id IS NULL",
            args![customer.0, micros(since)],
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(CustomerEffort {
            cases: get(&row, "cases")?,
            average_index: get(&row, "average")?,
            highest_index: get(&row, "highest")?,
            high_effort_cases: get(&row, "high")?,
        })
    }
}

/// Work the business asked a customer to do on a case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AskedOfCustomer {
    pub at: Timestamp,
    pub kind: ActionKind,
    pub action: String,
}

/// Most requests shown for one case.
const MAX_ASKED: i64 = 50;

impl Store {
    /// What the business asked the customer to do on `case_id`, oldest
    /// first (at most 50).
    pub async fn asked_of_customer(&self, case_id: CaseId) -> Result<Vec<AskedOfCustomer>> {
        let rows = crate::tx::bind(
            "SELECT data, created_at FROM case_events \
             WHERE case_id = $1 AND kind = 'customer_action_requested' ORDER BY seq LIMIT $2",
            args![case_id.0, MAX_ASKED],
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .filter_map(|r| {
                let at = crate::rows::time(r, "created_at");
                match (crate::rows::json::<EventData>(r, "data"), at) {
                    (Ok(EventData::CustomerActionRequested { action, kind }), Ok(at)) => {
                        Some(Ok(AskedOfCustomer { at, kind, action }))
                    }
                    (Err(e), _) | (_, Err(e)) => Some(Err(e)),
                    _ => None,
                }
            })
            .collect()
    }
}
