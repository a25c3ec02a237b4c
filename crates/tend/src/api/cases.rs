//! Cases, their messages, events and attachments.

use super::extract::{Id, IdempotencyHeader, Json, Params, Principal};
use super::idempotency::Create;
use super::{PageParams, nullable};
use crate::http::AppState;
use crate::http::download;
use crate::http::error::{ApiError, ApiResult};
use crate::http::reads::Reads;
use crate::http::upload::attachment_upload;
use crate::replies::{CopyRequest, MAX_BODY};
use axum::extract::State;
use axum::response::Response;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tend_domain::agent::Action;
use tend_domain::case::{self as case_rules, CaseChange, Channel, MAX_SUBJECT, Priority, Status};
use tend_domain::effort::EffortLevel;
use tend_domain::event::{Actor, CaseEvent, EventData};
use tend_domain::html::EmailHtml;
use tend_domain::ids::*;
use tend_domain::{Invalid, email, text};
use tend_store::cases::{AssigneeFilter, CaseFilter, CaseSort, NewCase};
use tend_store::messages::{NewAttachment, NewMessage};
use tend_store::model::{Case, Message, Page};
use utoipa::{IntoParams, ToSchema};

/// A file sent inline with a message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentUpload {
    /// File name shown to people; path parts are removed.
    filename: String,
    /// MIME type [default: application/octet-stream].
    content_type: Option<String>,
    /// The file, base64-encoded (standard alphabet).
    content_base64: String,
}

/// Opens a case for a customer with their first message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCase {
    subject: String,
    customer_id: CustomerId,
    /// The customer's request, as plain text.
    message: String,
    /// The same request as HTML; sanitised before it is stored.
    message_html: Option<String>,
    /// Channel the request came through [default: api].
    channel: Option<Channel>,
    /// [default: normal]
    priority: Option<Priority>,
    /// At most 50 different tags (repeats are dropped).
    #[serde(default)]
    tags: Vec<String>,
    team_id: Option<TeamId>,
    assignee_id: Option<AgentId>,
    agreement_id: Option<AgreementId>,
    #[serde(default)]
    custom_fields: Map<String, Value>,
    #[serde(default)]
    attachments: Vec<AttachmentUpload>,
}

/// Changes to a case; absent fields stay as they are, null clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCase {
    subject: Option<String>,
    status: Option<Status>,
    priority: Option<Priority>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    assignee_id: Option<Option<AgentId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    team_id: Option<Option<TeamId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    agreement_id: Option<Option<AgreementId>>,
    /// Tags to add: at most 50 different ones, and a case holds at most 50.
    #[serde(default)]
    add_tags: Vec<String>,
    /// Tags to remove: at most 50 different ones.
    #[serde(default)]
    remove_tags: Vec<String>,
    /// Fields to set; null removes a field.
    #[serde(default)]
    custom_fields: Map<String, Value>,
}

/// A reply to the customer or an internal note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// Plain-text body.
    body: String,
    /// HTML body; sanitised before it is stored.
    body_html: Option<String>,
    /// True for an internal note the customer never sees.
    #[serde(default)]
    internal: bool,
    #[serde(default)]
    attachments: Vec<AttachmentUpload>,
    /// A promise made with the message, in the same write (see
    /// `POST /cases/{id}/promises`). On a reply, one visible to the
    /// customer is stated at the end of the message (and its email):
    /// "Our promise: …, by Friday 11 December, 17:00 UTC."
    #[serde(default)]
    promise: Option<super::promises::MakePromise>,
    /// Who an emailed reply copies, at most 20 addresses. Absent: whoever
    /// the conversation copies (the Cc of the latest email, and a
    /// participant who wrote it: "reply all"); `[]` copies nobody.
    #[serde(default)]
    cc: Option<Vec<String>>,
    /// Blind copies of an emailed reply, at most 20 addresses.
    #[serde(default)]
    bcc: Vec<String>,
}

impl PostMessage {
    /// The copies asked for, checked.
    fn copies(&self) -> Result<CopyRequest, Invalid> {
        Ok(CopyRequest {
            cc: self
                .cc
                .as_deref()
                .map(|cc| email::parse_list("cc", cc))
                .transpose()?,
            bcc: email::parse_list("bcc", &self.bcc)?,
        })
    }
}

