//! Customer effort: why a case cost its customer what it did, contacts
//! logged from outside Tend (calls, walk-ins), repeat-contact links, and a
//! customer's effort across their recent cases.

use super::extract::{Id, Json, Params, Principal};
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::case::Channel;
use tend_domain::effort::{Direction, Effort, EffortTally};
use tend_domain::event::CaseEvent;
use tend_domain::ids::{CaseId, CustomerId};
use tend_store::contacts::{CustomerEffort, LoggedContact};
use tend_store::model::Case;
use utoipa::{IntoParams, ToSchema};

/// Longest period a customer's effort is summed over.
const MAX_DAYS: u32 = 366;

/// A case's effort: the figure, its explanation and the counts behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseEffort {
    #[serde(flatten)]
    effort: Effort,
    /// Whether the case was resolved on the customer's first contact.
    first_contact_resolution: bool,
    /// Since when the customer has been waiting, if they are.
    waiting_since: Option<Timestamp>,
    tally: EffortTally,
}

/// Why case `id` cost its customer what it did: a 0–100 index, its level,
/// one line per driver (e.g. "2 chasers +10") and the counts behind them.
#[utoipa::path(get, path = "/cases/{id}/effort", tag = "effort", params(("id" = i64, Path)),
    responses((status = 200, description = "The case's effort", body = CaseEffort)))]
pub async fn case_effort(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<CaseEffort>> {
    me.require(Action::Read)?;
    let case = s.store.case(CaseId(id)).await?;
    Ok(axum::Json(CaseEffort {
        effort: s.store.effort_weights().score(&case.effort),
        first_contact_resolution: case.effort.first_contact_resolution(),
        waiting_since: case.waiting_since,
        tally: case.effort,
    }))
}

/// A contact with the customer outside Tend's own channels.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogContact {
    /// `phone` or `walk_in` (other channels log themselves).
    channel: Channel,
    /// `inbound` when the customer got in touch, `outbound` when the business did.
    direction: Direction,
    /// How long it took, in seconds (at most a day).
    duration_seconds: Option<u32>,
    /// What was said; kept as an internal note.
    summary: String,
}

/// Logs a phone call or visit on a case (for agents and telephony systems).
/// An inbound contact counts as a customer contact: a chaser while they are
/// waiting, a channel switch when they last used another channel; an
/// outbound one answers them.
#[utoipa::path(post, path = "/cases/{id}/contacts", tag = "effort", params(("id" = i64, Path)),
    request_body = LogContact,
    responses((status = 201, description = "The `contact_logged` event", body = CaseEvent)))]
pub async fn log_contact(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<LogContact>,
) -> ApiResult<(StatusCode, axum::Json<CaseEvent>)> {
    me.require(Action::Work)?;
    let req = body.value;
    let contact = LoggedContact::checked(
        req.channel,
        req.direction,
        req.duration_seconds,
        &req.summary,
    )?;
    let event = s.store.log_contact(CaseId(id), contact, me.actor()).await?;
    Ok((StatusCode::CREATED, axum::Json(event)))
}

/// The earlier case a case repeats.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepeatOf {
    /// A case of the same customer.
    of: CaseId,
}

/// Marks case `id` as a repeat of an earlier case of its customer (the
/// customer had to come back on the same matter), replacing any link.
#[utoipa::path(put, path = "/cases/{id}/repeat", tag = "effort", params(("id" = i64, Path)),
    request_body = RepeatOf,
    responses((status = 200, description = "The case", body = Case)))]
pub async fn link_repeat(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<RepeatOf>,
) -> ApiResult<axum::Json<Case>> {
    me.require(Action::Work)?;
    s.store
        .link_repeat(CaseId(id), Some(body.value.of), me.actor())
        .await?;
    Ok(axum::Json(s.store.case(CaseId(id)).await?))
}

/// Says case `id` repeats no earlier case (undoing a detected link).
#[utoipa::path(delete, path = "/cases/{id}/repeat", tag = "effort", params(("id" = i64, Path)),
    responses((status = 200, description = "The case", body = Case)))]
pub async fn unlink_repeat(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Case>> {
    me.require(Action::Work)?;
    s.store.link_repeat(CaseId(id), None, me.actor()).await?;
    Ok(axum::Json(s.store.case(CaseId(id)).await?))
}

/// The period a customer's effort is summed over.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EffortPeriod {
    /// Days back from now [default: 90, at most 366].
    days: Option<u32>,
}

/// A customer's effort over their recent cases.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerEffortPeriod {
    days: u32,
    #[serde(flatten)]
    effort: CustomerEffort,
}

/// How much effort a customer's cases opened in the last `days` cost them.
#[utoipa::path(get, path = "/customers/{id}/effort", tag = "effort",
    params(("id" = i64, Path), EffortPeriod),
    responses((status = 200, description = "The customer's effort", body = CustomerEffortPeriod)))]
pub async fn customer_effort(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    Params(period): Params<EffortPeriod>,
) -> ApiResult<axum::Json<CustomerEffortPeriod>> {
    me.require(Action::Read)?;
    let days = period.days.unwrap_or(90);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(Invalid::new("days", format!("use 1 to {MAX_DAYS}")).into());
    }
    let customer = s.store.customer(CustomerId(id)).await?;
    let since = tend_store::now() - SignedDuration::from_hours(i64::from(days) * 24);
    let effort = s.store.customer_effort(customer.id, since).await?;
    Ok(axum::Json(CustomerEffortPeriod { days, effort }))
}
