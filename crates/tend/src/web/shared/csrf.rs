//! CSRF protection. Signed-in forms carry the session's token (a
//! synchronizer token stored server-side); the sign-in form, which has no
//! session yet, carries a token that must match a cookie set with the form.
//! The public request form, the help centre's forms and survey answers
//! work like the sign-in form. Multipart forms
//! (file uploads) are checked the same way. A missing or
//! wrong token is a 403.

use super::error::WebError;
use super::session::{self, Session, cookie};
use crate::auth;
use crate::http::AppState;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::{HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// The cookie paired with the sign-in form's token.
pub const SIGNIN_COOKIE: &str = "tend_signin_csrf";
/// The cookie paired with the public request form's token.
pub const REQUEST_COOKIE: &str = "tend_request_csrf";

/// Largest form accepted: a reply at its longest fits with room to spare.
const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// A fresh token for a form posted before there is a session (agent or
/// portal sign-in), with the cookie it must match.
pub fn form_token(s: &AppState) -> Result<(String, HeaderValue), WebError> {
    let csrf = auth::new_token();
    let cookie = session::set_cookie(s, SIGNIN_COOKIE, &csrf, 3600)?;
    Ok((csrf, cookie))
}

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
    parse_form(&bytes, check)
}

/// Parses urlencoded fields after checking their token with `check`.
fn parse_form<T: DeserializeOwned>(
    bytes: &[u8],
    check: impl FnOnce(&str) -> bool,
) -> Result<T, WebError> {
    let given = token(bytes).ok_or(WebError::Csrf)?;
    if !check(&given) {
        return Err(WebError::Csrf);
    }
    serde_urlencoded::from_bytes(bytes)
        .map_err(|e| WebError::Invalid(format!("the form is incomplete: {e}")))
}

/// A signed-in session whose forms carry its synchronizer token: an
/// agent's [`Session`] or a customer's portal session.
pub trait CsrfSession: FromRequestParts<AppState, Rejection: From<WebError>> + Send {
    /// The token this session's forms must carry.
    fn csrf_token(&self) -> &str;
}

impl CsrfSession for Session {
    fn csrf_token(&self) -> &str {
        &self.web.csrf_token
    }
}

/// A form posted in a signed-in session (an agent's unless `S` says
/// otherwise), its CSRF token checked.
pub struct Posted<T, S = Session> {
    pub session: S,
    pub form: T,
}

impl<T: DeserializeOwned, S: CsrfSession> FromRequest<AppState> for Posted<T, S> {
    type Rejection = S::Rejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, S::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = S::from_request_parts(&mut parts, state).await?;
        let expected = session.csrf_token().to_owned();
        let form = read_form(body, |given| same(&expected, given)).await?;
        Ok(Posted { session, form })
    }
}

/// A file posted with a multipart form.
pub struct PostedFile {
    /// The name the browser gave, as sent.
    pub filename: String,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// A form posted in a signed-in session that may carry files: multipart
/// (with its files) or urlencoded (with none). The CSRF token is checked
/// exactly as for [`Posted`]; the size limit is the server's body limit.
pub struct PostedWithFiles<T, S = Session> {
    pub session: S,
    pub form: T,
    pub files: Vec<PostedFile>,
}

impl<T: DeserializeOwned, S: CsrfSession> FromRequest<AppState> for PostedWithFiles<T, S> {
    type Rejection = S::Rejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, S::Rejection> {
        if !is_multipart(&req) {
            let Posted { session, form } = Posted::<T, S>::from_request(req, state).await?;
            return Ok(PostedWithFiles {
                session,
                form,
                files: Vec::new(),
            });
        }
        let (mut parts, body) = req.into_parts();
        let session = S::from_request_parts(&mut parts, state).await?;
        let expected = session.csrf_token().to_owned();
        let (form, files) = read_multipart(Request::from_parts(parts, body), state, |given| {
            same(&expected, given)
        })
        .await?;
        Ok(PostedWithFiles {
            session,
            form,
            files,
        })
    }
}

/// Reads a multipart form, its files apart, after checking its token with
/// `check`.
async fn read_multipart<T: DeserializeOwned>(
    req: Request,
    state: &AppState,
    check: impl FnOnce(&str) -> bool,
) -> Result<(T, Vec<PostedFile>), WebError> {
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|e| WebError::Invalid(format!("the form could not be read: {e}")))?;
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(filename) => {
                let content_type = field.content_type().map(str::to_owned);
                let data = field.bytes().await.map_err(unreadable)?.to_vec();
                // An empty file input still sends a nameless, empty part.
                if !filename.is_empty() || !data.is_empty() {
                    files.push(PostedFile {
                        filename,
                        content_type,
                        data,
                    });
                }
            }
            None => fields.push((name, field.text().await.map_err(unreadable)?)),
        }
    }
    let encoded = serde_urlencoded::to_string(&fields).map_err(|_| WebError::Internal)?;
    let form = parse_form(encoded.as_bytes(), check)?;
    Ok((form, files))
}

