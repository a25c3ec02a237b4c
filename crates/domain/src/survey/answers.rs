//! The surveys sent on a case and the latest answer to each question,
//! folded from the case's events.

use super::scale::SurveyKind;
use crate::event::EventData;
use jiff::Timestamp;

/// A survey sent on a case, with the latest answer to each question.
#[derive(Debug, Clone, PartialEq)]
pub struct SentSurvey {
    /// The survey's id, carried by its links.
    pub survey: String,
    /// Whether the CSAT question was asked too.
    pub csat: bool,
    pub sent_at: Timestamp,
    /// The latest answer to the CES question, if any.
    pub ces: Option<Answer>,
    /// The latest answer to the CSAT question, if any.
    pub csat_answer: Option<Answer>,
}

/// One answer, as it now stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub score: u8,
    pub comment: Option<String>,
    pub at: Timestamp,
}

impl SentSurvey {
    /// Whether `kind` was asked in this survey.
    pub fn asks(&self, kind: SurveyKind) -> bool {
        kind == SurveyKind::Ces || self.csat
    }

    /// The latest answer to `kind`, if any.
    pub fn answer(&self, kind: SurveyKind) -> Option<&Answer> {
        match kind {
            SurveyKind::Ces => self.ces.as_ref(),
            SurveyKind::Csat => self.csat_answer.as_ref(),
        }
    }

    fn answer_mut(&mut self, kind: SurveyKind) -> &mut Option<Answer> {
        match kind {
            SurveyKind::Ces => &mut self.ces,
            SurveyKind::Csat => &mut self.csat_answer,
        }
    }
}

/// The surveys sent in `events` (one case's log, in order, as each event's
/// time and data) with the latest answer to each of their questions.
pub fn latest_answers<'a>(
    events: impl IntoIterator<Item = (Timestamp, &'a EventData)>,
) -> Vec<SentSurvey> {
    let mut surveys: Vec<SentSurvey> = Vec::new();
    for (at, data) in events {
        match data {
            EventData::SurveySent { survey, csat } => surveys.push(SentSurvey {
                survey: survey.clone(),
                csat: *csat,
                sent_at: at,
                ces: None,
                csat_answer: None,
            }),
            EventData::SurveyAnswered {
                survey,
                kind,
                score,
                comment,
            } => {
                if let Some(sent) = surveys.iter_mut().find(|s| s.survey == *survey) {
                    *sent.answer_mut(*kind) = Some(Answer {
                        score: *score,
                        comment: comment.clone(),
                        at,
                    });
                }
            }
            _ => {}
        }
    }
    surveys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, data: EventData) -> (Timestamp, EventData) {
        (Timestamp::from_second(1_800_000_000 + seq).unwrap(), data)
    }

    fn answered(survey: &str, kind: SurveyKind, score: u8) -> EventData {
        EventData::SurveyAnswered {
            survey: survey.into(),
            kind,
            score,
            comment: None,
        }
    }

    #[test]
    fn the_latest_answer_counts_and_strays_are_ignored() {
        let events = [
            event(
                1,
                EventData::SurveySent {
                    survey: "a".into(),
                    csat: true,
                },
            ),
            event(2, answered("a", SurveyKind::Ces, 3)),
            event(3, answered("a", SurveyKind::Csat, 4)),
            event(4, answered("a", SurveyKind::Ces, 6)),
            event(5, answered("unknown", SurveyKind::Ces, 1)),
        ];
        let surveys = latest_answers(events.iter().map(|(at, data)| (*at, data)));
        assert_eq!(surveys.len(), 1);
        assert_eq!(surveys[0].answer(SurveyKind::Ces).unwrap().score, 6);
        assert_eq!(surveys[0].answer(SurveyKind::Csat).unwrap().score, 4);
        assert!(surveys[0].asks(SurveyKind::Csat));
    }
}
