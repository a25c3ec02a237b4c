use super::*;
use proptest::prelude::*;

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

/// A local time in `zone` as an instant.
fn local(zone_name: &str, text: &str) -> Timestamp {
    let dt: jiff::civil::DateTime = text.parse().unwrap();
    zone(zone_name).to_timestamp(dt).unwrap()
}

fn office(hours: &str, holidays: &[&str]) -> BusinessCalendar {
    BusinessCalendar::new(
        zone("Europe/Amsterdam"),
        WeeklyHours::parse(hours).unwrap(),
        holidays.iter().map(|d| d.parse::<Date>().unwrap()),
    )
}

const HOUR: i64 = 3600;

#[test]
fn hours_read_and_write_the_same() {
    let text = "mon-fri 09:00-12:00 13:00-17:30; sat 10:00-14:00";
    let hours = WeeklyHours::parse(text).unwrap();
    assert_eq!(hours.to_string(), text);
    let loose = WeeklyHours::parse("Monday,tue 13:00-17:30, 09:00-12:00\nWed-Fri 09:00-12:00 13:00-17:30\n\nsaturday 10:00-14:00").unwrap();
    assert_eq!(loose, hours);
    assert_eq!(WeeklyHours::parse("always").unwrap().to_string(), "always");
    assert_eq!(
        WeeklyHours::parse("mon-sun 00:00-24:00").unwrap(),
        WeeklyHours::always()
    );
    assert!(WeeklyHours::parse("").unwrap().is_closed());
    assert_eq!(
        WeeklyHours::parse("mon 09:00-17:00; wed 09:00-17:00")
            .unwrap()
            .to_string(),
        "mon 09:00-17:00; wed 09:00-17:00"
    );
}

