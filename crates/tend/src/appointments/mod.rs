//! Appointments ([`tend_domain::appointment`]): the signed page link a
//! customer books, moves or cancels a visit from ([`link`]), the messages
//! and calendar invitations each change sends them ([`notice`]), the steps
//! every offer and change takes, whoever asks ([`scheduler`]), the free
//! windows pages list ([`windows`]), and the day-before reminder job
//! ([`reminder`]). The pages are in `web::public::visit` (from the email),
//! `web::agent::visits` (the technician's) and `web::agent::visits_panel`
//! (the case page's).

pub mod link;
pub mod notice;
pub mod reminder;
pub mod scheduler;
pub mod windows;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use tend_domain::Invalid;
use tend_domain::appointment::{Step, short_text};
use tend_store::appointments::Appointment;
use tend_store::appointments::changes::Change;
use tend_store::{Store, StoreError};

/// Days of free windows offered when no end is given.
pub const SEARCH_DAYS: i64 = 14;

/// A window for people, in `zone`: "Friday 11 December, 10:00–12:00
/// (Europe/Amsterdam time)".
pub fn window_text(start: Timestamp, end: Timestamp, zone: &TimeZone) -> String {
    let start = start.to_zoned(zone.clone());
    let end = end.to_zoned(zone.clone());
    format!(
        "{}, {}\u{2013}{} ({} time)",
        start.strftime("%A %-d %B"),
        start.strftime("%H:%M"),
        end.strftime("%H:%M"),
        zone.iana_name().unwrap_or("UTC")
    )
}

/// A time of day for people, in `zone`: "10:40".
pub fn clock_text(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone()).strftime("%H:%M").to_string()
}

/// The change booking the window from `starts_at` (or moving the visit
/// there) makes, at `address` (blank: none given).
pub fn booking(starts_at: Timestamp, address: Option<&str>) -> Result<Change, Invalid> {
    Ok(Change::Book {
        starts_at,
        address: short_text("address", address)?,
    })
}

/// The change a technician's progress step makes.
pub fn progress(step: Step, arrival_at: Option<Timestamp>) -> Result<Change, Invalid> {
    match step {
        Step::OnTheWay => arrival_at
            .map(|arrival_at| Change::OnTheWay { arrival_at })
            .ok_or_else(|| Invalid::new("arrival_at", "say when you expect to arrive")),
        Step::Arrive => Ok(Change::Arrive),
        Step::Done => Ok(Change::Done),
        Step::NoShow => Ok(Change::NoShow),
        Step::Book | Step::Reschedule | Step::Cancel => Err(Invalid::new(
            "step",
            "progress is on_the_way, arrive, done or no_show; book and cancel have their own endpoints",
        )),
    }
}

/// The zone a visit's times are shown in: its resource's calendar's, else
/// that of the first resource able to do it, else UTC.
pub async fn zone_of(store: &Store, visit: &Appointment) -> Result<TimeZone, StoreError> {
    let kind = store.appointment_type(visit.type_id).await?.definition;
    let calendars = store.resource_calendars().await?;
    let zone = calendars
        .iter()
        .find(|(r, _)| Some(r.id) == visit.resource_id)
        .or_else(|| calendars.iter().find(|(r, _)| r.definition.can_do(&kind)))
        .map_or(TimeZone::UTC, |(_, c)| c.zone().clone());
    Ok(zone)
}
