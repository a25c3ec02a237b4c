//! The case sidebar's survey box: the customer's latest answer to each
//! survey question (CES, CSAT), on any of their cases, with its comment.

use crate::http::AppState;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::when;
use crate::web::shared::timeline;
use tend_domain::event::EventData;
use tend_domain::ids::CustomerId;

/// What the survey box shows.
pub struct SurveyBox {
    pub answers: Vec<SurveyLine>,
}

/// One of the customer's latest survey answers.
pub struct SurveyLine {
    /// E.g. `CES 6 of 7 (Agree)`.
    pub answer: String,
    pub comment: Option<String>,
    pub case_id: i64,
    pub at: String,
}

impl SurveyBox {
    /// The latest answers of `customer`.
    pub async fn load(s: &AppState, customer: CustomerId) -> Result<Self, WebError> {
        let events = s.store.latest_survey_answers(customer).await?;
        let answers = events
            .into_iter()
            .filter_map(|e| match e.data {
                EventData::SurveyAnswered {
                    kind,
                    score,
                    comment,
                    ..
                } => Some(SurveyLine {
                    answer: timeline::survey_answer(kind, score),
                    comment,
                    case_id: e.case_id.0,
                    at: when(&e.at),
                }),
                _ => None,
            })
            .collect();
        Ok(SurveyBox { answers })
    }
}