/// Filters for the case list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseListParams {
    /// Comma-separated statuses, e.g. `new,open`.
    status: Option<String>,
    /// An agent id, `me`, or `none` for unassigned cases.
    assignee: Option<String>,
    team_id: Option<i64>,
    tag: Option<String>,
    customer_id: Option<i64>,
    /// Only cases changed at or after this RFC 3339 time.
    updated_since: Option<String>,
    /// Only cases whose customer effort is at this level.
    effort_level: Option<EffortLevel>,
    /// `running`: only cases with a running SLA clock; `breached`: only
    /// those whose clock is past due.
    sla: Option<String>,
    /// `-updated_at` (default), `updated_at`, `-created_at`, `created_at`,
    /// `-effort_index` (highest effort first), `effort_index`,
    /// `waiting_since` (the customer who has waited longest first; cases
    /// nobody waits on last) or `sla_due_at` (the SLA clock due soonest
    /// first; cases without one last).
    sort: Option<String>,
}

impl CaseListParams {
    fn filter(&self, me: AgentId, now: jiff::Timestamp) -> Result<CaseFilter, Invalid> {
        let statuses = status_list(self.status.as_deref())?;
        let (sla_running, sla_due_by) = match self.sla.as_deref() {
            None | Some("") => (false, None),
            Some("running") => (true, None),
            Some("breached") => (true, Some(now)),
            Some(_) => return Err(Invalid::new("sla", "use `running` or `breached`")),
        };
        let assignee = match self.assignee.as_deref() {
            None => None,
            Some("none") => Some(AssigneeFilter::Nobody),
            Some("me") => Some(AssigneeFilter::Agent(me)),
            Some(id) => Some(AssigneeFilter::Agent(AgentId(id.parse().map_err(
                |_| Invalid::new("assignee", "use an agent id, `me` or `none`"),
            )?))),
        };
        let updated_since = self
            .updated_since
            .as_deref()
            .map(|t| timestamp("updated_since", t))
            .transpose()?;
        Ok(CaseFilter {
            statuses,
            assignee,
            team_id: self.team_id.map(TeamId),
            tag: self
                .tag
                .as_deref()
                .map(|t| case_rules::parse_tag("tag", t))
                .transpose()?,
            customer_id: self.customer_id.map(CustomerId),
            updated_since,
            effort_level: self.effort_level,
            sla_running,
            sla_due_by,
            ..CaseFilter::default()
        })
    }
}

/// Statuses from a comma-separated list such as `new,open` (none: any).
pub(crate) fn status_list(raw: Option<&str>) -> Result<Vec<Status>, Invalid> {
    let mut statuses = raw
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| Status::parse("status", s.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    statuses.sort_by_key(|s| s.as_str());
    statuses.dedup();
    Ok(statuses)
}

/// An RFC 3339 time given as `field`.
pub(crate) fn timestamp(field: &str, raw: &str) -> Result<jiff::Timestamp, Invalid> {
    raw.parse()
        .map_err(|_| Invalid::new(field, "use an RFC 3339 time, e.g. 2026-01-31T09:00:00Z"))
}

/// Lists cases, newest change first unless `sort` says otherwise.
#[utoipa::path(get, path = "/cases", tag = "cases", params(CaseListParams, PageParams),
    responses((status = 200, description = "A page of cases", body = Page<Case>)))]
pub async fn list(
    Reads(store): Reads,
    me: Principal,
    Params(filters): Params<CaseListParams>,
    Params(page): Params<PageParams>,
) -> ApiResult<axum::Json<Page<Case>>> {
    me.require(Action::Read)?;
    let filter = filters.filter(me.agent_id, store.clock().now())?;
    let sort = filters
        .sort
        .as_deref()
        .map(CaseSort::parse)
        .transpose()?
        .unwrap_or_default();
    let (cursor, limit) = page.parse()?;
    Ok(axum::Json(store.cases(&filter, sort, cursor, limit).await?))
}

/// Opens a case with the customer's first message.
#[utoipa::path(post, path = "/cases", tag = "cases", request_body = CreateCase,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The new case", body = Case)))]
pub async fn create(
    State(s): State<AppState>,
    me: Principal,
    idem: IdempotencyHeader,
    body: Json<CreateCase>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let key = body.idempotency_key(&me, &idem);
    let req = &body.value;
    let channel = req.channel.unwrap_or(Channel::Api);
    let new = NewCase {
        subject: text::required("subject", &req.subject, MAX_SUBJECT)?,
        customer_id: req.customer_id,
        channel,
        priority: req.priority.unwrap_or(Priority::Normal),
        tags: case_rules::parse_tags("tags", &req.tags)?,
        team_id: req.team_id,
        assignee_id: req.assignee_id,
        agreement_id: req.agreement_id,
        custom_fields: case_rules::parse_custom_fields("custom_fields", &req.custom_fields)?,
        message: NewMessage {
            body_html: req.message_html.as_deref().map(EmailHtml::untrusted),
            attachments: attachments(&s, &req.attachments)?,
            ..NewMessage::text(
                Actor::customer(req.customer_id),
                channel,
                false,
                text::required("message", &req.message, MAX_BODY)?,
            )
        },
        follows: None,
    };
    Create {
        store: &s.store,
        key: key.as_ref(),
        resource: "case",
        collection: "/api/v1/cases",
    }
    .respond(
        s.store.create_case(new, me.actor(), key.as_ref()),
        |id| s.store.case(CaseId(id)),
        |c| c.id.0,
    )
    .await
}

