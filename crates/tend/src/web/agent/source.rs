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
    let content_type = if std::str::from_utf8(&raw).is_ok() {
        "text/plain; charset=utf-8"
    } else {
        "text/plain; charset=iso-8859-1"
    };
    let mut response = raw.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"message-{id}.txt\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    Ok(response)
}
