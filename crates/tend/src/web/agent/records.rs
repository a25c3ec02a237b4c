//! The case page's "record" forms beyond the effort panel's own: a promise
//! made to the customer with its due time, a promise kept or broken, and a
//! channel switch. Each becomes an event through the same store call the
//! API's `POST /cases/{id}/events` uses, with the same checks.

use super::effort::record;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::form_time::FormZone;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use tend_domain::case::Channel;
use tend_domain::event::{EventData, MAX_PROMISE};
use tend_domain::ids::CaseId;
use tend_domain::{Invalid, text};

/// The "Promised the customer…" form; `due` is a `datetime-local` value
/// read at `tz_offset` (see [`FormZone`]).
#[derive(Deserialize)]
pub struct PromiseForm {
    promise: String,
    due: String,
    #[serde(default)]
    tz_offset: Option<String>,
}

/// Records a promise and when it is due.
pub async fn promise(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<PromiseForm>,
) -> Result<Response, WebError> {
    let now = s.store.clock().now();
    let event = FormZone::parse(form.tz_offset.as_deref()).and_then(|zone| {
        let data = EventData::PromiseMade {
            promise: text::required_clean("promise", &form.promise, MAX_PROMISE)?,
            due_at: zone.read("due", &form.due)?,
        };
        data.check_recordable(now)?;
        Ok(data)
    });
    record(s, session, CaseId(id), event).await
}

/// An open promise marked `kept` or `broken`.
#[derive(Deserialize)]
pub struct OutcomeForm {
    promise: String,
    outcome: String,
}

/// Marks an open promise kept or broken.
pub async fn outcome(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<OutcomeForm>,
) -> Result<Response, WebError> {
    let promise = form.promise;
    let event = match form.outcome.as_str() {
        "kept" => Ok(EventData::PromiseKept { promise }),
        "broken" => Ok(EventData::PromiseBroken { promise }),
        other => Err(Invalid::new(
            "outcome",
            format!("`{other}` is not one of: kept, broken"),
        )),
    };
    record(s, session, CaseId(id), event).await
}

/// The "Customer switched channel" form.
#[derive(Deserialize)]
pub struct SwitchForm {
    from: String,
    to: String,
}

/// Records that the conversation moved from one channel to another.
pub async fn channel_switch(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<SwitchForm>,
) -> Result<Response, WebError> {
    let now = s.store.clock().now();
    let event = Channel::parse("from", &form.from).and_then(|from| {
        let data = EventData::ChannelSwitched {
            from,
            to: Channel::parse("to", &form.to)?,
        };
        data.check_recordable(now)?;
        Ok(data)
    });
    record(s, session, CaseId(id), event).await
}
