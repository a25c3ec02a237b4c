//! Customer effort: what a case cost the customer, as a fold over its
//! events. [`EffortTally`] counts the drivers (chasers, channel switches,
//! transfers, repeated information, work pushed onto the customer, waiting,
//! broken promises, reopening, repeat contact) as each event is applied;
//! [`EffortWeights::score`] turns the counts into a 0–100 index with a level
//! and the explanation lines behind it. The research and the defaults are in
//! `docs/effort.md`.

use crate::case::{Channel, Status};
pub use crate::contact::{ActionKind, Direction};
use crate::event::{ActorKind, EventData};
use crate::ids::{AgentId, CaseId, TaskId, TeamId};
use crate::task::{OwnerKind, TaskStatus};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::string_enum!(
    /// How much effort a case cost, by its index.
    EffortLevel {
        /// Below the medium threshold.
        Low = "low",
        /// From the medium threshold.
        Medium = "medium",
        /// From the high threshold.
        High = "high",
    }
);

crate::string_enum!(
    /// One thing that makes a case hard work for its customer.
    Driver {
        /// The customer wrote or called again before getting an answer.
        Chasers = "chasers",
        /// The case repeats an earlier one on the same matter.
        RepeatContact = "repeat_contact",
        /// The case was reopened after being resolved.
        Reopened = "reopened",
        /// The customer had to move between channels.
        ChannelSwitches = "channel_switches",
        /// The case was handed between agents or teams.
        Transfers = "transfers",
        /// The customer was asked to identify again.
        IdentityAgain = "identity_again",
        /// The customer had to repeat information already given.
        InformationRepeated = "information_repeated",
        /// The customer was asked to do work the business could do.
        PushedWork = "pushed_work",
        /// The customer waited for the business.
        Waiting = "waiting",
        /// The business made promises it did not keep.
        BrokenPromises = "broken_promises",
    }
);

/// Most channel switches kept by name for the explanation; more are counted.
const MAX_SWITCHES_NAMED: usize = 8;
/// Most open promises tracked for "waited past a promise"; later ones are
/// still counted when broken.
pub const MAX_OPEN_PROMISES: usize = 16;

/// A channel switch, for the explanation ("email → phone").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Switch {
    pub from: Channel,
    pub to: Channel,
}

/// The counts behind a case's effort, updated event by event. It is stored
/// with the case row, so it must stay small: every list in it is capped,
/// and it is written without its zero counts, empty lists and absent
/// values (each reads back as its default).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct EffortTally {
    /// Times the customer got in touch (messages and inbound contacts).
    #[serde(skip_serializing_if = "is_zero")]
    pub contacts: u32,
    /// Contacts made while an earlier one was still unanswered.
    #[serde(skip_serializing_if = "is_zero")]
    pub chasers: u32,
    /// Channel switches, all counted.
    #[serde(skip_serializing_if = "is_zero")]
    pub channel_switches: u32,
    /// The first switches, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub switches: Vec<Switch>,
    /// The channel the customer last used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_channel: Option<Channel>,
    /// Handoffs to another agent or team after the first assignment.
    #[serde(skip_serializing_if = "is_zero")]
    pub transfers: u32,
    /// The last agent the case was with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_agent: Option<AgentId>,
    /// The last team the case was with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_team: Option<TeamId>,
    /// Times the customer was asked to identify after they were verified.
    #[serde(skip_serializing_if = "is_zero")]
    pub identity_requests: u32,
    /// Times the customer had to repeat information.
    #[serde(skip_serializing_if = "is_zero")]
    pub information_repeats: u32,
    /// Work asked of the customer, per kind.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<(ActionKind, u32)>,
    /// Tasks on the case the customer owns (open or done, not cancelled):
    /// work pushed onto them, at most [`crate::task::MAX_TASKS`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub customer_tasks: Vec<TaskId>,
    /// The oldest customer contact no agent has answered yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<Timestamp>,
    /// Seconds the customer waited for answers, over waits that ended.
    #[serde(skip_serializing_if = "is_zero")]
    pub waited_seconds: i64,
    /// Waits that ended after a promised time.
    #[serde(skip_serializing_if = "is_zero")]
    pub waits_past_promise: u32,
    /// Promises made and not yet kept or broken, with when they were due.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub open_promises: Vec<(String, Timestamp)>,
    /// Promises broken.
    #[serde(skip_serializing_if = "is_zero")]
    pub broken_promises: u32,
    /// Times the case was reopened after resolution.
    #[serde(skip_serializing_if = "is_zero")]
    pub reopened: u32,
    /// The earlier case this one repeats, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_of: Option<CaseId>,
    /// The first answer from an agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_response_at: Option<Timestamp>,
    /// When the case was last resolved (or closed); cleared on reopening.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<Timestamp>,
    /// How frustrated the customer's latest scored message reads, 0 to
    /// 100 ([`crate::frustration`]); not part of the effort figure.
    #[serde(skip_serializing_if = "is_zero")]
    pub frustration: u8,
    /// The phrases behind [`EffortTally::frustration`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frustration_signals: Vec<String>,
}

