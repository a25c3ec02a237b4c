//! Server-side sessions: the cookie holds a random id, the database holds
//! its hash, the agent and the session's CSRF token. Cookies are HttpOnly,
//! SameSite=Lax, and Secure when Tend is configured for HTTPS.

use super::error::WebError;
use crate::auth;
use crate::http::AppState;
use axum::extract::FromRequestParts;
use axum::http::HeaderValue;
use axum::http::request::Parts;
use tend_domain::agent::{Action, Role};
use tend_domain::event::Actor;
use tend_domain::ids::AgentId;
use tend_store::sessions::{NewSession, WebSession};

pub use crate::http::cookies::cookie;

/// The session cookie's name.
pub const COOKIE: &str = crate::http::cookies::AGENT_SESSION;
/// How long a session lasts from sign-in.
const LIFETIME: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

/// The signed-in agent of a request.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub web: WebSession,
}

impl Session {
    pub fn agent_id(&self) -> AgentId {
        self.web.agent_id
    }

    pub fn role(&self) -> Role {
        self.web.role
    }

    /// The event-log actor for this agent.
    pub fn actor(&self) -> Actor {
        Actor::agent(self.web.agent_id)
    }

    /// Fails with 403 unless the agent's role may perform `action`.
    pub fn require(&self, action: Action) -> Result<(), WebError> {
        if self.web.role.may(action) {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let id = cookie(&parts.headers, COOKIE).ok_or(WebError::SignInRequired)?;
        let id_hash = auth::token_hash(id);
        let web = state
            .store
            .session(&id_hash)
            .await?
            .ok_or(WebError::SignInRequired)?;
        Ok(Session { id_hash, web })
    }
}

/// Starts a session for `agent`; answers the `Set-Cookie` value.
pub async fn start(state: &AppState, agent: AgentId) -> Result<HeaderValue, WebError> {
    let id = auth::new_token();
    let csrf_token = auth::new_token();
    let expires_at = tend_store::now()
        .checked_add(LIFETIME)
        .map_err(|_| WebError::Internal)?;
    state
        .store
        .create_session(&NewSession {
            id_hash: &auth::token_hash(&id),
            agent_id: agent,
            csrf_token: &csrf_token,
            expires_at,
        })
        .await?;
    set_cookie(state, COOKIE, &id, LIFETIME.as_secs())
}

/// Ends the session; answers the `Set-Cookie` value that clears the cookie.
pub async fn end(state: &AppState, session: &Session) -> Result<HeaderValue, WebError> {
    state.store.delete_session(&session.id_hash).await?;
    set_cookie(state, COOKIE, "", 0)
}

/// A `Set-Cookie` value with Tend's cookie attributes.
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age_secs: u64,
) -> Result<HeaderValue, WebError> {
    let secure = if state.web.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    cookie_header(name, value, max_age_secs, &format!("SameSite=Lax{secure}"))
}

/// A `Set-Cookie` value also sent inside another site's `<iframe>`: only
/// over HTTPS (`--secure-cookies`), as browsers require; otherwise the
/// usual [`set_cookie`].
pub fn set_framed_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age_secs: u64,
) -> Result<HeaderValue, WebError> {
    if state.web.secure_cookies {
        cookie_header(name, value, max_age_secs, "SameSite=None; Secure")
    } else {
        set_cookie(state, name, value, max_age_secs)
    }
}

fn cookie_header(
    name: &str,
    value: &str,
    max_age_secs: u64,
    attributes: &str,
) -> Result<HeaderValue, WebError> {
    crate::http::cookies::set_cookie_value(name, value, max_age_secs, attributes)
        .ok_or(WebError::Internal)
}

impl axum::extract::OptionalFromRequestParts<AppState> for Session {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, WebError> {
        match <Session as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(session) => Ok(Some(session)),
            Err(WebError::SignInRequired) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
