//! Where views, search and reports read from: the read replica when one is
//! configured, answers, and has replayed the client's own last write (see
//! [`super::read_your_writes`]); otherwise the primary. A GET the replica
//! fails (it went away after answering the check) is run again on the
//! primary, so a replica never costs an error page. Everything else reads
//! from `AppState::store`, the primary.

use super::AppState;
use super::read_your_writes::seen;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::Method;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tend_store::Store;

/// Extracts the store a view, search or report reads from.
pub struct Reads(pub Store);

/// Put on a GET by [`retry_on_primary`]: set when [`Reads`] chose the replica.
#[derive(Clone, Default)]
struct OnReplica(Arc<AtomicBool>);

/// Put on a GET run again: read from the primary.
#[derive(Clone)]
struct PrimaryOnly;

impl FromRequestParts<AppState> for Reads {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        if parts.extensions.get::<PrimaryOnly>().is_some() {
            return Ok(Reads(state.store.clone()));
        }
        let store = state.store.for_reads(seen(&parts.headers)).await;
        if let Some(OnReplica(flag)) = parts.extensions.get::<OnReplica>() {
            flag.store(store.on_replica(), Ordering::Relaxed);
        }
        Ok(Reads(store))
    }
}

/// Middleware: runs a GET that read from the replica and failed with a
/// server error again, reading from the primary.
pub async fn retry_on_primary(request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let on_replica = OnReplica::default();
    parts.extensions.insert(on_replica.clone());
    let mut again = parts.clone();
    let response = next.clone().run(Request::from_parts(parts, body)).await;
    if !response.status().is_server_error() || !on_replica.0.load(Ordering::Relaxed) {
        return response;
    }
    tracing::warn!(
        path = %again.uri.path(),
        "a read from the replica failed; reading from the primary"
    );
    again.extensions.insert(PrimaryOnly);
    next.run(Request::from_parts(again, Body::empty())).await
}
