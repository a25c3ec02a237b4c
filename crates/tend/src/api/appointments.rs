//! Appointments ([`tend_domain::appointment`]): admins set up appointment
//! types and resources; agents offer a visit on a case (the customer gets
//! a link to pick a window), look up free slots, book or move a visit on
//! the customer's behalf, call it off, and mark its progress (on the way,
//! arrived, done, nobody in). Every change is a case event; booking makes
//! the customer a promise, which the business breaks by moving or calling
//! off the visit (with a reason the customer is told).

use super::extract::{Id, Json, Params, Principal};
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::appointment::{
    AppointmentTypeDefinition, ResourceDefinition, Slot, Step, short_text,
};
use tend_domain::event::Actor;
use tend_domain::ids::{AppointmentId, AppointmentTypeId, CaseId, ResourceId};
use tend_store::appointments::Appointment;
use tend_store::appointments::changes::Change;
use tend_store::appointments::setup::{AppointmentType, Resource};
use utoipa::{IntoParams, ToSchema};

/// Every appointment type, by name.
#[utoipa::path(get, path = "/appointment_types", tag = "appointments",
    responses((status = 200, description = "All appointment types", body = Vec<AppointmentType>)))]
pub async fn types(
    State(s): State<AppState>,
    me: Principal,
) -> ApiResult<axum::Json<Vec<AppointmentType>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.appointment_types().await?))
}

/// Creates an appointment type (admins only).
#[utoipa::path(post, path = "/appointment_types", tag = "appointments",
    request_body = AppointmentTypeDefinition,
    responses((status = 201, description = "The new type", body = AppointmentType)))]
pub async fn create_type(
    State(s): State<AppState>,
    me: Principal,
    body: Json<AppointmentTypeDefinition>,
) -> ApiResult<Response> {
    me.require(Action::Administer)?;
    let kind = s
        .store
        .save_appointment_type(None, body.value.check()?)
        .await?;
    Ok(super::created(
        format!("/api/v1/appointment_types/{}", kind.id),
        false,
        kind,
    ))
}

/// One appointment type.
#[utoipa::path(get, path = "/appointment_types/{id}", tag = "appointments",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The type", body = AppointmentType)))]
pub async fn get_type(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<AppointmentType>> {
    me.require(Action::Read)?;
    Ok(axum::Json(
        s.store.appointment_type(AppointmentTypeId(id)).await?,
    ))
}

/// Replaces an appointment type (admins only); booked visits keep their
/// windows.
#[utoipa::path(put, path = "/appointment_types/{id}", tag = "appointments",
    params(("id" = i64, Path)), request_body = AppointmentTypeDefinition,
    responses((status = 200, description = "The type", body = AppointmentType)))]
pub async fn update_type(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<AppointmentTypeDefinition>,
) -> ApiResult<axum::Json<AppointmentType>> {
    me.require(Action::Administer)?;
    let definition = body.value.check()?;
    Ok(axum::Json(
        s.store
            .save_appointment_type(Some(AppointmentTypeId(id)), definition)
            .await?,
    ))
}

/// Every resource (technician, agent) visits are booked with, by name.
#[utoipa::path(get, path = "/resources", tag = "appointments",
    responses((status = 200, description = "All resources", body = Vec<Resource>)))]
pub async fn resources(
    State(s): State<AppState>,
    me: Principal,
) -> ApiResult<axum::Json<Vec<Resource>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.resources().await?))
}

/// Creates a resource (admins only).
#[utoipa::path(post, path = "/resources", tag = "appointments",
    request_body = ResourceDefinition,
    responses((status = 201, description = "The new resource", body = Resource)))]
pub async fn create_resource(
    State(s): State<AppState>,
    me: Principal,
    body: Json<ResourceDefinition>,
) -> ApiResult<Response> {
    me.require(Action::Administer)?;
    let resource = s.store.save_resource(None, body.value.check()?).await?;
    Ok(super::created(
        format!("/api/v1/resources/{}", resource.id),
        false,
        resource,
    ))
}

