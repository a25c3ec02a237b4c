//! The free windows a visit can be booked (or moved) into, as pages list
//! them: the next [`SEARCH_DAYS`] days, grouped by local day, each window
//! with its start (a form's value) and its times in the visit's zone.

use super::SEARCH_DAYS;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use tend_store::appointments::Appointment;
use tend_store::{Store, StoreError};

/// One day's free windows.
pub struct Day {
    /// "Friday 11 December".
    pub label: String,
    pub windows: Vec<Window>,
}

/// One free window.
pub struct Window {
    /// Its start, as RFC 3339: what a booking form posts.
    pub value: String,
    /// "10:00–12:00".
    pub label: String,
}

/// `visit`'s free windows from now, by day in `zone`.
pub async fn free_days(
    store: &Store,
    visit: &Appointment,
    zone: &TimeZone,
) -> Result<Vec<Day>, StoreError> {
    let now = store.clock().now();
    let to = now + SignedDuration::from_hours(24 * SEARCH_DAYS);
    let slots = store
        .free_slots(visit.type_id, now, to, Some(visit.id))
        .await?;
    Ok(by_day(slots.iter().map(|s| (s.starts_at, s.ends_at)), zone))
}

/// Windows grouped by local day.
fn by_day(windows: impl Iterator<Item = (Timestamp, Timestamp)>, zone: &TimeZone) -> Vec<Day> {
    let mut days: Vec<Day> = Vec::new();
    for (start, end) in windows {
        let local = start.to_zoned(zone.clone());
        let label = local.strftime("%A %-d %B").to_string();
        let window = Window {
            value: start.to_string(),
            label: format!(
                "{}\u{2013}{}",
                local.strftime("%H:%M"),
                end.to_zoned(zone.clone()).strftime("%H:%M")
            ),
        };
        match days.last_mut() {
            Some(day) if day.label == label => day.windows.push(window),
            _ => days.push(Day {
                label,
                windows: vec![window],
            }),
        }
    }
    days
}
