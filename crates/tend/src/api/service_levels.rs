//! Business-hours calendars and SLA policies. Reading is for every role;
//! changes are for admins. A case's SLA clocks are at `/cases/{id}/sla`.

use super::extract::{Id, Json, Principal};
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tend_domain::agent::Action;
use tend_domain::calendar::{CalendarDefinition, holidays_from_ics};
use tend_domain::ids::{CaseId, TeamId};
use tend_domain::sla::definition::SlaPolicyDefinition;
use tend_domain::sla::{ClockKind, ClockState};
use tend_store::service_levels::calendars::Calendar;
use tend_store::service_levels::policies::SlaPolicyRecord;
use utoipa::ToSchema;

/// A calendar, new or replaced.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarBody {
    name: String,
    /// An IANA time zone, such as `Europe/Amsterdam`.
    time_zone: String,
    /// Weekly open hours: `mon-fri 09:00-12:00 13:00-17:30; sat 10:00-14:00`,
    /// or `always`.
    hours: String,
    /// Local days closed all day, as `2026-12-25`.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    holidays: Vec<Date>,
    /// The calendar of cases whose team and inbox name none.
    #[serde(default)]
    is_default: bool,
}

impl CalendarBody {
    fn checked(self) -> Result<(CalendarDefinition, bool), tend_domain::Invalid> {
        let definition = CalendarDefinition {
            name: self.name,
            time_zone: self.time_zone,
            hours: self.hours,
            holidays: self.holidays,
        }
        .check()?;
        Ok((definition, self.is_default))
    }
}

/// Every calendar, by name.
#[utoipa::path(get, path = "/calendars", tag = "service levels",
    responses((status = 200, description = "All calendars", body = Vec<Calendar>)))]
pub async fn calendars(
    State(s): State<AppState>,
    me: Principal,
) -> ApiResult<axum::Json<Vec<Calendar>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.calendars().await?))
}

/// Creates a calendar (admins only).
#[utoipa::path(post, path = "/calendars", tag = "service levels", request_body = CalendarBody,
    responses((status = 201, description = "The new calendar", body = Calendar)))]
pub async fn create_calendar(
    State(s): State<AppState>,
    me: Principal,
    body: Json<CalendarBody>,
) -> ApiResult<Response> {
    me.require(Action::Administer)?;
    let (definition, is_default) = body.value.checked()?;
    let calendar = s.store.create_calendar(definition, is_default).await?;
    Ok(super::created(
        format!("/api/v1/calendars/{}", calendar.id),
        false,
        calendar,
    ))
}

/// One calendar.
#[utoipa::path(get, path = "/calendars/{id}", tag = "service levels", params(("id" = i64, Path)),
    responses((status = 200, description = "The calendar", body = Calendar)))]
pub async fn calendar(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Calendar>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.calendar(id).await?))
}

/// Replaces a calendar (admins only).
#[utoipa::path(put, path = "/calendars/{id}", tag = "service levels", params(("id" = i64, Path)), request_body = CalendarBody,
    responses((status = 200, description = "The calendar", body = Calendar)))]
pub async fn replace_calendar(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<CalendarBody>,
) -> ApiResult<axum::Json<Calendar>> {
    me.require(Action::Administer)?;
    let (definition, is_default) = body.value.checked()?;
    Ok(axum::Json(
        s.store.update_calendar(id, definition, is_default).await?,
    ))
}

/// Deletes a calendar no team or inbox uses (admins only).
#[utoipa::path(delete, path = "/calendars/{id}", tag = "service levels", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_calendar(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    me.require(Action::Administer)?;
    s.store.delete_calendar(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Holidays from an iCalendar file.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IcsBody {
    /// The text of an `.ics` file (at most 1 MiB); every all-day event's
    /// days become holidays.
    ics: String,
}

/// Adds the days of an iCalendar file's events to a calendar's holidays
/// (admins only).
#[utoipa::path(post, path = "/calendars/{id}/holidays", tag = "service levels", params(("id" = i64, Path)), request_body = IcsBody,
    responses((status = 200, description = "The calendar with the imported holidays", body = Calendar)))]
pub async fn import_holidays(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<IcsBody>,
) -> ApiResult<axum::Json<Calendar>> {
    me.require(Action::Administer)?;
    let days = holidays_from_ics(&body.value.ics)?;
    Ok(axum::Json(s.store.add_holidays(id, days).await?))
}

/// Which calendar a team or inbox uses.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarChoice {
    /// A calendar's id, or null for none (then the default applies).
    calendar_id: Option<i64>,
}

/// Sets the calendar a team's cases are measured by (admins only).
#[utoipa::path(put, path = "/teams/{id}/calendar", tag = "service levels", params(("id" = i64, Path)), request_body = CalendarChoice,
    responses((status = 204, description = "Set")))]
pub async fn set_team_calendar(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<CalendarChoice>,
) -> ApiResult<StatusCode> {
    me.require(Action::Administer)?;
    s.store
        .set_team_calendar(TeamId(id), body.value.calendar_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the calendar an inbox's cases are measured by when their team
/// names none (admins only).
#[utoipa::path(put, path = "/inboxes/{id}/calendar", tag = "service levels", params(("id" = i64, Path)), request_body = CalendarChoice,
    responses((status = 204, description = "Set")))]
