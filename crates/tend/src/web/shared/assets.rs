//! The stylesheet, scripts and icons, embedded in the binary.

use super::error::WebError;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// Every asset as (file name, content type, content).
const ASSETS: &[(&str, &str, &str)] = &[
    ("tend.css", CSS, include_str!("../../../assets/tend.css")),
    ("tend.js", JS, include_str!("../../../assets/tend.js")),
    ("live.js", JS, include_str!("../../../assets/live.js")),
    ("bulk.js", JS, include_str!("../../../assets/bulk.js")),
    ("views.js", JS, include_str!("../../../assets/views.js")),
    ("sla.js", JS, include_str!("../../../assets/sla.js")),
    ("canned.js", JS, include_str!("../../../assets/canned.js")),
    (
        "casepage.js",
        JS,
        include_str!("../../../assets/casepage.js"),
    ),
    ("kb.js", JS, include_str!("../../../assets/kb.js")),
    ("format.js", JS, include_str!("../../../assets/format.js")),
    (
        "notifications.js",
        JS,
        include_str!("../../../assets/notifications.js"),
    ),
    (
        "mentions.js",
        JS,
        include_str!("../../../assets/mentions.js"),
    ),
    ("bell.svg", SVG, include_str!("../../../assets/bell.svg")),
    ("suggest.js", JS, include_str!("../../../assets/suggest.js")),
    (
        "localtime.js",
        JS,
        include_str!("../../../assets/localtime.js"),
    ),
];

/// Serves an embedded asset by name.
pub async fn asset(Path(file): Path<String>) -> Result<Response, WebError> {
    let (_, content_type, body) = ASSETS
        .iter()
        .find(|(name, _, _)| *name == file)
        .ok_or(WebError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, *content_type)], *body).into_response())
}
