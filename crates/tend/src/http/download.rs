//! File downloads (attachments, raw messages) for the API and the web pages.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// A file download that a browser never renders in Tend's origin.
pub fn download(data: Vec<u8>, content_type: &str, filename: &str) -> Response {
    let mut response = data.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let disposition = format!(
        "attachment; filename=\"{}\"",
        filename.replace(['"', '\\'], "_")
    );
    // A name that cannot be a header (a control character) is left out,
    // never the `attachment` that keeps the file from opening inline.
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    response
}
