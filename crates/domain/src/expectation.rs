//! When a waiting customer may expect an answer, for the pages customers
//! see (the thank-you page, the portal's list and case page). One rule:
//! the promise runs from when the customer's wait began (the oldest
//! contact nobody answered, see [`crate::waiting`]); nobody waiting, no
//! promise. The promise itself comes from outside: today the inbox's
//! first-reply hours, later the SLA; [`Promise`] is that seam.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Longest promise honoured, in hours (a year): longer reads as "as soon
/// as we can".
pub const MAX_PROMISE_HOURS: i64 = 24 * 366;

/// What we promised to answer within. Built from the inbox's first-reply
/// hours today; an SLA target can build it later without the pages
/// changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Promise {
    /// Hours from the start of the wait.
    pub within_hours: i64,
    /// An exact due time, when an SLA policy sets one (its clock runs in
    /// business hours, so no span from the wait says it).
    pub at: Option<Timestamp>,
}

impl Promise {
    /// The promise of an inbox's first-reply hours, if it makes one that
    /// can be kept (1 to [`MAX_PROMISE_HOURS`]).
    pub fn from_first_reply_hours(hours: Option<i64>) -> Option<Promise> {
        hours
            .filter(|h| (1..=MAX_PROMISE_HOURS).contains(h))
            .map(|within_hours| Promise {
                within_hours,
                at: None,
            })
    }

    /// The promise of an SLA clock due at `due`.
    pub fn at(due: Timestamp) -> Promise {
        Promise {
            within_hours: 0,
            at: Some(due),
        }
    }
}

/// The day an answer is due on, seen from now in one time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueDay {
    Today,
    Tomorrow,
    /// Any other day (a past one, when late).
    Other,
}

/// What a waiting customer is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectation {
    /// An answer is promised within `within_hours`, so by `due`.
    By {
        within_hours: i64,
        due: Timestamp,
        /// The promised time has passed without an answer.
        late: bool,
    },
    /// An answer is due at `due`, as an SLA policy set it.
    At {
        due: Timestamp,
        /// The due time has passed without an answer.
        late: bool,
    },
    /// Someone is waiting but nothing was promised.
    AsSoonAsWeCan,
}

/// What to tell a customer who has been waiting since `waiting_since`
/// (none when nobody waits: then nothing is promised) under `promise`.
pub fn expect_answer(
    promise: Option<Promise>,
    waiting_since: Option<Timestamp>,
    now: Timestamp,
) -> Option<Expectation> {
    let since = waiting_since?;
    if let Some(due) = promise.and_then(|p| p.at) {
        return Some(Expectation::At {
            due,
            late: now >= due,
        });
    }
    let by = promise.and_then(|p| {
        let due = since
            .checked_add(SignedDuration::from_hours(p.within_hours))
            .ok()?;
        Some(Expectation::By {
            within_hours: p.within_hours,
            due,
            late: now >= due,
        })
    });
    Some(by.unwrap_or(Expectation::AsSoonAsWeCan))
}

/// Which day `due` falls on, seen from `now`, both read in `tz`.
pub fn due_day(due: Timestamp, now: Timestamp, tz: &TimeZone) -> DueDay {
    let (due, today) = (
        due.to_zoned(tz.clone()).date(),
        now.to_zoned(tz.clone()).date(),
    );
    if due == today {
        DueDay::Today
    } else if today.tomorrow().is_ok_and(|t| t == due) {
        DueDay::Tomorrow
    } else {
        DueDay::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).unwrap()
    }

    #[test]
    fn a_four_hour_promise_from_a_morning_wait() {
        let since: Timestamp = "2026-12-04T11:30:00Z".parse().unwrap();
        let now: Timestamp = "2026-12-04T12:00:00Z".parse().unwrap();
        let e = expect_answer(Promise::from_first_reply_hours(Some(4)), Some(since), now);
        let due: Timestamp = "2026-12-04T15:30:00Z".parse().unwrap();
        assert_eq!(
            e,
            Some(Expectation::By {
                within_hours: 4,
                due,
                late: false
            })
        );
        assert_eq!(due_day(due, now, &TimeZone::UTC), DueDay::Today);
        let evening: Timestamp = "2026-12-04T23:00:00Z".parse().unwrap();
        assert_eq!(
            due_day(
                "2026-12-05T03:00:00Z".parse().unwrap(),
                evening,
                &TimeZone::UTC
            ),
            DueDay::Tomorrow
        );
    }

    #[test]
    fn no_promise_without_a_wait_or_hours() {
        let now = at(1_800_000_000);
        assert_eq!(
            expect_answer(Promise::from_first_reply_hours(Some(4)), None, now),
            None
        );
        assert_eq!(
            expect_answer(None, Some(now), now),
            Some(Expectation::AsSoonAsWeCan)
        );
        for hours in [Some(0), Some(-3), Some(MAX_PROMISE_HOURS + 1), None] {
            assert_eq!(Promise::from_first_reply_hours(hours), None, "{hours:?}");
        }
    }

    proptest! {
        /// The due time is the start of the wait plus the promise, exactly;
        /// it is late from that instant on and not a moment before.
        #[test]
        fn due_is_the_wait_plus_the_promise(
            since in 0i64..4_000_000_000,
            hours in 1i64..=MAX_PROMISE_HOURS,
            elapsed in -100_000i64..40_000_000,
        ) {
            let now = at(since + elapsed);
            let promise = Promise::from_first_reply_hours(Some(hours));
            match expect_answer(promise, Some(at(since)), now) {
                Some(Expectation::By { within_hours, due, late }) => {
                    prop_assert_eq!(within_hours, hours);
                    prop_assert_eq!(due.as_second(), since + hours * 3600);
                    prop_assert_eq!(late, elapsed >= hours * 3600);
                }
                other => prop_assert!(false, "expected a due time, got {:?}", other),
            }
        }

        /// Today and tomorrow are calendar days in the zone asked for, not
        /// spans of 24 hours.
        #[test]
        fn due_days_follow_the_calendar(
            now in 0i64..4_000_000_000,
            ahead in -200_000i64..400_000,
            offset_hours in -12i32..=14,
        ) {
            let tz = TimeZone::fixed(jiff::tz::Offset::from_hours(offset_hours as i8).unwrap());
            let (now, due) = (at(now), at(now + ahead));
            let day = |t: Timestamp| t.to_zoned(tz.clone()).date();
            let days_apart = (day(due) - day(now)).get_days();
            let expected = match days_apart {
                0 => DueDay::Today,
                1 => DueDay::Tomorrow,
                _ => DueDay::Other,
            };
            prop_assert_eq!(due_day(due, now, &tz), expected);
            if ahead < 0 {
                prop_assert_ne!(due_day(due, now, &tz), DueDay::Tomorrow);
            }
        }
    }
}
