//! Signing in to the portal by a link sent by email. Asking for a link
//! answers the same page, at the same speed, whether or not the address
//! belongs to a customer; the link is stored only as a hash, works once,
//! expires, and is used by a button press (a POST), so mail scanners that
//! fetch links do not use it up. Requests are limited per address and IP.

use super::PortalError;
use super::session::{self, Customer};
use crate::auth;
use crate::brand::Brand;
use crate::http::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::state::rate_limit::PORTAL_LINK;
use crate::mail::outbound::system_email;
use crate::web::shared::csrf::form_token;
use crate::web::shared::csrf::{Posted, SIGNIN_COOKIE, SignInPosted};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::time::Duration;
use tend_domain::email::EmailAddress;
use tend_store::Store;

/// How long a sign-in link works.
const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);

#[derive(Template)]
#[template(path = "portal_signin.html")]
struct SignInPage<'a> {
    brand: &'a Brand,
    embed: bool,
    csrf: String,
    email: String,
    error: Option<String>,
    /// The address a link was asked for, once the form is sent.
    sent_to: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_link.html")]
struct LinkPage<'a> {
    brand: &'a Brand,
    embed: bool,
    csrf: String,
    token: String,
}

/// The email address form.
#[derive(Deserialize)]
pub struct LinkRequestForm {
    #[serde(default)]
    email: String,
}

/// The button that uses a link.
#[derive(Deserialize)]
pub struct FollowForm {
    #[serde(default)]
    token: String,
}

/// The sign-out button.
#[derive(Deserialize)]
pub struct SignOutForm {}

/// The sign-in page; signed-in customers go straight to the portal.
pub async fn page(
    State(s): State<AppState>,
    customer: Option<Customer>,
) -> Result<Response, PortalError> {
    if customer.is_some() {
        return Ok(Redirect::to("/portal").into_response());
    }
    render(&s, StatusCode::OK, String::new(), None, None)
}

fn render(
    s: &AppState,
    status: StatusCode,
    email: String,
    error: Option<String>,
    sent_to: Option<String>,
) -> Result<Response, PortalError> {
    let (csrf, cookie) = form_token(s)?;
    let page = SignInPage {
        brand: &s.web.brand,
        embed: false,
        csrf,
        email,
        error,
        sent_to,
    };
    Ok((status, [(header::SET_COOKIE, cookie)], Html(page.render()?)).into_response())
}

/// Sends a sign-in link if the address is a customer's; answers the same
/// page either way.
pub async fn submit(
    State(s): State<AppState>,
    ClientIp(client): ClientIp,
    posted: SignInPosted<LinkRequestForm>,
) -> Result<Response, PortalError> {
    let typed = posted.form.email.trim().to_owned();
    let email = match EmailAddress::parse("Email", &typed) {
        Ok(email) => email,
        Err(e) => {
            let error = Some(format!("{}: {}", e.field, e.message));
            return render(&s, StatusCode::UNPROCESSABLE_ENTITY, typed, error, None);
        }
    };
    let ip = client.to_string();
    if PORTAL_LINK
        .check(&s.store, email.as_str(), &ip)
        .await?
        .is_err()
    {
        let error = "Several sign-in links were asked for recently. \
                     Use the latest one we sent, or try again in an hour.";
        return render(
            &s,
            StatusCode::TOO_MANY_REQUESTS,
            typed,
            Some(error.into()),
            None,
        );
    }
    PORTAL_LINK.count(&s.store, email.as_str(), &ip).await?;
    // The work happens after the answer, so its timing says nothing about
    // whether the address is known.
    let (store, base, brand) = (
        s.store.clone(),
        s.web.public_url.clone(),
        s.web.brand.name.clone(),
    );
    let shown = email.as_str().to_owned();
    tokio::spawn(async move {
        if let Err(e) = send_link(&store, &email, &base, &brand).await {
            tracing::warn!(error = %e, "sending a portal sign-in link failed");
        }
    });
    render(&s, StatusCode::OK, String::new(), None, Some(shown))
}

/// Stores a link for the customer with `email`, if any, and queues it.
async fn send_link(
    store: &Store,
    email: &EmailAddress,
    base: &str,
    brand: &str,
) -> Result<(), String> {
    let token = auth::new_token();
    let expires_at = tend_store::now()
        .checked_add(LINK_LIFETIME)
        .map_err(|e| e.to_string())?;
    let Some(customer) = store
        .create_portal_link(email, &auth::token_hash(&token), expires_at)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let Some(inbox) = store.first_inbox().await.map_err(|e| e.to_string())? else {
        return Err(format!(
            "no inbox to send customer {customer}'s link from: create one"
        ));
    };
    let text = format!(
        "Hello,\n\nuse this link to sign in to {brand}:\n\n{base}/portal/link/{token}\n\n\
         It works once, within {minutes} minutes. If you did not ask to sign in, \
         you can ignore this email.\n\n{brand}\n",
        minutes = LINK_LIFETIME.as_secs() / 60,
    );
    let mail = system_email(&inbox, email.as_str(), &format!("Sign in to {brand}"), text)?;
    store
        .queue_system_email(mail)
        .await
        .map_err(|e| e.to_string())
}

/// The page a link opens: one button that signs in.
pub async fn confirm(
    State(s): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PortalError> {
    let (csrf, cookie) = form_token(&s)?;
    let page = LinkPage {
        brand: &s.web.brand,
        embed: false,
        csrf,
        token,
    };
    Ok(([(header::SET_COOKIE, cookie)], Html(page.render()?)).into_response())
}

/// Uses the link: starts the customer's session, or explains that the
/// link is spent.
pub async fn follow(
    State(s): State<AppState>,
    posted: SignInPosted<FollowForm>,
) -> Result<Response, PortalError> {
    let customer = s
        .store
        .use_portal_link(&auth::token_hash(&posted.form.token))
        .await?;
    let Some(customer) = customer else {
        let error = "This sign-in link has expired or was already used. \
                     Enter your email address to get a new one.";
        return render(
            &s,
            StatusCode::GONE,
            String::new(),
            Some(error.into()),
            None,
        );
    };
    let cookies = [
        session::start(&s, customer).await?,
        crate::web::shared::session::set_cookie(&s, SIGNIN_COOKIE, "", 0)?,
    ];
    let mut response = Redirect::to("/portal").into_response();
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Signs the customer out.
pub async fn sign_out(
    State(s): State<AppState>,
    posted: Posted<SignOutForm, Customer>,
) -> Result<Response, PortalError> {
    let cookie = session::end(&s, &posted.session).await?;
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/portal/signin"),
    )
        .into_response())
}
