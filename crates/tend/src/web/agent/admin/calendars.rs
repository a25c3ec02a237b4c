//! Business-hours calendars: the list with the new-calendar form, where
//! each team and inbox takes its calendar from, editing one calendar and
//! importing its holidays from an iCalendar file.

use super::{Confirm, layout, respond, settle};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::web::shared::csrf::{Posted, PostedWithFiles};
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout};
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::calendar::{CalendarDefinition, MAX_ICS_BYTES, holidays_from_ics};
use tend_domain::ids::TeamId;
use tend_store::service_levels::calendars::Calendar;

/// Where these pages live.
const HOME: &str = "/admin/calendars";

/// A calendar's form, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CalendarForm {
    name: String,
    time_zone: String,
    hours: String,
    /// Local dates, one per line (or separated by commas or spaces).
    holidays: String,
    /// A ticked box sends a value.
    is_default: Option<String>,
}

impl CalendarForm {
    fn new_calendar() -> Self {
        CalendarForm {
            time_zone: "Europe/Amsterdam".into(),
            hours: "mon-fri 09:00-17:00".into(),
            ..CalendarForm::default()
        }
    }

    fn of(calendar: &Calendar) -> Self {
        let d = &calendar.definition;
        CalendarForm {
            name: d.name.clone(),
            time_zone: d.time_zone.clone(),
            hours: d.hours.clone(),
            holidays: d
                .holidays
                .iter()
                .map(|h| h.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            is_default: calendar.is_default.then(|| "on".into()),
        }
    }

    fn checked(&self) -> Result<(CalendarDefinition, bool), Invalid> {
        let holidays = self
            .holidays
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|day| {
                day.parse().map_err(|_| {
                    Invalid::new(
                        "holidays",
                        format!("`{}` is not a date; write 2026-12-25", day.escape_debug()),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let definition = CalendarDefinition {
            name: self.name.clone(),
            time_zone: self.time_zone.clone(),
            hours: self.hours.clone(),
            holidays,
        }
        .check()?;
        Ok((definition, self.is_default.is_some()))
    }
}

/// A team or inbox and the calendar it names.
struct Assignment {
    /// `team-3` or `inbox-2`: the form's target.
    target: String,
    name: String,
    calendars: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "admin_calendars.html")]
struct CalendarsPage {
    layout: Layout,
    section: &'static str,
    calendars: Vec<Calendar>,
    assignments: Vec<Assignment>,
    form: CalendarForm,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_calendar_edit.html")]
struct CalendarEditPage {
    layout: Layout,
    section: &'static str,
    id: i64,
    form: CalendarForm,
    holiday_count: usize,
    error: Option<String>,
}

async fn render_list(
    s: &AppState,
    session: &Session,
    form: CalendarForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let layout = layout(session)?;
    let calendars = s.store.calendars().await?;
    let (teams, inboxes) = s.store.calendar_assignments().await?;
    let choices = |chosen: Option<i64>| {
        let mut list = vec![Choice {
            value: String::new(),
            text: "the default".into(),
            selected: chosen.is_none(),
        }];
        list.extend(calendars.iter().map(|c| Choice {
            value: c.id.to_string(),
            text: c.definition.name.clone(),
            selected: chosen == Some(c.id),
        }));
        list
    };
    let named = |list: &[(i64, i64)], id: i64| list.iter().find(|(i, _)| *i == id).map(|(_, c)| *c);
    let mut assignments: Vec<Assignment> = s
        .store
        .teams()
        .await?
        .into_iter()
        .map(|t| Assignment {
            target: format!("team-{}", t.id.0),
            name: format!("Team {}", t.name),
            calendars: choices(named(&teams, t.id.0)),
        })
        .collect();
    assignments.extend(s.store.inboxes().await?.into_iter().map(|i| Assignment {
        target: format!("inbox-{}", i.id),
        name: format!("Inbox {}", i.address),
        calendars: choices(named(&inboxes, i.id)),
    }));
    let page = CalendarsPage {
        layout,
        section: "calendars",
        calendars,
        assignments,
        form,
        error,
    };
    respond(&page, &page.error)
}

async fn render_one(
    s: &AppState,
    session: &Session,
    id: i64,
    form: Option<CalendarForm>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let layout = layout(session)?;
    let calendar = s.store.calendar(id).await?;
    let page = CalendarEditPage {
        layout,
        section: "calendars",
        id,
        holiday_count: calendar.definition.holidays.len(),
        form: form.unwrap_or_else(|| CalendarForm::of(&calendar)),
        error,
    };
    respond(&page, &page.error)
}

/// Lists calendars and where they apply, with the new-calendar form.
pub async fn list(State(s): State<AppState>, session: Session) -> Result<Response, WebError> {
    render_list(&s, &session, CalendarForm::new_calendar(), None).await
}

/// Creates a calendar.
pub async fn create(
    State(s): State<AppState>,
    posted: Posted<CalendarForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let created = async {
        let (definition, is_default) = form.checked()?;
        Ok::<_, ApiError>(s.store.create_calendar(definition, is_default).await?)
    }
    .await;
    settle(created, HOME, |m| render_list(&s, &session, form, Some(m))).await
}

/// The form of one calendar.
pub async fn edit(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    render_one(&s, &session, id, None, None).await
}

/// Saves a calendar.
pub async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<CalendarForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let saved = async {
        let (definition, is_default) = form.checked()?;
        Ok::<_, ApiError>(s.store.update_calendar(id, definition, is_default).await?)
    }
    .await;
    settle(saved, HOME, |m| {
        render_one(&s, &session, id, Some(form), Some(m))
    })
    .await
}

/// Deletes a calendar nothing uses.
pub async fn delete(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Confirm>,
) -> Result<Response, WebError> {
    posted.session.require(Action::Administer)?;
    let deleted = s.store.delete_calendar(id).await.map_err(ApiError::from);
    settle(deleted, HOME, |m| {
        render_one(&s, &posted.session, id, None, Some(m))
    })
    .await
}

/// Adds the days of an uploaded `.ics` file's events to the holidays.
pub async fn import(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: PostedWithFiles<Confirm>,
) -> Result<Response, WebError> {
    let PostedWithFiles { session, files, .. } = posted;
    session.require(Action::Administer)?;
    let imported = async {
        let file = files
            .first()
            .ok_or_else(|| Invalid::new("file", "choose an .ics file to import"))?;
        if file.data.len() > MAX_ICS_BYTES {
            return Err(Invalid::new("file", "an .ics file may be at most 1 MiB").into());
        }
        let text = std::str::from_utf8(&file.data)
            .map_err(|_| Invalid::new("file", "the file is not UTF-8 text: is it an .ics file?"))?;
        let days = holidays_from_ics(text)?;
        Ok::<_, ApiError>(s.store.add_holidays(id, days).await?)
    }
    .await;
    settle(imported, &format!("{HOME}/{id}"), |m| {
        render_one(&s, &session, id, None, Some(m))
    })
    .await
}

/// The calendar a team or inbox takes, as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssignForm {
    target: String,
    calendar_id: String,
}

/// Sets the calendar of one team or inbox.
pub async fn assign(
    State(s): State<AppState>,
    posted: Posted<AssignForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let calendar = match form.calendar_id.as_str() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map_err(|_| WebError::Invalid("choose a calendar from the list".into()))?,
        ),
    };
    let target = |prefix: &str| {
        form.target
            .strip_prefix(prefix)
            .and_then(|id| id.parse::<i64>().ok())
    };
    match (target("team-"), target("inbox-")) {
        (Some(team), _) => s.store.set_team_calendar(TeamId(team), calendar).await?,
        (_, Some(inbox)) => s.store.set_inbox_calendar(inbox, calendar).await?,
        _ => return Err(WebError::Invalid("choose a team or an inbox".into())),
    }
    Ok(Redirect::to(HOME).into_response())
}
