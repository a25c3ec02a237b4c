//! The stylesheet and script, embedded in the binary.

use super::error::WebError;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../assets/tend.css");
const JS: &str = include_str!("../../assets/tend.js");

/// Serves an embedded asset by name.
pub async fn asset(Path(file): Path<String>) -> Result<Response, WebError> {
    let (body, content_type) = match file.as_str() {
        "tend.css" => (CSS, "text/css; charset=utf-8"),
        "tend.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return Err(WebError::NotFound),
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
