//! Read-your-own-writes with a read replica. After an agent's write (a
//! request that is not GET, by an agent session or API token) the primary's
//! WAL position goes back with the response, as a short-lived cookie for
//! browsers and as a header for API clients to send again; a read that
//! carries it uses the replica only once the replica has replayed that far
//! (see [`super::reads`]). The position lives with the client, so the rule
//! holds across nodes behind a load balancer without shared state.

use super::AppState;
use super::cookies::{AGENT_SESSION, cookie, set_cookie_value};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use tend_store::WalPosition;

/// The cookie carrying the position of the agent's last write.
pub const COOKIE: &str = "tend_wal";
/// The header carrying it, in responses to writes and in requests.
pub const HEADER: &str = "tend-wal-position";
/// How long a write's position is remembered: longer than a healthy
/// replica lags, short enough that reads soon go back to the replica.
const REMEMBER_FOR_SECS: u64 = 60;

/// The position of the client's last write, if the request carries one
/// (the later of the header and the cookie when both do).
pub fn seen(headers: &HeaderMap) -> Option<WalPosition> {
    let header = headers.get(HEADER).and_then(|v| v.to_str().ok());
    [header, cookie(headers, COOKIE)]
        .into_iter()
        .flatten()
        .filter_map(|v| v.parse().ok())
        .max()
}

/// Middleware: after an agent's successful write, when reads may go to a
/// replica, sends back the primary's WAL position. A position that cannot
/// be read is logged; the response goes out as it is.
pub async fn remember(State(s): State<AppState>, request: Request, next: Next) -> Response {
    let acted = s.store.has_replica()
        && !matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        )
        && by_agent(request.headers());
    let mut response = next.run(request).await;
    let status = response.status();
    if !acted || !(status.is_success() || status.is_redirection()) {
        return response;
    }
    match s.store.primary_position().await {
        Ok(Some(position)) => {
            let value = position.to_string();
            let secure = if s.web.secure_cookies { "; Secure" } else { "" };
            let headers = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HEADER, v);
            }
            let attributes = format!("SameSite=Lax{secure}");
            if let Some(v) = set_cookie_value(COOKIE, &value, REMEMBER_FOR_SECS, &attributes) {
                headers.append(header::SET_COOKIE, v);
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read the primary's WAL position"),
    }
    response
}

/// Whether the request comes from an agent: an API token or a session.
fn by_agent(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION) || cookie(headers, AGENT_SESSION).is_some()
}
