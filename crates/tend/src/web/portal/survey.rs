//! The survey on a resolved case in the portal: when a survey was emailed
//! for the case and is still open, its customer sees the same questions on
//! the case page and may answer (or change their answer) there, signed in,
//! instead of through the email's links (the handler is
//! `cases::survey`). The answer is the same event.

use super::PortalError;
use super::session::Customer;
use crate::http::AppState;
use crate::web::shared::layout::Choice;
use crate::web::shared::survey_form;
use crate::web::shared::timeline::survey_answer;
use serde::Deserialize;
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

/// What the customer is told when their case's survey no longer takes answers.
const CLOSED: &str = "This survey is closed, so it cannot take answers.";

/// Records `form` as `customer`'s answer to the open survey of `case` (a
/// case they may see); answers why not when it is refused.
pub async fn record(
    s: &AppState,
    customer: &Customer,
    case: &Case,
    form: AnswerForm,
) -> Result<Option<String>, PortalError> {
    let Some(sent) = open_survey(s, customer, case).await? else {
        return Ok(Some(CLOSED.into()));
    };
    let checked = SurveyKind::parse("kind", &form.kind)
        .and_then(|kind| Ok((kind, kind.parse_score(&form.score)?)))
        .and_then(|(kind, score)| Ok((kind, score, survey::comment(&form.comment)?)));
    let (kind, score, comment) = match checked {
        Ok(checked) if sent.asks(checked.0) => checked,
        Ok(_) => return Ok(Some("This survey does not ask that question.".into())),
        Err(e) => return Ok(Some(format!("Your answer: {}: {}", e.field, e.message))),
    };
    let outcome = s
        .store
        .record_survey_answer(case.id, sent.survey, kind, score, comment, customer.actor())
        .await?;
    Ok((outcome == Answered::Closed).then(|| CLOSED.into()))
}
