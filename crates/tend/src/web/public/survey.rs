//! The survey pages a survey email links to: `/survey/{case}/{token}`, no
//! sign-in. The GET only shows the question with the link's score chosen
//! and a box for an optional comment; the answer is recorded by the page's
//! one-button POST (CSRF-checked by a double-submit cookie). Mail scanners
//! that open every link in a message therefore never answer for the
//! customer. Posting the same answer again records nothing; another score
//! or comment within the answer window is recorded as the new answer.
//! Forged links (or links for another case) are 404, malformed ones 400,
//! expired ones 410, and none of them stores anything.

use crate::brand::Brand;
use crate::http::AppState;
use crate::surveys::link::{Link, LinkError, VerifyError};
use crate::web::shared::csrf::{SURVEY_COOKIE, SurveyPosted, double_submit_token};
use crate::web::shared::error::WebError;
use crate::web::shared::layout::Choice;
use crate::web::shared::survey_form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use tend_domain::event::Actor;
use tend_domain::ids::CaseId;
use tend_domain::survey::{self, SentSurvey};
use tend_store::StoreError;
use tend_store::surveys::Answered;

/// How long the survey form's cookie lasts: the answer window.
const COOKIE_SECS: u64 = 7 * 24 * 3600;

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage<'a> {
    brand: &'a Brand,
    embed: bool,
    action: String,
    csrf: String,
    reference: String,
    question: String,
    choices: Vec<Choice>,
    comment: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "survey_done.html")]
struct DonePage<'a> {
    brand: &'a Brand,
    embed: bool,
    /// Where to change the answer or add a comment.
    again: String,
    answer: String,
    recorded: bool,
}

#[derive(Template)]
#[template(path = "survey_refused.html")]
struct RefusedPage<'a> {
    brand: &'a Brand,
    embed: bool,
    message: String,
}

/// A survey page that could not be answered, as a page.
pub enum SurveyError {
    /// The link is refused.
    Link(LinkError),
    /// The link is genuine but its survey is gone (the case was merged
    /// away, say): nothing to answer.
    NoSurvey,
    /// Anything else, as any web failure.
    Web(WebError),
}

impl From<WebError> for SurveyError {
    fn from(e: WebError) -> Self {
        SurveyError::Web(e)
    }
}

impl From<StoreError> for SurveyError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => SurveyError::NoSurvey,
            other => SurveyError::Web(other.into()),
        }
    }
}

impl From<askama::Error> for SurveyError {
    fn from(e: askama::Error) -> Self {
        SurveyError::Web(e.into())
    }
}

impl From<VerifyError> for SurveyError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Link(e) => SurveyError::Link(e),
            VerifyError::Store(e) => e.into(),
        }
    }
}

