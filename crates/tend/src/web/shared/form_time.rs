//! Times typed in forms. A `datetime-local` field (`2026-12-05T09:00`) has
//! no zone: it is read in the agent's browser time zone, whose offset the
//! page's script (`casepage.js`) sends as `tz_offset`, minutes east of UTC
//! for the time chosen; without the script the time is read as UTC. Also
//! the snooze presets ("tomorrow 9:00", "next week"), in that same zone.

use jiff::civil::{DateTime, Weekday, time};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp, ToSpan};
use tend_domain::Invalid;

/// The agent's offset from UTC, as the form says.
#[derive(Debug, Clone)]
pub struct FormZone(TimeZone);

impl FormZone {
    /// Reads `tz_offset` (minutes east of UTC, at most 18 hours either
    /// way); blank or absent is UTC.
    pub fn parse(raw: Option<&str>) -> Result<Self, Invalid> {
        let raw = raw.map(str::trim).unwrap_or("");
        if raw.is_empty() {
            return Ok(FormZone(TimeZone::UTC));
        }
        raw.parse::<i32>()
            .ok()
            .filter(|m| m.abs() <= 18 * 60)
            .and_then(|m| Offset::from_seconds(m * 60).ok())
            .map(|offset| FormZone(TimeZone::fixed(offset)))
            .ok_or_else(|| Invalid::new("tz_offset", "not a time zone offset in minutes"))
    }

    /// Reads a `datetime-local` value (`YYYY-MM-DDTHH:MM`, seconds
    /// optional) in this zone.
    pub fn read(&self, field: &str, raw: &str) -> Result<Timestamp, Invalid> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(Invalid::new(field, "choose a date and time"));
        }
        raw.parse::<DateTime>()
            .ok()
            .and_then(|local| local.to_zoned(self.0.clone()).ok())
            .map(|zoned| zoned.timestamp())
            .ok_or_else(|| {
                Invalid::new(
                    field,
                    format!("`{raw}` is not a date and time such as 2026-12-05T09:00"),
                )
            })
    }

    /// The time a snooze preset names, from `now`: `4h` (four hours on),
    /// `tomorrow` (9:00 tomorrow) or `next_week` (9:00 next Monday).
    pub fn preset(&self, raw: &str, now: Timestamp) -> Result<Timestamp, Invalid> {
        let today = now.to_zoned(self.0.clone()).date();
        let nine = |date: jiff::civil::Date| {
            date.to_datetime(time(9, 0, 0, 0))
                .to_zoned(self.0.clone())
                .map(|z| z.timestamp())
                .map_err(|e| Invalid::new("preset", e.to_string()))
        };
        match raw {
            "4h" => Ok(now + SignedDuration::from_hours(4)),
            "tomorrow" => nine(today.saturating_add(1.day())),
            "next_week" => nine(
                today
                    .nth_weekday(1, Weekday::Monday)
                    .map_err(|e| Invalid::new("preset", e.to_string()))?,
            ),
            other => Err(Invalid::new(
                "preset",
                format!("`{other}` is not one of: 4h, tomorrow, next_week"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_read_in_the_browser_zone_or_utc() {
        let utc = FormZone::parse(None).unwrap();
        assert_eq!(
            utc.read("due", "2030-01-02T09:30").unwrap().to_string(),
            "2030-01-02T09:30:00Z"
        );
        let paris = FormZone::parse(Some("60")).unwrap();
        assert_eq!(
            paris.read("due", "2030-01-02T09:30").unwrap().to_string(),
            "2030-01-02T08:30:00Z"
        );
        assert_eq!(utc.read("due", "soon").unwrap_err().field, "due");
        assert_eq!(utc.read("due", " ").unwrap_err().field, "due");
        assert!(FormZone::parse(Some("99999")).is_err());
        assert!(FormZone::parse(Some("x")).is_err());
    }

    #[test]
    fn presets_land_on_nine_in_the_morning_local_time() {
        // Thursday 3 December 2026, 22:00 UTC; 23:00 in a +01:00 zone.
        let now: Timestamp = "2026-12-03T22:00:00Z".parse().unwrap();
        let paris = FormZone::parse(Some("60")).unwrap();
        assert_eq!(
            paris.preset("tomorrow", now).unwrap().to_string(),
            "2026-12-04T08:00:00Z"
        );
        assert_eq!(
            paris.preset("next_week", now).unwrap().to_string(),
            "2026-12-07T08:00:00Z"
        );
        assert_eq!(
            paris.preset("4h", now).unwrap().to_string(),
            "2026-12-04T02:00:00Z"
        );
        assert_eq!(paris.preset("later", now).unwrap_err().field, "preset");
    }
}
