//! The agent workspace: server-rendered HTML for signed-in agents. Pages are
//! askama templates compiled into the binary, escaped by default; CSS and the
//! little JavaScript there is are embedded too. Every form carries the
//! session's CSRF token, and every page is sent with a strict
//! Content-Security-Policy, so HTML from email cannot run script here.

mod account;
mod admin;
mod assets;
mod bulk;
mod canned_picker;
mod case_page;
mod csrf;
mod embed;
mod error;
mod filters;
mod form_clock;
mod help;
mod identity;
mod kb;
mod layout;
mod live;
mod merge;
mod portal;
mod presence;
mod rate_limit;
mod remote_images;
mod request;
mod saved;
mod search;
mod session;
mod signin;
mod signin_code;
mod source;
mod timeline;
mod views;

use crate::server::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;

pub use portal::COOKIE as PORTAL_COOKIE;
pub use rate_limit::{RequestLimiter, SignInLimiter};
pub use session::COOKIE as SESSION_COOKIE;

/// Web settings and shared state.
#[derive(Debug)]
pub struct WebConfig {
    /// Mark cookies `Secure` (Tend is served over HTTPS).
    pub secure_cookies: bool,
    /// How long a sign-in waits for its two-factor code.
    pub signin_code_lifetime: Duration,
    /// Failed sign-ins per address and per client IP.
    pub limiter: SignInLimiter,
    /// Who is on which case, for the collision warning.
    pub presence: presence::Presence,
    /// Deflections per client, so counts cannot be inflated.
    pub deflections: help::DeflectionLimiter,
    /// Public requests per address and per client IP.
    pub request_limiter: RequestLimiter,
    /// Signs when the public request form was served.
    pub form_clock: form_clock::FormClock,
    /// Origins allowed to frame the public request form.
    pub embed_origins: Vec<String>,
    /// How customer-facing pages look.
    pub brand: crate::brand::Brand,
    /// Where customers reach Tend, for links in email.
    pub public_url: String,
    /// Portal sign-in links asked for, per address and per client IP.
    pub link_limiter: RequestLimiter,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            signin_code_lifetime: Duration::from_secs(300),
            limiter: SignInLimiter::default(),
            presence: presence::Presence::default(),
            deflections: help::DeflectionLimiter::default(),
            request_limiter: RequestLimiter::default(),
            form_clock: form_clock::FormClock::default(),
            embed_origins: Vec::new(),
            brand: crate::brand::Brand::default(),
            public_url: "http://127.0.0.1:8080".into(),
            link_limiter: RequestLimiter::default(),
        }
    }
}

/// Only Tend's own scripts and styles run; nothing may frame the pages.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The web UI's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(views::home))
        .route("/signin", get(signin::page).post(signin::submit))
        .route(
            "/signin/code",
            get(signin_code::page).post(signin_code::submit),
        )
        .route("/signout", post(signin::sign_out))
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/account/totp/setup", post(account::begin_totp))
        .route("/account/totp/enable", post(account::enable_totp))
        .route("/account/totp/disable", post(account::disable_totp))
        .route("/views/{view}", get(views::view))
        .route("/views/bulk", post(bulk::bulk))
        .route("/views/saved", post(saved::create))
        .route("/views/saved/{id}", get(views::saved))
        .route("/views/saved/{id}/delete", post(saved::delete))
        .route("/search", get(search::search))
        .route("/cases/{id}", get(case_page::page))
        .route("/cases/{id}/reply", post(case_page::reply))
        .route("/cases/{id}/note", post(case_page::note))
        .route("/cases/{id}/update", post(case_page::update))
        .route("/cases/{id}/live", get(live::stream))
        .route("/cases/{id}/typing", post(live::typing))
        .route("/cases/{id}/merge", get(merge::confirm).post(merge::merge))
        .route("/cases/{id}/identity/request", post(identity::request))
        .route("/cases/{id}/identity/verify", post(identity::verify))
        .route("/messages/{id}/source", get(source::source))
        .route("/messages/{id}/images", get(remote_images::page))
        .route("/attachments/{id}", get(case_page::attachment))
        .route("/kb", get(kb::list))
        .route("/kb/articles", post(kb::create))
        .route("/kb/articles/{id}", get(kb::edit).post(kb::update))
        .route("/kb/articles/{id}/state", post(kb::set_state))
        .route("/kb/categories", post(kb::create_category))
        .route("/help", get(help::home))
        .route("/help/search", get(help::search))
        .route("/help/suggest", get(help::suggest))
        .route("/help/deflections", post(help::deflection))
        .route("/help/articles/{slug}", get(help::article))
        .route("/help/articles/{slug}/feedback", post(help::feedback))
        .route("/help/{category}", get(help::category))
        .route("/assets/{file}", get(assets::asset))
        .merge(admin::router())
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
        .merge(public_router())
}

/// Customer-facing routes, outside the agent pages' headers: the request
/// form sets its own (it alone may be framed, see [`embed`]).
fn public_router() -> Router<AppState> {
    Router::new()
        .route("/request", get(request::page).post(request::submit))
        .route("/brand.css", get(crate::brand::stylesheet))
        .route("/brand/logo", get(crate::brand::logo))
}
