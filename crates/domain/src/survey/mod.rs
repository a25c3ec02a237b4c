//! Customer surveys after a case is resolved: the customer effort score
//! (CES, "<business> made it easy for me to handle my issue", 1 = strongly
//! disagree to 7 = strongly agree) and, when the inbox asks for it, the
//! customer satisfaction score (CSAT, 1 to 5). The scales and the rules for
//! answers are in [`scale`]; answers are case events
//! ([`crate::event::EventData::SurveyAnswered`]), a changed answer is a new
//! event and the latest one counts, which [`answers::latest_answers`] folds out.

pub mod answers;
pub mod scale;

pub use answers::{Answer, SentSurvey, latest_answers};
pub use scale::{ANSWER_WINDOW, MAX_COMMENT, SurveyKind, comment, open_at};
