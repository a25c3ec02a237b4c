//! Business hours: when a team or an inbox is open, in its own time zone,
//! and time arithmetic in open hours only ("4 business hours after Friday
//! 16:00" is Monday 12:00 for 09:00–17:00 on weekdays). Weekly hours may
//! have several periods a day (closed for lunch); holidays close whole days.
//! Every open period is turned into real instants with the time zone's
//! rules, so a period on a daylight-saving day is as long as it really is.

use crate::Invalid;
use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use std::collections::BTreeSet;
use std::fmt;

/// Minutes in a day: a period may end at 24:00.
const DAY_MINUTES: u16 = 24 * 60;
/// Most periods in one day.
const MAX_PERIODS_PER_DAY: usize = 8;
/// Longest weekly-hours text accepted.
const MAX_SPEC_CHARS: usize = 1_000;
/// Most holidays one calendar holds.
pub const MAX_HOLIDAYS: usize = 2_000;
/// How far ahead open time is looked for: a calendar open less often than
/// this is as good as never open.
const HORIZON_DAYS: i64 = 3_700;
/// Most days [`BusinessCalendar::windows`] looks through.
pub const MAX_WINDOW_DAYS: i64 = 400;

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const FULL_DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// An open period within one day, in minutes since midnight: `start` is
/// before `end`, and `end` is at most 24:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    start: u16,
    end: u16,
}

impl Period {
    /// A period from `start` to `end` minutes after midnight.
    pub fn new(start: u16, end: u16) -> Result<Self, Invalid> {
        if start >= end || end > DAY_MINUTES {
            return Err(invalid(format!(
                "{}-{} is not a period: it must start before it ends, by 24:00",
                clock(start),
                clock(end)
            )));
        }
        Ok(Period { start, end })
    }
}

/// Open periods for each day of the week, Monday first, each day's sorted
/// and apart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeeklyHours {
    days: [Vec<Period>; 7],
}

impl WeeklyHours {
    /// Open all day, every day.
    pub fn always() -> Self {
        WeeklyHours {
            days: std::array::from_fn(|_| {
                vec![Period {
                    start: 0,
                    end: DAY_MINUTES,
                }]
            }),
        }
    }

    /// Parses hours such as `mon-fri 09:00-12:00 13:00-17:30; sat
    /// 10:00-14:00`: entries apart by `;` or new lines, each naming days
    /// (`mon`, `mon-fri`, `sat,sun`) and then their periods. Days not named
    /// are closed; `always` means open all day, every day.
    pub fn parse(spec: &str) -> Result<Self, Invalid> {
        if spec.chars().count() > MAX_SPEC_CHARS {
            return Err(invalid(format!(
                "write the hours in at most {MAX_SPEC_CHARS} characters"
            )));
        }
        if spec.trim().eq_ignore_ascii_case("always") {
            return Ok(Self::always());
        }
        let mut hours = WeeklyHours::default();
        let mut named = [false; 7];
        for entry in spec
            .split([';', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (days, periods) = entry.split_once(char::is_whitespace).ok_or_else(|| {
                invalid(format!(
                    "`{}` needs days and then periods, e.g. mon-fri 09:00-17:00",
                    entry.escape_debug()
                ))
            })?;
            let mut parsed: Vec<Period> = periods
                .split([' ', ',', '\t'])
                .filter(|p| !p.is_empty())
                .map(parse_period)
                .collect::<Result<_, _>>()?;
            parsed.sort();
            if parsed.len() > MAX_PERIODS_PER_DAY {
                return Err(invalid(format!(
                    "at most {MAX_PERIODS_PER_DAY} periods a day"
                )));
            }
            if let Some(w) = parsed.windows(2).find(|w| w[0].end > w[1].start) {
                return Err(invalid(format!(
                    "{}-{} and {}-{} overlap",
                    clock(w[0].start),
                    clock(w[0].end),
                    clock(w[1].start),
                    clock(w[1].end)
                )));
            }
            for day in parse_days(days)? {
                if std::mem::replace(&mut named[day], true) {
                    return Err(invalid(format!(
                        "{} is given twice; give each day once",
                        DAY_NAMES[day]
                    )));
                }
                hours.days[day] = parsed.clone();
            }
        }
        Ok(hours)
    }

    /// The periods of `day`.
    fn of(&self, day: Weekday) -> &[Period] {
        &self.days[usize::from(day.to_monday_zero_offset().unsigned_abs())]
    }

    /// Whether no day has any open period.
    pub fn is_closed(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

/// Writes the hours as [`WeeklyHours::parse`] reads them, runs of days with
/// the same periods joined: `mon-fri 09:00-17:00; sat 10:00-14:00`.
impl fmt::Display for WeeklyHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::always() {
            return f.write_str("always");
        }
        let mut first = true;
        let mut day = 0;
        while day < 7 {
            let mut last = day;
            while last + 1 < 7 && self.days[last + 1] == self.days[day] {
                last += 1;
            }
            if !self.days[day].is_empty() {
                if !first {
                    f.write_str("; ")?;
                }
                first = false;
                f.write_str(DAY_NAMES[day])?;
                if last > day {
                    write!(f, "-{}", DAY_NAMES[last])?;
                }
                for p in &self.days[day] {
                    write!(f, " {}-{}", clock(p.start), clock(p.end))?;
                }
            }
            day = last + 1;
        }
        Ok(())
    }
}

/// Days such as `mon`, `mon-fri` or `sat,sun`, as indexes Monday first.
fn parse_days(raw: &str) -> Result<Vec<usize>, Invalid> {
    // A day's name or its start, from three letters on: `mon`, `Monday`.
    let day = |name: &str| {
        let lower = name.trim().to_ascii_lowercase();
        FULL_DAY_NAMES
            .iter()
            .position(|d| lower.len() >= 3 && d.starts_with(&lower))
            .ok_or_else(|| {
                invalid(format!(
                    "`{}` is not a day; use mon, tue, wed, thu, fri, sat or sun",
                    name.escape_debug()
                ))
            })
    };
    let mut days = Vec::new();
    for part in raw.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (day(from)?, day(to)?);
                if from > to {
                    return Err(invalid(format!(
                        "`{}` runs backwards; write the days Monday first",
                        part.escape_debug()
                    )));
                }
                days.extend(from..=to);
            }
            None => days.push(day(part)?),
        }
    }
    Ok(days)
}

