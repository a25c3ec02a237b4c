//! Appointments: visits booked in a window the customer chose. An
//! appointment type says how long a visit takes and how wide a window it
//! is offered in (2 hours by default; wider windows are allowed, and count
//! as customer effort: waiting at home); resources (technicians, agents)
//! have business-hours calendars, a capacity per window and a travel
//! buffer between visits. [`free_slots`] finds the windows at least one
//! resource can still take, [`pick`] the resource a booking goes to, and
//! [`Step`] the state machine a visit walks (booked, on the way, arrived,
//! done). Nothing here does I/O.

use crate::Invalid;
use crate::calendar::BusinessCalendar;
use crate::ids::TeamId;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The window width offered when a type names none, in minutes: narrower
/// is better for the customer; wider is flagged as customer effort.
pub const DEFAULT_WINDOW_MINUTES: u16 = 120;
/// The widest window a type may offer, in minutes.
pub const MAX_WINDOW_MINUTES: u16 = 12 * 60;
/// The narrowest window (and shortest visit), in minutes.
pub const MIN_MINUTES: u16 = 15;
/// Most skills a type asks for or a resource has.
pub const MAX_SKILLS: usize = 20;
/// Longest name or skill, in characters.
pub const MAX_NAME: usize = 100;
/// Most visits one resource takes in the same window.
pub const MAX_CAPACITY: u16 = 50;
/// Longest travel buffer between visits, in minutes.
pub const MAX_BUFFER_MINUTES: u16 = 8 * 60;
/// Longest cut-off before a visit for customers' own changes, in hours.
pub const MAX_CUTOFF_HOURS: u16 = 14 * 24;
/// Most days one slot search spans.
pub const MAX_SEARCH_DAYS: i64 = 31;
/// Longest address or reason, in characters.
pub const MAX_TEXT: usize = 500;

crate::string_enum!(
    /// Where an appointment stands.
    AppointmentStatus {
        /// Offered to the customer, who has not picked a window yet.
        Offered = "offered",
        /// Booked in a window.
        Booked = "booked",
        /// The technician is on the way, with an expected arrival time.
        OnTheWay = "on_the_way",
        /// The technician arrived.
        Arrived = "arrived",
        /// The visit is done.
        Done = "done",
        /// Nobody was there to let the technician in.
        NoShow = "no_show",
        /// Called off, by the customer or the business.
        Cancelled = "cancelled",
    }
);

crate::string_enum!(
    /// A change to an appointment.
    Step {
        /// A window is picked.
        Book = "book",
        /// The window moves.
        Reschedule = "reschedule",
        /// The visit is called off.
        Cancel = "cancel",
        /// The technician sets off (or updates the arrival time).
        OnTheWay = "on_the_way",
        /// The technician is there.
        Arrive = "arrive",
        /// The work is done.
        Done = "done",
        /// Nobody was there.
        NoShow = "no_show",
    }
);

impl AppointmentStatus {
    /// Whether nothing more can happen to it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            AppointmentStatus::Done | AppointmentStatus::NoShow | AppointmentStatus::Cancelled
        )
    }

    /// Whether it holds a window in its resource's calendar.
    pub fn holds_window(self) -> bool {
        matches!(
            self,
            AppointmentStatus::Booked | AppointmentStatus::OnTheWay | AppointmentStatus::Arrived
        )
    }

    /// For people: "booked", "on the way"...
    pub fn describe(self) -> &'static str {
        match self {
            AppointmentStatus::Offered => "waiting for a time to be picked",
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::OnTheWay => "on the way",
            AppointmentStatus::Arrived => "arrived",
            AppointmentStatus::Done => "done",
            AppointmentStatus::NoShow => "nobody was in",
            AppointmentStatus::Cancelled => "cancelled",
        }
    }
}

impl Step {
    /// The status `step` leads to from `from`, or why it cannot be taken.
    pub fn from(self, from: AppointmentStatus) -> Result<AppointmentStatus, Invalid> {
        use AppointmentStatus as S;
        let to = match (self, from) {
            (Step::Book, S::Offered) => S::Booked,
            (Step::Reschedule, S::Booked | S::OnTheWay) => S::Booked,
            (Step::Cancel, S::Offered | S::Booked | S::OnTheWay) => S::Cancelled,
            (Step::OnTheWay, S::Booked | S::OnTheWay) => S::OnTheWay,
            (Step::Arrive, S::Booked | S::OnTheWay) => S::Arrived,
            (Step::Done, S::Arrived) => S::Done,
            (Step::NoShow, S::Booked | S::OnTheWay | S::Arrived) => S::NoShow,
            _ => {
                return Err(Invalid::new(
                    "status",
                    format!(
                        "an appointment that is {} cannot {}",
                        from.describe(),
                        self.describe()
                    ),
                ));
            }
        };
        Ok(to)
    }

