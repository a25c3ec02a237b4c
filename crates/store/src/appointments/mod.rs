//! Appointments on cases: types and resources ([`setup`]), the visits
//! themselves and their slot search (here), and every change to a visit
//! with its case events and the notice to the customer ([`changes`]).

pub mod changes;
pub mod setup;

use crate::rows::{get, optional_id, optional_time, time, word};
use crate::tx::{args, bind};
use crate::{Result, Store, StoreError};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use setup::Resource;
use sqlx::any::AnyRow;
use tend_domain::appointment::{
    self, AppointmentStatus, AppointmentTypeDefinition, Availability, MAX_SEARCH_DAYS, Slot,
};
use tend_domain::calendar::BusinessCalendar;
use tend_domain::ids::{AgentId, AppointmentId, AppointmentTypeId, CaseId, ResourceId};
use utoipa::ToSchema;

/// Most appointments one case holds.
pub const MAX_PER_CASE: i64 = 50;
/// Most visits listed for one resource and day.
pub const MAX_PER_DAY: i64 = 200;

/// An appointment as it stands now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Appointment {
    pub id: AppointmentId,
    pub case_id: CaseId,
    pub type_id: AppointmentTypeId,
    pub type_name: String,
    pub status: AppointmentStatus,
    /// Who comes, once booked.
    pub resource_id: Option<ResourceId>,
    /// The window booked.
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    /// How wide the windows offered are, in minutes.
    pub window_minutes: u16,
    /// Wider than the default 2 hours: customer effort.
    pub wide_window: bool,
    /// Whether the customer gives an address when booking.
    pub needs_address: bool,
    pub address: Option<String>,
    /// The arrival time given when the technician set off.
    pub arrival_at: Option<Timestamp>,
    /// Customers move or cancel it themselves until this long before it starts.
    pub cutoff_hours: u16,
    /// Changes sent to the customer's calendar (iCalendar SEQUENCE).
    pub sequence: i64,
    pub reminded_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "a.id, a.case_id, a.type_id, t.name AS type_name, t.definition, a.status, \
     a.resource_id, a.starts_at, a.ends_at, a.address, a.arrival_at, a.sequence, a.reminded_at, \
     a.created_at, a.updated_at";
const FROM: &str = "appointments a JOIN appointment_types t ON t.id = a.type_id";