/// A period such as `09:00-17:30`.
fn parse_period(raw: &str) -> Result<Period, Invalid> {
    let (start, end) = raw.split_once('-').ok_or_else(|| {
        invalid(format!(
            "`{}` is not a period such as 09:00-17:00",
            raw.escape_debug()
        ))
    })?;
    Period::new(parse_clock(start)?, parse_clock(end)?)
}

/// A time of day such as `09:00` or `24:00`, in minutes.
fn parse_clock(raw: &str) -> Result<u16, Invalid> {
    let bad = || {
        invalid(format!(
            "`{}` is not a time of day such as 09:00",
            raw.escape_debug()
        ))
    };
    let (h, m) = raw.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h * 60 + m > DAY_MINUTES {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Minutes since midnight as `HH:MM`.
fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn invalid(message: String) -> Invalid {
    Invalid::new("hours", message)
}

/// Business hours in a time zone, with holidays.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    zone: TimeZone,
    hours: WeeklyHours,
    holidays: BTreeSet<Date>,
}

impl BusinessCalendar {
    /// A calendar open `hours` in `zone`, closed on `holidays` (local days).
    pub fn new(
        zone: TimeZone,
        hours: WeeklyHours,
        holidays: impl IntoIterator<Item = Date>,
    ) -> Self {
        BusinessCalendar {
            zone,
            hours,
            holidays: holidays.into_iter().collect(),
        }
    }

    /// The time zone its hours are in.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Open all the time: business time is plain time.
    pub fn always_open() -> Self {
        Self::new(TimeZone::UTC, WeeklyHours::always(), [])
    }

    /// Open intervals `[start, end)` from the day `from` falls on, in order,
    /// for at most [`HORIZON_DAYS`] days.
    fn open_from(&self, from: Timestamp) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let first = self.zone.to_datetime(from).date();
        (0..HORIZON_DAYS)
            .map_while(move |n| first.checked_add(jiff::Span::new().days(n)).ok())
            .filter(|date| !self.holidays.contains(date))
            .flat_map(move |date| {
                self.hours.of(date.weekday()).iter().filter_map(move |p| {
                    let start = self.instant(date, p.start)?;
                    let end = self.instant(date, p.end)?;
                    (start < end).then_some((start, end))
                })
            })
            .filter(move |(_, end)| *end > from)
            .map(move |(start, end)| (start.max(from), end))
    }

    /// The instant of `minutes` after midnight on local `date` (24:00 is the
    /// next midnight); a time skipped by a clock change counts as the first
    /// instant after the change.
    fn instant(&self, date: Date, minutes: u16) -> Option<Timestamp> {
        let (date, minutes) = if minutes == DAY_MINUTES {
            (date.tomorrow().ok()?, 0)
        } else {
            (date, minutes)
        };
        let at = date.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
        self.zone.to_ambiguous_timestamp(at).compatible().ok()
    }

    /// The booking windows of `width` minutes from `from` to `to` (at most
    /// [`MAX_WINDOW_DAYS`] days), in order: each open period of each day
    /// cut into whole windows from its start in local time (09:00–11:00,
    /// 11:00–13:00...), then turned into instants, so a window spanning a
    /// clock change is as long as it really is.
    pub fn windows(
        &self,
        from: Timestamp,
        to: Timestamp,
        width: u16,
    ) -> Vec<(Timestamp, Timestamp)> {
        let mut found = Vec::new();
        if width == 0 || to <= from {
            return found;
        }
        let first = self.zone.to_datetime(from).date();
        let last = self.zone.to_datetime(to).date();
        let days = (0..MAX_WINDOW_DAYS)
            .map_while(|n| first.checked_add(jiff::Span::new().days(n)).ok())
            .take_while(|date| *date <= last)
            .filter(|date| !self.holidays.contains(date));
        for date in days {
            for period in self.hours.of(date.weekday()) {
                let mut start = period.start;
                while start + width <= period.end {
                    let window = self
                        .instant(date, start)
                        .zip(self.instant(date, start + width));
                    if let Some((a, b)) = window
                        && a < b
                        && a >= from
                        && b <= to
                    {
                        found.push((a, b));
                    }
                    start += width;
                }
            }
        }
        found
    }

    /// Whether the business is open at `at`.
    pub fn is_open(&self, at: Timestamp) -> bool {
        self.open_from(at)
            .next()
            .is_some_and(|(start, _)| start == at)
    }

    /// Seconds of open time from `from` to `to` (none if `to` is earlier).
    pub fn open_seconds_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        self.open_from(from)
            .take_while(|(start, _)| *start < to)
            .map(|(start, end)| end.min(to).duration_since(start))
            .fold(jiff::SignedDuration::ZERO, |sum, open| {
                sum.saturating_add(open)
            })
            .as_secs()
    }

    /// The instant `seconds` of open time after `from`: a due time. `None`
    /// when the calendar has no open time within about ten years. Periods
    /// are measured exactly, so a due time keeps `from`'s fraction of a
    /// second.
    pub fn add_open_seconds(&self, from: Timestamp, seconds: i64) -> Option<Timestamp> {
        let mut left = jiff::SignedDuration::from_secs(seconds.max(0));
        for (start, end) in self.open_from(from) {
            let open = end.duration_since(start);
            if left <= open {
                return start.checked_add(left).ok();
            }
            left -= open;
        }
        None
    }
}

