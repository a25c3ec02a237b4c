//! Promises to customers ("we will reply by 17:00", "a technician between
//! 10:00 and 12:00"): what an agent (or a rule) may promise
//! ([`NewPromise`]), a case's promises folded from its log ([`Promises`]),
//! which open promises a new event keeps ([`Promises::keeps`]) and which
//! are past due and so broken ([`Promises::due`]). The store appends the
//! `promise_kept` and `promise_broken` events these answer; nothing here
//! does I/O.
//!
//! A promise is identified by the `seq` of its `promise_made` event. The
//! `promise_kept` and `promise_broken` events name it by its text, which
//! is unique among a case's open promises ([`crate::state::CaseState::check_event`]);
//! in older logs where it is not, the oldest open promise with that text
//! is the one closed (as the effort fold does).

use crate::Invalid;
use crate::case::Status;
use crate::contact::Direction;
use crate::effort::MAX_OPEN_PROMISES;
use crate::event::{Actor, ActorKind, CaseEvent, EventData};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use utoipa::ToSchema;

crate::string_enum!(
    /// What keeps a promise without an agent marking it.
    PromiseKeeper {
        /// An agent's answer to the customer (a reply, or a call or visit
        /// logged as outbound) before the due time.
        Reply = "reply",
        /// The case becoming resolved or closed before the due time.
        Resolved = "resolved",
        /// Nothing automatic: only an agent marks it kept. The default, and
        /// what promises recorded before keepers existed read as.
        Manual = "manual",
    }
);

// `string_enum!` derives no `Default`, so clippy's derive is not open here.
#[expect(
    clippy::derivable_impls,
    reason = "the enum is declared by string_enum!"
)]
impl Default for PromiseKeeper {
    fn default() -> Self {
        PromiseKeeper::Manual
    }
}

crate::string_enum!(
    /// Where a promise stands.
    PromiseState {
        /// Made, neither kept nor broken yet.
        Open = "open",
        /// Kept (automatically or by an agent).
        Kept = "kept",
        /// Broken: its due time passed, or an agent marked it so.
        Broken = "broken",
        /// Let go, neither kept nor broken: the customer moved or called
        /// off what it was about.
        Withdrawn = "withdrawn",
    }
);

/// Longest promise made through [`NewPromise`], in characters.
pub const MAX_PROMISE_CHARS: usize = 200;
/// How far ahead a promise may be due, in days.
pub const MAX_DAYS_AHEAD: i64 = 365;

/// A promise about to be made, checked: one line of 1 to
/// [`MAX_PROMISE_CHARS`] characters, due in the future and within
/// [`MAX_DAYS_AHEAD`] days, its window (`from`) starting before it is due.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPromise {
    pub promise: String,
    pub due_at: Timestamp,
    pub from: Option<Timestamp>,
    pub visible_to_customer: bool,
    pub kept_by: PromiseKeeper,
}

impl NewPromise {
    /// Checks a promise made at `now`, naming the field at fault.
    pub fn checked(
        promise: &str,
        due_at: Timestamp,
        from: Option<Timestamp>,
        visible_to_customer: bool,
        kept_by: PromiseKeeper,
        now: Timestamp,
    ) -> Result<NewPromise, Invalid> {
        if promise.chars().any(char::is_control) {
            return Err(Invalid::new(
                "promise",
                "a promise is one line without control characters",
            ));
        }
        let promise = crate::text::required("promise", promise, MAX_PROMISE_CHARS)?;
        if due_at <= now {
            return Err(Invalid::new(
                "due_at",
                "a promise is due in the future: give a later time",
            ));
        }
        if due_at > now + SignedDuration::from_hours(MAX_DAYS_AHEAD * 24) {
            return Err(Invalid::new(
                "due_at",
                format!("a promise is due within {MAX_DAYS_AHEAD} days"),
            ));
        }
        if from.is_some_and(|from| from >= due_at) {
            return Err(Invalid::new(
                "from",
                "the window starts before the promise is due",
            ));
        }
        Ok(NewPromise {
            promise,
            due_at,
            from,
            visible_to_customer,
            kept_by,
        })
    }

    /// The sentence a reply made with this promise ends with, times in
    /// UTC with the zone named (an email cannot know the reader's zone):
    /// "Our promise: refund by Friday, by Friday 11 December, 17:00 UTC."
    pub fn customer_line(&self) -> String {
        let at = |t: Timestamp| {
            t.to_zoned(jiff::tz::TimeZone::UTC)
                .strftime("%A %-d %B, %H:%M UTC")
                .to_string()
        };
        match self.from {
            Some(from) => format!(
                "Our promise: {}, between {} and {}.",
                self.promise,
                at(from),
                at(self.due_at)
            ),
            None => format!("Our promise: {}, by {}.", self.promise, at(self.due_at)),
        }
    }

    /// The `promise_made` event that makes it.
    pub fn event(&self) -> EventData {
        EventData::PromiseMade {
            promise: self.promise.clone(),
            due_at: self.due_at,
            from: self.from,
            visible_to_customer: self.visible_to_customer,
            kept_by: self.kept_by,
        }
    }
}

