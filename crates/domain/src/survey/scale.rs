//! The survey questions and their scales, and what an answer may be: a
//! score on the question's scale, an optional comment, within the answer
//! window. Nothing here knows about events, so the event log can name a
//! question without a circle.

use crate::Invalid;
use jiff::{SignedDuration, Timestamp};

crate::string_enum!(
    /// Which question an answer is to.
    SurveyKind {
        /// Customer effort score, 1 to 7.
        Ces = "ces",
        /// Customer satisfaction score, 1 to 5.
        Csat = "csat",
    }
);

/// How long after a survey is sent its answers may be given or changed.
pub const ANSWER_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);
/// Longest comment kept with an answer, in characters.
pub const MAX_COMMENT: usize = 2000;

impl SurveyKind {
    /// The highest score of the scale (the lowest is 1).
    pub fn max_score(self) -> u8 {
        match self {
            SurveyKind::Ces => 7,
            SurveyKind::Csat => 5,
        }
    }

    /// The question as the customer reads it, for the business `business`.
    pub fn question(self, business: &str) -> String {
        match self {
            SurveyKind::Ces => format!("{business} made it easy for me to handle my issue."),
            SurveyKind::Csat => {
                format!("How satisfied are you with how {business} handled your issue?")
            }
        }
    }

    /// The words for `score` on this scale.
    pub fn label(self, score: u8) -> &'static str {
        const CES: [&str; 7] = [
            "Strongly disagree",
            "Disagree",
            "Somewhat disagree",
            "Neither agree nor disagree",
            "Somewhat agree",
            "Agree",
            "Strongly agree",
        ];
        const CSAT: [&str; 5] = [
            "Very dissatisfied",
            "Dissatisfied",
            "Neutral",
            "Satisfied",
            "Very satisfied",
        ];
        let labels: &[&str] = match self {
            SurveyKind::Ces => &CES,
            SurveyKind::Csat => &CSAT,
        };
        usize::from(score)
            .checked_sub(1)
            .and_then(|i| labels.get(i))
            .copied()
            .unwrap_or("")
    }

    /// Reads a score on this scale from text (a form field, a link).
    pub fn parse_score(self, raw: &str) -> Result<u8, Invalid> {
        raw.trim()
            .parse::<u8>()
            .ok()
            .filter(|s| (1..=self.max_score()).contains(s))
            .ok_or_else(|| {
                Invalid::new(
                    "score",
                    format!("choose a whole number from 1 to {}", self.max_score()),
                )
            })
    }
}

/// A customer's comment with an answer: trimmed, blank is none, at most
/// [`MAX_COMMENT`] characters, no control characters but line breaks and tabs.
pub fn comment(raw: &str) -> Result<Option<String>, Invalid> {
    let text = raw.replace("\r\n", "\n");
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Invalid::new(
            "comment",
            "must not contain control characters",
        ));
    }
    crate::text::optional("comment", Some(&text), MAX_COMMENT)
}

/// Whether a survey sent at `sent_at` may still be answered at `now`.
pub fn open_at(sent_at: Timestamp, now: Timestamp) -> bool {
    sent_at
        .checked_add(ANSWER_WINDOW)
        .is_ok_and(|until| now < until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_checked_against_their_scale() {
        assert_eq!(SurveyKind::Ces.parse_score("7"), Ok(7));
        assert_eq!(SurveyKind::Ces.parse_score(" 2 "), Ok(2));
        assert_eq!(SurveyKind::Ces.parse_score("8").unwrap_err().field, "score");
        assert_eq!(SurveyKind::Csat.parse_score("5"), Ok(5));
        for bad in ["6", "0", "-1", "", "4.5", "three"] {
            assert!(SurveyKind::Csat.parse_score(bad).is_err(), "{bad}");
        }
        assert_eq!(SurveyKind::Ces.label(7), "Strongly agree");
        assert_eq!(SurveyKind::Csat.label(1), "Very dissatisfied");
        assert_eq!(SurveyKind::Csat.label(9), "");
    }

    #[test]
    fn comments_are_bounded_and_free_of_control_characters() {
        assert_eq!(comment("  "), Ok(None));
        assert_eq!(
            comment("Quick,\r\nthanks\t!").unwrap().as_deref(),
            Some("Quick,\nthanks\t!")
        );
        assert!(comment("bell\u{7}").is_err());
        assert!(comment(&"x".repeat(MAX_COMMENT + 1)).is_err());
        assert!(comment(&"x".repeat(MAX_COMMENT)).is_ok());
    }

    #[test]
    fn answers_are_open_for_seven_days() {
        let sent = Timestamp::from_second(1_800_000_000).unwrap();
        assert!(open_at(sent, sent));
        let later = sent.checked_add(ANSWER_WINDOW).unwrap();
        assert!(!open_at(sent, later));
        assert!(open_at(
            sent,
            later.checked_sub(SignedDuration::from_secs(1)).unwrap()
        ));
    }
}
