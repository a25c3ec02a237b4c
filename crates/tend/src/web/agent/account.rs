//! The signed-in agent's own account: changing the password, and turning
//! two-factor sign-in on (a new secret shown as a QR code, an otpauth:// URL
//! and base32, which counts only once a code from it is entered) or off
//! (with a current code). Wrong passwords and codes here count against the
//! same limit as at sign-in.

use super::signin_code::{WRONG_CODE, use_code};
use crate::http::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::state::rate_limit::{self, SIGN_IN};
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::Layout;
use crate::web::shared::session::Session;
use crate::{auth, two_factor};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::preferences::Preferences;
use tend_store::signatures::SignatureOf;

/// The account page.
#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    email: String,
    /// Whether sign-in asks for a code.
    two_factor: bool,
    /// A secret being set up, when there is one.
    setup: Option<Setup>,
    notice: Option<&'static str>,
    error: Option<String>,
    /// The display settings as stored, for the form.
    preferences: Preferences,
    /// Every time zone name, offered while typing one.
    time_zones: Vec<String>,
    /// How the agent gets notifications by email (`off`, `immediately`,
    /// `digest`).
    notify_email: &'static str,
    /// The agent's handle, for @mentions.
    handle: String,
    /// The agent's email signature, and where its form posts.
    signature: String,
    signature_action: &'static str,
}

/// A two-factor secret waiting for its first code.
struct Setup {
    url: String,
    secret: String,
    qr: String,
}

/// What the last change did, named in the redirect after it.
#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The password form's fields.
#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    new_password_again: String,
}

/// The display settings form's fields; empty text means the browser's.
#[derive(Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    locale: String,
    /// Present (as `on`) when the box is ticked.
    newest_first: Option<String>,
}

/// A form carrying a two-factor code.
#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

/// Shows the account page.
pub async fn page(
    State(s): State<AppState>,
    session: Session,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let notice = match done.done.as_deref() {
        Some("password") => Some("Your password is changed. Other browsers were signed out."),
        Some("totp_on") => Some("Two-factor sign-in is on. Sign-in now asks for a code."),
        Some("totp_off") => Some("Two-factor sign-in is off."),
        Some("display") => Some("Your display settings are saved."),
        Some("notifications") => Some("Your notification settings are saved."),
        Some("signature") => Some("Your signature is saved."),
        _ => None,
    };
    render(&s, &session, StatusCode::OK, notice, None).await
}

