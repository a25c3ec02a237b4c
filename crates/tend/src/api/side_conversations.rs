//! Side conversations with third parties ([`crate::side_conversations`]):
//! started from a case by email, replied to within, listed apart from the
//! customer's thread. Customers never see them.

use super::extract::{Id, Json, Principal};
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::replies::MAX_BODY;
use crate::side_conversations::{self as side, Start};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::email;
use tend_domain::ids::{CaseId, SideConversationId};
use tend_domain::text;
use tend_store::model::Message;
use tend_store::side_conversations::SideConversation;
use utoipa::ToSchema;

/// A side conversation to start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// One to 20 addresses outside (a supplier's).
    to: Vec<String>,
    /// At most 20 addresses; 20 in all with `to`.
    #[serde(default)]
    cc: Vec<String>,
    /// One line, 1 to 200 characters; sent as `<subject> [#<case>-S<id>]`.
    subject: String,
    /// The first message, plain text.
    body: String,
}

/// A message within a side conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SideMessageBody {
    /// Plain text.
    body: String,
}

/// Starts a side conversation on case `id`: an email from the case's inbox
/// to people outside, kept on the case as an internal message of the
/// conversation (records `side_conversation_started`). Their answers join
/// the conversation, never the customer's thread.
#[utoipa::path(post, path = "/cases/{id}/side_conversations", tag = "side conversations",
    params(("id" = i64, Path)), request_body = StartBody,
    responses((status = 201, description = "The side conversation", body = SideConversation)))]
pub async fn start(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<StartBody>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let req = &body.value;
    let start = Start {
        to: email::parse_list("to", &req.to)?,
        cc: email::parse_list("cc", &req.cc)?,
        subject: side::subject(&req.subject)?,
        body: text::required("body", &req.body, MAX_BODY)?,
    };
    let started = side::start(&s.store, me.agent_id, CaseId(id), start).await?;
    Ok((StatusCode::CREATED, axum::Json(started)).into_response())
}

/// Case `id`'s side conversations, oldest first.
#[utoipa::path(get, path = "/cases/{id}/side_conversations", tag = "side conversations",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The case's side conversations", body = Vec<SideConversation>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Vec<SideConversation>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.side_conversations(CaseId(id)).await?))
}

/// Side conversation `id`'s messages, oldest first (at most 500): yours,
/// emailed to its participants, and their answers.
#[utoipa::path(get, path = "/side_conversations/{id}/messages", tag = "side conversations",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The conversation's messages", body = Vec<Message>)))]
pub async fn messages(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Vec<Message>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(
        s.store.side_messages(SideConversationId(id)).await?,
    ))
}

/// Writes in side conversation `id`: emailed to its participants (the
/// first as recipient, the others copied), threaded on its earlier mail.
#[utoipa::path(post, path = "/side_conversations/{id}/messages", tag = "side conversations",
    params(("id" = i64, Path)), request_body = SideMessageBody,
    responses((status = 201, description = "The message as stored", body = Message)))]
pub async fn reply(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<SideMessageBody>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let text = text::required("body", &body.value.body, MAX_BODY)?;
    let message = side::reply(&s.store, me.agent_id, SideConversationId(id), text).await?;
    Ok((StatusCode::CREATED, axum::Json(message)).into_response())
}
