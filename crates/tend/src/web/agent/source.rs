//! An email's source, as received or sent, for agents to read in the
//! browser: plain text, never HTML, byte for byte.

use crate::http::AppState;
use crate::web::shared::error::WebError;
use crate::web::shared::session::Session;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tend_domain::agent::Action;
use tend_domain::ids::MessageId;

/// Shows the stored raw email of a message as `text/plain`. Bytes that are
/// not UTF-8 are declared ISO-8859-1, where every byte is a character, so
/// nothing is dropped or reinterpreted as markup.
pub async fn source(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    session.require(Action::Read)?;
    let raw = s.store.message_raw(MessageId(id)).await?;
    Ok(plain_text(raw, &format!("message-{id}.txt")))
}

/// Shows the bounce report a reply's email drew, the same way.
pub async fn bounce(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    session.require(Action::Read)?;
    let raw = s.store.bounce_report(MessageId(id)).await?;
    Ok(plain_text(raw, &format!("bounce-{id}.txt")))
}

/// `raw` as `text/plain` in a sandbox, named `filename`.
fn plain_text(raw: Vec<u8>, filename: &str) -> Response {
    let content_type = if std::str::from_utf8(&raw).is_ok() {
        "text/plain; charset=utf-8"
    } else {
        "text/plain; charset=iso-8859-1"
    };
    let mut response = raw.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    response
}