/// Renders the page with a message.
async fn render(
    s: &AppState,
    session: &Session,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let email = s.store.agent(session.agent_id()).await?.email;
    let totp = s.store.agent_totp(session.agent_id()).await?;
    let setup = match &totp {
        Some(t) if !t.enabled => {
            let url = two_factor::otpauth_url(&t.secret, &email).map_err(internal)?;
            Some(Setup {
                qr: two_factor::qr_data_url(&url).map_err(internal)?,
                url,
                secret: t.secret.expose().to_owned(),
            })
        }
        _ => None,
    };
    let handle = tend_domain::notification::handle(&email);
    let page = AccountPage {
        layout: Layout::new(session, "account"),
        email,
        two_factor: totp.is_some_and(|t| t.enabled),
        setup,
        notice,
        error,
        preferences: session.web.preferences.clone(),
        time_zones: jiff::tz::db()
            .available()
            .map(|name| name.as_str().to_owned())
            .collect(),
        handle,
        signature: s
            .store
            .signature(SignatureOf::Agent(session.agent_id()))
            .await?,
        signature_action: "/account/signature",
        notify_email: s
            .store
            .notification_email(session.agent_id())
            .await?
            .as_str(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn internal(e: two_factor::TwoFactorError) -> WebError {
    tracing::error!(error = %e, "showing a two-factor secret");
    WebError::Internal
}

/// Saves the agent's display settings: time zone, locale, newest first.
pub async fn set_preferences(
    State(s): State<AppState>,
    posted: Posted<PreferencesForm>,
) -> Result<Response, WebError> {
    let (session, form) = (posted.session, posted.form);
    let preferences =
        match Preferences::parse(&form.time_zone, &form.locale, form.newest_first.is_some()) {
            Ok(p) => p,
            Err(invalid) => return refuse(&s, &session, invalid.message).await,
        };
    s.store
        .set_preferences(session.agent_id(), &preferences)
        .await?;
    Ok(Redirect::to("/account?done=display").into_response())
}

/// Re-renders the page with `error` (422), or with the wait when the agent
/// is over the failed-attempt limit (429).
async fn refuse(s: &AppState, session: &Session, error: String) -> Result<Response, WebError> {
    render(
        s,
        session,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        Some(error),
    )
    .await
}

/// The page saying how long to wait, when the agent has failed too often.
async fn over_limit(
    s: &AppState,
    session: &Session,
    email: &str,
    ip: &str,
) -> Result<Option<Response>, WebError> {
    let Err(wait) = SIGN_IN.check(&s.store, email, ip).await? else {
        return Ok(None);
    };
    let message = rate_limit::wait_message(wait);
    let page = render(
        s,
        session,
        StatusCode::TOO_MANY_REQUESTS,
        None,
        Some(message),
    )
    .await?;
    Ok(Some(page))
}

/// Changes the agent's password, given the current one.
pub async fn change_password(
    State(s): State<AppState>,
    ClientIp(client): ClientIp,
    posted: Posted<PasswordForm>,
) -> Result<Response, WebError> {
    let (session, form) = (posted.session, posted.form);
    let agent = session.agent_id();
    let email = s.store.agent(agent).await?.email;
    let ip = client.to_string();
    if let Some(page) = over_limit(&s, &session, &email, &ip).await? {
        return Ok(page);
    }
    if form.new_password != form.new_password_again {
        return refuse(
            &s,
            &session,
            "The two new passwords differ. Type the same one twice.".into(),
        )
        .await;
    }
    let stored = s.store.password_hash(agent).await?;
    let current = form.current_password;
    let right = match stored {
        Some(hash) => blocking(move || auth::verify_password(&current, &hash)).await?,
        None => false,
    };
    if !right {
        SIGN_IN.count(&s.store, &email, &ip).await?;
        tracing::info!(%ip, %agent, "wrong current password at password change");
        return refuse(&s, &session, "The current password is not right.".into()).await;
    }
    let new = form.new_password;
    let hash = match blocking(move || auth::checked_password_hash(&new)).await? {
        Ok(hash) => hash,
        Err(e @ auth::PasswordError::TooShort) => return refuse(&s, &session, e.to_string()).await,
        Err(auth::PasswordError::Hash(cause)) => {
            tracing::error!(error = %cause, "hashing a password failed");
            return Err(WebError::Internal);
        }
    };
    s.store
        .change_password(agent, hash, session.id_hash.clone())
        .await?;
    tracing::info!(%agent, "agent changed their password");
    Ok(Redirect::to("/account?done=password").into_response())
}

/// Runs slow password hashing off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, WebError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| WebError::Internal)
}

/// Starts setting up two-factor sign-in with a new secret.
pub async fn begin_totp(
    State(s): State<AppState>,
    posted: Posted<serde::de::IgnoredAny>,
) -> Result<Response, WebError> {
    let secret = two_factor::new_secret();
    s.store
        .begin_totp(posted.session.agent_id(), &secret)
        .await?;
    Ok(Redirect::to("/account").into_response())
}

/// Turns two-factor sign-in on once a code from the new secret is entered.
pub async fn enable_totp(
    State(s): State<AppState>,
    posted: Posted<CodeForm>,
) -> Result<Response, WebError> {
    let (session, form) = (posted.session, posted.form);
    let agent = session.agent_id();
    let setup = s
        .store
        .agent_totp(agent)
        .await?
        .filter(|t| !t.enabled)
        .ok_or_else(|| {
            WebError::Invalid(
                "two-factor sign-in is on already, or its setup was not started".into(),
            )
        })?;
    let Some(step) = two_factor::check(&setup.secret, &form.code, tend_store::now()) else {
        return refuse(&s, &session, WRONG_CODE.into()).await;
    };
    s.store.enable_totp(agent, step).await?;
    tracing::info!(%agent, "agent turned on two-factor sign-in");
    Ok(Redirect::to("/account?done=totp_on").into_response())
}

/// Turns two-factor sign-in off, given a current code.
pub async fn disable_totp(
    State(s): State<AppState>,
    ClientIp(client): ClientIp,
    posted: Posted<CodeForm>,
) -> Result<Response, WebError> {
    let (session, form) = (posted.session, posted.form);
    let agent = session.agent_id();
    let email = s.store.agent(agent).await?.email;
    let ip = client.to_string();
    if let Some(page) = over_limit(&s, &session, &email, &ip).await? {
        return Ok(page);
    }
    if !use_code(&s, agent, &form.code).await? {
        SIGN_IN.count(&s.store, &email, &ip).await?;
        return refuse(&s, &session, WRONG_CODE.into()).await;
    }
    s.store.disable_totp(agent).await?;
    tracing::info!(%agent, "agent turned off two-factor sign-in");
    Ok(Redirect::to("/account?done=totp_off").into_response())
}