/// One resource.
#[utoipa::path(get, path = "/resources/{id}", tag = "appointments",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The resource", body = Resource)))]
pub async fn get_resource(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Resource>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.resource(ResourceId(id)).await?))
}

/// Replaces a resource (admins only); `active: false` stops new bookings
/// with them, leaving booked visits as they are.
#[utoipa::path(put, path = "/resources/{id}", tag = "appointments",
    params(("id" = i64, Path)), request_body = ResourceDefinition,
    responses((status = 200, description = "The resource", body = Resource)))]
pub async fn update_resource(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<ResourceDefinition>,
) -> ApiResult<axum::Json<Resource>> {
    me.require(Action::Administer)?;
    let definition = body.value.check()?;
    Ok(axum::Json(
        s.store
            .save_resource(Some(ResourceId(id)), definition)
            .await?,
    ))
}

/// A visit to offer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// The appointment type.
    type_id: AppointmentTypeId,
}

/// Case `id`'s appointments, oldest first.
#[utoipa::path(get, path = "/cases/{id}/appointments", tag = "appointments",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The case's appointments", body = Vec<Appointment>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Vec<Appointment>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.case_appointments(CaseId(id)).await?))
}

/// Offers a visit on case `id`: the customer gets a message (emailed when
/// the case has an email conversation) with a link to a page where they
/// pick a window; no password, and the link is good for this visit only.
/// Records `appointment_offered`.
#[utoipa::path(post, path = "/cases/{id}/appointments", tag = "appointments",
    params(("id" = i64, Path)), request_body = Offer,
    responses((status = 201, description = "The appointment, offered", body = Appointment)))]
pub async fn offer(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<Offer>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let appointment = s
        .scheduler()
        .offer(CaseId(id), body.value.type_id, me.agent_id)
        .await?;
    Ok(super::created(
        format!("/api/v1/appointments/{}", appointment.id),
        false,
        appointment,
    ))
}

/// One appointment.
#[utoipa::path(get, path = "/appointments/{id}", tag = "appointments",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The appointment", body = Appointment)))]
pub async fn get(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Appointment>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.appointment(AppointmentId(id)).await?))
}

/// The range of a slot search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotParams {
    /// From (RFC 3339); now when left out.
    #[param(value_type = Option<String>)]
    from: Option<Timestamp>,
    /// Until (RFC 3339), at most 31 days after `from`; 14 days after it
    /// when left out.
    #[param(value_type = Option<String>)]
    to: Option<Timestamp>,
}

/// The windows appointment `id` can be booked (or moved) into, soonest
/// first, each with how many resources are free in it.
#[utoipa::path(get, path = "/appointments/{id}/slots", tag = "appointments",
    params(("id" = i64, Path), SlotParams),
    responses((status = 200, description = "Free windows", body = Vec<Slot>)))]
pub async fn slots(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    Params(range): Params<SlotParams>,
) -> ApiResult<axum::Json<Vec<Slot>>> {
    me.require(Action::Read)?;
    let appointment = s.store.appointment(AppointmentId(id)).await?;
    let from = range.from.unwrap_or_else(|| s.store.clock().now());
    let to = range
        .to
        .unwrap_or(from + SignedDuration::from_hours(24 * crate::appointments::SEARCH_DAYS));
    let slots = s
        .store
        .free_slots(appointment.type_id, from, to, Some(appointment.id))
        .await?;
    Ok(axum::Json(slots))
}

/// A window to book (or move the visit to).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    /// The start of one of the free windows (see `/appointments/{id}/slots`).
    starts_at: Timestamp,
    /// Where the visit is; needed when the type says so (kept from the
    /// earlier booking when left out).
    #[serde(default)]
    address: Option<String>,
    /// Why the business moves a booked visit: asked when moving one, and
    /// told to the customer (the booking's promise is broken).
    #[serde(default)]
    reason: Option<String>,
}

