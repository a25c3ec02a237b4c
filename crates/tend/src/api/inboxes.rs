//! Inboxes: the addresses Tend takes email for. Reading is for every role;
//! creating is for admins.

use super::error::ApiResult;
use super::extract::{Json, Principal};
use crate::server::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::email::{ClosedReply, EmailAddress};
use tend_domain::text;
use tend_store::email::Inbox;
use utoipa::ToSchema;

/// A new inbox.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInbox {
    /// The address customers write to, e.g. `support@example.com`.
    address: String,
    /// Shown to agents [default: the address].
    name: Option<String>,
    /// What a reply to a closed case does [default: reopen].
    closed_reply: Option<ClosedReply>,
}

/// Every inbox.
#[utoipa::path(get, path = "/inboxes", tag = "email",
    responses((status = 200, description = "All inboxes", body = Vec<Inbox>)))]
pub async fn list(State(s): State<AppState>, me: Principal) -> ApiResult<axum::Json<Vec<Inbox>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.inboxes().await?))
}

/// Creates an inbox (admins only).
#[utoipa::path(post, path = "/inboxes", tag = "email", request_body = CreateInbox,
    responses((status = 201, description = "The new inbox", body = Inbox)))]
pub async fn create(
    State(s): State<AppState>,
    me: Principal,
    body: Json<CreateInbox>,
) -> ApiResult<Response> {
    me.require(Action::Administer)?;
    let req = body.value;
    let address = EmailAddress::parse("address", &req.address)?;
    let name = match &req.name {
        Some(n) => text::required("name", n, 200)?,
        None => address.as_str().to_owned(),
    };
    let inbox = s
        .store
        .create_inbox(
            &address,
            &name,
            req.closed_reply.unwrap_or(ClosedReply::Reopen),
        )
        .await?;
    Ok(super::created(
        format!("/api/v1/inboxes/{}", inbox.id),
        false,
        inbox,
    ))
}
