//! The web pages, server-rendered HTML in folders by audience: `agent` (the
//! agent workspace and its admin pages), `portal` (signed-in customers),
//! `public` (the help centre and the public request form) and `shared`
//! (what more than one audience uses: sessions, CSRF, layout, error pages,
//! assets). Pages are askama templates compiled into the binary, escaped by
//! default; CSS and the little JavaScript there is are embedded too. Every
//! form carries a CSRF token, and every page is sent with a strict
//! Content-Security-Policy, so HTML from email cannot run script here.

mod agent;
mod portal;
mod public;
mod shared;

use crate::http::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;

pub use portal::COOKIE as PORTAL_COOKIE;
pub use shared::session::COOKIE as SESSION_COOKIE;

/// Only Tend's own scripts and styles run; nothing may frame the pages.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The web UI's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(agent::router())
        .merge(public::help_router())
        .merge(public::survey_router())
        .route("/assets/{file}", get(shared::assets::asset))
        .merge(portal::router())
        // Downloads keep their stricter `sandbox` policy.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .merge(public::request_router())
}

/// The page a browser gets for a path nothing serves.
pub fn not_found_page() -> Response {
    shared::error::WebError::NotFound.into_response()
}
