//! The admin pages: agents, teams, inboxes (and their OAuth connection), canned replies, business
//! hours, SLA policies, automation rules, jobs and webhooks. Every route
//! asks for [`Action::Administer`], so agents and light agents get a 403.
//! A rejected form comes back with its message and the input (422); a
//! change that works redirects back to the list (303).

mod agents;
mod calendars;
mod canned;
mod inbox_oauth;
mod inboxes;
mod jobs;
mod rules;
mod sla;
mod teams;
mod webhooks;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::Layout;
use crate::web::shared::session::Session;
use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tend_domain::agent::Action;

/// The admin routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/agents", get(agents::list).post(agents::create))
        .route("/admin/agents/{id}/role", post(agents::role))
        .route("/admin/agents/{id}/active", post(agents::active))
        .route("/admin/teams", get(teams::list).post(teams::create))
        .route("/admin/teams/{id}/members", post(teams::add_member))
        .route("/admin/teams/{id}/routing", post(teams::routing))
        .route("/admin/agents/{id}/routing", post(agents::routing))
        .route(
            "/admin/teams/{id}/members/{agent}/remove",
            post(teams::remove_member),
        )
        .route("/admin/inboxes", get(inboxes::list).post(inboxes::create))
        .route(
            "/admin/inboxes/{id}",
            get(inboxes::edit).post(inboxes::update),
        )
        .route(
            "/admin/inboxes/{id}/signature",
            post(super::signatures::set_inbox),
        )
        .route("/admin/inboxes/{id}/oauth", post(inbox_oauth::set_client))
        .route(
            "/admin/inboxes/{id}/oauth/connect",
            post(inbox_oauth::connect),
        )
        .route(
            crate::mail::oauth::CALLBACK_PATH,
            get(inbox_oauth::callback),
        )
        .route("/admin/canned", get(canned::list).post(canned::create))
        .route("/admin/canned/{id}", get(canned::edit).post(canned::update))
        .route("/admin/canned/{id}/delete", post(canned::delete))
        .route(
            "/admin/calendars",
            get(calendars::list).post(calendars::create),
        )
        .route("/admin/calendars/assign", post(calendars::assign))
        .route(
            "/admin/calendars/{id}",
            get(calendars::edit).post(calendars::update),
        )
        .route("/admin/calendars/{id}/delete", post(calendars::delete))
        .route("/admin/calendars/{id}/holidays", post(calendars::import))
        .route("/admin/sla", get(sla::list).post(sla::create))
        .route("/admin/sla/{id}", get(sla::edit).post(sla::update))
        .route("/admin/sla/{id}/delete", post(sla::delete))
        .route("/admin/sla/{id}/move", post(sla::reorder))
        .route("/admin/rules", get(rules::list).post(rules::create))
        .route("/admin/rules/dry_run", post(rules::dry_run))
        .route("/admin/rules/{id}", get(rules::edit).post(rules::update))
        .route("/admin/rules/{id}/delete", post(rules::delete))
        .route("/admin/rules/{id}/enabled", post(rules::enabled))
        .route("/admin/rules/{id}/move", post(rules::reorder))
        .route("/admin/jobs", get(jobs::list))
        .route(
            "/admin/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route("/admin/webhooks/{id}", get(webhooks::log))
        .route("/admin/webhooks/{id}/enabled", post(webhooks::enabled))
        .route("/admin/webhooks/{id}/delete", post(webhooks::delete))
        .route(
            "/admin/webhooks/deliveries/{id}/redeliver",
            post(webhooks::redeliver),
        )
        .route("/admin/jobs/{id}/retry", post(jobs::retry))
}

/// A form that carries nothing but its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct Confirm {}

/// The admin area starts at the agents.
async fn home(session: Session) -> Result<Redirect, WebError> {
    session.require(Action::Administer)?;
    Ok(Redirect::to("/admin/agents"))
}

/// The frame of an admin page, after checking the agent may administer.
fn layout(session: &Session) -> Result<Layout, WebError> {
    session.require(Action::Administer)?;
    Ok(Layout::new(session, "admin"))
}

/// Sends a page: 422 when it shows a rejected form, else 200.
pub(crate) fn respond(page: &impl Template, error: &Option<String>) -> Result<Response, WebError> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Finishes a posted change: a redirect to `to` when it worked, or the
/// form again (from `again`) with a message naming the field when the input
/// was rejected. Other failures become error pages.
pub(crate) async fn settle<T, Fut>(
    result: Result<T, ApiError>,
    to: &str,
    again: impl FnOnce(String) -> Fut,
) -> Result<Response, WebError>
where
    Fut: Future<Output = Result<Response, WebError>>,
{
    let message = match result {
        Ok(_) => return Ok(Redirect::to(to).into_response()),
        Err(ApiError::Invalid(i)) => format!("{}: {}", i.field, i.message),
        Err(ApiError::Conflict {
            field: Some(field),
            message,
            ..
        }) => format!("{field}: {message}"),
        Err(ApiError::Conflict { message, .. }) => message,
        Err(other) => return Err(WebError::from(other)),
    };
    again(message).await
}