    /// For people: what the step does.
    pub fn describe(self) -> &'static str {
        match self {
            Step::Book => "be booked again (reschedule it instead)",
            Step::Reschedule => "be moved",
            Step::Cancel => "be cancelled",
            Step::OnTheWay => "be marked on the way",
            Step::Arrive => "be marked arrived",
            Step::Done => "be marked done (mark the arrival first)",
            Step::NoShow => "be marked as nobody in",
        }
    }
}

/// A kind of visit as an admin defines it. (Stored records flatten it, so
/// its schema stays open to their extra fields.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppointmentTypeDefinition {
    /// "Boiler repair".
    pub name: String,
    /// How long the visit itself takes, in minutes.
    pub duration_minutes: u16,
    /// How wide the windows offered are, in minutes (120 when left out);
    /// wider than 120 counts as customer effort.
    #[serde(default = "default_window")]
    pub window_minutes: u16,
    /// Only resources of this team do it.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// Only resources with all these skills do it.
    #[serde(default)]
    pub skills: Vec<String>,
    /// Whether the customer gives an address when booking.
    #[serde(default)]
    pub needs_address: bool,
    /// Customers move or cancel it themselves up to this many hours before
    /// it starts (24 when left out); after that, they ask the business.
    #[serde(default = "default_cutoff")]
    pub cutoff_hours: u16,
}

fn default_window() -> u16 {
    DEFAULT_WINDOW_MINUTES
}

fn default_cutoff() -> u16 {
    24
}

impl AppointmentTypeDefinition {
    /// Checks every field, naming the one at fault; skills are trimmed,
    /// lower-cased, sorted and without repeats.
    pub fn check(mut self) -> Result<Self, Invalid> {
        self.name = crate::text::one_line("name", &self.name, MAX_NAME)?;
        in_range(
            "window_minutes",
            self.window_minutes,
            MIN_MINUTES,
            MAX_WINDOW_MINUTES,
        )?;
        in_range(
            "duration_minutes",
            self.duration_minutes,
            MIN_MINUTES,
            self.window_minutes,
        )
        .map_err(|_| {
            Invalid::new(
                "duration_minutes",
                format!(
                    "a visit takes from {MIN_MINUTES} minutes up to its window ({} minutes)",
                    self.window_minutes
                ),
            )
        })?;
        in_range("cutoff_hours", self.cutoff_hours, 0, MAX_CUTOFF_HOURS)?;
        self.skills = skills(&self.skills)?;
        Ok(self)
    }

    /// Whether its windows are wider than the default: customer effort.
    pub fn wide_window(&self) -> bool {
        self.window_minutes > DEFAULT_WINDOW_MINUTES
    }
}

/// Someone whose time visits are booked in, as an admin defines them.
/// (Stored records flatten it, so its schema stays open to their extra
/// fields.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResourceDefinition {
    /// "Sam (plumber)".
    pub name: String,
    /// The agent who carries out the visits, and sees them on the
    /// technician's page.
    #[serde(default)]
    pub agent_id: Option<crate::ids::AgentId>,
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// The business-hours calendar of their working time (the default
    /// calendar when left out).
    #[serde(default)]
    pub calendar_id: Option<i64>,
    #[serde(default)]
    pub skills: Vec<String>,
    /// Visits they take in the same window (1 when left out).
    #[serde(default = "default_capacity")]
    pub capacity: u16,
    /// Minutes kept free between visits for travel.
    #[serde(default)]
    pub travel_buffer_minutes: u16,
    /// Whether visits can be booked with them now.
    #[serde(default = "default_active")]
    pub active: bool,
}

fn default_capacity() -> u16 {
    1
}

fn default_active() -> bool {
    true
}

impl ResourceDefinition {
    /// Checks every field, naming the one at fault.
    pub fn check(mut self) -> Result<Self, Invalid> {
        self.name = crate::text::one_line("name", &self.name, MAX_NAME)?;
        in_range("capacity", self.capacity, 1, MAX_CAPACITY)?;
        in_range(
            "travel_buffer_minutes",
            self.travel_buffer_minutes,
            0,
            MAX_BUFFER_MINUTES,
        )?;
        self.skills = skills(&self.skills)?;
        Ok(self)
    }

    /// Whether they can carry out visits of `kind`: in its team, if it
    /// names one, with every skill it asks for.
    pub fn can_do(&self, kind: &AppointmentTypeDefinition) -> bool {
        self.active
            && kind.team_id.is_none_or(|team| self.team_id == Some(team))
            && kind.skills.iter().all(|s| self.skills.contains(s))
    }
}

fn in_range(field: &str, value: u16, min: u16, max: u16) -> Result<(), Invalid> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Invalid::new(field, format!("must be from {min} to {max}")))
    }
}

