//! Linking related cases from the case page (`#123`), and unlinking them:
//! recorded on both cases' logs by the store.

use super::case_page::back_or_error;
use super::merge::case_id;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::ids::CaseId;

/// The case to link, as the agent typed it (`#123` or `123`).
#[derive(Deserialize)]
pub struct LinkForm {
    case: String,
}

/// Links the case typed as related.
pub async fn link(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<LinkForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    let done = match case_id(&form.case) {
        Ok(other) => s
            .store
            .link_related(id, other, session.actor(), true)
            .await
            .map_err(WebError::from),
        Err(e) => Err(e),
    };
    back_or_error(&s, &session, id, done).await
}

/// Unlinks related case `other`.
pub async fn unlink(
    State(s): State<AppState>,
    Path((id, other)): Path<(i64, i64)>,
    Posted { session, .. }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    let done = s
        .store
        .link_related(id, CaseId(other), session.actor(), false)
        .await
        .map_err(WebError::from);
    back_or_error(&s, &session, id, done).await
}
