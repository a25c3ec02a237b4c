//! Email agents start: a case opened by writing to a customer, forwards,
//! and the signatures their email ends with.

use super::cases::{AttachmentUpload, attachments};
use super::extract::{Id, IdempotencyHeader, Json, Principal};
use super::idempotency::Create;
use crate::compose::{self, Forward, Outreach};
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::mail::outbound::Copies;
use crate::replies::MAX_BODY;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tend_domain::agent::Action;
use tend_domain::canned;
use tend_domain::case::{self as case_rules, Channel, Priority};
use tend_domain::email::{self, EmailAddress};
use tend_domain::html::EmailHtml;
use tend_domain::ids::{CaseId, MessageId, TeamId};
use tend_domain::text;
use tend_store::messages::NewMessage;
use tend_store::model::{Case, Message};
use tend_store::signatures::SignatureOf;
use utoipa::ToSchema;

/// A case to open by writing to a customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenByEmail {
    /// The inbox the email goes out from (and replies come back to).
    inbox_id: i64,
    /// The customer's address; a customer is added when nobody has it.
    to: String,
    /// The name of a customer added for `to` [default: the address].
    name: Option<String>,
    subject: String,
    /// Plain-text body.
    body: String,
    /// HTML body; sanitised before it is stored and sent.
    body_html: Option<String>,
    /// At most 20 addresses.
    #[serde(default)]
    cc: Vec<String>,
    /// At most 20 addresses.
    #[serde(default)]
    bcc: Vec<String>,
    /// [default: normal]
    priority: Option<Priority>,
    team_id: Option<TeamId>,
    #[serde(default)]
    attachments: Vec<AttachmentUpload>,
}

/// Opens a case by emailing a customer from an inbox: the case (assigned
/// to you, channel `email`), its first message (yours) and the email are
/// one write; the email is signed and threads like any reply.
#[utoipa::path(post, path = "/cases/outbound", tag = "cases",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = OpenByEmail,
    responses((status = 201, description = "The case opened", body = Case)))]
pub async fn open_by_email(
    State(s): State<AppState>,
    me: Principal,
    idem: IdempotencyHeader,
    body: Json<OpenByEmail>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let key = body.idempotency_key(&me, &idem);
    let req = &body.value;
    let message = NewMessage {
        body_html: req.body_html.as_deref().map(EmailHtml::untrusted),
        attachments: attachments(&s, &req.attachments)?,
        ..NewMessage::text(
            me.actor(),
            Channel::Email,
            false,
            text::required("body", &req.body, MAX_BODY)?,
        )
    };
    let out = Outreach {
        inbox_id: req.inbox_id,
        to: EmailAddress::parse("to", &req.to)?,
        name: req.name.clone(),
        subject: text::required_clean("subject", &req.subject, case_rules::MAX_SUBJECT)?,
        message,
        copies: copies(&req.cc, &req.bcc)?,
        priority: req.priority.unwrap_or(Priority::Normal),
        team_id: req.team_id,
    };
    Create {
        store: &s.store,
        key: key.as_ref(),
        resource: "case",
        collection: "/api/v1/cases",
    }
    .respond(
        compose::open_case(&s.store, me.agent_id, out, key.as_ref()),
        |id| s.store.case(CaseId(id)),
        |c| c.id.0,
    )
    .await
}

/// A forward of a case's message, or of the whole case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardBody {
    /// One to 20 addresses.
    to: Vec<String>,
    /// At most 20 addresses.
    #[serde(default)]
    cc: Vec<String>,
    /// The message to forward [default: the whole conversation the
    /// customer sees, oldest first].
    message_id: Option<MessageId>,
    /// What you write above the forwarded text.
    #[serde(default)]
    note: String,
}

/// Forwards a message of the case, or the whole case, with its
/// attachments, to any address. It is kept on the case as an internal
/// message (the customer never sees it) with its delivery, and an answer
/// from a recipient joins the case.
#[utoipa::path(post, path = "/cases/{id}/forward", tag = "cases", params(("id" = i64, Path)),
    request_body = ForwardBody,
    responses((status = 201, description = "The forward as stored on the case", body = Message)))]
pub async fn forward(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<ForwardBody>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let req = &body.value;
    let to = email::parse_list("to", &req.to)?;
    let fwd = Forward {
        to,
        cc: email::parse_list("cc", &req.cc)?,
        message: req.message_id,
        note: text::bounded("note", &req.note, MAX_BODY)?,
    };
    let message = compose::forward(&s.store, me.agent_id, CaseId(id), fwd).await?;
    Ok((StatusCode::CREATED, axum::Json(message)).into_response())
}

/// The copies asked for, checked.
fn copies(cc: &[String], bcc: &[String]) -> Result<Copies, tend_domain::Invalid> {
    let strings = |list: Vec<EmailAddress>| list.iter().map(|a| a.as_str().to_owned()).collect();
    Ok(Copies {
        cc: strings(email::parse_list("cc", cc)?),
        bcc: strings(email::parse_list("bcc", bcc)?),
    })
}

/// An email signature: plain text with placeholders (`{{agent.name}}`,
/// `{{inbox.name}}`, `{{customer.name}}`, `{{customer.first_name}}`,
/// `{{case.reference}}`, `{{case.subject}}`), at most 2,000 characters;
/// empty for none. Email from agents ends with the agent's signature, then
/// the inbox's, in the text and the HTML.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    signature: String,
}

/// Your email signature.
#[utoipa::path(get, path = "/me/signature", tag = "staff",
    responses((status = 200, description = "Your signature", body = Signature)))]
pub async fn my_signature(
    State(s): State<AppState>,
    me: Principal,
) -> ApiResult<axum::Json<Signature>> {
    read(&s, SignatureOf::Agent(me.agent_id)).await
}

/// Sets your email signature.
#[utoipa::path(put, path = "/me/signature", tag = "staff", request_body = Signature,
    responses((status = 200, description = "Your signature", body = Signature)))]
pub async fn set_my_signature(
    State(s): State<AppState>,
    me: Principal,
    body: Json<Signature>,
) -> ApiResult<axum::Json<Signature>> {
    me.require(Action::Work)?;
    write(&s, SignatureOf::Agent(me.agent_id), &body.value).await
}

/// An inbox's email signature.
#[utoipa::path(get, path = "/inboxes/{id}/signature", tag = "inboxes", params(("id" = i64, Path)),
    responses((status = 200, description = "The inbox's signature", body = Signature)))]
pub async fn inbox_signature(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Signature>> {
    me.require(Action::Read)?;
    read(&s, SignatureOf::Inbox(id)).await
}

/// Sets an inbox's email signature.
#[utoipa::path(put, path = "/inboxes/{id}/signature", tag = "inboxes", params(("id" = i64, Path)),
    request_body = Signature,
    responses((status = 200, description = "The inbox's signature", body = Signature)))]
pub async fn set_inbox_signature(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<Signature>,
) -> ApiResult<axum::Json<Signature>> {
    me.require(Action::Administer)?;
    write(&s, SignatureOf::Inbox(id), &body.value).await
}

async fn read(s: &AppState, of: SignatureOf) -> ApiResult<axum::Json<Signature>> {
    Ok(axum::Json(Signature {
        signature: s.store.signature(of).await?,
    }))
}

async fn write(
    s: &AppState,
    of: SignatureOf,
    body: &Signature,
) -> ApiResult<axum::Json<Signature>> {
    let signature = canned::signature(&body.signature)?;
    s.store.set_signature(of, signature).await?;
    read(s, of).await
}
