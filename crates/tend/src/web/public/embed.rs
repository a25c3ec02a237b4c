//! Framing rules for the public request form. Every other page refuses to
//! be framed (`frame-ancestors 'none'`, `X-Frame-Options: DENY`); the form
//! with `?embed=1` may be framed by the origins in `--embed-origins`, and
//! by nobody while that setting is empty.

use crate::http::AppState;
use axum::http::{HeaderName, HeaderValue, header};

/// The request form's policy; like the agent pages', with the brand's logo
/// allowed and the frame ancestors given.
fn policy(img: &str, ancestors: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src {img}; connect-src 'self'; \
         form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    )
}

/// Whether the form may be framed at all.
pub fn allowed(s: &AppState) -> bool {
    !s.web.embed_origins.is_empty()
}

/// The security headers of a request-form response.
pub fn headers(s: &AppState, embed: bool) -> Vec<(HeaderName, HeaderValue)> {
    let framed = embed && allowed(s);
    let ancestors = if framed {
        s.web.embed_origins.join(" ")
    } else {
        "'none'".to_owned()
    };
    let mut headers = Vec::with_capacity(3);
    // Origins and logo URL were checked at startup; an unexpected failure
    // falls back to the strictest policy.
    let csp = HeaderValue::from_str(&policy(&s.web.brand.img_sources(), &ancestors))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    headers.push((header::CONTENT_SECURITY_POLICY, csp));
    headers.push((
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    ));
    if !framed {
        headers.push((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")));
    }
    headers
}
