//! OAuth 2.0 for inbox mailboxes (Microsoft 365, Google): the
//! authorisation-code flow with PKCE by which an admin connects a mailbox
//! ([`begin`], [`finish`]), and fresh access tokens for logging in
//! ([`access_token`]), refreshed before they expire. A refresh the
//! provider refuses (a revoked grant) marks the inbox as needing attention;
//! its mail waits on the server until an admin connects it again.
//!
//! The `state` parameter is random, stored only as a hash, single-use and
//! tied to the agent (and web session) who began; the PKCE verifier is
//! derived from it with the secret key, so it is never stored.

mod endpoint;
pub mod request;

pub use endpoint::EndpointError;

use super::mailboxes::Mailboxes;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tend_domain::ids::AgentId;
use tend_store::inbox_oauth::{OauthClient, PendingAuthorization};
use tend_store::{Store, StoreError};

/// Access tokens this close to expiry are refreshed before use.
const REFRESH_MARGIN: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);
/// Where the provider sends the admin back, below Tend's public URL.
pub const CALLBACK_PATH: &str = "/admin/oauth/callback";

/// Why no access token could be had.
#[derive(Debug, thiserror::Error)]
pub enum OauthError {
    /// The inbox has no OAuth client, or was never connected.
    #[error("the mailbox is not connected: an admin must connect it with OAuth")]
    NotConnected,
    /// The provider refused the grant: only a new authorisation helps.
    #[error("the provider refused the grant ({0}): an admin must connect the mailbox again")]
    Revoked(String),
    /// The state is unknown, used, expired or someone else's.
    #[error("this authorisation is unknown, expired or already used; start again")]
    BadState,
    /// The provider answered with an error to the authorisation.
    #[error("the provider refused the authorisation: {0}")]
    Refused(String),
    #[error("token endpoint: {0}")]
    Endpoint(#[from] EndpointError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<OauthError> for crate::http::error::ApiError {
    /// The admin's request is at fault, or the provider's answer: both are
    /// told as they are (an admin reads them); the store's own failures
    /// map as usual.
    fn from(e: OauthError) -> Self {
        match e {
            OauthError::Store(e) => e.into(),
            e => crate::http::error::ApiError::BadRequest(e.to_string()),
        }
    }
}

/// Who begins an authorisation.
#[derive(Debug, Clone)]
pub struct Admin {
    pub agent_id: AgentId,
    /// The web session's id hash; `None` through the API.
    pub session_hash: Option<String>,
}

/// An authorisation begun: where to send the admin, and its state.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Authorization {
    /// The provider's page the admin signs in on.
    pub authorize_url: String,
    /// The `state` the provider sends back with the code.
    pub state: String,
    /// Where the provider sends the admin back (register it with the
    /// provider).
    pub redirect_uri: String,
}

/// The redirect URI for Tend at `public_url`.
pub fn redirect_uri(public_url: &str) -> String {
    format!("{}{CALLBACK_PATH}", public_url.trim_end_matches('/'))
}

/// Begins connecting `inbox_id`'s mailbox: records the state and answers
/// the provider URL to send the admin to.
pub async fn begin(
    store: &Store,
    inbox_id: i64,
    admin: Admin,
    public_url: &str,
) -> Result<Authorization, OauthError> {
    let grant = store
        .inbox_oauth_grant(inbox_id)
        .await?
        .ok_or(OauthError::NotConnected)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let state = URL_SAFE_NO_PAD.encode(bytes);
    let redirect_uri = redirect_uri(public_url);
    store
        .begin_oauth(&PendingAuthorization {
            state_hash: hash(&state),
            inbox_id,
            agent_id: admin.agent_id,
            session_hash: admin.session_hash,
            redirect_uri: redirect_uri.clone(),
            created_at: tend_store::now(),
        })
        .await?;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier(store, &state)?));
    Ok(Authorization {
        authorize_url: authorize_url(&grant.client, &redirect_uri, &state, &challenge),
        state,
        redirect_uri,
    })
}

/// The provider's authorisation URL with Tend's parameters appended.
fn authorize_url(client: &OauthClient, redirect_uri: &str, state: &str, challenge: &str) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", redirect_uri),
        ("scope", client.scopes.as_str()),
        ("state", state),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        // Ask again for consent, so the answer carries a refresh token.
        ("prompt", "consent"),
    ];
    if client
        .authorize_url
        .starts_with("https://accounts.google.com/")
    {
        // Google gives refresh tokens only to offline access.
        params.push(("access_type", "offline"));
    }
    let query = serde_urlencoded::to_string(&params).unwrap_or_default();
    let sep = if client.authorize_url.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{}{sep}{query}", client.authorize_url)
}

