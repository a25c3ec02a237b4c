//! The customer portal at `/portal`: customers sign in with a single-use
//! link sent to their email address, then see their cases (and their
//! organisation's, where it shares them) without internal notes, reply
//! with files, see their agreements and ask for a change to one, and open
//! new requests. Every read goes through the store's customer-scoped
//! queries, so anything outside a customer's scope is "not found".

mod cases;
mod progress;
mod quotes;
mod requests;
mod resolve;
mod session;
mod signin;
mod survey;

pub use session::COOKIE;

use crate::http::AppState;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::ErrorPage;
use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

/// The portal's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(cases::home))
        .route("/portal/signin", get(signin::page).post(signin::submit))
        .route("/portal/link", post(signin::follow))
        .route("/portal/link/{token}", get(signin::confirm))
        .route("/portal/signout", post(signin::sign_out))
        .route("/portal/cases/{id}", get(cases::page))
        .route("/portal/cases/{id}/reply", post(cases::reply))
        .route("/portal/cases/{id}/resolve", post(resolve::resolve))
        .route("/portal/cases/{id}/reopen", post(resolve::reopen))
        .route("/portal/cases/{id}/survey", post(cases::survey))
        .route("/portal/cases/{id}/quotes/{quote}", post(quotes::decide))
        .route("/portal/attachments/{id}", get(cases::attachment))
        .route(
            "/portal/requests/new",
            get(requests::page).post(requests::submit),
        )
        // A customer's cases and files stay out of shared and browser caches.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// A portal failure: like [`WebError`], but a missing session leads to the
/// portal's sign-in page and the error page leads back to the portal.
#[derive(Debug)]
pub struct PortalError(pub WebError);

impl From<WebError> for PortalError {
    fn from(e: WebError) -> Self {
        PortalError(e)
    }
}

impl From<tend_store::StoreError> for PortalError {
    fn from(e: tend_store::StoreError) -> Self {
        PortalError(e.into())
    }
}

impl From<askama::Error> for PortalError {
    fn from(e: askama::Error) -> Self {
        PortalError(e.into())
    }
}

#[derive(Template)]
#[template(path = "portal_error.html")]
struct PortalErrorPage<'a> {
    page: &'a ErrorPage,
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        self.0
            .respond("/portal/signin", |page| PortalErrorPage { page }.render())
    }
}
