//! The public request form at `/request`: anyone may open a case by giving
//! an email address, a subject and a message (with attachments). The case
//! goes to the customer with that address, created unverified if new.
//! Spam is kept out by a honeypot field, a minimum fill time and a rate
//! limit per address and per IP; CSRF by a token matching a cookie.

use super::embed;
use crate::auth;
use crate::brand::Brand;
use crate::http::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::state::form_clock;
use crate::http::state::rate_limit::PUBLIC_REQUEST;
use crate::replies::MAX_BODY;
use crate::web::shared::csrf::{PublicPosted, REQUEST_COOKIE};
use crate::web::shared::error::WebError;
use crate::web::shared::expectation::{self, ExpectationView};
use crate::web::shared::session::{set_cookie, set_framed_cookie};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::time::Duration;
use tend_domain::case::MAX_SUBJECT;
use tend_domain::email::EmailAddress;
use tend_domain::text;
use tend_store::model::Case;
use tend_store::requests::NewRequest;

/// Quickest a person fills in the form; quicker is a bot.
const MIN_FILL_TIME: Duration = Duration::from_secs(2);
/// Longest name, in characters.
const MAX_NAME: usize = 200;

/// `?embed=1` asks for the minimal layout meant for an `<iframe>`;
/// `?subject=` fills in the subject (the help centre's "Ask our support
/// team" passes the search that found nothing).
#[derive(Deserialize, Default)]
pub struct Mode {
    #[serde(default)]
    embed: Option<String>,
    #[serde(default)]
    subject: Option<String>,
}

impl Mode {
    fn embed(&self) -> bool {
        self.embed.as_deref() == Some("1")
    }
}

/// The form's fields.
#[derive(Deserialize, Default)]
pub struct RequestForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    message: String,
    /// When the form was served, signed.
    #[serde(default)]
    started: String,
    /// The honeypot: hidden from people, filled in by bots.
    #[serde(default)]
    website: String,
}

#[derive(Template)]
#[template(path = "request.html")]
struct RequestPage<'a> {
    brand: &'a Brand,
    embed: bool,
    /// Embedding was asked for but is not configured.
    embed_refused: bool,
    csrf: String,
    started: String,
    form: &'a RequestForm,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "request_thanks.html")]
struct ThanksPage<'a> {
    brand: &'a Brand,
    embed: bool,
    /// The new case's reference (absent when the request was dropped as spam).
    reference: Option<String>,
    /// When to expect an answer.
    expect: Option<ExpectationView>,
}

/// Shows the empty form, with the subject given in the address (cut to
/// the longest subject accepted).
pub async fn page(
    State(s): State<AppState>,
    Query(mode): Query<Mode>,
) -> Result<Response, WebError> {
    let form = RequestForm {
        subject: mode
            .subject
            .as_deref()
            .map(|s| s.trim().chars().take(MAX_SUBJECT).collect())
            .unwrap_or_default(),
        ..RequestForm::default()
    };
    render(&s, &mode, &form, StatusCode::OK, None)
}

/// Renders the form (with what was typed and an error, after a failure),
/// with a fresh token, its cookie and a new fill-time stamp.
fn render(
    s: &AppState,
    mode: &Mode,
    form: &RequestForm,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, WebError> {
    let csrf = auth::new_token();
    let cookie = if mode.embed() && embed::allowed(s) {
        set_framed_cookie(s, REQUEST_COOKIE, &csrf, 3600)?
    } else {
        set_cookie(s, REQUEST_COOKIE, &csrf, 3600)?
    };
    let page = RequestPage {
        brand: &s.web.brand,
        embed: mode.embed(),
        embed_refused: mode.embed() && !embed::allowed(s),
        csrf,
        started: form_clock::stamp(&s.store).unwrap_or_default(),
        form,
        error,
    };
    let mut response = (status, Html(page.render()?)).into_response();
    response
        .headers_mut()
        .insert(axum::http::header::SET_COOKIE, cookie);
    Ok(secured(s, mode, response))
}

/// Adds the request form's framing and security headers.
fn secured(s: &AppState, mode: &Mode, mut response: Response) -> Response {
    for (name, value) in embed::headers(s, mode.embed()) {
        response.headers_mut().insert(name, value);
    }
    response
}

/// The thank-you page, saying when to expect an answer to `case` (none
/// when the request was dropped as spam).
async fn thanks(s: &AppState, mode: &Mode, case: Option<&Case>) -> Result<Response, WebError> {
    let expect = match case {
        Some(case) => expectation::for_case(
            case,
            s.store.answer_promise(case.id).await?,
            tend_store::now(),
        ),
        None => None,
    };
    let page = ThanksPage {
        brand: &s.web.brand,
        embed: mode.embed(),
        reference: case.map(|c| c.reference.clone()),
        expect,
    };
    Ok(secured(s, mode, Html(page.render()?).into_response()))
}

/// Opens a case from the form, or shows the form again with what is wrong.
pub async fn submit(
    State(s): State<AppState>,
    ClientIp(client): ClientIp,
    Query(mode): Query<Mode>,
    posted: PublicPosted<RequestForm>,
) -> Result<Response, WebError> {
    let PublicPosted { form, files } = posted;
    if !form.website.is_empty() {
        tracing::info!(ip = %client, "public request dropped: honeypot filled");
        return thanks(&s, &mode, None).await;
    }
    let quick =
        form_clock::elapsed(&s.store, &form.started).is_none_or(|took| took < MIN_FILL_TIME);
    if quick {
        tracing::info!(ip = %client, "public request refused: sent too fast");
        let message = "That was sent faster than a person can type, so it looks like spam. \
                       Check your request and send it again.";
        return render(
            &s,
            &mode,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message.into()),
        );
    }
    let ip = client.to_string();
    if PUBLIC_REQUEST
        .check(&s.store, form.email.trim(), &ip)
        .await?
        .is_err()
    {
        let message = "We have received several requests from you recently. \
                       Please wait an hour before sending another, or reply to our email.";
        return render(
            &s,
            &mode,
            &form,
            StatusCode::TOO_MANY_REQUESTS,
            Some(message.into()),
        );
    }
    let request = match checked(&s, &form, files) {
        Ok(request) => request,
        Err(e @ (WebError::Invalid(_) | WebError::TooLarge(_))) => {
            return render(&s, &mode, &form, e.status(), Some(e.to_string()));
        }
        Err(e) => return Err(e),
    };
    let email = request.email.as_str().to_owned();
    let case = s.store.open_request(request).await?;
    PUBLIC_REQUEST.count(&s.store, &email, &ip).await?;
    let portal = format!("{}/portal", s.web.public_url);
    crate::mail::acknowledge::confirm_web_request(&s.store, case.id, &portal).await;
    thanks(&s, &mode, Some(&case)).await
}

/// The request the form describes, every field and file checked.
fn checked(
    s: &AppState,
    form: &RequestForm,
    files: Vec<crate::web::shared::csrf::PostedFile>,
) -> Result<NewRequest, WebError> {
    Ok(NewRequest {
        email: EmailAddress::parse("Email", &form.email).map_err(WebError::field)?,
        name: text::optional("Name", Some(&form.name), MAX_NAME).map_err(WebError::field)?,
        subject: text::required("Subject", &form.subject, MAX_SUBJECT).map_err(WebError::field)?,
        message: text::required("Message", &form.message, MAX_BODY).map_err(WebError::field)?,
        attachments: crate::web::shared::upload::uploads(s, files)?,
    })
}
