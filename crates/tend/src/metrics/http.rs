//! Metrics over HTTP: the middleware that counts and times every request
//! by its matched route (never the raw path, whose values are unbounded),
//! and the `/metrics` route, merged into the application's router or
//! served alone on its own address.

use super::Metrics;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::Instant;
use tend_store::Store;

/// The exposition's media type: OpenMetrics text, which Prometheus reads.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The route label of a request no route matched (a 404).
const UNMATCHED: &str = "unmatched";

/// What a scrape reads.
#[derive(Clone)]
struct Scrape {
    metrics: Metrics,
    store: Store,
}

/// `GET /metrics` for `metrics`, with the gauges read from `store`; a
/// router of any state, to merge into the application's or serve alone.
pub fn routes<S: Clone + Send + Sync + 'static>(metrics: Metrics, store: Store) -> Router<S> {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape { metrics, store })
}

async fn scrape(State(scrape): State<Scrape>) -> Response {
    match scrape.metrics.render(&scrape.store).await {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "writing the metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Middleware: records each request's method, matched route, status and
/// time to the response head.
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics
        .http
        .record(method, route, response.status().as_u16(), started.elapsed());
    response
}

/// The method as a label: the standard ones by name, any other as
/// `other`, so a client cannot make up new series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
