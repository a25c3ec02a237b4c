//! The brand's stylesheet at `/brand.css` and its logo file at
//! `/brand/logo`, for customer-facing pages.

use crate::brand::Logo;
use crate::http::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Serves the generated stylesheet.
pub async fn stylesheet(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        s.web.brand.css(),
    )
        .into_response()
}

/// Serves the logo file (404 when the logo is a URL or there is none).
/// SVG logos are sandboxed so script in them never runs.
pub async fn logo(State(s): State<AppState>) -> Response {
    match &s.web.brand.logo {
        Some(Logo::File { content_type, data }) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "sandbox; default-src 'none'; style-src 'unsafe-inline'",
                ),
            ],
            data.clone(),
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