/// Whether a count is zero (and so left out when a tally is written).
fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

impl EffortTally {
    /// Applies one event, caused by `actor`, at `at`.
    pub fn apply(&mut self, actor: ActorKind, data: &EventData, at: Timestamp) {
        match data {
            EventData::CaseOpened {
                assignee_id,
                team_id,
                ..
            } => {
                self.last_agent = *assignee_id;
                self.last_team = *team_id;
            }
            EventData::MessageReceived { channel, .. } => self.customer_contact(*channel, at),
            EventData::ContactLogged {
                channel,
                direction: Direction::Inbound,
                ..
            } => self.customer_contact(*channel, at),
            EventData::ReplySent { .. } if actor == ActorKind::Agent => self.answered(at),
            EventData::ContactLogged {
                direction: Direction::Outbound,
                ..
            } => self.answered(at),
            EventData::ChannelSwitched { from, to } => self.switched(*from, *to),
            EventData::Assigned { to: Some(to), .. } => {
                if self.last_agent.is_some_and(|last| last != *to) {
                    self.transfers += 1;
                }
                self.last_agent = Some(*to);
            }
            EventData::HandedOff { to: Some(to), .. } => {
                if self.last_team.is_some_and(|last| last != *to) {
                    self.transfers += 1;
                }
                self.last_team = Some(*to);
            }
            EventData::IdentityRequested {
                after_verification: true,
                ..
            } => self.identity_requests += 1,
            EventData::InformationRepeated { .. } => self.information_repeats += 1,
            EventData::CustomerActionRequested { kind, .. } => self.asked(*kind),
            EventData::TaskAdded {
                task_id,
                owner_kind,
                ..
            } => self.task_is(*task_id, *owner_kind, TaskStatus::Open),
            EventData::TaskChanged {
                task_id,
                owner_kind,
                status,
                ..
            } => self.task_is(*task_id, *owner_kind, *status),
            EventData::PromiseMade {
                promise, due_at, ..
            } if self.open_promises.len() < MAX_OPEN_PROMISES => {
                self.open_promises.push((promise.clone(), *due_at));
            }
            EventData::PromiseKept { promise } | EventData::PromiseWithdrawn { promise } => {
                self.close_promise(promise)
            }
            EventData::AppointmentBooked { window_minutes, .. }
                if *window_minutes > crate::appointment::DEFAULT_WINDOW_MINUTES =>
            {
                self.asked(ActionKind::WaitAtHome)
            }
            EventData::PromiseBroken { promise } => {
                self.close_promise(promise);
                self.broken_promises += 1;
            }
            EventData::StatusChanged { from, to } => self.status_changed(*from, *to, at),
            EventData::RepeatLinked { of, .. } => self.repeat_of = Some(*of),
            EventData::FrustrationScored { score, signals, .. } => {
                self.frustration = (*score).min(100);
                self.frustration_signals = signals
                    .iter()
                    .take(crate::frustration::MAX_SIGNALS)
                    .cloned()
                    .collect();
            }
            EventData::RepeatUnlinked { of } if self.repeat_of == Some(*of) => {
                self.repeat_of = None;
            }
            _ => {}
        }
    }

