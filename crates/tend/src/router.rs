//! The application router, assembled in this one place: the REST API, its
//! OpenAPI document, the web pages, the health check, the metrics when
//! asked for, and the layers every response passes through. Handlers live in `api` and `web`; this module
//! is the only one that knows both.

use crate::api;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::health::healthz;
use crate::http::state::BodyLimit;
use crate::http::{read_your_writes, reads};
use crate::metrics::{self, Metrics};
use crate::web;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The application: API, health check, OpenAPI document and the web UI.
/// Every request is counted in `metrics`; `/metrics` is served too when
/// `serve_metrics` (it is not part of the API and not in its document).
pub fn router(state: AppState, metrics: &Metrics, serve_metrics: bool) -> Router {
    let limit = state.limits.max_body_bytes;
    let doc = api::openapi();
    let mut app = Router::new();
    if serve_metrics {
        app = app.merge(metrics::http::routes(metrics.clone(), state.store.clone()));
    }
    app.merge(api::routes())
        .merge(web::router())
        .route(
            "/api/v1/openapi.json",
            get(move || async move { Json(doc.clone()) }),
        )
        .route("/healthz", get(healthz))
        .fallback(not_found)
        // Inside the routes, where the matched route is known.
        .layer(axum::middleware::from_fn_with_state(
            metrics.clone(),
            metrics::http::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            read_your_writes::remember,
        ))
        .layer(axum::middleware::from_fn(reads::retry_on_primary))
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
        // Outermost, so the trace layer's lines name the request too.
        .layer(axum::middleware::from_fn(crate::http::request_id::assign))
        .with_state(state)
}

/// Any other path: a 404, as the web UI's error page for a browser (a
/// request outside `/api/` that accepts HTML), otherwise in the API's
/// envelope.
async fn not_found(uri: Uri, headers: HeaderMap) -> Response {
    let wants_html = !uri.path().starts_with("/api/")
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        web::not_found_page()
    } else {
        ApiError::NotFound("route".into()).into_response()
    }
}