/// One case.
#[utoipa::path(get, path = "/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "The case", body = Case)))]
pub async fn get(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Case>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.case(CaseId(id)).await?))
}

/// Changes a case; each real change is appended to the case's event log.
#[utoipa::path(patch, path = "/cases/{id}", tag = "cases", params(("id" = i64, Path)), request_body = UpdateCase,
    responses((status = 200, description = "The changed case", body = Case)))]
pub async fn update(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<UpdateCase>,
) -> ApiResult<axum::Json<Case>> {
    me.require(Action::Work)?;
    let req = &body.value;
    let change = CaseChange {
        subject: req
            .subject
            .as_deref()
            .map(|t| text::required("subject", t, MAX_SUBJECT))
            .transpose()?,
        status: req.status,
        priority: req.priority,
        assignee: req.assignee_id,
        team: req.team_id,
        agreement: req.agreement_id,
        add_tags: case_rules::parse_tags("add_tags", &req.add_tags)?,
        remove_tags: case_rules::parse_tags("remove_tags", &req.remove_tags)?,
        custom_fields: case_rules::parse_custom_fields("custom_fields", &req.custom_fields)?,
    };
    let (case, _events) = s.store.update_case(CaseId(id), &change, me.actor()).await?;
    Ok(axum::Json(case))
}

/// Merges this case into another.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeCase {
    /// The case to merge into; it must not be closed.
    into: CaseId,
    /// Must be true to merge into a case of another customer [default: false].
    #[serde(default)]
    confirm_other_customer: bool,
}

/// Both cases after a merge.
#[derive(Debug, Serialize, ToSchema)]
pub struct Merged {
    /// The case merged away: closed, with `merged_into_id` set.
    merged: Case,
    /// The case that now holds the messages.
    into: Case,
}

/// Merges this case into another, in one step: its messages (with their
/// attachments) move to the other case, so email replies to them thread
/// there; this case is closed with a `case_merged` event and the other gets
/// `merged_from`. Refused for a case into itself, from or into a closed
/// case, and into another customer's case unless `confirm_other_customer`.
#[utoipa::path(post, path = "/cases/{id}/merge", tag = "cases", params(("id" = i64, Path)), request_body = MergeCase,
    responses((status = 200, description = "Both cases after the merge", body = Merged)))]
pub async fn merge(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<MergeCase>,
) -> ApiResult<axum::Json<Merged>> {
    me.require(Action::Work)?;
    let req = &body.value;
    let (merged, into) = s
        .store
        .merge_cases(CaseId(id), req.into, me.actor(), req.confirm_other_customer)
        .await?;
    Ok(axum::Json(Merged { merged, into }))
}

/// A case's messages, oldest first, with attachment details.
#[utoipa::path(get, path = "/cases/{id}/messages", tag = "cases", params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of messages", body = Page<Message>)))]
pub async fn messages(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    Params(page): Params<PageParams>,
) -> ApiResult<axum::Json<Page<Message>>> {
    me.require(Action::Read)?;
    let (cursor, limit) = page.parse()?;
    Ok(axum::Json(
        s.store.messages(CaseId(id), cursor, limit).await?,
    ))
}

/// Replies to the customer, or adds an internal note (`"internal": true`);
/// with `promise`, makes a promise in the same write.
#[utoipa::path(post, path = "/cases/{id}/messages", tag = "cases", params(("id" = i64, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")), request_body = PostMessage,
    responses((status = 201, description = "The stored message", body = Message)))]