/// One promise of a case, as its log tells it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PromiseRecord {
    /// The `seq` of the `promise_made` event: the promise's id on its case.
    pub seq: i64,
    /// What was promised.
    pub promise: String,
    /// When it is due: kept before, broken after.
    pub due_at: Timestamp,
    /// The start of its window ("between 10:00 and 12:00"), if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// Whether the customer sees it (portal, reply).
    pub visible_to_customer: bool,
    /// What keeps it without an agent.
    pub kept_by: PromiseKeeper,
    /// When and by whom it was made.
    pub made_at: Timestamp,
    pub made_by: Actor,
    /// Open, kept or broken.
    pub state: PromiseState,
    /// When and by whom it was kept or broken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<Actor>,
}

impl PromiseRecord {
    /// Whether it is still open.
    pub fn is_open(&self) -> bool {
        self.state == PromiseState::Open
    }

    /// Whether `actor`'s event `data` at `at` keeps it: the right kind of
    /// event, within its window (from `from`, up to and including its due
    /// time). A late answer keeps nothing: the promise is broken.
    fn kept_by_event(&self, actor: ActorKind, data: &EventData, at: Timestamp) -> bool {
        let in_window = at <= self.due_at && self.from.is_none_or(|from| at >= from);
        let keeps = match self.kept_by {
            PromiseKeeper::Reply => matches!(
                (actor, data),
                (ActorKind::Agent, EventData::ReplySent { .. })
                    | (
                        _,
                        EventData::ContactLogged {
                            direction: Direction::Outbound,
                            ..
                        }
                    )
            ),
            PromiseKeeper::Resolved => matches!(
                data,
                EventData::StatusChanged {
                    to: Status::Resolved | Status::Closed,
                    ..
                }
            ),
            PromiseKeeper::Manual => false,
        };
        self.is_open() && in_window && keeps
    }

    /// The event that records it kept.
    pub fn kept(&self) -> EventData {
        EventData::PromiseKept {
            promise: self.promise.clone(),
        }
    }

    /// The event that records it broken.
    pub fn broken(&self) -> EventData {
        EventData::PromiseBroken {
            promise: self.promise.clone(),
        }
    }
}

/// Whether `data` could keep a promise at all: the events worth loading a
/// case's promises for.
pub fn may_keep(data: &EventData) -> bool {
    matches!(
        data,
        EventData::ReplySent { .. }
            | EventData::ContactLogged {
                direction: Direction::Outbound,
                ..
            }
            | EventData::StatusChanged {
                to: Status::Resolved | Status::Closed,
                ..
            }
    )
}

/// A case's promises, oldest first, folded from its log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Promises {
    all: Vec<PromiseRecord>,
}

impl Promises {
    /// Folds the promise events of a log (others are ignored).
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> Promises {
        let mut promises = Promises::default();
        for event in events {
            promises.apply(event);
        }
        promises
    }

    /// Applies one event; answers the `seq` of the promise it made, kept
    /// or broke, if any. A promise made while [`MAX_OPEN_PROMISES`] are
    /// open is left out (as the effort fold leaves it out), and one kept
    /// or broken that is not open changes nothing.
    pub fn apply(&mut self, event: &CaseEvent) -> Option<i64> {
        let state = match &event.data {
            EventData::PromiseMade {
                promise,
                due_at,
                from,
                visible_to_customer,
                kept_by,
            } => {
                if self.open().count() >= MAX_OPEN_PROMISES {
                    return None;
                }
                self.all.push(PromiseRecord {
                    seq: event.seq,
                    promise: promise.clone(),
                    due_at: *due_at,
                    from: *from,
                    visible_to_customer: *visible_to_customer,
                    kept_by: *kept_by,
                    made_at: event.at,
                    made_by: event.actor,
                    state: PromiseState::Open,
                    closed_at: None,
                    closed_by: None,
                });
                return Some(event.seq);
            }
            EventData::PromiseKept { promise } => (PromiseState::Kept, promise),
            EventData::PromiseBroken { promise } => (PromiseState::Broken, promise),
            EventData::PromiseWithdrawn { promise } => (PromiseState::Withdrawn, promise),
            _ => return None,
        };
        let (to, promise) = state;
        let record = self
            .all
            .iter_mut()
            .find(|p| p.is_open() && p.promise == *promise)?;
        record.state = to;
        record.closed_at = Some(event.at);
        record.closed_by = Some(event.actor);
        Some(record.seq)
    }

    /// Every promise, oldest first.
    pub fn all(&self) -> &[PromiseRecord] {
        &self.all
    }

    /// The promises still open, oldest first.
    pub fn open(&self) -> impl Iterator<Item = &PromiseRecord> {
        self.all.iter().filter(|p| p.is_open())
    }

    /// The promise made by event `seq`.
    pub fn get(&self, seq: i64) -> Option<&PromiseRecord> {
        self.all.iter().find(|p| p.seq == seq)
    }

    /// The open promises `actor`'s event `data`, at `at`, keeps.
    pub fn keeps(&self, actor: ActorKind, data: &EventData, at: Timestamp) -> Vec<&PromiseRecord> {
        self.open()
            .filter(|p| p.kept_by_event(actor, data, at))
            .collect()
    }

    /// The open promises past due at `now`: broken.
    pub fn due(&self, now: Timestamp) -> Vec<&PromiseRecord> {
        self.open().filter(|p| p.due_at <= now).collect()
    }
}

#[cfg(test)]
mod tests;