    /// The customer was asked to do something of `kind`.
    fn asked(&mut self, kind: ActionKind) {
        match self.actions.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => self.actions.push((kind, 1)),
        }
    }

    /// The customer got in touch on `channel`: a chaser if they were
    /// already waiting, a switch if they had used another channel.
    fn customer_contact(&mut self, channel: Channel, at: Timestamp) {
        self.contacts += 1;
        if self.waiting_since.is_some() {
            self.chasers += 1;
        } else {
            self.waiting_since = Some(at);
        }
        if let Some(from) = self.last_channel.filter(|from| *from != channel) {
            self.switched(from, channel);
        }
        self.last_channel = Some(channel);
    }

    /// Task `id` is now owned by `owner` with `status`: the customer's
    /// tasks count until cancelled (work done is work they did).
    fn task_is(&mut self, id: TaskId, owner: OwnerKind, status: TaskStatus) {
        let counts = owner == OwnerKind::Customer && status != TaskStatus::Cancelled;
        let known = self.customer_tasks.iter().position(|t| *t == id);
        match (counts, known) {
            (true, None) if self.customer_tasks.len() < crate::task::MAX_TASKS => {
                self.customer_tasks.push(id);
            }
            (false, Some(i)) => {
                self.customer_tasks.remove(i);
            }
            _ => {}
        }
    }

    fn switched(&mut self, from: Channel, to: Channel) {
        self.channel_switches += 1;
        if self.switches.len() < MAX_SWITCHES_NAMED {
            self.switches.push(Switch { from, to });
        }
        self.last_channel = Some(to);
    }

    /// An agent answered: the wait (from the oldest unanswered contact)
    /// ends. Automatic mail never gets here.
    fn answered(&mut self, at: Timestamp) {
        self.first_response_at.get_or_insert(at);
        self.end_wait(at);
    }

    fn end_wait(&mut self, at: Timestamp) {
        let Some(since) = self.waiting_since.take() else {
            return;
        };
        self.waited_seconds += at.as_second().saturating_sub(since.as_second()).max(0);
        if self.open_promises.iter().any(|(_, due)| *due < at) {
            self.waits_past_promise += 1;
        }
    }

    fn close_promise(&mut self, promise: &str) {
        if let Some(i) = self.open_promises.iter().position(|(p, _)| p == promise) {
            self.open_promises.remove(i);
        }
    }

    fn status_changed(&mut self, from: Status, to: Status, at: Timestamp) {
        let done = |s: Status| matches!(s, Status::Resolved | Status::Closed);
        if done(to) && !done(from) {
            self.end_wait(at);
            self.resolved_at = Some(at);
        } else if done(from) && !done(to) {
            self.reopened += 1;
            self.resolved_at = None;
        }
    }

    /// Whether the case was resolved on the customer's first contact.
    pub fn first_contact_resolution(&self) -> bool {
        self.resolved_at.is_some() && self.contacts <= 1 && self.reopened == 0
    }
}

/// Points per driver; `docs/effort.md` explains each default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EffortWeights {
    /// Per chaser.
    pub chaser: u32,
    /// When the case repeats an earlier one.
    pub repeat_contact: u32,
    /// Per reopening.
    pub reopened: u32,
    /// Per channel switch.
    pub channel_switch: u32,
    /// Per transfer.
    pub transfer: u32,
    /// Per request to identify again.
    pub identity_again: u32,
    /// Per piece of information repeated.
    pub information_repeated: u32,
    /// Per document the customer was asked to send.
    pub send_document: u32,
    /// Per trip the customer was asked to make.
    pub go_somewhere: u32,
    /// Per third party the customer was asked to call.
    pub call_third_party: u32,
    /// Per time the customer was asked to wait at home.
    pub wait_at_home: u32,
    /// Per other action asked of the customer.
    pub other_action: u32,
    /// Per task on the case the customer owns.
    pub customer_task: u32,
    /// Hours of waiting worth one point.
    pub waiting_hours_per_point: u32,
    /// Most points waiting can add.
    pub waiting_max: u32,
    /// Per wait that ended after a promised time.
    pub wait_past_promise: u32,
    /// Per broken promise.
    pub broken_promise: u32,
    /// Index from which effort is medium.
    pub medium_from: u32,
    /// Index from which effort is high.
    pub high_from: u32,
    /// Days after an earlier case's last activity within which a new case
    /// on the same matter counts as a repeat contact.
    pub repeat_window_days: u32,
}