/// Books appointment `id` into a free window on the customer's behalf, or
/// moves a booked visit there. Records `appointment_booked` (or
/// `appointment_rescheduled`) and the visit's promise, and sends the
/// customer a confirmation with a calendar invitation. Two bookings for
/// the last place in a window: one wins, the other gets 409.
#[utoipa::path(post, path = "/appointments/{id}/book", tag = "appointments",
    params(("id" = i64, Path)), request_body = Booking,
    responses((status = 200, description = "The appointment, booked", body = Appointment)))]
pub async fn book(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<Booking>,
) -> ApiResult<axum::Json<Appointment>> {
    me.require(Action::Work)?;
    let b = body.value;
    let change = crate::appointments::booking(b.starts_at, b.address.as_deref())?;
    let reason = short_text("reason", b.reason.as_deref())?;
    apply(&s, &me, AppointmentId(id), change, reason).await
}

/// Why a visit is called off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancelling {
    /// Told to the customer; asked when the visit was booked (the
    /// booking's promise is broken).
    #[serde(default)]
    reason: Option<String>,
}

/// Calls appointment `id` off, records `appointment_cancelled` and sends
/// the customer the calendar cancellation.
#[utoipa::path(post, path = "/appointments/{id}/cancel", tag = "appointments",
    params(("id" = i64, Path)), request_body = Cancelling,
    responses((status = 200, description = "The appointment, cancelled", body = Appointment)))]
pub async fn cancel(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<Cancelling>,
) -> ApiResult<axum::Json<Appointment>> {
    me.require(Action::Work)?;
    let reason = short_text("reason", body.value.reason.as_deref())?;
    apply(&s, &me, AppointmentId(id), Change::Cancel, reason).await
}

/// A visit's progress.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    /// `on_the_way`, `arrive`, `done` or `no_show`.
    step: Step,
    /// For `on_the_way`: when the technician expects to arrive.
    #[serde(default)]
    arrival_at: Option<Timestamp>,
}

/// Marks visit `id`'s progress: on the way (the customer gets the arrival
/// time and an updated invitation), arrived (keeps the booking's promise
/// when within the window), done, or nobody in. Each is a case event.
#[utoipa::path(post, path = "/appointments/{id}/progress", tag = "appointments",
    params(("id" = i64, Path)), request_body = Progress,
    responses((status = 200, description = "The appointment", body = Appointment)))]
pub async fn progress(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<Progress>,
) -> ApiResult<axum::Json<Appointment>> {
    me.require(Action::Work)?;
    let step = crate::appointments::progress(body.value.step, body.value.arrival_at)?;
    apply(&s, &me, AppointmentId(id), step, None).await
}

/// Makes `change` to appointment `id` as agent `me`, telling the customer.
async fn apply(
    s: &AppState,
    me: &Principal,
    id: AppointmentId,
    change: Change,
    reason: Option<String>,
) -> ApiResult<axum::Json<Appointment>> {
    let visit = s.store.appointment(id).await?;
    let appointment = s
        .scheduler()
        .change(&visit, change, Actor::agent(me.agent_id), reason)
        .await?;
    Ok(axum::Json(appointment))
}

/// The day of a technician's visits.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayParams {
    /// The day, `YYYY-MM-DD`, in UTC; today when left out.
    #[param(value_type = Option<String>)]
    date: Option<jiff::civil::Date>,
}

/// The visits booked with the signed-in agent (as a resource) on one day,
/// by start.
#[utoipa::path(get, path = "/me/visits", tag = "appointments", params(DayParams),
    responses((status = 200, description = "The day's visits", body = Vec<Appointment>)))]
pub async fn my_visits(
    State(s): State<AppState>,
    me: Principal,
    Params(day): Params<DayParams>,
) -> ApiResult<axum::Json<Vec<Appointment>>> {
    me.require(Action::Read)?;
    let now = s.store.clock().now();
    let date = day
        .date
        .unwrap_or_else(|| now.to_zoned(jiff::tz::TimeZone::UTC).date());
    let from = date
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|e| Invalid::new("date", e.to_string()))?
        .timestamp();
    let to = from + SignedDuration::from_hours(24);
    Ok(axum::Json(s.store.visits_of(me.agent_id, from, to).await?))
}
