//! Promises to customers on a case ([`tend_domain::promise`]): made by an
//! agent with what, when due, whether the customer sees it and what keeps
//! it; listed with where each stands; marked kept or broken by hand. A
//! promise is named by the `seq` of the event that made it. Replies and
//! resolutions keep promises, and due times break them, by themselves.

use super::extract::{Id, IdempotencyHeader, Json, Principal};
use super::idempotency::Create;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use axum::extract::State;
use axum::extract::rejection::PathRejection;
use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::ids::{CaseId, EventId};
use tend_domain::promise::{NewPromise, PromiseKeeper, PromiseRecord};
use utoipa::ToSchema;

/// A promise to make (alone, or with a reply).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MakePromise {
    /// What is promised: one line, 1 to 200 characters.
    promise: String,
    /// When it is due: in the future, at most 365 days ahead (RFC 3339).
    due_at: Timestamp,
    /// The start of its window, before `due_at` ("a technician between
    /// 10:00 and 12:00"): it is kept automatically only from then.
    #[serde(default)]
    from: Option<Timestamp>,
    /// Whether the customer sees it in the portal; false when absent.
    #[serde(default)]
    visible_to_customer: bool,
    /// What keeps it without an agent: `reply`, `resolved` or (when
    /// absent) `manual`.
    #[serde(default)]
    kept_by: PromiseKeeper,
}

impl MakePromise {
    /// The promise, checked at `now`.
    pub(super) fn check(&self, now: Timestamp) -> Result<NewPromise, Invalid> {
        NewPromise::checked(
            &self.promise,
            self.due_at,
            self.from,
            self.visible_to_customer,
            self.kept_by,
            now,
        )
    }
}

/// Case `id`'s promises, oldest first, each open, kept or broken.
#[utoipa::path(get, path = "/cases/{id}/promises", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "The case's promises", body = Vec<PromiseRecord>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Vec<PromiseRecord>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.promises(CaseId(id)).await?))
}

/// Makes a promise on case `id` (records `promise_made`). It is kept
/// automatically by what `kept_by` names, if that happens by its due
/// time (and from its window's start); at its due time an open promise is
/// recorded broken, by Tend, and the assignee (else the team) is told. A
/// case holds at most 16 open promises, each with its own text.
#[utoipa::path(post, path = "/cases/{id}/promises", tag = "cases", params(("id" = i64, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = MakePromise,
    responses((status = 201, description = "The promise, open", body = PromiseRecord)))]
pub async fn make(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    idem: IdempotencyHeader,
    body: Json<MakePromise>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let key = body.idempotency_key(&me, &idem);
    let promise = body.value.check(s.store.clock().now())?;
    let collection = format!("/api/v1/cases/{id}/promises");
    Create {
        store: &s.store,
        key: key.as_ref(),
        resource: "promise",
        collection: &collection,
    }
    .respond(
        s.store
            .make_promise(CaseId(id), promise, me.actor(), key.as_ref()),
        |event| s.store.promise_made_by(EventId(event)),
        |p| p.seq,
    )
    .await
}

/// One promise of case `id`: the one made by event `seq`.
#[utoipa::path(get, path = "/cases/{id}/promises/{seq}", tag = "cases",
    params(("id" = i64, Path), ("seq" = i64, Path, description = "The seq of the event that made it")),
    responses((status = 200, description = "The promise", body = PromiseRecord)))]
pub async fn get(
    State(s): State<AppState>,
    me: Principal,
    ids: Result<axum::extract::Path<(i64, i64)>, PathRejection>,
) -> ApiResult<axum::Json<PromiseRecord>> {
    let (id, seq) = ids_of(ids)?;
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.promise(CaseId(id), seq).await?))
}

/// Marks open promise `seq` of case `id` kept (records `promise_kept`).
/// One already kept or broken is a conflict.
#[utoipa::path(post, path = "/cases/{id}/promises/{seq}/kept", tag = "cases",
    params(("id" = i64, Path), ("seq" = i64, Path, description = "The seq of the event that made it")),
    responses((status = 200, description = "The promise, kept", body = PromiseRecord)))]
pub async fn kept(
    State(s): State<AppState>,
    me: Principal,
    ids: Result<axum::extract::Path<(i64, i64)>, PathRejection>,
) -> ApiResult<axum::Json<PromiseRecord>> {
    settle(s, me, ids, true).await
}

/// Marks open promise `seq` of case `id` broken (records
/// `promise_broken`, customer effort). One already kept or broken is a
/// conflict.
#[utoipa::path(post, path = "/cases/{id}/promises/{seq}/broken", tag = "cases",
    params(("id" = i64, Path), ("seq" = i64, Path, description = "The seq of the event that made it")),
    responses((status = 200, description = "The promise, broken", body = PromiseRecord)))]
pub async fn broken(
    State(s): State<AppState>,
    me: Principal,
    ids: Result<axum::extract::Path<(i64, i64)>, PathRejection>,
) -> ApiResult<axum::Json<PromiseRecord>> {
    settle(s, me, ids, false).await
}

async fn settle(
    s: AppState,
    me: Principal,
    ids: Result<axum::extract::Path<(i64, i64)>, PathRejection>,
    kept: bool,
) -> ApiResult<axum::Json<PromiseRecord>> {
    let (id, seq) = ids_of(ids)?;
    me.require(Action::Work)?;
    Ok(axum::Json(
        s.store
            .settle_promise(CaseId(id), seq, kept, me.actor())
            .await?,
    ))
}

/// The case id and promise seq of the path.
fn ids_of(ids: Result<axum::extract::Path<(i64, i64)>, PathRejection>) -> ApiResult<(i64, i64)> {
    let axum::extract::Path(ids) =
        ids.map_err(|_| ApiError::BadRequest("the ids in the path must be integers".into()))?;
    Ok(ids)
}
