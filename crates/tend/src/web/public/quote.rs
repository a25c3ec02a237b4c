//! The pages a quote's email links to: `/quote/{id}/{token}`, no sign-in.
//! The GET only shows the quote and a one-button form for the link's
//! decision with an optional comment, so mail scanners that open every
//! link never decide for the customer; the POST records it. The signed
//! token is the capability (it names one quote and one decision), so the
//! POST needs no other CSRF token. A second POST of the same decision says
//! it is already recorded; the other decision after one, or any decision
//! past the quote's validity, is refused. Forged links are 403, malformed
//! ones 400, unknown quotes 404; none of them stores anything.

use crate::brand::Brand;
use crate::http::AppState;
use crate::quotes::link::Link;
use crate::signed_link::{LinkError, VerifyError};
use crate::web::shared::error::WebError;
use crate::web::shared::quote_view::QuoteView;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use tend_domain::event::Actor;
use tend_domain::ids::QuoteId;
use tend_domain::quote::{self, Decision, Refused};
use tend_store::StoreError;
use tend_store::quotes::Decided;

#[derive(Template)]
#[template(path = "quote.html")]
struct QuotePage<'a> {
    brand: &'a Brand,
    embed: bool,
    view: QuoteView,
    action: String,
    approve: bool,
    comment: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "quote_result.html")]
struct ResultPage<'a> {
    brand: &'a Brand,
    embed: bool,
    done: bool,
    message: String,
}

/// A link that could not be used.
enum Failure {
    Link(LinkError),
    Refused(Refused),
    NoQuote,
    Web(WebError),
}

impl From<VerifyError> for Failure {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Link(e) => Failure::Link(e),
            VerifyError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => Failure::NoQuote,
            other => Failure::Web(other.into()),
        }
    }
}

impl From<askama::Error> for Failure {
    fn from(e: askama::Error) -> Self {
        Failure::Web(e.into())
    }
}

/// The result page with `status`.
fn result(s: &AppState, status: StatusCode, done: bool, message: String) -> Response {
    let page = ResultPage {
        brand: &s.web.brand,
        embed: false,
        done,
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// Renders a failure as a page.
fn refuse(s: &AppState, e: Failure) -> Response {
    let (status, message) = match e {
        Failure::Link(e @ LinkError::Malformed) => (StatusCode::BAD_REQUEST, e.to_string()),
        Failure::Link(e @ LinkError::Forged) => (StatusCode::FORBIDDEN, e.to_string()),
        Failure::Refused(e @ Refused::Expired) => (StatusCode::GONE, e.to_string()),
        Failure::Refused(e @ Refused::Decided(_)) => (StatusCode::CONFLICT, e.to_string()),
        Failure::NoQuote => (StatusCode::NOT_FOUND, "there is no such quote".to_owned()),
        Failure::Web(e) => return e.into_response(),
    };
    result(s, status, false, message)
}

/// The quote with the link's decision to confirm.
pub async fn page(State(s): State<AppState>, Path((id, token)): Path<(i64, String)>) -> Response {
    match show(&s, QuoteId(id), &token, String::new(), None).await {
        Ok(html) => (StatusCode::OK, Html(html)).into_response(),
        Err(e) => refuse(&s, e),
    }
}

async fn show(
    s: &AppState,
    id: QuoteId,
    token: &str,
    comment: String,
    error: Option<String>,
) -> Result<String, Failure> {
    let link = Link::verify(&s.store, id, token)?;
    let quote = s.store.quote(id).await?;
    let page = QuotePage {
        brand: &s.web.brand,
        embed: false,
        view: QuoteView::of(&quote),
        action: format!("/quote/{id}/{token}"),
        approve: link.decision == Decision::Approve,
        comment,
        error,
    };
    Ok(page.render()?)
}

/// The confirmation form's field.
#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    comment: String,
}

/// Records the link's decision.
pub async fn decide(
    State(s): State<AppState>,
    Path((id, token)): Path<(i64, String)>,
    Form(form): Form<DecisionForm>,
) -> Response {
    match record(&s, QuoteId(id), &token, form).await {
        Ok(response) => response,
        Err(e) => refuse(&s, e),
    }
}

async fn record(
    s: &AppState,
    id: QuoteId,
    token: &str,
    form: DecisionForm,
) -> Result<Response, Failure> {
    let link = Link::verify(&s.store, id, token)?;
    let comment = match quote::comment(&form.comment) {
        Ok(comment) => comment,
        Err(e) => {
            let error = Some(format!("{}: {}", e.field, e.message));
            let html = show(s, id, token, form.comment, error).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
        }
    };
    let case = s.store.quote(id).await?.case_id;
    let customer = s.store.case(case).await?.customer_id;
    let outcome = s
        .store
        .decide_quote(id, link.decision, comment, Actor::customer(customer))
        .await?;
    let status = link.decision.status();
    let message = match outcome {
        Decided::Recorded => format!("you have {status} this quote; we will be in touch"),
        Decided::Already => format!("this quote was already {status}"),
        Decided::Refused(refused) => return Err(Failure::Refused(refused)),
    };
    Ok(result(s, StatusCode::OK, true, message))
}
