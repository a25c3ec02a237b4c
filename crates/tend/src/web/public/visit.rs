//! A visit's page, `/visit/{id}/{signature}`, which the customer's emails
//! and portal link to: no sign-in, good for that one appointment only
//! ([`crate::appointments::link`]). While the visit is offered it lists
//! the free windows (two weeks ahead, by day) to pick one from; once
//! booked it shows the window and, up to the cut-off, lets the customer
//! move or cancel it. The signed path is the capability, so the forms need
//! no other CSRF token. A forged link is 403, an unknown visit 404, a
//! window taken meanwhile 409 (with the windows still free), a refused
//! field 422; none of them changes anything.

use crate::appointments::windows::{Day, free_days};
use crate::appointments::{link, window_text};
use crate::brand::Brand;
use crate::http::AppState;
use crate::signed_link::{LinkError, VerifyError};
use crate::web::shared::error::WebError;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;
use tend_domain::appointment::{AppointmentStatus, before_cutoff};
use tend_domain::event::Actor;
use tend_domain::ids::AppointmentId;
use tend_store::StoreError;
use tend_store::appointments::Appointment;
use tend_store::appointments::changes::Change;

#[derive(Template)]
#[template(path = "visit.html")]
struct VisitPage<'a> {
    brand: &'a Brand,
    embed: bool,
    action: String,
    visit: Appointment,
    /// The window booked, for people.
    when: Option<String>,
    /// Free windows by day, when a window can be picked.
    days: Vec<Day>,
    /// Whether the customer may still move or cancel it here.
    changeable: bool,
    address: String,
    error: Option<String>,
    notice: Option<String>,
}

/// What the page was asked.
#[derive(Deserialize)]
pub struct BookForm {
    starts_at: Option<String>,
    #[serde(default)]
    address: String,
}

/// A failure of the link, the booking or the store.
enum Failure {
    Link(LinkError),
    /// The window was taken meanwhile (or nobody can come).
    Taken(String),
    Web(WebError),
}

impl From<VerifyError> for Failure {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Link(e) => Failure::Link(e),
            VerifyError::Store(e) => Failure::Web(e.into()),
        }
    }
}

impl<E: Into<WebError>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Web(e.into())
    }
}

fn refuse(e: Failure) -> Response {
    match e {
        Failure::Link(e @ LinkError::Malformed) => WebError::Invalid(e.to_string()).into_response(),
        Failure::Link(LinkError::Forged) => WebError::Forbidden.into_response(),
        Failure::Taken(message) => WebError::Invalid(message).into_response(),
        Failure::Web(e) => e.into_response(),
    }
}

/// The visit's page.
pub async fn page(
    State(s): State<AppState>,
    Path((id, signature)): Path<(i64, String)>,
) -> Response {
    let id = AppointmentId(id);
    let shown = async {
        check(&s, id, &signature).await?;
        show(&s, id, &signature, View::default()).await
    };
    match shown.await {
        Ok(html) => (StatusCode::OK, Html(html)).into_response(),
        Err(e) => refuse(e),
    }
}

/// What a page shows besides the visit.
#[derive(Default)]
struct View {
    address: String,
    error: Option<String>,
    notice: Option<String>,
}

impl View {
    /// The page again after a refused change, keeping what was typed.
    fn refused(address: String, message: String) -> View {
        View {
            address,
            error: Some(message),
            notice: None,
        }
    }
}

/// Checks the link, and that the appointment exists.
async fn check(s: &AppState, id: AppointmentId, signature: &str) -> Result<Appointment, Failure> {
    link::verify(&s.store, id, signature)?;
    Ok(s.store.appointment(id).await?)
}

async fn show(
    s: &AppState,
    id: AppointmentId,
    signature: &str,
    view: View,
) -> Result<String, Failure> {
    let visit = s.store.appointment(id).await?;
    let zone = crate::appointments::zone_of(&s.store, &visit).await?;
    let now = s.store.clock().now();
    let changeable = match (visit.status, visit.starts_at) {
        (AppointmentStatus::Offered, _) => true,
        (AppointmentStatus::Booked, Some(start)) => before_cutoff(start, visit.cutoff_hours, now),
        _ => false,
    };
    let days = if changeable {
        free_days(&s.store, &visit, &zone).await?
    } else {
        Vec::new()
    };
    let when = visit
        .starts_at
        .zip(visit.ends_at)
        .map(|(a, b)| window_text(a, b, &zone));
    let address = if view.address.is_empty() {
        visit.address.clone().unwrap_or_default()
    } else {
        view.address
    };
    let page = VisitPage {
        brand: &s.web.brand,
        embed: false,
        action: format!("/visit/{id}/{signature}"),
        when,
        days,
        changeable,
        address,
        error: view.error,
        notice: view.notice,
        visit,
    };
    Ok(page.render()?)
}

/// Books the window picked (or moves the visit to it).
pub async fn book(
    State(s): State<AppState>,
    Path((id, signature)): Path<(i64, String)>,
    Form(form): Form<BookForm>,
) -> Response {
    let id = AppointmentId(id);
    let address = form.address.clone();
    let change = async {
        let visit = check(&s, id, &signature).await?;
        let starts_at = form
            .starts_at
            .as_deref()
            .and_then(|raw| raw.parse::<Timestamp>().ok())
            .ok_or_else(|| {
                tend_domain::Invalid::new("starts_at", "pick one of the times listed")
            })?;
        let change = crate::appointments::booking(starts_at, Some(&form.address))?;
        as_customer(&s, &visit, change).await
    };
    outcome(&s, id, &signature, address, change.await).await
}

/// Cancels the visit.
pub async fn cancel(
    State(s): State<AppState>,
    Path((id, signature)): Path<(i64, String)>,
) -> Response {
    let id = AppointmentId(id);
    let change = async {
        let visit = check(&s, id, &signature).await?;
        as_customer(&s, &visit, Change::Cancel).await
    };
    outcome(&s, id, &signature, String::new(), change.await).await
}

/// Makes `change` as the case's customer.
async fn as_customer(s: &AppState, visit: &Appointment, change: Change) -> Result<(), Failure> {
    let customer = s.store.case(visit.case_id).await?.customer_id;
    s.scheduler()
        .change(visit, change, Actor::customer(customer), None)
        .await
        .map_err(|e| match e {
            StoreError::State(message) => Failure::Taken(message),
            other => other.into(),
        })?;
    Ok(())
}

/// The page after a change: what happened, or why not (a window taken
/// meanwhile is 409, a refused field 422), with the windows still free.
async fn outcome(
    s: &AppState,
    id: AppointmentId,
    signature: &str,
    address: String,
    result: Result<(), Failure>,
) -> Response {
    let (status, view) = match result {
        Ok(()) => (
            StatusCode::OK,
            View {
                notice: Some("Done: we have sent you a confirmation.".into()),
                ..View::default()
            },
        ),
        Err(Failure::Taken(message)) => (StatusCode::CONFLICT, View::refused(address, message)),
        Err(Failure::Web(WebError::Invalid(message))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            View::refused(address, message),
        ),
        Err(e) => return refuse(e),
    };
    match show(s, id, signature, view).await {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => refuse(e),
    }
}
