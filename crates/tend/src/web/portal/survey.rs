//! The survey on a resolved case in the portal: when a survey was emailed
//! for the case and is still open, its customer sees the same questions on
//! the case page and may answer (or change their answer) there, signed in,
//! instead of through the email's links. The answer is the same event.

use super::PortalError;
use super::cases::render;
use super::session::Customer;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::layout::Choice;
use crate::web::shared::survey_form;
use crate::web::shared::timeline::survey_answer;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::ids::CaseId;
use tend_domain::survey::{self, SentSurvey, SurveyKind};
use tend_store::model::Case;
use tend_store::surveys::Answered;

/// The open survey of a case, as the portal shows it.
pub struct PortalSurvey {
    pub questions: Vec<Question>,
}

/// One question of it.
pub struct Question {
    pub kind: &'static str,
    pub text: String,
    pub choices: Vec<Choice>,
    pub comment: String,
    /// The answer given so far, in words.
    pub answered: Option<String>,
}

/// The latest survey of `case`, when it was sent to `customer` and is
/// still open to answers.
async fn open_survey(
    s: &AppState,
    customer: &Customer,
    case: &Case,
) -> Result<Option<SentSurvey>, PortalError> {
    if case.customer_id != customer.id() {
        return Ok(None);
    }
    let latest = s.store.case_surveys(case.id).await?.pop();
    Ok(latest.filter(|sent| survey::open_at(sent.sent_at, tend_store::now())))
}

impl PortalSurvey {
    /// The survey `customer` may answer on `case`, if any.
    pub async fn load(
        s: &AppState,
        customer: &Customer,
        case: &Case,
    ) -> Result<Option<Self>, PortalError> {
        let Some(sent) = open_survey(s, customer, case).await? else {
            return Ok(None);
        };
        let business = survey_form::business(s, case.id).await?;
        let questions = SurveyKind::ALL
            .iter()
            .filter(|kind| sent.asks(**kind))
            .map(|kind| {
                let answer = sent.answer(*kind);
                Question {
                    kind: kind.as_str(),
                    text: kind.question(&business),
                    choices: survey_form::choices(*kind, answer.map(|a| a.score)),
                    comment: answer.and_then(|a| a.comment.clone()).unwrap_or_default(),
                    answered: answer.map(|a| survey_answer(*kind, a.score)),
                }
            })
            .collect();
        Ok(Some(PortalSurvey { questions }))
    }
}

/// An answer posted from the case page.
#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
}

/// Records the signed-in customer's answer to their case's open survey.
pub async fn answer(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<AnswerForm, Customer>,
) -> Result<Response, PortalError> {
    let Posted {
        session: customer,
        form,
    } = posted;
    let case = s.store.portal_case(customer.id(), CaseId(id)).await?;
    let Some(sent) = open_survey(&s, &customer, &case).await? else {
        let error = "This survey is closed, so it cannot take answers.";
        return render(
            &s,
            &customer,
            case.id,
            None,
            String::new(),
            Some(error.into()),
        )
        .await;
    };
    let checked = SurveyKind::parse("kind", &form.kind)
        .and_then(|kind| {
            let score = kind.parse_score(&form.score)?;
            Ok((kind, score))
        })
        .and_then(|(kind, score)| Ok((kind, score, survey::comment(&form.comment)?)));
    let (kind, score, comment) = match checked {
        Ok(checked) if sent.asks(checked.0) => checked,
        Ok(_) => {
            let error = "This survey does not ask that question.".to_owned();
            return render(&s, &customer, case.id, None, String::new(), Some(error)).await;
        }
        Err(e) => {
            let error = format!("Your answer: {}: {}", e.field, e.message);
            return render(&s, &customer, case.id, None, String::new(), Some(error)).await;
        }
    };
    let outcome = s
        .store
        .record_survey_answer(case.id, sent.survey, kind, score, comment, customer.actor())
        .await?;
    if outcome == Answered::Closed {
        let error = "This survey is closed, so it cannot take answers.";
        return render(
            &s,
            &customer,
            case.id,
            None,
            String::new(),
            Some(error.into()),
        )
        .await;
    }
    Ok(Redirect::to(&format!("/portal/cases/{id}#survey")).into_response())
}
