//! Signed-in customers' sessions: a random id in an HttpOnly cookie of its
//! own (never the agents' cookie), its hash and CSRF token in the store.

use super::PortalError;
use crate::auth;
use crate::http::AppState;
use crate::web::shared::csrf::CsrfSession;
use crate::web::shared::error::WebError;
use crate::web::shared::session::{cookie, set_cookie};
use axum::extract::FromRequestParts;
use axum::http::HeaderValue;
use axum::http::request::Parts;
use std::time::Duration;
use tend_domain::event::Actor;
use tend_domain::ids::CustomerId;
use tend_store::portal::PortalSession;

/// The portal session cookie's name.
pub const COOKIE: &str = "tend_portal";
/// How long a customer stays signed in.
const LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// The signed-in customer of a portal request.
#[derive(Debug, Clone)]
pub struct Customer {
    id_hash: String,
    pub session: PortalSession,
}

impl Customer {
    pub fn id(&self) -> CustomerId {
        self.session.customer_id
    }

    /// The event-log actor for this customer.
    pub fn actor(&self) -> Actor {
        Actor::customer(self.session.customer_id)
    }

    pub fn name(&self) -> &str {
        &self.session.customer_name
    }

    pub fn csrf(&self) -> &str {
        &self.session.csrf_token
    }
}

impl FromRequestParts<AppState> for Customer {
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PortalError> {
        let id = cookie(&parts.headers, COOKIE).ok_or(WebError::SignInRequired)?;
        let id_hash = auth::token_hash(id);
        let session = state
            .store
            .portal_session(&id_hash)
            .await?
            .ok_or(WebError::SignInRequired)?;
        Ok(Customer { id_hash, session })
    }
}

impl CsrfSession for Customer {
    fn csrf_token(&self) -> &str {
        self.csrf()
    }
}

/// Starts a session for `customer`; answers the `Set-Cookie` value.
pub async fn start(state: &AppState, customer: CustomerId) -> Result<HeaderValue, WebError> {
    let id = auth::new_token();
    let expires_at = tend_store::now()
        .checked_add(LIFETIME)
        .map_err(|_| WebError::Internal)?;
    state
        .store
        .create_portal_session(
            &auth::token_hash(&id),
            customer,
            &auth::new_token(),
            expires_at,
        )
        .await?;
    set_cookie(state, COOKIE, &id, LIFETIME.as_secs())
}

/// Ends the session; answers the `Set-Cookie` value that clears the cookie.
pub async fn end(state: &AppState, customer: &Customer) -> Result<HeaderValue, WebError> {
    state.store.delete_portal_session(&customer.id_hash).await?;
    set_cookie(state, COOKIE, "", 0)
}

impl axum::extract::OptionalFromRequestParts<AppState> for Customer {
    type Rejection = PortalError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, PortalError> {
        match <Customer as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(customer) => Ok(Some(customer)),
            Err(PortalError(WebError::SignInRequired)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
