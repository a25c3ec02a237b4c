//! The agent workspace: server-rendered HTML for signed-in agents. Pages are
//! askama templates compiled into the binary, escaped by default; CSS and the
//! little JavaScript there is are embedded too. Every form carries the
//! session's CSRF token, and every page is sent with a strict
//! Content-Security-Policy, so HTML from email cannot run script here.

mod assets;
mod case_page;
mod csrf;
mod error;
mod layout;
mod merge;
mod rate_limit;
mod search;
mod session;
mod signin;
mod source;
mod timeline;
mod views;

use crate::server::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

pub use rate_limit::SignInLimiter;

/// Web settings and shared state.
#[derive(Debug, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (Tend is served over HTTPS).
    pub secure_cookies: bool,
    /// Failed sign-ins per address and per client IP.
    pub limiter: SignInLimiter,
}

/// Only Tend's own scripts and styles run; nothing may frame the pages.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The web UI's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(views::home))
        .route("/signin", get(signin::page).post(signin::submit))
        .route("/signout", post(signin::sign_out))
        .route("/views/{view}", get(views::view))
        .route("/search", get(search::search))
        .route("/cases/{id}", get(case_page::page))
        .route("/cases/{id}/reply", post(case_page::reply))
        .route("/cases/{id}/note", post(case_page::note))
        .route("/cases/{id}/update", post(case_page::update))
        .route("/cases/{id}/merge", get(merge::confirm).post(merge::merge))
        .route("/messages/{id}/source", get(source::source))
        .route("/attachments/{id}", get(case_page::attachment))
        .route("/assets/{file}", get(assets::asset))
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
}