/// Finishes an authorisation the provider sent back with `code`: checks
/// the state belongs to `admin` (and to `inbox`, when given), exchanges
/// the code and stores the tokens. Answers the inbox connected.
pub async fn finish(
    store: &Store,
    mailboxes: &Mailboxes,
    admin: &Admin,
    state: &str,
    code: &str,
    inbox: Option<i64>,
) -> Result<i64, OauthError> {
    let pending = store
        .take_oauth_pending(&hash(state))
        .await?
        .ok_or(OauthError::BadState)?;
    let same_session = match &pending.session_hash {
        Some(hash) => admin.session_hash.as_ref() == Some(hash),
        None => true,
    };
    let same_inbox = inbox.is_none_or(|id| id == pending.inbox_id);
    if pending.agent_id != admin.agent_id || !same_session || !same_inbox {
        return Err(OauthError::BadState);
    }
    let grant = store
        .inbox_oauth_grant(pending.inbox_id)
        .await?
        .ok_or(OauthError::NotConnected)?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", pending.redirect_uri.as_str()),
        ("code_verifier", &verifier(store, state)?),
    ];
    let tokens = endpoint::request(&mailboxes.http, &grant.client, &form, store.clock().now())
        .await
        .map_err(|e| match e {
            EndpointError::Refused { error, .. } => OauthError::Refused(error),
            e => OauthError::Endpoint(e),
        })?;
    store
        .store_oauth_tokens(pending.inbox_id, &tokens, true)
        .await?;
    tracing::info!(inbox = pending.inbox_id, "mailbox connected with OAuth");
    mailboxes.changed();
    Ok(pending.inbox_id)
}

/// An access token for `inbox_id`'s mailbox: the stored one while it is
/// good for [`REFRESH_MARGIN`] more, else (or when `force`d, after the
/// server refused it) a refreshed one, stored. A refused refresh marks the
/// inbox as needing attention.
pub async fn access_token(
    store: &Store,
    mailboxes: &Mailboxes,
    inbox_id: i64,
    force: bool,
) -> Result<String, OauthError> {
    let grant = store
        .inbox_oauth_grant(inbox_id)
        .await?
        .ok_or(OauthError::NotConnected)?;
    let tokens = grant.tokens.ok_or(OauthError::NotConnected)?;
    let now = store.clock().now();
    let fresh = tokens.expires_at.is_none_or(|at| at > now + REFRESH_MARGIN);
    if fresh && !force {
        return Ok(tokens.access_token.expose().to_owned());
    }
    let refresh = tokens.refresh_token.ok_or(OauthError::NotConnected)?;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.expose()),
    ];
    match endpoint::request(&mailboxes.http, &grant.client, &form, now).await {
        Ok(new) => {
            store.store_oauth_tokens(inbox_id, &new, false).await?;
            tracing::info!("refreshed the OAuth access token");
            Ok(new.access_token.expose().to_owned())
        }
        Err(EndpointError::Refused { error, description }) => {
            let why = OauthError::Revoked(description.unwrap_or(error));
            store
                .set_oauth_problem(inbox_id, Some(&why.to_string()))
                .await?;
            Err(why)
        }
        Err(e) => Err(e.into()),
    }
}

/// The PKCE verifier of `state`: 43 characters derived with the secret key.
fn verifier(store: &Store, state: &str) -> Result<String, StoreError> {
    Ok(URL_SAFE_NO_PAD.encode(store.sign("oauth pkce verifier", state.as_bytes())?))
}

fn hash(state: &str) -> String {
    format!("{:x}", Sha256::digest(state.as_bytes()))
}

/// The SASL XOAUTH2 initial response for `user` with `token`.
pub fn xoauth2(user: &str, token: &str) -> String {
    format!("user={user}\x01auth=Bearer {token}\x01\x01")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_carries_pkce_state_and_scopes() {
        let client = OauthClient {
            authorize_url: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token_url: "https://oauth2.googleapis.com/token".into(),
            client_id: "app id".into(),
            client_secret: tend_store::email::Password::new(String::new()),
            scopes: "https://mail.google.com/".into(),
        };
        let url = authorize_url(&client, "https://tend.example/cb", "st", "ch");
        assert!(
            url.starts_with(
                "https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=app+id&"
            ),
            "{url}"
        );
        for part in [
            "redirect_uri=https%3A%2F%2Ftend.example%2Fcb",
            "state=st",
            "code_challenge=ch",
            "code_challenge_method=S256",
            "access_type=offline",
            "scope=https%3A%2F%2Fmail.google.com%2F",
        ] {
            assert!(url.contains(part), "{part} in {url}");
        }
        assert_eq!(
            xoauth2("a@example.com", "t"),
            "user=a@example.com\x01auth=Bearer t\x01\x01"
        );
    }
}
