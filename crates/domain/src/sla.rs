//! SLA clocks, a fold over a case's events measured in business time: the
//! first response (from the case opening to the first answer by a person),
//! the next response (from each customer contact after an answer to the
//! next answer) and the resolution (from opening to resolved, resumed when a
//! case reopens). Clocks pause while the case waits on the customer or is on
//! hold, as the policy says, and resume when it moves on. Targets follow the
//! case's current priority. Automatic mail (an acknowledgement) is never an
//! answer.

use crate::calendar::BusinessCalendar;
use crate::case::{Priority, Status};
use crate::effort::Direction;
use crate::event::{ActorKind, EventData};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

crate::string_enum!(
    /// One of a case's three SLA clocks.
    ClockKind {
        /// From the case opening to the first answer by a person.
        FirstResponse = "first_response",
        /// From a customer's contact after an answer to the next answer.
        NextResponse = "next_response",
        /// From the case opening to resolved.
        Resolution = "resolution",
    }
);

/// Targets for one priority, in business minutes; `None`: no target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    pub first_response: Option<u32>,
    pub next_response: Option<u32>,
    pub resolution: Option<u32>,
}

/// What an SLA policy promises and when its clocks stop running.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// Targets per priority; a priority not listed has none.
    pub targets: Vec<(Priority, Targets)>,
    /// Whether the clocks pause while the case is pending the customer.
    pub pause_when_pending: bool,
    /// Whether the clocks pause while the case is on hold.
    pub pause_when_on_hold: bool,
}

impl SlaPolicy {
    fn targets(&self, priority: Priority) -> Targets {
        self.targets
            .iter()
            .find(|(p, _)| *p == priority)
            .map(|(_, t)| *t)
            .unwrap_or_default()
    }

    fn pauses_in(&self, status: Status) -> bool {
        match status {
            Status::PendingCustomer => self.pause_when_pending,
            Status::OnHold => self.pause_when_on_hold,
            _ => false,
        }
    }
}

/// One clock as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClockState {
    /// Not running: never started, or no target at this priority.
    Off,
    /// Running: due at `due_at`; `breached` once that has passed.
    Running { due_at: Timestamp, breached: bool },
    /// Paused with `remaining_seconds` of business time left (negative
    /// when already over).
    Paused { remaining_seconds: i64 },
    /// Stopped at `at`, in time or `late`.
    Met { at: Timestamp, late: bool },
}

/// The three clocks of a case at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SlaStatus {
    pub first_response: ClockState,
    pub next_response: ClockState,
    pub resolution: ClockState,
}

impl SlaStatus {
    /// Each clock with its kind.
    pub fn clocks(&self) -> [(ClockKind, ClockState); 3] {
        [
            (ClockKind::FirstResponse, self.first_response),
            (ClockKind::NextResponse, self.next_response),
            (ClockKind::Resolution, self.resolution),
        ]
    }

    /// The running clock due soonest, with its due time.
    pub fn soonest(&self) -> Option<(ClockKind, Timestamp)> {
        self.clocks()
            .into_iter()
            .filter_map(|(kind, c)| match c {
                ClockState::Running { due_at, .. } => Some((kind, due_at)),
                _ => None,
            })
            .min_by_key(|(_, due_at)| *due_at)
    }

    /// The soonest due time among the running clocks.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.soonest().map(|(_, due_at)| due_at)
    }

    /// Whether any clock is paused (and none running).
    pub fn paused(&self) -> bool {
        self.soonest().is_none()
            && self
                .clocks()
                .iter()
                .any(|(_, c)| matches!(c, ClockState::Paused { .. }))
    }
}

/// One clock's running totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Clock {
    running: bool,
    /// Business seconds used in earlier, finished segments.
    used: i64,
    /// Start of the current segment; `None` while paused.
    since: Option<Timestamp>,
    /// When it stopped, and with how much used.
    stopped_at: Option<Timestamp>,
    /// When its current run began (a reopened case's resolution runs
    /// again from the reopening): warnings and breaches are recorded once
    /// per run.
    started: Option<Timestamp>,
}

impl Clock {
    fn start(&mut self, at: Timestamp, paused: bool) {
        *self = Clock {
            running: true,
            since: (!paused).then_some(at),
            started: Some(at),
            ..Clock::default()
        };
    }

    fn used_at(&self, calendar: &BusinessCalendar, at: Timestamp) -> i64 {
        self.used
            + self
                .since
                .map_or(0, |since| calendar.open_seconds_between(since, at))
    }

    fn pause(&mut self, calendar: &BusinessCalendar, at: Timestamp) {
        if self.since.is_some() {
            self.used = self.used_at(calendar, at);
            self.since = None;
        }
    }

    fn resume(&mut self, at: Timestamp) {
        if self.running && self.since.is_none() {
            self.since = Some(at);
        }
    }

    fn stop(&mut self, calendar: &BusinessCalendar, at: Timestamp) {
        if self.running {
            self.used = self.used_at(calendar, at);
            self.running = false;
            self.since = None;
            self.stopped_at = Some(at);
        }
    }