pub async fn set_inbox_calendar(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<CalendarChoice>,
) -> ApiResult<StatusCode> {
    me.require(Action::Administer)?;
    s.store
        .set_inbox_calendar(id, body.value.calendar_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every SLA policy, in the order they are tried.
#[utoipa::path(get, path = "/sla_policies", tag = "service levels",
    responses((status = 200, description = "All SLA policies", body = Vec<SlaPolicyRecord>)))]
pub async fn policies(
    State(s): State<AppState>,
    me: Principal,
) -> ApiResult<axum::Json<Vec<SlaPolicyRecord>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.sla_policies().await?))
}

/// Adds an SLA policy at the end of the order (admins only); open cases
/// are measured again.
#[utoipa::path(post, path = "/sla_policies", tag = "service levels", request_body = SlaPolicyDefinition,
    responses((status = 201, description = "The new policy", body = SlaPolicyRecord)))]
pub async fn create_policy(
    State(s): State<AppState>,
    me: Principal,
    body: Json<SlaPolicyDefinition>,
) -> ApiResult<Response> {
    me.require(Action::Administer)?;
    let definition = body.value.check()?;
    let policy = s.store.create_sla_policy(definition).await?;
    Ok(super::created(
        format!("/api/v1/sla_policies/{}", policy.id),
        false,
        policy,
    ))
}

/// One SLA policy.
#[utoipa::path(get, path = "/sla_policies/{id}", tag = "service levels", params(("id" = i64, Path)),
    responses((status = 200, description = "The policy", body = SlaPolicyRecord)))]
pub async fn policy(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<SlaPolicyRecord>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.sla_policy(id).await?))
}

/// Replaces an SLA policy (admins only); open cases are measured again.
#[utoipa::path(put, path = "/sla_policies/{id}", tag = "service levels", params(("id" = i64, Path)), request_body = SlaPolicyDefinition,
    responses((status = 200, description = "The policy", body = SlaPolicyRecord)))]
pub async fn replace_policy(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<SlaPolicyDefinition>,
) -> ApiResult<axum::Json<SlaPolicyRecord>> {
    me.require(Action::Administer)?;
    let definition = body.value.check()?;
    Ok(axum::Json(s.store.update_sla_policy(id, definition).await?))
}

/// Deletes an SLA policy (admins only).
#[utoipa::path(delete, path = "/sla_policies/{id}", tag = "service levels", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_policy(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    me.require(Action::Administer)?;
    s.store.delete_sla_policy(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where a policy or rule goes in the order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// From 1; past the end puts it last.
    pub position: i64,
}

/// Moves an SLA policy in the order they are tried (admins only).
#[utoipa::path(post, path = "/sla_policies/{id}/position", tag = "service levels", params(("id" = i64, Path)), request_body = Position,
    responses((status = 200, description = "The moved policy", body = SlaPolicyRecord)))]
pub async fn move_policy(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<Position>,
) -> ApiResult<axum::Json<SlaPolicyRecord>> {
    me.require(Action::Administer)?;
    Ok(axum::Json(
        s.store.move_sla_policy(id, body.value.position).await?,
    ))
}

/// One SLA clock of a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockView {
    pub clock: ClockKind,
    /// `off`, `running`, `paused` or `met`.
    pub state: &'static str,
    /// While running: when it is due.
    pub due_at: Option<jiff::Timestamp>,
    /// While running: whether the due time has passed.
    pub breached: bool,
    /// While paused: business seconds left (negative when over).
    pub remaining_seconds: Option<i64>,
    /// Once met: when, and whether late.
    pub met_at: Option<jiff::Timestamp>,
    pub late: bool,
}

/// A case's SLA.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSlaView {
    pub policy_id: i64,
    pub policy_name: String,
    pub clocks: Vec<ClockView>,
}

impl ClockView {
    fn new(clock: ClockKind, state: ClockState) -> Self {
        let view = ClockView {
            clock,
            state: "off",
            due_at: None,
            breached: false,
            remaining_seconds: None,
            met_at: None,
            late: false,
        };
        match state {
            ClockState::Off => view,
            ClockState::Running { due_at, breached } => ClockView {
                state: "running",
                due_at: Some(due_at),
                breached,
                ..view
            },
            ClockState::Paused { remaining_seconds } => ClockView {
                state: "paused",
                remaining_seconds: Some(remaining_seconds),
                ..view
            },
            ClockState::Met { at, late } => ClockView {
                state: "met",
                met_at: Some(at),
                late,
                ..view
            },
        }
    }
}

/// A case's SLA clocks now; 404 when no policy covers the case.
#[utoipa::path(get, path = "/cases/{id}/sla", tag = "service levels", params(("id" = i64, Path)),
    responses((status = 200, description = "The policy and its clocks", body = CaseSlaView)))]
pub async fn case_sla(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<CaseSlaView>> {
    me.require(Action::Read)?;
    let sla = s
        .store
        .case_sla(CaseId(id), s.store.clock().now())
        .await?
        .ok_or(tend_store::StoreError::NotFound("SLA for this case"))?;
    Ok(axum::Json(CaseSlaView {
        policy_id: sla.policy_id,
        policy_name: sla.policy_name,
        clocks: sla
            .status
            .clocks()
            .into_iter()
            .map(|(clock, state)| ClockView::new(clock, state))
            .collect(),
    }))
}
