//! Pages for anyone, signed in or not: the help centre, the public request
//! form (which may be embedded in other sites), the survey and quote
//! pages emails link to, and the brand stylesheet and logo.

mod brand;
mod embed;
pub mod help;
mod quote;
mod request;
mod survey;
mod visit;

use crate::http::AppState;
use axum::Router;
use axum::routing::{get, post};

/// The help centre's routes; they take the web pages' headers.
pub fn help_router() -> Router<AppState> {
    Router::new()
        .route("/help", get(help::home))
        .route("/help/search", get(help::search))
        .route("/help/suggest", get(help::suggest))
        .route("/help/deflections", post(help::deflection))
        .route("/help/articles/{slug}", get(help::article))
        .route("/help/articles/{slug}/feedback", post(help::feedback))
        .route("/help/{category}", get(help::category))
}

/// Customer-facing routes, outside the agent pages' headers: the request
/// form sets its own (it alone may be framed, see [`embed`]).
pub fn request_router() -> Router<AppState> {
    Router::new()
        .route("/request", get(request::page).post(request::submit))
        .route("/brand.css", get(brand::stylesheet))
        .route("/brand/logo", get(brand::logo))
}

/// The survey answer and quote decision pages emails link to; they take
/// the web pages' headers.
pub fn survey_router() -> Router<AppState> {
    Router::new()
        .route(
            "/survey/{case}/{token}",
            get(survey::page).post(survey::answer),
        )
        .route("/quote/{id}/{token}", get(quote::page).post(quote::decide))
        .route(
            "/visit/{id}/{signature}",
            get(visit::page).post(visit::book),
        )
        .route("/visit/{id}/{signature}/cancel", post(visit::cancel))
}