impl Default for EffortWeights {
    fn default() -> Self {
        Self {
            chaser: 8,
            repeat_contact: 15,
            reopened: 10,
            channel_switch: 10,
            transfer: 10,
            identity_again: 10,
            information_repeated: 8,
            send_document: 4,
            go_somewhere: 12,
            call_third_party: 15,
            wait_at_home: 12,
            other_action: 6,
            customer_task: 6,
            waiting_hours_per_point: 4,
            waiting_max: 20,
            wait_past_promise: 10,
            broken_promise: 15,
            medium_from: 15,
            high_from: 40,
            repeat_window_days: 7,
        }
    }
}

/// A case's effort: the index, its level and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Effort {
    /// 0 (effortless) to 100.
    pub index: u32,
    /// Low, medium or high.
    pub level: EffortLevel,
    /// One line per driver that added points, largest first.
    pub lines: Vec<EffortLine>,
}

/// One driver's share of a case's effort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EffortLine {
    pub driver: Driver,
    /// How many times it happened (hours, for waiting).
    pub count: u32,
    pub points: u32,
    /// For people: "3 chasers +15", "email → phone +8".
    pub text: String,
}

/// Most an index can be.
pub const MAX_INDEX: u32 = 100;

impl EffortWeights {
    /// Checks the thresholds make sense.
    pub fn check(&self) -> Result<(), crate::Invalid> {
        if self.waiting_hours_per_point == 0 {
            return Err(crate::Invalid::new(
                "waiting_hours_per_point",
                "must be at least 1",
            ));
        }
        if !(1..=MAX_INDEX).contains(&self.medium_from) || self.high_from <= self.medium_from {
            return Err(crate::Invalid::new(
                "high_from",
                "thresholds must satisfy 1 <= medium_from < high_from",
            ));
        }
        Ok(())
    }

    /// The level of an index.
    pub fn level(&self, index: u32) -> EffortLevel {
        if index >= self.high_from {
            EffortLevel::High
        } else if index >= self.medium_from {
            EffortLevel::Medium
        } else {
            EffortLevel::Low
        }
    }

    /// Scores a tally: the points of every driver, capped at [`MAX_INDEX`],
    /// with a line of explanation for each driver that scored.
    pub fn score(&self, tally: &EffortTally) -> Effort {
        let mut lines: Vec<EffortLine> = self
            .points(tally)
            .into_iter()
            .filter(|(_, _, points)| *points > 0)
            .map(|(driver, count, points)| EffortLine {
                driver,
                count,
                points,
                text: format!("{} +{points}", describe(driver, tally)),
            })
            .collect();
        lines.sort_by_key(|line| std::cmp::Reverse(line.points));
        let index = lines
            .iter()
            .fold(0u32, |sum, line| sum.saturating_add(line.points))
            .min(MAX_INDEX);
        Effort {
            index,
            level: self.level(index),
            lines,
        }
    }

    /// Every driver with how many times it happened and its points.
    fn points(&self, tally: &EffortTally) -> [(Driver, u32, u32); 10] {
        let each = |driver, count: u32, weight: u32| (driver, count, count.saturating_mul(weight));
        let (actions, action_points) = self.pushed_work(tally);
        let hours = u32::try_from(tally.waited_seconds / 3600).unwrap_or(u32::MAX);
        let waiting_points = (hours / self.waiting_hours_per_point.max(1))
            .min(self.waiting_max)
            .saturating_add(
                tally
                    .waits_past_promise
                    .saturating_mul(self.wait_past_promise),
            );
        let repeat = u32::from(tally.repeat_of.is_some());
        [
            each(Driver::Chasers, tally.chasers, self.chaser),
            each(Driver::RepeatContact, repeat, self.repeat_contact),
            each(Driver::Reopened, tally.reopened, self.reopened),
            each(
                Driver::ChannelSwitches,
                tally.channel_switches,
                self.channel_switch,
            ),
            each(Driver::Transfers, tally.transfers, self.transfer),
            each(
                Driver::IdentityAgain,
                tally.identity_requests,
                self.identity_again,
            ),
            each(
                Driver::InformationRepeated,
                tally.information_repeats,
                self.information_repeated,
            ),
            (Driver::PushedWork, actions, action_points),
            (Driver::Waiting, hours, waiting_points),
            each(
                Driver::BrokenPromises,
                tally.broken_promises,
                self.broken_promise,
            ),
        ]
    }