/// Renders a refusal with the brand of the state it was made in.
fn refuse(s: &AppState, e: SurveyError) -> Response {
    let (status, message) = match e {
        SurveyError::Link(e @ LinkError::Malformed) => (StatusCode::BAD_REQUEST, e.to_string()),
        SurveyError::Link(e @ LinkError::Forged) => (StatusCode::NOT_FOUND, e.to_string()),
        SurveyError::Link(e @ LinkError::Expired) => (StatusCode::GONE, e.to_string()),
        SurveyError::NoSurvey => (
            StatusCode::NOT_FOUND,
            "this survey is no longer open".to_owned(),
        ),
        SurveyError::Web(e) => return e.into_response(),
    };
    let page = RefusedPage {
        brand: &s.web.brand,
        embed: false,
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// The survey the link belongs to, still open to answers.
async fn open_survey(s: &AppState, link: &Link) -> Result<SentSurvey, SurveyError> {
    let sent = s
        .store
        .case_surveys(link.case)
        .await?
        .into_iter()
        .find(|sent| sent.survey == link.survey && sent.asks(link.kind))
        .ok_or(SurveyError::NoSurvey)?;
    if !survey::open_at(sent.sent_at, tend_store::now()) {
        return Err(SurveyError::Link(LinkError::Expired));
    }
    Ok(sent)
}

/// The question with the link's score chosen.
pub async fn page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((case, token)): Path<(i64, String)>,
) -> Response {
    match show(&s, &headers, CaseId(case), &token).await {
        Ok(response) => response,
        Err(e) => refuse(&s, e),
    }
}

async fn show(
    s: &AppState,
    headers: &HeaderMap,
    case: CaseId,
    token: &str,
) -> Result<Response, SurveyError> {
    let link = Link::verify(&s.store, case, token, tend_store::now())?;
    let sent = open_survey(s, &link).await?;
    let comment = sent
        .answer(link.kind)
        .and_then(|a| a.comment.clone())
        .unwrap_or_default();
    let (csrf, set) = double_submit_token(s, headers, SURVEY_COOKIE, COOKIE_SECS)?;
    let html = form(s, &link, token, csrf, link.score, comment, None).await?;
    let mut response = (StatusCode::OK, Html(html)).into_response();
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    Ok(response)
}

/// Renders the answer form for `link`.
async fn form(
    s: &AppState,
    link: &Link,
    token: &str,
    csrf: String,
    score: u8,
    comment: String,
    error: Option<String>,
) -> Result<String, SurveyError> {
    let business = survey_form::business(s, link.case).await?;
    let page = SurveyPage {
        brand: &s.web.brand,
        embed: false,
        action: format!("/survey/{}/{token}", link.case),
        csrf,
        reference: tend_store::model::case_reference(link.case),
        question: link.kind.question(&business),
        choices: survey_form::choices(link.kind, Some(score)),
        comment,
        error,
    };
    Ok(page.render()?)
}

/// The answer form's fields.
#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
    csrf: String,
}

/// Records the answer.
pub async fn answer(
    State(s): State<AppState>,
    Path((case, token)): Path<(i64, String)>,
    posted: SurveyPosted<AnswerForm>,
) -> Response {
    match record(&s, CaseId(case), &token, posted.form).await {
        Ok(response) => response,
        Err(e) => refuse(&s, e),
    }
}

async fn record(
    s: &AppState,
    case: CaseId,
    token: &str,
    form: AnswerForm,
) -> Result<Response, SurveyError> {
    let link = Link::verify(&s.store, case, token, tend_store::now())?;
    open_survey(s, &link).await?;
    let checked = link
        .kind
        .parse_score(&form.score)
        .and_then(|score| Ok((score, survey::comment(&form.comment)?)));
    let (score, comment) = match checked {
        Ok(checked) => checked,
        Err(e) => {
            let chosen = form.score.trim().parse().unwrap_or(link.score);
            let html = form_again(s, &link, token, form, chosen, e).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
        }
    };
    let customer = s.store.case(case).await?.customer_id;
    let outcome = s
        .store
        .record_survey_answer(
            case,
            link.survey.clone(),
            link.kind,
            score,
            comment,
            Actor::customer(customer),
        )
        .await?;
    if outcome == Answered::Closed {
        return Err(SurveyError::Link(LinkError::Expired));
    }
    let page = DonePage {
        brand: &s.web.brand,
        embed: false,
        again: format!("/survey/{case}/{token}"),
        answer: format!("{score} · {}", link.kind.label(score)),
        recorded: outcome == Answered::Recorded,
    };
    Ok((StatusCode::OK, Html(page.render()?)).into_response())
}

/// The form again after a refused answer, with what was typed.
async fn form_again(
    s: &AppState,
    link: &Link,
    token: &str,
    form: AnswerForm,
    chosen: u8,
    e: tend_domain::Invalid,
) -> Result<String, SurveyError> {
    let error = Some(format!("{}: {}", e.field, e.message));
    self::form(s, link, token, form.csrf, chosen, form.comment, error).await
}
