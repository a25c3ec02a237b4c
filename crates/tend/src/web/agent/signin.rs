//! Signing in with email and password (argon2), and signing out. Agents
//! with two-factor sign-in on go on to the code step ([`super::signin_code`]).

use super::signin_code;
use crate::auth;
use crate::http::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::state::rate_limit::{self, SIGN_IN};
use crate::web::shared::csrf::{Posted, SIGNIN_COOKIE, SignInPosted, form_token};
use crate::web::shared::error::WebError;
use crate::web::shared::layout::SignInPage;
use crate::web::shared::session::{self, Session};
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::OnceLock;
use tend_domain::email::EmailAddress;
use tend_domain::ids::AgentId;

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
}

/// The sign-in page; signed-in agents go straight to their cases.
pub async fn page(
    State(s): State<AppState>,
    session: Option<Session>,
) -> Result<Response, WebError> {
    if session.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    render(&s, StatusCode::OK, "", None)
}

/// Renders the form with a fresh CSRF token and its cookie.
pub(super) fn render(
    s: &AppState,
    status: StatusCode,
    email: &str,
    error: Option<String>,
) -> Result<Response, WebError> {
    let (csrf, cookie) = form_token(s)?;
    let page = SignInPage {
        csrf,
        email: email.to_owned(),
        error,
    };
    Ok((status, [(header::SET_COOKIE, cookie)], Html(page.render()?)).into_response())
}

/// Starts the agent's session and goes to the cases, clearing `clear` (the
/// cookies of the steps before).
pub(super) async fn signed_in(
    s: &AppState,
    agent: AgentId,
    clear: &[&str],
) -> Result<Response, WebError> {
    let mut cookies = vec![session::start(s, agent).await?];
    for name in clear {
        cookies.push(session::set_cookie(s, name, "", 0)?);
    }
    let mut response = Redirect::to("/").into_response();
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Checks the password; on success starts a session and goes to the cases.
pub async fn submit(
    State(s): State<AppState>,
    ClientIp(client): ClientIp,
    posted: SignInPosted<SignInForm>,
) -> Result<Response, WebError> {
    let form = posted.form;
    let ip = client.to_string();
    let email = form.email.trim();
    if let Err(wait) = SIGN_IN.check(&s.store, email, &ip).await? {
        let message = rate_limit::wait_message(wait);
        return render(&s, StatusCode::TOO_MANY_REQUESTS, email, Some(message));
    }
    match check_password(&s, email, form.password).await? {
        Some(agent) => {
            if s.store.agent_totp(agent).await?.is_some_and(|t| t.enabled) {
                // Failures are forgotten only once the code is right too, so
                // re-entering the password does not buy more code guesses.
                return signin_code::begin(&s, agent).await;
            }
            SIGN_IN.forget(&s.store, email).await?;
            signed_in(&s, agent, &[SIGNIN_COOKIE]).await
        }
        None => {
            SIGN_IN.count(&s.store, email, &ip).await?;
            tracing::info!(%ip, "failed sign-in");
            render(
                &s,
                StatusCode::UNAUTHORIZED,
                email,
                Some("Wrong email or password. Check both and try again.".into()),
            )
        }
    }
}

/// The agent whose active account has this email and password, if any.
/// Unknown addresses cost an argon2 check too, so timing does not tell
/// which addresses exist.
async fn check_password(
    s: &AppState,
    email: &str,
    password: String,
) -> Result<Option<AgentId>, WebError> {
    let creds = match EmailAddress::parse("email", email) {
        Ok(address) => s.store.credentials(&address).await?,
        Err(_) => None,
    };
    let (agent, hash) = match creds {
        Some(c) if c.active => (Some(c.agent_id), c.password_hash),
        _ => (None, None),
    };
    let hash = match hash {
        Some(h) => h,
        None => dummy_hash()?.to_owned(),
    };
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|_| WebError::Internal)?;
    Ok(agent.filter(|_| ok))
}

/// A hash no password matches, checked when the account has none.
fn dummy_hash() -> Result<&'static str, WebError> {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(h) = HASH.get() {
        return Ok(h);
    }
    let h = auth::hash_password(&auth::new_token()).map_err(|_| WebError::Internal)?;
    Ok(HASH.get_or_init(|| h))
}

/// Ends the session and returns to the sign-in page.
pub async fn sign_out(
    State(s): State<AppState>,
    posted: Posted<serde::de::IgnoredAny>,
) -> Result<Response, WebError> {
    let cookie = session::end(&s, &posted.session).await?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/signin")).into_response())
}
