//! The case page's **Visits** panel: the case's appointments (type,
//! status, window in the resource's zone), with the forms that offer a
//! visit, book one on the customer's behalf (or move it, with a reason the
//! customer is told) and call one off. Each form takes the same steps as
//! the API ([`crate::appointments::scheduler`]).

use super::case_page::back_to;
use crate::appointments::windows::{Day, free_days};
use crate::appointments::{booking, window_text, zone_of};
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use axum::extract::{Path, State};
use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::appointment::{AppointmentStatus, short_text};
use tend_domain::ids::{AppointmentId, AppointmentTypeId, CaseId};
use tend_store::appointments::Appointment;
use tend_store::appointments::changes::Change;

/// Where the forms come back to.
const ANCHOR: &str = "visits";

/// One visit as the panel shows it.
pub struct VisitRow {
    pub id: i64,
    pub type_name: String,
    /// "booked", "waiting for a time to be picked"...
    pub status: &'static str,
    pub status_class: &'static str,
    /// The window, in the resource's zone, once booked.
    pub when: Option<String>,
    pub address: Option<String>,
    pub needs_address: bool,
    /// Whether a window can be picked for it here (offered or booked).
    pub bookable: bool,
    /// Whether it is booked, so moving it needs a reason.
    pub booked: bool,
    /// Free windows by day, for the booking form.
    pub days: Vec<Day>,
    pub cancellable: bool,
    /// Whether it holds a window, so calling it off needs a reason.
    pub holds_window: bool,
}

/// The panel's contents.
pub struct VisitsPanel {
    pub visits: Vec<VisitRow>,
    /// Appointment types to offer: (id, name).
    pub types: Vec<(i64, String)>,
}

impl VisitsPanel {
    /// Case `case`'s visits; the free windows only for an agent who may
    /// book them (`can_work`).
    pub async fn load(s: &AppState, case: CaseId, can_work: bool) -> Result<Self, WebError> {
        let mut visits = Vec::new();
        for visit in s.store.case_appointments(case).await? {
            visits.push(row(s, visit, can_work).await?);
        }
        let types = s
            .store
            .appointment_types()
            .await?
            .into_iter()
            .map(|t| (t.id.0, t.definition.name))
            .collect();
        Ok(VisitsPanel { visits, types })
    }
}

async fn row(s: &AppState, visit: Appointment, can_work: bool) -> Result<VisitRow, WebError> {
    let zone = zone_of(&s.store, &visit).await?;
    let bookable = matches!(
        visit.status,
        AppointmentStatus::Offered | AppointmentStatus::Booked
    );
    let days = if bookable && can_work {
        free_days(&s.store, &visit, &zone).await?
    } else {
        Vec::new()
    };
    Ok(VisitRow {
        id: visit.id.0,
        status: visit.status.describe(),
        status_class: visit.status.as_str(),
        when: visit
            .starts_at
            .zip(visit.ends_at)
            .map(|(a, b)| window_text(a, b, &zone)),
        needs_address: visit.needs_address,
        bookable,
        booked: visit.status == AppointmentStatus::Booked,
        days,
        cancellable: matches!(
            visit.status,
            AppointmentStatus::Offered | AppointmentStatus::Booked | AppointmentStatus::OnTheWay
        ),
        holds_window: visit.status.holds_window(),
        type_name: visit.type_name,
        address: visit.address,
    })
}

/// The offer form: an appointment type.
#[derive(Deserialize)]
pub struct OfferForm {
    #[serde(default)]
    type_id: String,
}

/// Offers a visit: the customer is sent the link to pick a window.
pub async fn offer(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<OfferForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let case = CaseId(id);
    let done = async {
        let kind = form
            .type_id
            .trim()
            .parse::<i64>()
            .map_err(|_| WebError::Invalid("type_id: pick an appointment type".into()))?;
        s.scheduler()
            .offer(case, AppointmentTypeId(kind), session.agent_id())
            .await?;
        Ok(())
    };
    back_to(&s, &session, case, ANCHOR, done.await).await
}

/// The booking form: a window, the address when the type needs one, and
/// why the business moves a booked visit.
#[derive(Deserialize)]
pub struct BookForm {
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    reason: String,
}

/// Books a visit on the customer's behalf, or moves it.
pub async fn book(
    State(s): State<AppState>,
    Path((id, appointment)): Path<(i64, i64)>,
    Posted { session, form }: Posted<BookForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let case = CaseId(id);
    let done = async {
        let visit = visit_on(&s, case, appointment).await?;
        let starts_at =
            form.starts_at.trim().parse::<Timestamp>().map_err(|_| {
                WebError::Invalid("starts_at: pick one of the windows listed".into())
            })?;
        let change = booking(starts_at, Some(&form.address)).map_err(WebError::field)?;
        let reason = short_text("reason", Some(&form.reason)).map_err(WebError::field)?;
        s.scheduler()
            .change(&visit, change, session.actor(), reason)
            .await?;
        Ok(())
    };
    back_to(&s, &session, case, ANCHOR, done.await).await
}

/// The cancel form: why (asked when the visit is booked).
#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    reason: String,
}

/// Calls a visit off, sending the customer the calendar cancellation.
pub async fn cancel(
    State(s): State<AppState>,
    Path((id, appointment)): Path<(i64, i64)>,
    Posted { session, form }: Posted<CancelForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let case = CaseId(id);
    let done = async {
        let visit = visit_on(&s, case, appointment).await?;
        let reason = short_text("reason", Some(&form.reason)).map_err(WebError::field)?;
        s.scheduler()
            .change(&visit, Change::Cancel, session.actor(), reason)
            .await?;
        Ok(())
    };
    back_to(&s, &session, case, ANCHOR, done.await).await
}

/// Appointment `id`, when it is one of `case`'s (otherwise 404).
async fn visit_on(s: &AppState, case: CaseId, id: i64) -> Result<Appointment, WebError> {
    let visit = s.store.appointment(AppointmentId(id)).await?;
    if visit.case_id != case {
        return Err(WebError::NotFound);
    }
    Ok(visit)
}
