//! Telling a waiting customer when to expect an answer, in the same words
//! on the thank-you page, the portal's list and the portal's case page.
//! The rule is [`tend_domain::expectation`]; the promise comes from the
//! store ([`tend_store::Store::answer_promises`]: the inbox's first-reply
//! hours today, the SLA later). The due time is written in UTC with the
//! zone named, in a `<time>` that `localtime.js` rewords in the customer's
//! own zone and language.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use tend_domain::case::Status;
use tend_domain::expectation::{DueDay, Expectation, Promise, due_day, expect_answer};
use tend_store::model::Case;

/// The sentence, around the due time when there is one.
pub struct ExpectationView {
    pub before: String,
    pub due: Option<DueView>,
    pub after: String,
}

/// The due time as a `<time>` shows it.
pub struct DueView {
    /// RFC 3339, for `datetime`.
    pub datetime: String,
    /// The exact time, for `title`.
    pub exact: String,
    /// "15:30 UTC today".
    pub text: String,
}

/// What to tell the customer of `case` at `now` under `promise`: nothing
/// unless they wait for an answer on a case still being worked on (not
/// while we wait for them, nor once it is resolved or closed).
pub fn for_case(case: &Case, promise: Option<Promise>, now: Timestamp) -> Option<ExpectationView> {
    let working = matches!(case.status, Status::New | Status::Open | Status::OnHold);
    working
        .then(|| expectation(promise, case.waiting_since, now))
        .flatten()
}

/// What to tell a customer waiting since `waiting_since` (nothing when
/// nobody waits) under `promise`, at `now`.
pub fn expectation(
    promise: Option<Promise>,
    waiting_since: Option<Timestamp>,
    now: Timestamp,
) -> Option<ExpectationView> {
    Some(match expect_answer(promise, waiting_since, now)? {
        Expectation::AsSoonAsWeCan => ExpectationView {
            before: "We will answer as soon as we can.".into(),
            due: None,
            after: String::new(),
        },
        Expectation::At { due, late } => {
            let due_view = due_view(due, now);
            if late {
                ExpectationView {
                    before: "We aimed to answer by".into(),
                    due: Some(due_view),
                    after: ". Sorry this is taking longer: we will answer as soon as we can."
                        .into(),
                }
            } else {
                ExpectationView {
                    before: "We aim to answer by".into(),
                    due: Some(due_view),
                    after: ".".into(),
                }
            }
        }
        Expectation::By {
            within_hours,
            due,
            late,
        } => {
            let within = span(within_hours);
            let due_view = due_view(due, now);
            if late {
                ExpectationView {
                    before: format!("We aimed to answer within {within}, by"),
                    due: Some(due_view),
                    after: ". Sorry this is taking longer: we will answer as soon as we can."
                        .into(),
                }
            } else {
                ExpectationView {
                    before: format!("We aim to answer within {within} \u{2014} by"),
                    due: Some(due_view),
                    after: ".".into(),
                }
            }
        }
    })
}

/// The due time as a `<time>` shows it.
/// `due` as a `<time>` shows it to a customer at `now` (also the due
/// times of promises in the portal).
pub fn due_view(due: Timestamp, now: Timestamp) -> DueView {
    DueView {
        datetime: due.to_string(),
        exact: super::layout::when(&due),
        text: day_text(due, now),
    }
}

/// "1 hour", "4 hours", "2 days".
fn span(hours: i64) -> String {
    match hours {
        1 => "1 hour".into(),
        24 => "1 day".into(),
        h if h % 24 == 0 => format!("{} days", h / 24),
        h => format!("{h} hours"),
    }
}

/// The due time in UTC, with the day said as people say it.
fn day_text(due: Timestamp, now: Timestamp) -> String {
    let utc = TimeZone::UTC;
    match due_day(due, now, &utc) {
        DueDay::Today => due.strftime("%H:%M UTC today").to_string(),
        DueDay::Tomorrow => due.strftime("%H:%M UTC tomorrow").to_string(),
        DueDay::Other => due.strftime("%a %-d %b %H:%M UTC").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> Timestamp {
        raw.parse().unwrap()
    }

    fn sentence(v: &ExpectationView) -> String {
        let due = v.due.as_ref().map(|d| d.text.as_str()).unwrap_or_default();
        format!("{} {due}{}", v.before, v.after)
    }

    #[test]
    fn the_sentence_names_the_promise_and_the_time() {
        let four = Promise::from_first_reply_hours(Some(4));
        let since = Some(at("2026-12-04T11:30:00Z"));
        let v = expectation(four, since, at("2026-12-04T12:00:00Z")).unwrap();
        assert_eq!(
            sentence(&v),
            "We aim to answer within 4 hours \u{2014} by 15:30 UTC today."
        );
        let late = expectation(four, since, at("2026-12-05T09:00:00Z")).unwrap();
        assert!(
            sentence(&late)
                .starts_with("We aimed to answer within 4 hours, by Fri 4 Dec 15:30 UTC.")
        );
        let two_days = Promise::from_first_reply_hours(Some(48));
        let v = expectation(two_days, since, at("2026-12-04T12:00:00Z")).unwrap();
        assert_eq!(
            sentence(&v),
            "We aim to answer within 2 days \u{2014} by Sun 6 Dec 11:30 UTC."
        );
        assert!(expectation(four, None, at("2026-12-04T12:00:00Z")).is_none());
    }
}