/// Skills: trimmed, lower-cased one-word-ish names, sorted, no repeats.
fn skills(raw: &[String]) -> Result<Vec<String>, Invalid> {
    if raw.len() > MAX_SKILLS {
        return Err(Invalid::new(
            "skills",
            format!("at most {MAX_SKILLS} skills"),
        ));
    }
    let mut out = raw
        .iter()
        .map(|s| crate::text::one_line("skills", s, MAX_NAME).map(|s| s.to_lowercase()))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

/// An address or a reason: optional, one line, bounded.
pub fn short_text(field: &str, raw: Option<&str>) -> Result<Option<String>, Invalid> {
    raw.filter(|s| !s.trim().is_empty())
        .map(|s| crate::text::one_line(field, s, MAX_TEXT))
        .transpose()
}

/// One resource's time, for a slot search: their calendar, how many visits
/// fit one window, the buffer kept around each, and the windows already
/// booked (sorted by start).
#[derive(Debug, Clone)]
pub struct Availability {
    pub calendar: BusinessCalendar,
    pub capacity: u16,
    pub buffer: SignedDuration,
    pub booked: Vec<(Timestamp, Timestamp)>,
}

impl Availability {
    /// The most visits already booked at any one moment around
    /// `[start, end)`. Every visit, this one included, is stretched by half
    /// the travel buffer on each side, so two visits conflict exactly when
    /// less than the buffer lies between them; with at most `capacity`
    /// stretched visits at any moment, they fit `capacity` people's days.
    pub fn taken(&self, start: Timestamp, end: Timestamp) -> usize {
        let half = self.buffer / 2;
        let (start, end) = (start - half, end + half);
        // A booked window is at most this long (a clock change can add an
        // hour), so scanning back from the last booking starting before
        // `end`, one starting this much before `start` cannot reach it.
        let longest = SignedDuration::from_mins(i64::from(MAX_WINDOW_MINUTES) + 60);
        let upto = self.booked.partition_point(|b| b.0 - half < end);
        let mut edges: Vec<(Timestamp, i8)> = self.booked[..upto]
            .iter()
            .rev()
            .take_while(|b| b.0 + longest + half > start)
            .filter(|b| b.1 + half > start)
            .flat_map(|b| [((b.0 - half).max(start), 1), ((b.1 + half).min(end), -1)])
            .collect();
        // Ends sort before starts at the same instant: windows are half-open.
        edges.sort_unstable();
        let (mut now, mut most) = (0i64, 0i64);
        for (_, step) in edges {
            now += i64::from(step);
            most = most.max(now);
        }
        usize::try_from(most).unwrap_or(0)
    }

    /// Visits booked that overlap `[start, end)`: how busy they are then.
    pub fn booked_within(&self, start: Timestamp, end: Timestamp) -> usize {
        self.booked
            .iter()
            .filter(|b| b.0 < end && b.1 > start)
            .count()
    }

    /// Whether one more visit fits `[start, end)`.
    pub fn fits(&self, start: Timestamp, end: Timestamp) -> bool {
        self.taken(start, end) < usize::from(self.capacity)
    }
}

/// A window the customer can pick, with how many resources could come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Slot {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// Resources free in it.
    pub free: u32,
}

/// The windows of `width` minutes from `from` to `to` that at least one of
/// `resources` can still take, in order.
pub fn free_slots(
    resources: &[Availability],
    width: u16,
    from: Timestamp,
    to: Timestamp,
) -> Vec<Slot> {
    let mut slots = std::collections::BTreeMap::<(Timestamp, Timestamp), u32>::new();
    for resource in resources {
        for (start, end) in resource.calendar.windows(from, to, width) {
            if resource.fits(start, end) {
                *slots.entry((start, end)).or_default() += 1;
            }
        }
    }
    slots
        .into_iter()
        .map(|((starts_at, ends_at), free)| Slot {
            starts_at,
            ends_at,
            free,
        })
        .collect()
}

/// Which of `resources` takes a visit in the window `[start, end)` of
/// `width` minutes: among those whose calendar offers that very window and
/// who still have room, the one with the fewest visits booked within a day
/// of it (then the first). `None` when the window is gone.
pub fn pick(
    resources: &[Availability],
    width: u16,
    start: Timestamp,
    end: Timestamp,
) -> Option<usize> {
    let day = SignedDuration::from_hours(24);
    resources
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.fits(start, end)
                && r.calendar
                    .windows(start, end, width)
                    .contains(&(start, end))
        })
        .min_by_key(|(_, r)| r.booked_within(start - day, end + day))
        .map(|(i, _)| i)
}

/// Whether the customer may still move or cancel a visit starting at
/// `starts_at` on their own at `now`, given the type's cut-off.
pub fn before_cutoff(starts_at: Timestamp, cutoff_hours: u16, now: Timestamp) -> bool {
    now + SignedDuration::from_hours(i64::from(cutoff_hours)) <= starts_at
}

/// The promise a booking makes the customer: unique among the case's open
/// promises, since it names the appointment.
pub fn promise_text(appointment: crate::ids::AppointmentId, type_name: &str) -> String {
    format!("{type_name} visit (appointment {appointment})")
}

#[cfg(test)]
mod tests;
