//! Inboxes: the addresses Tend takes email for. Reading is for every role;
//! creating, changing survey settings and connecting mailboxes with OAuth
//! 2.0 is for admins.

use super::extract::{Id, Json, Principal};
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::mail::inbox::{InboxRequest, SurveyRequest};
use crate::mail::oauth::{self, Admin, Authorization, request::OauthRequest};
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
    s.mailboxes.changed();
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

/// Sets the OAuth 2.0 client an inbox's IMAP mailbox logs in with (admins
/// only), from a preset (`microsoft365`, `google`) or explicit endpoints;
/// the mailbox then logs in with XOAUTH2 once connected
/// (`POST /inboxes/{id}/oauth/authorize`).
#[utoipa::path(put, path = "/inboxes/{id}/oauth", tag = "email", params(("id" = i64, Path)),
    request_body = OauthRequest,
    responses((status = 200, description = "The inbox with its OAuth client", body = Inbox)))]
pub async fn set_oauth(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<OauthRequest>,
) -> ApiResult<axum::Json<Inbox>> {
    me.require(Action::Administer)?;
    let client = body.value.parse()?;
    let inbox = s.store.set_inbox_oauth(id, &client).await?;
    s.mailboxes.changed();
    Ok(axum::Json(inbox))
}

/// Begins connecting an inbox's mailbox (admins only): send the admin to
/// `authorize_url`; the provider sends them back to `redirect_uri` with a
/// `code`, which a signed-in admin's browser finishes there, or which is
/// passed to `POST /inboxes/{id}/oauth/token` with the `state`.
#[utoipa::path(post, path = "/inboxes/{id}/oauth/authorize", tag = "email",
    params(("id" = i64, Path)),
    responses((status = 200, description = "Where to authorise", body = Authorization)))]
pub async fn authorize(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Authorization>> {
    me.require(Action::Administer)?;
    let admin = Admin {
        agent_id: me.agent_id,
        session_hash: None,
    };
    let begun = oauth::begin(&s.store, id, admin, &s.web.public_url).await?;
    Ok(axum::Json(begun))
}

/// The code the provider gave, with the state of the authorisation begun.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    pub state: String,
    pub code: String,
}

/// Finishes connecting an inbox's mailbox (admins only, the one who began):
/// exchanges the code for tokens, stored sealed.
#[utoipa::path(post, path = "/inboxes/{id}/oauth/token", tag = "email",
    params(("id" = i64, Path)), request_body = CodeRequest,
    responses((status = 200, description = "The inbox, connected", body = Inbox)))]
pub async fn token(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<CodeRequest>,
) -> ApiResult<axum::Json<Inbox>> {
    me.require(Action::Administer)?;
    let admin = Admin {
        agent_id: me.agent_id,
        session_hash: None,
    };
    let CodeRequest { state, code } = body.value;
    let connected = oauth::finish(&s.store, &s.mailboxes, &admin, &state, &code, Some(id)).await?;
    Ok(axum::Json(s.store.inbox(connected).await?))
}