/// Whether a request carries a multipart body.
fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// A multipart body that could not be read: too large (413) or malformed.
fn unreadable(e: MultipartError) -> WebError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        WebError::TooLarge(format!("the upload is too large: {}", e.body_text()))
    } else {
        WebError::Invalid(format!("the form could not be read: {}", e.body_text()))
    }
}

/// The public request form (no session): multipart with files, or
/// urlencoded, its token checked against the request-form cookie.
pub struct PublicPosted<T> {
    pub form: T,
    pub files: Vec<PostedFile>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for PublicPosted<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let expected = cookie(req.headers(), REQUEST_COOKIE)
            .ok_or(WebError::Csrf)?
            .to_owned();
        if !is_multipart(&req) {
            let form = read_form(req.into_body(), |given| same(&expected, given)).await?;
            return Ok(PublicPosted {
                form,
                files: Vec::new(),
            });
        }
        let (form, files) = read_multipart(req, state, |given| same(&expected, given)).await?;
        Ok(PublicPosted { form, files })
    }
}

/// The sign-in form, its token checked against the sign-in cookie.
pub struct SignInPosted<T> {
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for SignInPosted<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, WebError> {
        let form = double_submitted(req, SIGNIN_COOKIE).await?;
        Ok(SignInPosted { form })
    }
}

/// The cookie paired with the public help centre's form token.
pub const HELP_COOKIE: &str = "tend_help_csrf";

/// A form posted from the public help centre (no session): its token is
/// checked against the help cookie set with the page (double submit).
pub struct HelpPosted<T> {
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for HelpPosted<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, WebError> {
        let form = double_submitted(req, HELP_COOKIE).await?;
        Ok(HelpPosted { form })
    }
}

/// The cookie paired with the survey answer form's token.
pub const SURVEY_COOKIE: &str = "tend_survey_csrf";

/// An answer posted from a survey page (no session): its token is checked
/// against the survey cookie set with the page (double submit).
pub struct SurveyPosted<T> {
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for SurveyPosted<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, WebError> {
        let form = double_submitted(req, SURVEY_COOKIE).await?;
        Ok(SurveyPosted { form })
    }
}

/// Reads a urlencoded form posted without a session, its token checked
/// against the cookie `name` that was set with the page.
async fn double_submitted<T: DeserializeOwned>(req: Request, name: &str) -> Result<T, WebError> {
    let (parts, body) = req.into_parts();
    let expected = cookie(&parts.headers, name).ok_or(WebError::Csrf)?;
    read_form(body, |given| same(expected, given)).await
}

/// The browser's token for the double-submit cookie `name`, or a fresh one
/// with the `Set-Cookie` (lasting `secs`) that sets it.
pub fn double_submit_token(
    s: &AppState,
    headers: &axum::http::HeaderMap,
    name: &str,
    secs: u64,
) -> Result<(String, Option<HeaderValue>), WebError> {
    if let Some(existing) = cookie(headers, name) {
        return Ok((existing.to_owned(), None));
    }
    let fresh = auth::new_token();
    let set = session::set_cookie(s, name, &fresh, secs)?;
    Ok((fresh, Some(set)))
}