pub async fn post_message(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    idem: IdempotencyHeader,
    body: Json<PostMessage>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let key = body.idempotency_key(&me, &idem);
    let req = &body.value;
    let case = s.store.case(CaseId(id)).await?;
    let promise = req
        .promise
        .as_ref()
        .map(|p| p.check(s.store.clock().now()))
        .transpose()?;
    let mut body = text::required("body", &req.body, MAX_BODY)?;
    let copies = req.copies()?;
    let mut body_html = req.body_html.clone();
    if let Some(p) = promise.as_ref().filter(|_| !req.internal) {
        crate::replies::state_promise(&mut body, body_html.as_mut(), p);
    }
    let mut msg = NewMessage {
        body_html: body_html.as_deref().map(EmailHtml::untrusted),
        attachments: attachments(&s, &req.attachments)?,
        promise,
        ..NewMessage::text(me.actor(), case.channel, req.internal, body)
    };
    let outbound = crate::replies::outbound_for(&s.store, case.id, &mut msg, copies).await?;
    let collection = format!("/api/v1/cases/{}/messages", case.id);
    Create {
        store: &s.store,
        key: key.as_ref(),
        resource: "message",
        collection: &collection,
    }
    .respond(
        s.store.add_message(case.id, msg, outbound, key.as_ref()),
        |id| s.store.message(MessageId(id)),
        |m| m.id.0,
    )
    .await
}

/// A case's event log, in order (the cursor continues after the last `seq`).
#[utoipa::path(get, path = "/cases/{id}/events", tag = "cases", params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of events", body = Page<CaseEvent>)))]
pub async fn events(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    Params(page): Params<PageParams>,
) -> ApiResult<axum::Json<Page<CaseEvent>>> {
    me.require(Action::Read)?;
    let (cursor, limit) = page.parse()?;
    Ok(axum::Json(s.store.events(CaseId(id), cursor, limit).await?))
}

/// Records something that happened on the case without changing its fields:
/// identity requested or verified, a channel switch, an action asked of the
/// customer, or a promise made, kept or broken. A promise is due in the
/// future and at most 1,000 characters; one kept or broken must be open
/// (made and not yet kept or broken); a case holds at most 16 open
/// promises; a channel switch is between two different channels.
#[utoipa::path(post, path = "/cases/{id}/events", tag = "cases", params(("id" = i64, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")), request_body = EventData,
    responses((status = 201, description = "The appended event", body = CaseEvent)))]
pub async fn record_event(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    idem: IdempotencyHeader,
    body: Json<EventData>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let key = body.idempotency_key(&me, &idem);
    let data = body.value;
    data.check_recordable(s.store.clock().now())?;
    Create {
        store: &s.store,
        key: key.as_ref(),
        resource: "event",
        collection: "/api/v1/events",
    }
    .respond(
        s.store
            .record_event(CaseId(id), data, me.actor(), key.as_ref()),
        |id| s.store.event(EventId(id)),
        |e| e.id.0,
    )
    .await
}

/// One event of any case's log.
#[utoipa::path(get, path = "/events/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "The event", body = CaseEvent)))]
pub async fn event(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<CaseEvent>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.event(EventId(id)).await?))
}

/// Downloads an attachment. Always sent as a download, never rendered inline.
#[utoipa::path(get, path = "/attachments/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream")))]
pub async fn attachment(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<Response> {
    me.require(Action::Read)?;
    let (meta, _case, _internal) = s.store.attachment(AttachmentId(id)).await?;
    let data = s.store.blob(&meta.sha256).await?;
    Ok(download(data, &meta.content_type, &meta.filename))
}

/// The raw source of an email message, as received.
#[utoipa::path(get, path = "/messages/{id}/raw", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "The message as received (message/rfc822)", content_type = "message/rfc822")))]
pub async fn raw_message(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<Response> {
    me.require(Action::Read)?;
    let data = s.store.message_raw(MessageId(id)).await?;
    Ok(download(
        data,
        "message/rfc822",
        &format!("message-{id}.eml"),
    ))
}

/// The bounce report an emailed reply drew (message/rfc822, with the
/// delivery status and the returned message); 404 when it did not bounce.
#[utoipa::path(get, path = "/messages/{id}/bounce", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "The bounce report as received (message/rfc822)", content_type = "message/rfc822")))]
pub async fn bounce_report(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<Response> {
    me.require(Action::Read)?;
    let data = s.store.bounce_report(MessageId(id)).await?;
    Ok(download(
        data,
        "message/rfc822",
        &format!("bounce-{id}.eml"),
    ))
}

/// Decodes and checks uploaded files against the attachment limit.
pub(super) fn attachments(
    s: &AppState,
    uploads: &[AttachmentUpload],
) -> Result<Vec<NewAttachment>, ApiError> {
    uploads
        .iter()
        .enumerate()
        .map(|(i, up)| {
            let field = format!("attachments[{i}]");
            let data = base64::engine::general_purpose::STANDARD
                .decode(up.content_base64.trim())
                .map_err(|_| Invalid::new(format!("{field}.content_base64"), "not valid base64"))?;
            attachment_upload(s, field, &up.filename, up.content_type.as_deref(), data)
        })
        .collect()
}