/// A time zone the time zone database knows, by its canonical name.
pub fn time_zone_name(field: &str, raw: &str) -> Result<String, Invalid> {
    let unknown = || {
        Invalid::new(
            field,
            format!(
                "`{}` is not a time zone; use a name such as Europe/Amsterdam",
                raw.escape_debug()
            ),
        )
    };
    if raw.len() > 64 || raw.chars().any(char::is_control) {
        return Err(unknown());
    }
    let zone = TimeZone::get(raw).map_err(|_| unknown())?;
    Ok(zone.iana_name().unwrap_or(raw).to_owned())
}

/// Longest calendar name, in characters.
pub const MAX_CALENDAR_NAME: usize = 100;

/// A calendar as an admin writes it: checked once by
/// [`CalendarDefinition::check`], then turned into a [`BusinessCalendar`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CalendarDefinition {
    pub name: String,
    /// An IANA time zone, such as `Europe/Amsterdam`.
    pub time_zone: String,
    /// Weekly open hours: `mon-fri 09:00-12:00 13:00-17:30; sat 10:00-14:00`,
    /// or `always`.
    pub hours: String,
    /// Local days closed all day, as `2026-12-25`.
    #[serde(default)]
    #[schema(value_type = Vec<String>, format = Date)]
    pub holidays: Vec<Date>,
}

impl CalendarDefinition {
    /// Checks every field and normalises them: the zone's canonical name,
    /// the hours in their written form, holidays sorted without repeats.
    pub fn check(mut self) -> Result<Self, Invalid> {
        self.name = crate::text::required_clean("name", &self.name, MAX_CALENDAR_NAME)?;
        self.time_zone = time_zone_name("time_zone", self.time_zone.trim())?;
        self.hours = WeeklyHours::parse(&self.hours)?.to_string();
        let days: BTreeSet<Date> = self.holidays.iter().copied().collect();
        if days.len() > MAX_HOLIDAYS {
            return Err(Invalid::new(
                "holidays",
                format!("a calendar holds at most {MAX_HOLIDAYS} holidays"),
            ));
        }
        self.holidays = days.into_iter().collect();
        Ok(self)
    }

    /// The calendar to compute with; a definition that no longer parses
    /// (stored before a rule tightened) is always open rather than lost.
    pub fn calendar(&self) -> BusinessCalendar {
        match (
            TimeZone::get(&self.time_zone),
            WeeklyHours::parse(&self.hours),
        ) {
            (Ok(zone), Ok(hours)) => BusinessCalendar::new(zone, hours, self.holidays.clone()),
            _ => BusinessCalendar::always_open(),
        }
    }
}

mod holidays;
pub use holidays::{MAX_ICS_BYTES, holidays_from_ics};

#[cfg(test)]
mod tests;
