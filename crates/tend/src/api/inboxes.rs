//! Inboxes: the addresses Tend takes email for. Reading is for every role;
//! creating and changing survey settings is for admins.

use super::extract::{Id, Json, Principal};
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::mail::inbox::{InboxRequest, SurveyRequest};
use axum::extract::State;
use axum::response::Response;
use tend_domain::agent::Action;
use tend_store::email::Inbox;

/// Every inbox.
#[utoipa::path(get, path = "/inboxes", tag = "email",
    responses((status = 200, description = "All inboxes", body = Vec<Inbox>)))]
pub async fn list(State(s): State<AppState>, me: Principal) -> ApiResult<axum::Json<Vec<Inbox>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.inboxes().await?))
}

/// Creates an inbox (admins only), optionally polling an IMAP mailbox.
#[utoipa::path(post, path = "/inboxes", tag = "email", request_body = InboxRequest,
    responses((status = 201, description = "The new inbox", body = Inbox)))]
pub async fn create(
    State(s): State<AppState>,
    me: Principal,
    body: Json<InboxRequest>,
) -> ApiResult<Response> {
    me.require(Action::Administer)?;
    let inbox = s.store.create_inbox(&body.value.parse()?).await?;
    Ok(super::created(
        format!("/api/v1/inboxes/{}", inbox.id),
        false,
        inbox,
    ))
}

/// Sets an inbox's survey settings (admins only); fields left out take
/// their defaults.
#[utoipa::path(put, path = "/inboxes/{id}/survey", tag = "email", params(("id" = i64, Path)),
    request_body = SurveyRequest,
    responses((status = 200, description = "The inbox with its new survey settings", body = Inbox)))]
pub async fn set_survey(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<SurveyRequest>,
) -> ApiResult<axum::Json<Inbox>> {
    me.require(Action::Administer)?;
    let survey = body.value.parse()?;
    Ok(axum::Json(s.store.set_inbox_survey(id, survey).await?))
}