#[test]
fn bad_hours_say_what_is_wrong() {
    for (spec, says) in [
        ("mon-fri", "needs days and then periods"),
        ("mon-fri 09:00-12:00 11:00-13:00", "overlap"),
        ("mon 09:00-17:00; mon 18:00-19:00", "mon is given twice"),
        ("fri-mon 09:00-17:00", "runs backwards"),
        ("mo 09:00-17:00", "not a day"),
        ("funday 09:00-17:00", "not a day"),
        ("mon 9:00-17:00", "not a time of day"),
        ("mon 09:00-24:01", "not a time of day"),
        ("mon 09:60-10:00", "not a time of day"),
        ("mon 17:00-09:00", "must start before it ends"),
        ("mon 09:00", "not a period"),
        ("mon 1:0-2:00", "not a time of day"),
    ] {
        let e = WeeklyHours::parse(spec).unwrap_err();
        assert_eq!(e.field, "hours");
        assert!(e.message.contains(says), "{spec}: {}", e.message);
    }
    let many = format!(
        "mon {}",
        (0..9)
            .map(|h| format!("{h:02}:00-{h:02}:30"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert!(
        WeeklyHours::parse(&many)
            .unwrap_err()
            .message
            .contains("at most 8")
    );
    assert!(WeeklyHours::parse(&"x".repeat(1_001)).is_err());
}

/// The example in the module's documentation.
#[test]
fn four_business_hours_after_friday_afternoon_is_monday_noon() {
    let cal = office("mon-fri 09:00-17:00", &[]);
    let friday = local("Europe/Amsterdam", "2026-12-04T16:00");
    assert_eq!(
        cal.add_open_seconds(friday, 4 * HOUR),
        Some(local("Europe/Amsterdam", "2026-12-07T12:00"))
    );
    assert_eq!(
        cal.open_seconds_between(friday, local("Europe/Amsterdam", "2026-12-07T12:00")),
        4 * HOUR
    );
    assert!(cal.is_open(friday));
    assert!(!cal.is_open(local("Europe/Amsterdam", "2026-12-04T17:00")));
    assert!(!cal.is_open(local("Europe/Amsterdam", "2026-12-05T12:00")));
}

#[test]
fn lunch_is_skipped() {
    let cal = office("mon-fri 09:00-12:00 13:00-17:00", &[]);
    let morning = local("Europe/Amsterdam", "2026-12-07T10:00");
    assert_eq!(
        cal.add_open_seconds(morning, 3 * HOUR + 30 * 60),
        Some(local("Europe/Amsterdam", "2026-12-07T14:30"))
    );
    assert!(!cal.is_open(local("Europe/Amsterdam", "2026-12-07T12:30")));
    // From inside lunch, the clock starts when the office opens again.
    assert_eq!(
        cal.add_open_seconds(local("Europe/Amsterdam", "2026-12-07T12:15"), HOUR),
        Some(local("Europe/Amsterdam", "2026-12-07T14:00"))
    );
}

#[test]
fn holidays_close_the_whole_day() {
    let cal = office("mon-fri 09:00-17:00", &["2026-12-25", "2026-12-28"]);
    let christmas_eve = local("Europe/Amsterdam", "2026-12-24T16:00");
    assert_eq!(
        cal.add_open_seconds(christmas_eve, 2 * HOUR),
        Some(local("Europe/Amsterdam", "2026-12-29T10:00"))
    );
    assert_eq!(
        cal.open_seconds_between(christmas_eve, local("Europe/Amsterdam", "2026-12-29T09:00")),
        HOUR
    );
}

#[test]
fn days_with_a_clock_change_are_as_long_as_they_really_are() {
    let cal = office("always", &[]);
    let spring = local("Europe/Amsterdam", "2026-03-29T00:00");
    let next = local("Europe/Amsterdam", "2026-03-30T00:00");
    assert_eq!(cal.open_seconds_between(spring, next), 23 * HOUR);
    let autumn = local("Europe/Amsterdam", "2026-10-25T00:00");
    let after = local("Europe/Amsterdam", "2026-10-26T00:00");
    assert_eq!(cal.open_seconds_between(autumn, after), 25 * HOUR);
    // A night shift over the change: 01:00-04:00 is two real hours in
    // spring and four in autumn.
    let nights = office("sun 01:00-04:00", &[]);
    assert_eq!(
        nights.open_seconds_between(spring, next),
        2 * HOUR,
        "02:00-03:00 does not exist that night"
    );
    assert_eq!(nights.open_seconds_between(autumn, after), 4 * HOUR);
    // Nine business hours from Friday 12:00 over the spring weekend.
    let week = office("mon-fri 09:00-17:00", &[]);
    assert_eq!(
        week.add_open_seconds(local("Europe/Amsterdam", "2026-03-27T12:00"), 9 * HOUR),
        Some(local("Europe/Amsterdam", "2026-03-30T13:00"))
    );
}

#[test]
fn a_calendar_that_never_opens_has_no_due_time() {
    let closed = office("", &[]);
    let now = local("Europe/Amsterdam", "2026-12-04T10:00");
    assert_eq!(closed.add_open_seconds(now, 60), None);
    assert_eq!(
        closed.open_seconds_between(now, now + jiff::SignedDuration::from_hours(100)),
        0
    );
    assert!(!closed.is_open(now));
}

/// Open seconds within the horizon from `from`.
fn within_horizon(cal: &BusinessCalendar, from: Timestamp) -> i64 {
    cal.open_seconds_between(
        from,
        from + jiff::SignedDuration::from_hours(24 * (HORIZON_DAYS - 2)),
    )
}

fn any_hours() -> impl Strategy<Value = WeeklyHours> {
    let day = prop::collection::vec((0u16..=DAY_MINUTES, 1u16..=600), 0..4).prop_map(|raw| {
        let mut periods: Vec<Period> = Vec::new();
        let mut at = 0;
        for (gap, length) in raw {
            let start = at + gap % 300;
            let end = (start + length).min(DAY_MINUTES);
            if start >= end {
                break;
            }
            periods.push(Period { start, end });
            at = end;
        }
        periods
    });
    prop::array::uniform7(day).prop_map(|days| WeeklyHours { days })
}

fn any_zone() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "UTC",
        "Europe/Amsterdam",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// What is written reads back the same.
    #[test]
    fn hours_round_trip(hours in any_hours()) {
        prop_assert_eq!(WeeklyHours::parse(&hours.to_string()).unwrap(), hours);
    }

    /// Parsing any text answers without panicking.
    #[test]
    fn parsing_is_total(spec in "\\PC{0,80}") {
        let _ = WeeklyHours::parse(&spec);
    }

    /// The due time `s` open seconds ahead is exactly `s` open seconds
    /// away, later due times for longer targets, and business time never
    /// runs faster than real time.
    #[test]
    fn adding_and_measuring_agree(
        hours in any_hours(),
        zone_name in any_zone(),
        start in 1_700_000_000i64..1_900_000_000,
        a in 0i64..400_000,
        b in 0i64..400_000,
    ) {
        let cal = BusinessCalendar::new(zone(zone_name), hours.clone(), []);
        let from = Timestamp::from_second(start).unwrap();
        let (short, long) = (a.min(b), a.max(b));
        match (cal.add_open_seconds(from, short), cal.add_open_seconds(from, long)) {
            (Some(x), Some(y)) => {
                prop_assert_eq!(cal.open_seconds_between(from, x), short);
                prop_assert_eq!(cal.open_seconds_between(from, y), long);
                prop_assert!(x <= y);
                prop_assert!(y.as_second() - from.as_second() >= long);
                if long > 0 {
                    let just_before = y - jiff::SignedDuration::from_secs(1);
                    prop_assert!(cal.is_open(just_before));
                }
            }
            // Beyond the horizon a calendar open rarely enough has none.
            (Some(_), None) => prop_assert!(within_horizon(&cal, from) < long),
            (None, None) => prop_assert!(within_horizon(&cal, from) < short),
            (None, Some(y)) => prop_assert!(false, "a shorter target has none but {y} does"),
        }
    }

    /// Open all the time, business time is plain time.
    #[test]
    fn always_open_is_plain_time(start in 0i64..4_000_000_000, s in 0i64..10_000_000) {
        let cal = BusinessCalendar::always_open();
        let from = Timestamp::from_second(start).unwrap();
        prop_assert_eq!(
            cal.add_open_seconds(from, s),
            Some(from + jiff::SignedDuration::from_secs(s))
        );
    }
}

#[test]
fn a_due_time_keeps_the_fraction_of_a_second_across_periods() {
    let from: Timestamp = "2026-12-07T21:53:02.960062Z".parse().unwrap();
    let due = BusinessCalendar::always_open()
        .add_open_seconds(from, 4 * 3600)
        .unwrap();
    assert_eq!(due, "2026-12-08T01:53:02.960062Z".parse().unwrap());
}
