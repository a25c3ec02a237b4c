//! The second sign-in step for agents with two-factor sign-in on. The right
//! password leaves a pending sign-in on the server (the browser holds only a
//! random id, in an HttpOnly cookie) that lasts a few minutes; the agent's
//! current code turns it into a session. Wrong codes count against the same
//! limit as wrong passwords, and each code is accepted only once.

use super::signin;
use crate::http::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::state::rate_limit::{self, SIGN_IN};
use crate::web::shared::csrf::form_token;
use crate::web::shared::csrf::{SIGNIN_COOKIE, SignInPosted};
use crate::web::shared::error::WebError;
use crate::web::shared::session::{self, Session, cookie};
use crate::{auth, two_factor};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::ids::AgentId;
use tend_store::account::PendingSignIn;

/// The cookie naming the pending sign-in.
const PENDING_COOKIE: &str = "tend_signin_pending";

/// The code form.
#[derive(Template)]
#[template(path = "signin_code.html")]
struct CodePage {
    csrf: String,
    error: Option<String>,
}

/// The code form's fields.
#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

/// After the right password: stores the pending sign-in and asks for the code.
pub async fn begin(s: &AppState, agent: AgentId) -> Result<Response, WebError> {
    let id = auth::new_token();
    let lifetime = s.web.signin_code_lifetime;
    let expires_at = tend_store::now()
        .checked_add(lifetime)
        .map_err(|_| WebError::Internal)?;
    s.store
        .create_pending_signin(&auth::token_hash(&id), agent, expires_at)
        .await?;
    let cookie = session::set_cookie(s, PENDING_COOKIE, &id, lifetime.as_secs())?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/signin/code")).into_response())
}

/// The pending sign-in this browser holds, with its id hash, if unexpired.
async fn pending(
    s: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(String, PendingSignIn)>, WebError> {
    let Some(id) = cookie(headers, PENDING_COOKIE) else {
        return Ok(None);
    };
    let id_hash = auth::token_hash(id);
    Ok(s.store
        .pending_signin(&id_hash)
        .await?
        .map(|p| (id_hash, p)))
}

/// Renders the code form with a fresh CSRF token.
fn render(s: &AppState, status: StatusCode, error: Option<String>) -> Result<Response, WebError> {
    let (csrf, cookie) = form_token(s)?;
    let page = CodePage { csrf, error };
    Ok((status, [(header::SET_COOKIE, cookie)], Html(page.render()?)).into_response())
}

/// Back to the password: the pending sign-in is gone or expired.
fn start_over(s: &AppState) -> Result<Response, WebError> {
    signin::render(
        s,
        StatusCode::UNAUTHORIZED,
        "",
        Some("The sign-in waited too long for its code. Sign in again.".into()),
    )
}

/// The code form; without a pending sign-in, the password form.
pub async fn page(
    State(s): State<AppState>,
    session: Option<Session>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    if session.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    match pending(&s, &headers).await? {
        Some(_) => render(&s, StatusCode::OK, None),
        None => Ok(Redirect::to("/signin").into_response()),
    }
}

/// Checks the code; on success starts the session and goes to the cases.
pub async fn submit(
    State(s): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    posted: SignInPosted<CodeForm>,
) -> Result<Response, WebError> {
    let Some((id_hash, pending)) = pending(&s, &headers).await? else {
        return start_over(&s);
    };
    let ip = client.to_string();
    if let Err(wait) = SIGN_IN.check(&s.store, &pending.email, &ip).await? {
        let message = rate_limit::wait_message(wait);
        return render(&s, StatusCode::TOO_MANY_REQUESTS, Some(message));
    }
    if !use_code(&s, pending.agent_id, &posted.form.code).await? {
        SIGN_IN.count(&s.store, &pending.email, &ip).await?;
        tracing::info!(%ip, agent = %pending.agent_id, "wrong two-factor code at sign-in");
        return render(&s, StatusCode::UNAUTHORIZED, Some(WRONG_CODE.into()));
    }
    // Only one request may turn the pending sign-in into a session.
    if !s.store.finish_pending_signin(&id_hash).await? {
        return start_over(&s);
    }
    SIGN_IN.forget(&s.store, &pending.email).await?;
    signin::signed_in(&s, pending.agent_id, &[PENDING_COOKIE, SIGNIN_COOKIE]).await
}

/// What a refused code is told.
pub const WRONG_CODE: &str = "That code is not right, or it was already used. Enter the current code from your authenticator app.";

/// Whether `code` is the agent's current code and not used before; a right
/// code is used up.
pub async fn use_code(s: &AppState, agent: AgentId, code: &str) -> Result<bool, WebError> {
    let Some(totp) = s.store.agent_totp(agent).await? else {
        return Ok(false);
    };
    match two_factor::check(&totp.secret, code, tend_store::now()) {
        Some(step) if totp.enabled => Ok(s.store.use_totp_step(agent, step).await?),
        _ => Ok(false),
    }
}
