//! The case page's "record" forms beyond the effort panel's own: a promise
//! made to the customer with its due time (through the store's promise
//! path, like `POST /cases/{id}/promises`), a promise kept or broken, and
//! a channel switch. The others become an event through the same store
//! call the API's `POST /cases/{id}/events` uses, with the same checks.

use super::case_page::back_or_error;
use super::effort::record;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::form_time::FormZone;
use axum::extract::{Path, State};
use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::case::Channel;
use tend_domain::event::EventData;
use tend_domain::ids::CaseId;
use tend_domain::promise::{NewPromise, PromiseKeeper};

/// The "Promised the customer…" form; `due` is a `datetime-local` value
/// read at `tz_offset` (see [`FormZone`]); `visible_to_customer` is a
/// checkbox, `kept_by` a [`PromiseKeeper`] (blank: manual).
#[derive(Deserialize)]
pub struct PromiseForm {
    pub(super) promise: String,
    pub(super) due: String,
    #[serde(default)]
    pub(super) tz_offset: Option<String>,
    #[serde(default)]
    pub(super) visible_to_customer: Option<String>,
    #[serde(default)]
    pub(super) kept_by: Option<String>,
}

impl PromiseForm {
    pub(super) fn check(&self, now: Timestamp) -> Result<NewPromise, Invalid> {
        let zone = FormZone::parse(self.tz_offset.as_deref())?;
        let kept_by = match self.kept_by.as_deref().map(str::trim) {
            None | Some("") => PromiseKeeper::Manual,
            Some(raw) => PromiseKeeper::parse("kept_by", raw)?,
        };
        NewPromise::checked(
            &self.promise,
            zone.read("due", &self.due)?,
            None,
            self.visible_to_customer.is_some(),
            kept_by,
            now,
        )
    }
}

/// Makes a promise: what, when due, whether the customer sees it and what
/// keeps it (the same store call as the API's and the rules').
pub async fn promise(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<PromiseForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    let done = match form.check(s.store.clock().now()).map_err(WebError::field) {
        Ok(promise) => s
            .store
            .make_promise(id, promise, session.actor(), None)
            .await
            .map(|_| ())
            .map_err(WebError::from),
        Err(e) => Err(e),
    };
    back_or_error(&s, &session, id, done).await
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
