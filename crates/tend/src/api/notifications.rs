//! The token's agent's own notifications: listing them (newest first,
//! paged), the unread count, marking one or all read, and how they come by
//! email. Every role has notifications; nobody reads or marks another
//! agent's (those are not found).

use super::PageParams;
use super::extract::{Id, Json, Params, Principal};
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tend_domain::agent::Action;
use tend_domain::notification::EmailNotifications;
use tend_store::model::Page;
use tend_store::notifications::{Notification, Unread};
use utoipa::{IntoParams, ToSchema};

/// Unread notifications the count answer lists.
const NEWEST: i64 = 5;

/// Which notifications to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only the unread ones.
    unread: Option<bool>,
}

/// How many notifications were marked read.
#[derive(Debug, Serialize, ToSchema)]
pub struct Marked {
    marked: u64,
}

/// How the agent gets notifications by email.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailSetting {
    /// `off`, `immediately` (one email each) or `digest` (hourly).
    email: EmailNotifications,
}

/// Your notifications, newest first: a case assigned to you by someone
/// else, a customer writing on your case, an @mention of your handle (the
/// part of your email address before the `@`) in an internal note, and
/// what rules and escalations send. Never about your own actions.
#[utoipa::path(get, path = "/notifications", tag = "notifications", params(ListParams, PageParams),
    responses((status = 200, description = "A page of your notifications", body = Page<Notification>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
    Params(filter): Params<ListParams>,
    Params(page): Params<PageParams>,
) -> ApiResult<axum::Json<Page<Notification>>> {
    me.require(Action::Read)?;
    let (cursor, limit) = page.parse()?;
    Ok(axum::Json(
        s.store
            .notifications(me.agent_id, filter.unread.unwrap_or(false), cursor, limit)
            .await?,
    ))
}

/// How many of your notifications are unread (counted up to `cap` + 1)
/// and the newest five of them.
#[utoipa::path(get, path = "/notifications/unread", tag = "notifications",
    responses((status = 200, description = "Your unread notifications", body = Unread)))]
pub async fn unread(State(s): State<AppState>, me: Principal) -> ApiResult<axum::Json<Unread>> {
    me.require(Action::Read)?;
    Ok(axum::Json(
        s.store.unread_notifications(me.agent_id, NEWEST).await?,
    ))
}

/// Marks your notification `id` read (reading it again changes nothing).
/// Another agent's notification is not found.
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, description = "The notification, read", body = Notification)))]
pub async fn mark_read(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Notification>> {
    me.require(Action::Read)?;
    Ok(axum::Json(
        s.store.mark_notification_read(me.agent_id, id).await?,
    ))
}

/// Marks all your notifications read.
#[utoipa::path(post, path = "/notifications/read", tag = "notifications",
    responses((status = 200, description = "How many were unread", body = Marked)))]
pub async fn mark_all_read(
    State(s): State<AppState>,
    me: Principal,
) -> ApiResult<axum::Json<Marked>> {
    me.require(Action::Read)?;
    let marked = s.store.mark_all_notifications_read(me.agent_id).await?;
    Ok(axum::Json(Marked { marked }))
}

/// How you get notifications by email.
#[utoipa::path(get, path = "/me/notifications", tag = "notifications",
    responses((status = 200, description = "Your setting", body = EmailSetting)))]
pub async fn email_setting(
    State(s): State<AppState>,
    me: Principal,
) -> ApiResult<axum::Json<EmailSetting>> {
    me.require(Action::Read)?;
    let email = s.store.notification_email(me.agent_id).await?;
    Ok(axum::Json(EmailSetting { email }))
}

/// Sets how you get notifications by email: `off`, `immediately` or an
/// hourly `digest` of those not read yet. Sent from the first inbox's
/// address.
#[utoipa::path(put, path = "/me/notifications", tag = "notifications", request_body = EmailSetting,
    responses((status = 200, description = "Your setting", body = EmailSetting)))]
pub async fn set_email_setting(
    State(s): State<AppState>,
    me: Principal,
    body: Json<EmailSetting>,
) -> ApiResult<axum::Json<EmailSetting>> {
    me.require(Action::Read)?;
    let email = body.value.email;
    s.store.set_notification_email(me.agent_id, email).await?;
    Ok(axum::Json(EmailSetting { email }))
}
