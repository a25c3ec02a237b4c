//! Canned replies. Reading is for every role; changes are for admins.

use super::extract::{Id, Json, Principal};
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::canned;
use tend_store::canned::{CannedChange, CannedReply};
use utoipa::ToSchema;

/// A canned reply, new or changed; on change, absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedBody {
    /// Unique; required when creating.
    title: Option<String>,
    /// Plain text with optional placeholders; required when creating.
    body: Option<String>,
}

impl CannedBody {
    fn change(&self) -> Result<CannedChange, tend_domain::Invalid> {
        Ok(CannedChange {
            title: self.title.as_deref().map(canned::title).transpose()?,
            body: self.body.as_deref().map(canned::body).transpose()?,
        })
    }
}

/// Every canned reply, by title.
#[utoipa::path(get, path = "/canned_replies", tag = "staff",
    responses((status = 200, description = "All canned replies", body = Vec<CannedReply>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
) -> ApiResult<axum::Json<Vec<CannedReply>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.canned_replies().await?))
}

/// Creates a canned reply (admins only).
#[utoipa::path(post, path = "/canned_replies", tag = "staff", request_body = CannedBody,
    responses((status = 201, description = "The new canned reply", body = CannedReply)))]
pub async fn create(
    State(s): State<AppState>,
    me: Principal,
    body: Json<CannedBody>,
) -> ApiResult<Response> {
    me.require(Action::Administer)?;
    let change = body.value.change()?;
    let missing = |field: &str| tend_domain::Invalid::new(field, "is required");
    let title = change.title.ok_or_else(|| missing("title"))?;
    let text = change.body.ok_or_else(|| missing("body"))?;
    let reply = s.store.create_canned_reply(&title, &text).await?;
    Ok(super::created(
        format!("/api/v1/canned_replies/{}", reply.id),
        false,
        reply,
    ))
}

/// One canned reply.
#[utoipa::path(get, path = "/canned_replies/{id}", tag = "staff", params(("id" = i64, Path)),
    responses((status = 200, description = "The canned reply", body = CannedReply)))]
pub async fn get(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<CannedReply>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.canned_reply(id).await?))
}

/// Changes a canned reply (admins only).
#[utoipa::path(patch, path = "/canned_replies/{id}", tag = "staff", params(("id" = i64, Path)), request_body = CannedBody,
    responses((status = 200, description = "The changed canned reply", body = CannedReply)))]
pub async fn update(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<CannedBody>,
) -> ApiResult<axum::Json<CannedReply>> {
    me.require(Action::Administer)?;
    let change = body.value.change()?;
    Ok(axum::Json(s.store.update_canned_reply(id, &change).await?))
}

/// Deletes a canned reply (admins only).
#[utoipa::path(delete, path = "/canned_replies/{id}", tag = "staff", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(State(s): State<AppState>, me: Principal, Id(id): Id) -> ApiResult<StatusCode> {
    me.require(Action::Administer)?;
    s.store.delete_canned_reply(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
