//! Cookies as the web pages and the HTTP layers both use them: reading one
//! from a request and building `Set-Cookie` values, and the name of the
//! agent's session cookie (which tells an agent's request from others).

use axum::http::{HeaderMap, HeaderValue, header};

/// The agent session cookie's name.
pub const AGENT_SESSION: &str = "tend_session";

/// The value of cookie `name` in the request, if sent.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value for the whole site, HttpOnly, with `attributes`
/// added; `None` when the value cannot go in a header.
pub fn set_cookie_value(
    name: &str,
    value: &str,
    max_age_secs: u64,
    attributes: &str,
) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; {attributes}"
    ))
    .ok()
}
