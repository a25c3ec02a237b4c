//! The case tools: snoozing a case until a time, following it, linking
//! related cases and splitting messages off into a new case. Promises and
//! channel switches are recorded with `POST /cases/{id}/events`.

use super::extract::{Id, Json, Principal};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use axum::extract::State;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tend_domain::agent::Action;
use tend_domain::ids::{CaseId, MessageId};
use tend_store::model::Case;
use utoipa::ToSchema;

/// Until when to snooze a case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Snooze {
    /// In the future, at most 366 days ahead (RFC 3339, e.g.
    /// `2026-12-07T09:00:00+01:00`).
    until: Timestamp,
}

/// Snoozes case `id` until a time: it leaves the working views (mine,
/// unassigned, team) until then and comes back by itself; a message from
/// the customer ends the snooze early. Records `snoozed`. Refused for a
/// time not in the future and for a resolved or closed case.
#[utoipa::path(put, path = "/cases/{id}/snooze", tag = "cases", params(("id" = i64, Path)),
    request_body = Snooze,
    responses((status = 200, description = "The case, with `snoozed_until`", body = Case)))]
pub async fn snooze(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<Snooze>,
) -> ApiResult<axum::Json<Case>> {
    me.require(Action::Work)?;
    let until = Some(body.value.until);
    Ok(axum::Json(
        s.store.snooze_case(CaseId(id), until, me.actor()).await?,
    ))
}

/// Wakes a snoozed case now (records `unsnoozed`); refused when it is not
/// snoozed.
#[utoipa::path(delete, path = "/cases/{id}/snooze", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "The case", body = Case)))]
pub async fn wake(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Case>> {
    me.require(Action::Work)?;
    Ok(axum::Json(
        s.store.snooze_case(CaseId(id), None, me.actor()).await?,
    ))
}

/// Whether the token's agent follows a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct Following {
    following: bool,
}

/// The token's agent follows case `id` (its "Following" view lists it).
/// Not a case event: following changes nothing for the customer.
#[utoipa::path(put, path = "/cases/{id}/follow", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "Now following", body = Following)))]
pub async fn follow(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Following>> {
    set_following(&s, me, id, true).await
}

/// The token's agent stops following case `id`.
#[utoipa::path(delete, path = "/cases/{id}/follow", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "No longer following", body = Following)))]
pub async fn unfollow(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Following>> {
    set_following(&s, me, id, false).await
}

async fn set_following(
    s: &AppState,
    me: Principal,
    id: i64,
    follow: bool,
) -> ApiResult<axum::Json<Following>> {
    me.require(Action::Work)?;
    s.store.follow_case(CaseId(id), me.agent_id, follow).await?;
    Ok(axum::Json(Following { following: follow }))
}

/// The case to link as related.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelatedCase {
    case_id: CaseId,
}

/// The cases related to case `id`, in the order they were linked.
#[utoipa::path(get, path = "/cases/{id}/related", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "The related cases", body = Vec<Case>)))]
pub async fn related(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Vec<Case>>> {
    me.require(Action::Read)?;
    s.store.case(CaseId(id)).await?;
    Ok(axum::Json(s.store.related_cases(CaseId(id)).await?))
}

/// Links case `id` and another as related (kept apart, unlike a merge):
/// `related_linked` on both logs. Refused for the case itself, an unknown
/// case, a link that exists, and past 50 links.
#[utoipa::path(post, path = "/cases/{id}/related", tag = "cases", params(("id" = i64, Path)),
    request_body = RelatedCase,
    responses((status = 201, description = "The related cases now", body = Vec<Case>)))]
pub async fn link_related(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<RelatedCase>,
) -> ApiResult<(StatusCode, axum::Json<Vec<Case>>)> {
    me.require(Action::Work)?;
    let id = CaseId(id);
    s.store
        .link_related(id, body.value.case_id, me.actor(), true)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.related_cases(id).await?),
    ))
}

/// Unlinks related case `other` from case `id`: `related_unlinked` on
/// both logs.
#[utoipa::path(delete, path = "/cases/{id}/related/{other}", tag = "cases",
    params(("id" = i64, Path), ("other" = i64, Path)),
    responses((status = 200, description = "The related cases now", body = Vec<Case>)))]
pub async fn unlink_related(
    State(s): State<AppState>,
    me: Principal,
    ids: Result<axum::extract::Path<(i64, i64)>, PathRejection>,
) -> ApiResult<axum::Json<Vec<Case>>> {
    let axum::extract::Path((id, other)) =
        ids.map_err(|_| ApiError::BadRequest("the ids in the path must be integers".into()))?;
    me.require(Action::Work)?;
    let id = CaseId(id);
    s.store
        .link_related(id, CaseId(other), me.actor(), false)
        .await?;
    Ok(axum::Json(s.store.related_cases(id).await?))
}

/// Messages to split off into a new case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitCase {
    /// Messages of this case (at most 100, not all of them).
    message_ids: Vec<MessageId>,
    /// The new case's subject [default: this case's subject].
    subject: Option<String>,
}

/// Both cases after a split.
#[derive(Debug, Serialize, ToSchema)]
pub struct Split {
    /// The case split: it keeps the other messages.
    from: Case,
    /// The new case, holding the messages split off.
    new: Case,
}

/// Splits messages of case `id` off into a new case for the same customer
/// (same channel, priority, team, assignee, agreement and tags). The
/// messages move with their attachments; this case records `split_into`
/// and the new one `split_from`, each listing them. Refused for no
/// messages, more than 100, a message of another case, every message of
/// the case (nothing would remain) and a closed case.
#[utoipa::path(post, path = "/cases/{id}/split", tag = "cases", params(("id" = i64, Path)),
    request_body = SplitCase,
    responses((status = 201, description = "Both cases", body = Split)))]
pub async fn split(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<SplitCase>,
) -> ApiResult<(StatusCode, axum::Json<Split>)> {
    me.require(Action::Work)?;
    let id = CaseId(id);
    let req = body.value;
    let subject = match req.subject {
        Some(subject) => subject,
        None => s.store.case(id).await?.subject,
    };
    let (from, new) = s
        .store
        .split_case(id, &req.message_ids, &subject, me.actor())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(Split { from, new })))
}
