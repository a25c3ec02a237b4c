//! Splitting a case from its page: the messages ticked in the timeline
//! (`message`, repeated) move to a new case titled `subject`, which then
//! opens. The store checks the selection (see `Store::split_case`).

use super::case_page::{Draft, render_error};
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use tend_domain::agent::Action;
use tend_domain::ids::{CaseId, MessageId};
use tend_store::split::MAX_SPLIT;

/// The selected message ids and the new subject, from the form's pairs.
fn selection(pairs: &[(String, String)]) -> Result<(Vec<MessageId>, String), WebError> {
    let mut ids = Vec::new();
    let mut subject = String::new();
    for (name, value) in pairs {
        match name.as_str() {
            "message" if ids.len() > MAX_SPLIT => {
                return Err(WebError::Invalid(format!(
                    "Split at most {MAX_SPLIT} messages at a time."
                )));
            }
            "message" => ids.push(MessageId(value.parse().map_err(|_| {
                WebError::Invalid(format!("`{value}` is not a message of this case"))
            })?)),
            "subject" => subject = value.clone(),
            _ => {}
        }
    }
    Ok((ids, subject))
}

/// Splits the selected messages into a new case and opens it.
pub async fn split(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    let split = match selection(&form) {
        Ok((ids, subject)) => s
            .store
            .split_case(id, &ids, &subject, session.actor())
            .await
            .map_err(WebError::from),
        Err(e) => Err(e),
    };
    match split {
        Ok((_, new)) => Ok(Redirect::to(&format!("/cases/{}", new.id)).into_response()),
        Err(e) => render_error(&s, &session, id, e, Draft::default()).await,
    }
}
