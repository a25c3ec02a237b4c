//! A request id on every request: taken from the `X-Request-Id` header
//! when a proxy in front set a sane one, otherwise made up; carried by a
//! span around the request, so every log line the request writes names
//! it (with `--log-format json`, as the `request_id` field of the span),
//! and sent back in the response's `X-Request-Id`.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The header the id travels in.
pub const HEADER: &str = "x-request-id";
/// Longest id taken from outside.
const MAX_LEN: usize = 64;

/// Whether an id from outside is fit to log: short, and only letters,
/// digits and `-_.:`.
fn sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A fresh id: 16 random hex digits.
fn fresh() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Gives the request its id and runs it inside a span naming it.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map_or_else(fresh, str::to_owned);
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("-"));
    request.headers_mut().insert(HEADER, value.clone());
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span).await;
    response.headers_mut().insert(HEADER, value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_only_sane_ids_from_outside() {
        assert!(sane("3f2a-01:req.7_x"));
        assert!(!sane(""));
        assert!(!sane("a b"));
        assert!(!sane("id\u{7f}"));
        assert!(!sane(&"x".repeat(MAX_LEN + 1)));
        assert!(sane(&fresh()));
    }
}
