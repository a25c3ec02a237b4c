//! CSRF protection. Signed-in forms carry the session's token (a
//! synchronizer token stored server-side); the sign-in form, which has no
//! session yet, carries a token that must match a cookie set with the form.
//! A missing or wrong token is a 403.

use super::error::WebError;
use super::session::{Session, cookie};
use crate::server::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// The cookie paired with the sign-in form's token.
pub const SIGNIN_COOKIE: &str = "tend_signin_csrf";

/// Largest form accepted: a reply at its longest fits with room to spare.
const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// The form field every form posts its token in.
#[derive(Deserialize)]
struct Token {
    csrf: Option<String>,
}

/// Compares tokens without leaking where they differ.
fn same(expected: &str, given: &str) -> bool {
    // Comparing digests keeps the time independent of the token contents.
    Sha256::digest(expected.as_bytes()) == Sha256::digest(given.as_bytes())
}

/// Reads the form's token from a urlencoded body.
fn token(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Token>(body)
        .ok()
        .and_then(|t| t.csrf)
        .filter(|t| !t.is_empty())
}

/// Reads a urlencoded form after checking its token with `check`.
async fn read_form<T: DeserializeOwned>(
    body: axum::body::Body,
    check: impl FnOnce(&str) -> bool,
) -> Result<T, WebError> {
    let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| {
        WebError::Invalid("the form could not be read (is it larger than 2 MiB?)".into())
    })?;
    let given = token(&bytes).ok_or(WebError::Csrf)?;
    if !check(&given) {
        return Err(WebError::Csrf);
    }
    serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| WebError::Invalid(format!("the form is incomplete: {e}")))
}

/// A form posted by a signed-in agent, its CSRF token checked.
pub struct Posted<T> {
    pub session: Session,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Posted<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await?;
        let form = read_form(body, |given| same(&session.web.csrf_token, given)).await?;
        Ok(Posted { session, form })
    }
}

/// The sign-in form, its token checked against the sign-in cookie.
pub struct SignInPosted<T> {
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for SignInPosted<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, WebError> {
        let (parts, body) = req.into_parts();
        let expected = cookie(&parts.headers, SIGNIN_COOKIE).ok_or(WebError::Csrf)?;
        let form = read_form(body, |given| same(expected, given)).await?;
        Ok(SignInPosted { form })
    }
}