    /// Runs again from `at`, keeping the time already used (a reopened
    /// case's resolution).
    fn carry_on(&mut self, at: Timestamp, paused: bool) {
        if !self.running && self.stopped_at.is_some() {
            self.running = true;
            self.stopped_at = None;
            self.since = (!paused).then_some(at);
            self.started = Some(at);
        }
    }

    fn state(
        &self,
        calendar: &BusinessCalendar,
        target: Option<u32>,
        now: Timestamp,
    ) -> ClockState {
        let Some(target) = target.map(|minutes| i64::from(minutes) * 60) else {
            return ClockState::Off;
        };
        match (self.running, self.since, self.stopped_at) {
            (true, Some(since), _) => {
                match calendar.add_open_seconds(since, (target - self.used).max(0)) {
                    Some(due_at) => ClockState::Running {
                        due_at,
                        breached: now >= due_at,
                    },
                    None => ClockState::Paused {
                        remaining_seconds: target - self.used,
                    },
                }
            }
            (true, None, _) => ClockState::Paused {
                remaining_seconds: target - self.used,
            },
            (false, _, Some(at)) => ClockState::Met {
                at,
                late: self.used > target,
            },
            (false, _, None) => ClockState::Off,
        }
    }
}

/// The clocks of one case, folded from its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaClocks {
    priority: Priority,
    status: Status,
    answered: bool,
    first: Clock,
    next: Clock,
    resolution: Clock,
}

impl Default for SlaClocks {
    fn default() -> Self {
        SlaClocks {
            priority: Priority::Normal,
            status: Status::New,
            answered: false,
            first: Clock::default(),
            next: Clock::default(),
            resolution: Clock::default(),
        }
    }
}

/// Whether a status ends the work on a case.
fn done(status: Status) -> bool {
    matches!(status, Status::Resolved | Status::Closed)
}

impl SlaClocks {
    /// Folds a whole log: (who, what, when) in order.
    pub fn fold<'a>(
        policy: &SlaPolicy,
        calendar: &BusinessCalendar,
        events: impl IntoIterator<Item = (ActorKind, &'a EventData, Timestamp)>,
    ) -> Self {
        let mut clocks = SlaClocks::default();
        for (actor, data, at) in events {
            clocks.apply(policy, calendar, actor, data, at);
        }
        clocks
    }

    /// Applies one event, caused by `actor`, at `at`.
    pub fn apply(
        &mut self,
        policy: &SlaPolicy,
        calendar: &BusinessCalendar,
        actor: ActorKind,
        data: &EventData,
        at: Timestamp,
    ) {
        let paused = |status| policy.pauses_in(status);
        match data {
            EventData::CaseOpened {
                status, priority, ..
            } => {
                *self = SlaClocks {
                    priority: *priority,
                    status: *status,
                    ..SlaClocks::default()
                };
                if !done(*status) {
                    self.first.start(at, paused(*status));
                    self.resolution.start(at, paused(*status));
                }
            }
            // A customer contact after an answer starts the next response.
            EventData::MessageReceived { .. }
            | EventData::ContactLogged {
                direction: Direction::Inbound,
                ..
            } if self.answered && !self.next.running && !done(self.status) => {
                self.next.start(at, paused(self.status));
            }
            EventData::ReplySent { .. } if actor == ActorKind::Agent => self.answer(calendar, at),
            EventData::ContactLogged {
                direction: Direction::Outbound,
                ..
            } => self.answer(calendar, at),
            EventData::PriorityChanged { to, .. } => self.priority = *to,
            EventData::StatusChanged { from, to } => {
                self.status = *to;
                if done(*to) && !done(*from) {
                    for clock in [&mut self.first, &mut self.next, &mut self.resolution] {
                        clock.stop(calendar, at);
                    }
                } else if done(*from) && !done(*to) {
                    self.resolution.carry_on(at, paused(*to));
                } else if paused(*to) {
                    for clock in [&mut self.first, &mut self.next, &mut self.resolution] {
                        clock.pause(calendar, at);
                    }
                } else {
                    for clock in [&mut self.first, &mut self.next, &mut self.resolution] {
                        clock.resume(at);
                    }
                }
            }
            _ => {}
        }
    }

    /// A person answered the customer: the response clocks stop.
    fn answer(&mut self, calendar: &BusinessCalendar, at: Timestamp) {
        self.answered = true;
        self.first.stop(calendar, at);
        self.next.stop(calendar, at);
    }

    /// When the current run of clock `kind` began, if it ever ran.
    pub fn started(&self, kind: ClockKind) -> Option<Timestamp> {
        match kind {
            ClockKind::FirstResponse => self.first.started,
            ClockKind::NextResponse => self.next.started,
            ClockKind::Resolution => self.resolution.started,
        }
    }

    /// The clocks at `now`, against the policy's targets for the case's
    /// current priority.
    pub fn status(
        &self,
        policy: &SlaPolicy,
        calendar: &BusinessCalendar,
        now: Timestamp,
    ) -> SlaStatus {
        let targets = policy.targets(self.priority);
        SlaStatus {
            first_response: self.first.state(calendar, targets.first_response, now),
            next_response: self.next.state(calendar, targets.next_response, now),
            resolution: self.resolution.state(calendar, targets.resolution, now),
        }
    }
}

pub mod definition;

#[cfg(test)]
mod tests;
