//! Snoozing a case from its page: a preset ("in 4 hours", "tomorrow 9:00",
//! "next week") or a chosen time, in the agent's browser time zone (see
//! [`FormZone`]); and waking it early.

use super::case_page::back_or_error;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::form_time::FormZone;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::ids::CaseId;

/// The snooze form: a `preset` button, or `until` (`datetime-local`).
#[derive(Deserialize)]
pub struct SnoozeForm {
    #[serde(default)]
    preset: Option<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    tz_offset: Option<String>,
}

/// Snoozes the case until the chosen time.
pub async fn snooze(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<SnoozeForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    let now = s.store.clock().now();
    let until = FormZone::parse(form.tz_offset.as_deref()).and_then(|zone| {
        match form.preset.as_deref().filter(|p| !p.is_empty()) {
            Some(preset) => zone.preset(preset, now),
            None => zone.read("until", form.until.as_deref().unwrap_or("")),
        }
    });
    let done = match until {
        Ok(until) => s
            .store
            .snooze_case(id, Some(until), session.actor())
            .await
            .map(drop)
            .map_err(WebError::from),
        Err(e) => Err(WebError::field(e)),
    };
    back_or_error(&s, &session, id, done).await
}

/// Ends the snooze now.
pub async fn wake(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, .. }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    let done = s
        .store
        .snooze_case(id, None, session.actor())
        .await
        .map(drop)
        .map_err(WebError::from);
    back_or_error(&s, &session, id, done).await
}