    /// Work pushed onto the customer: how many actions and their points.
    fn pushed_work(&self, tally: &EffortTally) -> (u32, u32) {
        let (mut count, mut points) = (0u32, 0u32);
        for (kind, n) in &tally.actions {
            let each = match kind {
                ActionKind::SendDocument => self.send_document,
                ActionKind::GoSomewhere => self.go_somewhere,
                ActionKind::CallThirdParty => self.call_third_party,
                ActionKind::WaitAtHome => self.wait_at_home,
                ActionKind::Other => self.other_action,
            };
            count = count.saturating_add(*n);
            points = points.saturating_add(n.saturating_mul(each));
        }
        let tasks = tally.customer_tasks.len() as u32;
        count = count.saturating_add(tasks);
        points = points.saturating_add(tasks.saturating_mul(self.customer_task));
        (count, points)
    }
}

/// What a driver's points in `tally` are for, as people read it ("3
/// chasers", "email → phone", "asked to call a third party ×2").
fn describe(driver: Driver, tally: &EffortTally) -> String {
    match driver {
        Driver::Chasers => plural(tally.chasers, "chaser", "chasers"),
        Driver::RepeatContact => tally
            .repeat_of
            .map(|of| format!("repeat of #{of}"))
            .unwrap_or_default(),
        Driver::Reopened => plural(tally.reopened, "reopened once", "reopenings"),
        Driver::ChannelSwitches => switches_text(tally),
        Driver::Transfers => plural(tally.transfers, "transfer", "transfers"),
        Driver::IdentityAgain => times(tally.identity_requests, "asked to identify again"),
        Driver::InformationRepeated => {
            times(tally.information_repeats, "had to repeat information")
        }
        Driver::PushedWork => {
            let names: Vec<String> = tally
                .actions
                .iter()
                .map(|(kind, n)| {
                    if *n > 1 {
                        format!("{} ×{n}", kind.describe())
                    } else {
                        kind.describe().to_owned()
                    }
                })
                .chain(match tally.customer_tasks.len() {
                    0 => None,
                    1 => Some("do a task".to_owned()),
                    n => Some(format!("do {n} tasks")),
                })
                .collect();
            format!("asked to {}", names.join(", "))
        }
        Driver::Waiting => {
            let past_promise = match tally.waits_past_promise {
                0 => String::new(),
                n => format!(", {n} past a promise"),
            };
            format!(
                "waited {}{past_promise}",
                crate::waiting::human_duration(tally.waited_seconds)
            )
        }
        Driver::BrokenPromises => {
            plural(tally.broken_promises, "broken promise", "broken promises")
        }
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_owned()
    } else {
        format!("{n} {many}")
    }
}

fn times(n: u32, what: &str) -> String {
    if n == 1 {
        what.to_owned()
    } else {
        format!("{what} ({n} times)")
    }
}

/// "email → phone, phone → portal" (and how many more).
fn switches_text(tally: &EffortTally) -> String {
    let named: Vec<String> = tally
        .switches
        .iter()
        .map(|s| format!("{} → {}", s.from.describe(), s.to.describe()))
        .collect();
    let more = tally.channel_switches as usize - named.len().min(tally.channel_switches as usize);
    if more > 0 {
        format!("{} and {more} more", named.join(", "))
    } else {
        named.join(", ")
    }
}

#[cfg(test)]
mod tests;
