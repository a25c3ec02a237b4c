//! Webhooks (admins only): subscriptions to case events, their delivery
//! log and manual redelivery. Each delivery POSTs a [`WebhookPayload`]
//! signed with the webhook's secret; see `docs/webhooks.md` and
//! [`crate::webhooks`].

use super::extract::{Id, Json, Params, Principal};
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tend_domain::agent::Action;
use tend_domain::event::CaseEvent;
use tend_domain::webhook::WebhookDefinition;
use tend_store::webhooks::{Delivery, Webhook};
use utoipa::{IntoParams, ToSchema};

/// The JSON body every delivery POSTs. Headers: `Tend-Event` (the event's
/// kind), `Tend-Delivery` (the delivery's id: the same on every attempt,
/// to deduplicate by) and `Tend-Signature: t=<unix seconds>,v1=<hex
/// HMAC-SHA256 of "<t>.<body>" keyed with the secret>`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookPayload {
    /// The case event, as `GET /cases/{id}/events` shows it.
    pub event: CaseEvent,
}

/// A new webhook, with its signing secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// Verifies `Tend-Signature`; keep it secret.
    pub secret: String,
}

/// Every webhook.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks",
    responses((status = 200, description = "All webhooks", body = Vec<Webhook>)))]
pub async fn list(State(s): State<AppState>, me: Principal) -> ApiResult<axum::Json<Vec<Webhook>>> {
    me.require(Action::Administer)?;
    Ok(axum::Json(s.store.webhooks().await?))
}

/// Subscribes a URL to case events. Each matching event is POSTed to it as
/// a `WebhookPayload`, signed; failures are retried with back-off (5
/// attempts), and a webhook whose deliveries fail 5 times in a row is
/// switched off and the admins told. The answer carries the signing
/// secret, shown only now.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = WebhookDefinition,
    responses((status = 201, description = "The webhook and its secret; each delivery POSTs a `WebhookPayload` (see the schemas)", body = NewWebhook)))]
pub async fn create(
    State(s): State<AppState>,
    me: Principal,
    body: Json<WebhookDefinition>,
) -> ApiResult<Response> {
    me.require(Action::Administer)?;
    let (webhook, secret) = s.store.create_webhook(body.value.check()?).await?;
    Ok(super::created(
        format!("/api/v1/webhooks/{}", webhook.id),
        false,
        NewWebhook { webhook, secret },
    ))
}

/// One webhook.
#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, description = "The webhook", body = Webhook)))]
pub async fn get(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Webhook>> {
    me.require(Action::Administer)?;
    Ok(axum::Json(s.store.webhook(id).await?))
}

/// Replaces a webhook; `enabled: true` switches one Tend switched off back
/// on, with its failure count cleared. The secret stays.
#[utoipa::path(put, path = "/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    request_body = WebhookDefinition,
    responses((status = 200, description = "The webhook", body = Webhook)))]
pub async fn update(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<WebhookDefinition>,
) -> ApiResult<axum::Json<Webhook>> {
    me.require(Action::Administer)?;
    let definition = body.value.check()?;
    Ok(axum::Json(s.store.update_webhook(id, definition).await?))
}

/// Deletes a webhook and its delivery log.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(State(s): State<AppState>, me: Principal, Id(id): Id) -> ApiResult<StatusCode> {
    me.require(Action::Administer)?;
    s.store.delete_webhook(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where a delivery listing starts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Deliveries older than this id (the last id of the previous page).
    before: Option<i64>,
}

/// A webhook's deliveries, newest first, 100 at a time: each with its
/// status, attempts and the receiver's latest status code.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path), DeliveryParams),
    responses((status = 200, description = "Deliveries", body = Vec<Delivery>)))]
pub async fn deliveries(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    Params(page): Params<DeliveryParams>,
) -> ApiResult<axum::Json<Vec<Delivery>>> {
    me.require(Action::Administer)?;
    Ok(axum::Json(s.store.deliveries(id, page.before).await?))
}

/// Sends a delivery again, now (the same body and delivery id).
#[utoipa::path(post, path = "/webhook_deliveries/{id}/redeliver", tag = "webhooks",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The delivery, queued", body = Delivery)))]
pub async fn redeliver(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Delivery>> {
    me.require(Action::Administer)?;
    Ok(axum::Json(s.store.redeliver(id).await?))
}
