//! Holidays imported from an iCalendar (`.ics`) file, as public-holiday
//! calendars are published: every all-day event closes the days it covers.
//! Timed events (a meeting, an afternoon off) are left out. The file is from
//! outside, so its size, nesting and the days it yields are capped before
//! and while it is read.

use super::MAX_HOLIDAYS;
use crate::Invalid;
use icalendar::{Calendar, CalendarComponent, Component, DatePerhapsTime};
use jiff::civil::Date;
use std::collections::BTreeSet;

/// Largest file read.
pub const MAX_ICS_BYTES: usize = 1024 * 1024;
/// Deepest `BEGIN:` nesting read (a calendar holds events holding alarms).
const MAX_NESTING: usize = 8;
/// Most days one all-day event closes.
const MAX_EVENT_DAYS: i64 = 31;

/// The days the all-day events of `ics` cover, sorted and without repeats.
pub fn holidays_from_ics(ics: &str) -> Result<Vec<Date>, Invalid> {
    let bad = |message: String| Invalid::new("ics", message);
    if ics.len() > MAX_ICS_BYTES {
        return Err(bad(format!(
            "the file is over {} KiB; import at most that",
            MAX_ICS_BYTES / 1024
        )));
    }
    check_nesting(ics).map_err(bad)?;
    let calendar: Calendar = ics
        .parse()
        .map_err(|e: String| bad(format!("not an iCalendar file: {}", first_line(&e))))?;
    let mut days = BTreeSet::new();
    for component in &calendar.components {
        let CalendarComponent::Event(event) = component else {
            continue;
        };
        let Some(DatePerhapsTime::Date(start)) = event.get_start() else {
            continue;
        };
        let start = date(start).map_err(bad)?;
        let end = match event.get_end() {
            Some(DatePerhapsTime::Date(end)) => date(end).map_err(bad)?,
            _ => start.tomorrow().map_err(|e| bad(e.to_string()))?,
        };
        let mut day = start;
        for _ in 0..MAX_EVENT_DAYS {
            if day >= end {
                break;
            }
            days.insert(day);
            if days.len() > MAX_HOLIDAYS {
                return Err(bad(format!(
                    "the file closes more than {MAX_HOLIDAYS} days; import a year or two at a time"
                )));
            }
            day = day.tomorrow().map_err(|e| bad(e.to_string()))?;
        }
    }
    Ok(days.into_iter().collect())
}

/// Refuses nesting deeper than [`MAX_NESTING`], before a parser recurses
/// into it.
fn check_nesting(ics: &str) -> Result<(), String> {
    let mut depth = 0usize;
    for line in ics.lines() {
        let line = line.trim_end();
        let starts = |tag: &str| {
            line.get(..tag.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(tag))
        };
        if starts("BEGIN:") {
            depth += 1;
            if depth > MAX_NESTING {
                return Err(format!(
                    "components are nested more than {MAX_NESTING} deep"
                ));
            }
        } else if starts("END:") {
            depth = depth.saturating_sub(1);
        }
    }
    Ok(())
}

/// A parser's date (written `2026-12-25`) as ours.
fn date(d: impl std::fmt::Display) -> Result<Date, String> {
    let text = d.to_string();
    text.parse().map_err(|_| {
        format!(
            "{} is not a date this calendar can use",
            text.escape_debug()
        )
    })
}

fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DUTCH_HOLIDAYS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Holidays//EN\r\n\
BEGIN:VEVENT\r\nUID:1@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:2@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20260427\r\nSUMMARY:King's Day\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:3@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20261201T140000Z\r\nDTEND:20261201T150000Z\r\nSUMMARY:Team meeting\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

    #[test]
    fn all_day_events_become_holidays_and_timed_ones_do_not() {
        let days: Vec<String> = holidays_from_ics(DUTCH_HOLIDAYS)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(days, ["2026-04-27", "2026-12-25", "2026-12-26"]);
    }

    #[test]
    fn hostile_files_are_refused_with_a_reason() {
        let deep = "BEGIN:VCALENDAR\n".repeat(20);
        assert!(
            holidays_from_ics(&deep)
                .unwrap_err()
                .message
                .contains("nested")
        );
        let huge = "X".repeat(MAX_ICS_BYTES + 1);
        assert!(
            holidays_from_ics(&huge)
                .unwrap_err()
                .message
                .contains("KiB")
        );
        let many: String = (0..2_100)
            .map(|i| {
                let day = Date::new(2026, 1, 1).unwrap() + jiff::Span::new().days(i);
                format!(
                    "BEGIN:VEVENT\nUID:{i}\nDTSTART;VALUE=DATE:{}\nEND:VEVENT\n",
                    day.strftime("%Y%m%d")
                )
            })
            .collect();
        let many = format!("BEGIN:VCALENDAR\n{many}END:VCALENDAR\n");
        assert!(
            holidays_from_ics(&many)
                .unwrap_err()
                .message
                .contains("more than")
        );
        let long = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nDTEND;VALUE=DATE:20270101\nEND:VEVENT\nEND:VCALENDAR\n";
        assert_eq!(
            holidays_from_ics(long).unwrap().len(),
            31,
            "one event closes a month at most"
        );
    }

    proptest! {
        /// Whatever arrives, reading it answers without panicking.
        #[test]
        fn reading_is_total(body in "\\PC{0,300}") {
            let _ = holidays_from_ics(&format!("BEGIN:VCALENDAR\n{body}\nEND:VCALENDAR\n"));
            let _ = holidays_from_ics(&body);
        }
    }
}
