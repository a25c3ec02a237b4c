//! The application router, assembled in this one place: the REST API, its
//! OpenAPI document, the web pages, the health check and the layers every
//! response passes through. Handlers live in `api` and `web`; this module
//! is the only one that knows both.

use crate::api;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::health::healthz;
use crate::http::state::BodyLimit;
use crate::web;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use axum::{Extension, Json, Router};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The application: API, health check, OpenAPI document and the web UI.
pub fn router(state: AppState) -> Router {
    let limit = state.limits.max_body_bytes;
    let doc = api::openapi();
    Router::new()
        .merge(api::routes())
        .merge(web::router())
        .route(
            "/api/v1/openapi.json",
            get(move || async move { Json(doc.clone()) }),
        )
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(Extension(BodyLimit(limit)))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Any other path: a 404 in the API's envelope.
async fn not_found() -> ApiError {
    ApiError::NotFound("route".into())
}
