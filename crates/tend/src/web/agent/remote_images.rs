//! A message's HTML with its remote images: the case page's policy blocks
//! images from other sites (they tell the sender the mail was read), so it
//! links here instead. This page is sandboxed (no script, no forms, its own
//! opaque origin) and may load images from anywhere, nothing else.

use crate::http::AppState;
use crate::web::shared::error::WebError;
use crate::web::shared::session::Session;
use crate::web::shared::timeline::inline_images_at;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use tend_domain::agent::Action;
use tend_domain::ids::MessageId;

/// This page's policy: images from anywhere, nothing else, in a sandbox.
const POLICY: &str = "sandbox; default-src 'none'; img-src 'self' http: https: data:; \
                      base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

#[derive(Template)]
#[template(path = "remote_images.html")]
struct ImagesPage {
    id: i64,
    /// The message's sanitised HTML, quoted history included.
    html: String,
}

/// Shows a message's stored (sanitised) HTML with its remote images.
pub async fn page(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    session.require(Action::Read)?;
    let message = s.store.message(MessageId(id)).await?;
    let html = message.body_html.ok_or(WebError::NotFound)?;
    let page = ImagesPage {
        id,
        html: inline_images_at(html, "/attachments/"),
    };
    let mut response = Html(page.render()?).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    Ok(response)
}
