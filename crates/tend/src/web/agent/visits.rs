//! The technician's page, `/visits`, made for a phone: the day's visits
//! booked with the signed-in agent (as a resource), soonest first, each
//! with its case, address and window, buttons for "on my way" (with an
//! arrival time the customer is sent), "arrived", "done" and "nobody in",
//! and a note with photos attached to the case (the case page's note form,
//! coming back here).

use crate::appointments::{progress, window_text};
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::Layout;
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::SignedDuration;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::appointment::{AppointmentStatus, Step};
use tend_domain::ids::AppointmentId;

/// One visit on the page.
struct Row {
    id: i64,
    case_id: i64,
    subject: String,
    customer: String,
    type_name: String,
    when: String,
    address: Option<String>,
    status: AppointmentStatus,
}

#[derive(Template)]
#[template(path = "visits.html")]
struct VisitsPage {
    layout: Layout,
    day: String,
    rows: Vec<Row>,
    error: Option<String>,
}

/// The day shown.
#[derive(Deserialize)]
pub struct DayQuery {
    date: Option<String>,
    error: Option<String>,
}

/// The day's visits.
pub async fn page(
    State(s): State<AppState>,
    session: Session,
    Query(q): Query<DayQuery>,
) -> Result<Response, WebError> {
    session.require(Action::Read)?;
    let me = session.agent_id();
    let zone = s
        .store
        .resource_calendars()
        .await?
        .into_iter()
        .find(|(r, _)| r.definition.agent_id == Some(me))
        .map_or(TimeZone::UTC, |(_, c)| c.zone().clone());
    let today = s.store.clock().now().to_zoned(zone.clone()).date();
    let day = match q.date.as_deref().filter(|d| !d.is_empty()) {
        Some(raw) => raw
            .parse::<Date>()
            .map_err(|_| WebError::Invalid(format!("`{raw}` is not a date: use YYYY-MM-DD")))?,
        None => today,
    };
    let from = day
        .to_zoned(zone.clone())
        .map_err(|e| WebError::Invalid(e.to_string()))?
        .timestamp();
    let to = from + SignedDuration::from_hours(24);
    let mut rows = Vec::new();
    for visit in s.store.visits_of(me, from, to).await? {
        let case = s.store.case(visit.case_id).await?;
        let customer = s.store.customer(case.customer_id).await?;
        rows.push(Row {
            id: visit.id.0,
            case_id: case.id.0,
            subject: case.subject,
            customer: customer.name,
            type_name: visit.type_name,
            when: visit
                .starts_at
                .zip(visit.ends_at)
                .map(|(a, b)| window_text(a, b, &zone))
                .unwrap_or_default(),
            address: visit.address,
            status: visit.status,
        });
    }
    let page = VisitsPage {
        layout: Layout::new(&session, "visits"),
        day: day.strftime("%A %-d %B").to_string(),
        rows,
        error: q.error,
    };
    Ok(Html(page.render()?).into_response())
}

/// A progress button: the step, and for "on my way" the minutes to arrival.
#[derive(Deserialize)]
pub struct ProgressForm {
    step: String,
    #[serde(default)]
    minutes: Option<String>,
}

/// Marks a visit's progress, telling the customer, and comes back.
pub async fn mark(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<ProgressForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = AppointmentId(id);
    let step = Step::parse("step", &form.step).map_err(WebError::field)?;
    let arrival_at = match form.minutes.as_deref().filter(|m| !m.is_empty()) {
        Some(raw) => {
            let minutes = raw
                .parse::<i64>()
                .ok()
                .filter(|m| (1..=600).contains(m))
                .ok_or_else(|| WebError::Invalid("minutes: from 1 to 600".into()))?;
            Some(s.store.clock().now() + SignedDuration::from_mins(minutes))
        }
        None => None,
    };
    let change = progress(step, arrival_at).map_err(WebError::field)?;
    let visit = s.store.appointment(id).await?;
    let done = s
        .scheduler()
        .change(&visit, change, session.actor(), None)
        .await;
    match done {
        Ok(_) => Ok(Redirect::to("/visits").into_response()),
        Err(e) => {
            let why = WebError::from(e).to_string();
            let query = serde_urlencoded::to_string([("error", why)]).unwrap_or_default();
            Ok(Redirect::to(&format!("/visits?{query}")).into_response())
        }
    }
}