fn appointment(row: &AnyRow) -> Result<Appointment> {
    let kind: AppointmentTypeDefinition = crate::rows::json(row, "definition")?;
    Ok(Appointment {
        id: AppointmentId(get(row, "id")?),
        case_id: CaseId(get(row, "case_id")?),
        type_id: AppointmentTypeId(get(row, "type_id")?),
        type_name: get(row, "type_name")?,
        status: word(row, "status", AppointmentStatus::parse)?,
        resource_id: optional_id(row, "resource_id", ResourceId)?,
        starts_at: optional_time(row, "starts_at")?,
        ends_at: optional_time(row, "ends_at")?,
        window_minutes: kind.window_minutes,
        wide_window: kind.wide_window(),
        needs_address: kind.needs_address,
        address: get(row, "address")?,
        arrival_at: optional_time(row, "arrival_at")?,
        cutoff_hours: kind.cutoff_hours,
        sequence: get(row, "sequence")?,
        reminded_at: optional_time(row, "reminded_at")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// The resources that can carry out one type of visit, with their
/// calendars: what a slot search and a booking look through.
pub(crate) struct Candidates {
    pub kind: AppointmentTypeDefinition,
    pub resources: Vec<(ResourceId, Availability)>,
}

impl Candidates {
    /// Their resource ids, for locking and reading bookings.
    fn ids(&self) -> Vec<i64> {
        self.resources.iter().map(|(id, _)| id.0).collect()
    }

    /// Only the availabilities, in the same order.
    pub(crate) fn availability(&self) -> Vec<Availability> {
        self.resources.iter().map(|(_, a)| a.clone()).collect()
    }

    /// Fills in the windows booked with each resource around `[from, to)`
    /// (from the readers, or inside a write), leaving out appointment
    /// `except` (the one being moved).
    fn fill(&mut self, rows: Vec<(i64, Timestamp, Timestamp)>) {
        for (resource, start, end) in rows {
            if let Some((_, a)) = self.resources.iter_mut().find(|(id, _)| id.0 == resource) {
                a.booked.push((start, end));
            }
        }
        for (_, a) in &mut self.resources {
            a.booked.sort_unstable();
        }
    }
}

/// SQL for the windows held with some resources around a time range:
/// `$1` from, `$2` to, `$3` the appointment left out; the ids are inlined
/// (they are numbers read from the store).
fn held_sql(ids: &[i64]) -> String {
    let list = crate::sql::inline_ids(ids);
    format!(
        "SELECT resource_id, starts_at, ends_at FROM appointments \
         WHERE resource_id IN ({list}) AND status IN ('booked', 'on_the_way', 'arrived') \
         AND ends_at > $1 AND starts_at < $2 AND id <> $3 ORDER BY starts_at"
    )
}

/// How far around a searched range bookings can still matter (a window
/// plus a travel buffer, with a clock change).
fn margin() -> SignedDuration {
    SignedDuration::from_hours(24)
}

impl Store {
    /// One appointment.
    pub async fn appointment(&self, id: AppointmentId) -> Result<Appointment> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE a.id = $1");
        let row = bind(&sql, args![id.0])
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("appointment"))?;
        appointment(&row)
    }

    /// Case `case`'s appointments, oldest first.
    pub async fn case_appointments(&self, case: CaseId) -> Result<Vec<Appointment>> {
        self.case(case).await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE a.case_id = $1 ORDER BY a.id LIMIT {MAX_PER_CASE}"
        );
        bind(&sql, args![case.0])
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(appointment)
            .collect()
    }

    /// The visits booked with the resources agent `agent` works as, whose
    /// windows meet `[from, to)`, by start.
    pub async fn visits_of(
        &self,
        agent: AgentId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Appointment>> {
        let mine: Vec<i64> = self
            .resources()
            .await?
            .into_iter()
            .filter(|r| r.definition.agent_id == Some(agent))
            .map(|r| r.id.0)
            .collect();
        if mine.is_empty() {
            return Ok(Vec::new());
        }
        let list = crate::sql::inline_ids(&mine);
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE a.resource_id IN ({list}) \
             AND a.status <> 'offered' AND a.ends_at > $1 AND a.starts_at < $2 \
             ORDER BY a.starts_at, a.id LIMIT {MAX_PER_DAY}"
        );
        bind(
            &sql,
            args![crate::time::micros(from), crate::time::micros(to)],
        )
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(appointment)
        .collect()
    }

    /// The windows from `from` to `to` (at most 31 days apart) in which a
    /// visit of type `kind` can still be booked, starting after now; with
    /// `except`, that appointment's own window counts as free (it is the
    /// one being moved).
    pub async fn free_slots(
        &self,
        kind: AppointmentTypeId,
        from: Timestamp,
        to: Timestamp,
        except: Option<AppointmentId>,
    ) -> Result<Vec<Slot>> {
        let from = from.max(self.clock.now());
        if to > from + SignedDuration::from_hours(24 * MAX_SEARCH_DAYS) {
            return Err(tend_domain::Invalid::new(
                "to",
                format!("search at most {MAX_SEARCH_DAYS} days at a time"),
            )
            .into());
        }
        let mut candidates = self.candidates(kind).await?;
        if candidates.resources.is_empty() || to <= from {
            return Ok(Vec::new());
        }
        let sql = held_sql(&candidates.ids());
        let rows = bind(
            &sql,
            args![
                crate::time::micros(from - margin()),
                crate::time::micros(to + margin()),
                except.map_or(0, |e| e.0)
            ],
        )
        .fetch_all(&self.reader)
        .await?;
        let held = rows
            .iter()
            .map(|r| {
                Ok((
                    get(r, "resource_id")?,
                    time(r, "starts_at")?,
                    time(r, "ends_at")?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        candidates.fill(held);
        Ok(appointment::free_slots(
            &candidates.availability(),
            candidates.kind.window_minutes,
            from,
            to,
        ))
    }

    /// Every resource with its calendar: their own, else the default,
    /// else always open.
    pub async fn resource_calendars(&self) -> Result<Vec<(Resource, BusinessCalendar)>> {
        let calendars = self.calendars().await?;
        let calendar_of = |id: Option<i64>| -> BusinessCalendar {
            calendars
                .iter()
                .find(|c| Some(c.id) == id)
                .or_else(|| calendars.iter().find(|c| c.is_default))
                .map_or_else(BusinessCalendar::always_open, |c| c.definition.calendar())
        };
        Ok(self
            .resources()
            .await?
            .into_iter()
            .map(|r| {
                let calendar = calendar_of(r.definition.calendar_id);
                (r, calendar)
            })
            .collect())
    }

    /// Type `kind` and the resources that can carry it out, each with
    /// their calendar and nothing booked yet.
    pub(crate) async fn candidates(&self, kind: AppointmentTypeId) -> Result<Candidates> {
        let kind = self.appointment_type(kind).await?.definition;
        let resources = self
            .resource_calendars()
            .await?
            .into_iter()
            .filter(|(r, _)| r.definition.can_do(&kind))
            .map(|(r, calendar)| {
                let d = &r.definition;
                let availability = Availability {
                    calendar,
                    capacity: d.capacity,
                    buffer: SignedDuration::from_mins(i64::from(d.travel_buffer_minutes)),
                    booked: Vec::new(),
                };
                (r.id, availability)
            })
            .collect();
        Ok(Candidates { kind, resources })
    }
}
