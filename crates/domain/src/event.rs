//! The case event log: every change to a case is one appended event, and the
//! case's current state is a fold over its events ([`crate::state`]). Later
//! derivations (SLA clocks, customer effort) are folds over the same log.

use crate::Invalid;
use crate::case::{Channel, Priority, Status};
use crate::contact::{ActionKind, Direction};
use crate::customer::VerificationLevel;
use crate::email::DeliveryStatus;
use crate::ids::{
    AgentId, AgreementId, AppointmentId, CaseId, CustomerId, EventId, MessageId, QuoteId,
    ResourceId, SideConversationId, TaskId, TeamId,
};
use crate::promise::PromiseKeeper;
use crate::sla::ClockKind;
use crate::survey::scale::SurveyKind;
use crate::task::{OwnerKind, TaskStatus};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

crate::string_enum!(
    /// Who caused an event or wrote a message.
    ActorKind {
        /// A member of staff.
        Agent = "agent",
        /// The customer.
        Customer = "customer",
        /// Tend itself (channels, timers).
        System = "system",
        /// An automation rule; the actor's id is the rule's.
        Rule = "rule",
    }
);

/// Who caused an event: kind plus the agent or customer id, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Actor {
    /// Agent, customer or system.
    pub kind: ActorKind,
    /// The agent's, customer's or rule's id; absent for the system.
    pub id: Option<i64>,
}

impl Actor {
    /// An agent acting.
    pub fn agent(id: AgentId) -> Self {
        Self {
            kind: ActorKind::Agent,
            id: Some(id.0),
        }
    }
    /// A customer acting.
    pub fn customer(id: CustomerId) -> Self {
        Self {
            kind: ActorKind::Customer,
            id: Some(id.0),
        }
    }
    /// Automation rule `id` acting.
    pub fn rule(id: i64) -> Self {
        Self {
            kind: ActorKind::Rule,
            id: Some(id),
        }
    }
    /// Tend itself acting.
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
        }
    }
}

/// What happened, with exactly the data needed to replay it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventData {
    /// The case began.
    CaseOpened {
        subject: String,
        customer_id: CustomerId,
        channel: Channel,
        status: Status,
        priority: Priority,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        agreement_id: Option<AgreementId>,
        #[serde(default)]
        team_id: Option<TeamId>,
        #[serde(default)]
        assignee_id: Option<AgentId>,
    },
    /// A message from the customer arrived.
    MessageReceived {
        message_id: MessageId,
        channel: Channel,
    },
    /// An agent replied to the customer.
    ReplySent {
        message_id: MessageId,
        channel: Channel,
    },
    /// An agent added an internal note, never shown to the customer.
    NoteAdded { message_id: MessageId },
    /// The subject was edited.
    SubjectChanged { from: String, to: String },
    /// The status moved.
    StatusChanged { from: Status, to: Status },
    /// The priority moved.
    PriorityChanged { from: Priority, to: Priority },
    /// The assignee changed (none means unassigned).
    Assigned {
        from: Option<AgentId>,
        to: Option<AgentId>,
    },
    /// The case moved between teams: a handoff the customer may feel.
    HandedOff {
        from: Option<TeamId>,
        to: Option<TeamId>,
    },
    /// Tags were added and/or removed.
    TagsChanged {
        added: Vec<String>,
        removed: Vec<String>,
    },
    /// Custom fields were set (null removes).
    CustomFieldsChanged { changes: Map<String, Value> },
    /// The case was linked to another agreement, or unlinked.
    AgreementLinked {
        from: Option<AgreementId>,
        to: Option<AgreementId>,
    },
    /// The customer's identity was verified, and how.
    IdentityVerified {
        level: VerificationLevel,
        method: String,
    },
    /// The customer was asked to identify; when they were already verified
    /// (`after_verification`, set by Tend, not the caller) it is customer
    /// effort.
    IdentityRequested {
        reason: String,
        #[serde(default)]
        after_verification: bool,
    },
    /// The conversation moved to another channel: customer effort.
    ChannelSwitched { from: Channel, to: Channel },
    /// The customer was asked to do something: customer effort, weighted
    /// by its kind.
    CustomerActionRequested {
        action: String,
        #[serde(default = "ActionKind::unspecified")]
        kind: ActionKind,
    },
    /// The business promised something by a time (`due_at`), within a
    /// window from `from` when given; shown to the customer when
    /// `visible_to_customer` (false for promises recorded before it
    /// existed: their text was never written for the customer), and kept
    /// automatically as `kept_by` says ([`crate::promise`]).
    PromiseMade {
        promise: String,
        due_at: Timestamp,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Timestamp>,
        #[serde(default)]
        visible_to_customer: bool,
        #[serde(default)]
        kept_by: PromiseKeeper,
    },
    /// A promise was kept.
    PromiseKept { promise: String },
    /// A promise was broken.
    PromiseBroken { promise: String },
    /// A promise was let go, neither kept nor broken: the customer moved or
    /// called off what it was about.
    PromiseWithdrawn { promise: String },
    /// The email carrying a reply changed status: queued, sent, failed
    /// (retries exhausted) or bounced; `detail` says why when it went wrong.
    EmailDeliveryChanged {
        message_id: MessageId,
        status: DeliveryStatus,
        #[serde(default)]
        detail: Option<String>,
    },
    /// This case was merged into another: its messages (listed) moved there
    /// and it is closed for good.
    CaseMerged {
        into: CaseId,
        #[serde(default)]
        message_ids: Vec<MessageId>,
    },
    /// Another case was merged into this one, bringing its messages (listed);
    /// the other case's log (its customer effort included) stays linked here.
    MergedFrom {
        from: CaseId,
        #[serde(default)]
        message_ids: Vec<MessageId>,
    },
    /// This case may be about the same matter as another one, which it was
    /// kept apart from (`reason` says why): linked for agents, not merged.
    PossiblyRelated { case_id: CaseId, reason: String },
    /// An agent logged a contact outside Tend's own channels (a phone call,
    /// a walk-in); its summary is the internal message `message_id`.
    ContactLogged {
        message_id: MessageId,
        channel: Channel,
        direction: Direction,
        #[serde(default)]
        duration_seconds: Option<u32>,
    },
    /// The customer had to give information they had already given.
    InformationRepeated { what: String },
    /// This case repeats an earlier one on the same matter (`reason` says
    /// how that was found, or that an agent linked it).
    RepeatLinked { of: CaseId, reason: String },
    /// An agent said this case does not repeat `of` after all.
    RepeatUnlinked { of: CaseId },
    /// A survey (CES, and CSAT when `csat`) was emailed to the customer
    /// after the case was resolved; `survey` is the id its links carry.
    SurveySent { survey: String, csat: bool },
    /// The customer answered a survey question (from the email's links or
    /// the portal); a later answer to the same question replaces this one.
    SurveyAnswered {
        survey: String,
        kind: SurveyKind,
        score: u8,
        #[serde(default)]
        comment: Option<String>,
    },
    /// An agent put the case aside until a time: it leaves the working
    /// views until then.
    Snoozed { until: Timestamp },
    /// The snooze ended before its time: an agent woke the case, or
    /// (`by_customer`, recorded by Tend) the customer wrote.
    Unsnoozed {
        #[serde(default)]
        by_customer: bool,
    },
    /// An agent linked this case and another as related (recorded on both).
    RelatedLinked { case_id: CaseId },
    /// An agent unlinked a related case (recorded on both).
    RelatedUnlinked { case_id: CaseId },
    /// Messages (listed) were split off into a new case, which has them now.
    SplitInto {
        case_id: CaseId,
        message_ids: Vec<MessageId>,
    },
    /// This case was split off another, bringing its messages (listed).
    SplitFrom {
        case_id: CaseId,
        message_ids: Vec<MessageId>,
    },
    /// The case's customer was a duplicate record (`from`) of the same
    /// person, merged into `into`: the case now belongs to `into`.
    CustomerMerged { from: CustomerId, into: CustomerId },
    /// An SLA clock (of policy `policy_id`) is close to its due time.
    SlaWarned {
        clock: ClockKind,
        due_at: Timestamp,
        policy_id: i64,
    },
    /// An SLA clock (of policy `policy_id`) passed its due time unanswered.
    SlaBreached {
        clock: ClockKind,
        due_at: Timestamp,
        policy_id: i64,
    },
    /// Tend decided who, in `team_id`, the case goes to (`to`; none: it is
    /// left or put back unassigned), and why: the team's routing mode and
    /// the agents it chose among, or that an agent went away. Recorded by
    /// Tend next to the `assigned` event that carries the decision out.
    Routed {
        to: Option<AgentId>,
        team_id: Option<TeamId>,
        reason: String,
    },
    /// How frustrated the customer's message `message_id` reads, 0 to 100,
    /// and the phrases that made it so ([`crate::frustration`]). Recorded
    /// by Tend with each customer message that scores above 0, and with
    /// one scoring 0 after one that did not (the case's latest score drops
    /// back to 0).
    FrustrationScored {
        message_id: MessageId,
        score: u8,
        #[serde(default)]
        signals: Vec<String>,
    },
    /// Automation rule `rule_id` (named `rule` then) acted on the case:
    /// the events it caused follow, by it; `actions` names what it did
    /// (`set_team`, `notify`...), including what leaves no other event.
    RuleApplied {
        rule_id: i64,
        rule: String,
        actions: Vec<String>,
    },
    /// An agent sent the customer quote `quote_id` (numbered `number` on
    /// the case), totalling `total_minor` minor units of `currency` with
    /// tax, open to a decision until `valid_until`
    /// ([`crate::quote`]).
    QuoteSent {
        quote_id: QuoteId,
        number: i64,
        total_minor: i64,
        currency: String,
        valid_until: Timestamp,
    },
    /// The customer approved quote `quote_id`, with an optional comment.
    QuoteApproved {
        quote_id: QuoteId,
        #[serde(default)]
        comment: Option<String>,
    },
    /// The customer declined quote `quote_id`, with an optional comment.
    QuoteDeclined {
        quote_id: QuoteId,
        #[serde(default)]
        comment: Option<String>,
    },
    /// An agent started an email conversation about the case with people
    /// outside (`with`: their addresses), kept apart from the customer's
    /// thread; its messages follow as internal notes.
    SideConversationStarted {
        side_conversation_id: SideConversationId,
        with: Vec<String>,
        subject: String,
    },
    /// A task was added to the case's checklist; one the customer owns is
    /// work pushed onto them.
    TaskAdded {
        task_id: TaskId,
        title: String,
        owner_kind: OwnerKind,
        #[serde(default)]
        due_at: Option<Timestamp>,
    },
    /// A task changed: its status, due time and owner kind after the change.
    TaskChanged {
        task_id: TaskId,
        status: TaskStatus,
        #[serde(default)]
        due_at: Option<Timestamp>,
        owner_kind: OwnerKind,
    },
    /// A visit of type `type_name` was offered: the customer is asked to
    /// pick a window `window_minutes` wide ([`crate::appointment`]).
    AppointmentOffered {
        appointment_id: AppointmentId,
        type_name: String,
        window_minutes: u16,
    },
    /// A visit was booked in a window `window_minutes` wide, with
    /// `resource_id`; wider than the default counts as customer effort.
    AppointmentBooked {
        appointment_id: AppointmentId,
        starts_at: Timestamp,
        ends_at: Timestamp,
        window_minutes: u16,
        resource_id: ResourceId,
    },
    /// A booked visit moved to another window; `reason` is given when the
    /// business moved it (a broken promise).
    AppointmentRescheduled {
        appointment_id: AppointmentId,
        starts_at: Timestamp,
        ends_at: Timestamp,
        resource_id: ResourceId,
        #[serde(default)]
        reason: Option<String>,
    },
    /// A visit was called off; `reason` is given when the business did.
    AppointmentCancelled {
        appointment_id: AppointmentId,
        #[serde(default)]
        reason: Option<String>,
    },
    /// The customer was reminded of a visit.
    AppointmentReminded { appointment_id: AppointmentId },
    /// The technician set off, expecting to arrive at `arrival_at`.
    TechnicianOnTheWay {
        appointment_id: AppointmentId,
        arrival_at: Timestamp,
    },
    /// The technician arrived.
    TechnicianArrived { appointment_id: AppointmentId },
    /// The visit's work is done.
    AppointmentDone { appointment_id: AppointmentId },
    /// Nobody was there to let the technician in.
    AppointmentNoShow { appointment_id: AppointmentId },
}

/// Longest promise text, in characters.
pub const MAX_PROMISE: usize = 1000;

impl EventData {
    /// Checks this event may be recorded on its own through the API at
    /// `now`: events that change case fields or messages come only from
    /// their own commands, and a promise is due in the future.
    pub fn check_recordable(&self, now: Timestamp) -> Result<(), Invalid> {
        if let EventData::PromiseMade { due_at, .. } = self
            && *due_at <= now
        {
            return Err(Invalid::new(
                "due_at",
                "a promise is due in the future: give a later time",
            ));
        }
        if let EventData::PromiseMade {
            from: Some(from),
            due_at,
            ..
        } = self
            && from >= due_at
        {
            return Err(Invalid::new(
                "from",
                "the window starts before the promise is due",
            ));
        }
        if let EventData::ChannelSwitched { from, to } = self
            && from == to
        {
            return Err(Invalid::new("to", "the channel switched to is the same"));
        }
        let text = match self {
            EventData::IdentityVerified { method, .. } => Some(("method", method)),
            EventData::IdentityRequested { reason, .. } => Some(("reason", reason)),
            EventData::CustomerActionRequested { action, .. } => Some(("action", action)),
            EventData::InformationRepeated { what } => Some(("what", what)),
            EventData::PromiseMade { promise, .. }
            | EventData::PromiseKept { promise }
            | EventData::PromiseBroken { promise }
            | EventData::PromiseWithdrawn { promise } => Some(("promise", promise)),
            EventData::ChannelSwitched { .. } => None,
            other => {
                return Err(Invalid::new(
                    "type",
                    format!(
                        "`{}` events are made by their own endpoints, not recorded directly",
                        other.kind()
                    ),
                ));
            }
        };
        if let Some((field, value)) = text {
            crate::text::required_clean(field, value, MAX_PROMISE)?;
        }
        Ok(())
    }

    /// The event's type name as stored and sent (`status_changed`...).
    pub fn kind(&self) -> &'static str {
        match self {
            EventData::CaseOpened { .. } => "case_opened",
            EventData::MessageReceived { .. } => "message_received",
            EventData::ReplySent { .. } => "reply_sent",
            EventData::NoteAdded { .. } => "note_added",
            EventData::SubjectChanged { .. } => "subject_changed",
            EventData::StatusChanged { .. } => "status_changed",
            EventData::PriorityChanged { .. } => "priority_changed",
            EventData::Assigned { .. } => "assigned",
            EventData::HandedOff { .. } => "handed_off",
            EventData::TagsChanged { .. } => "tags_changed",
            EventData::CustomFieldsChanged { .. } => "custom_fields_changed",
            EventData::AgreementLinked { .. } => "agreement_linked",
            EventData::IdentityVerified { .. } => "identity_verified",
            EventData::IdentityRequested { .. } => "identity_requested",
            EventData::ChannelSwitched { .. } => "channel_switched",
            EventData::CustomerActionRequested { .. } => "customer_action_requested",
            EventData::PromiseMade { .. } => "promise_made",
            EventData::PromiseKept { .. } => "promise_kept",
            EventData::PromiseBroken { .. } => "promise_broken",
            EventData::EmailDeliveryChanged { .. } => "email_delivery_changed",
            EventData::CaseMerged { .. } => "case_merged",
            EventData::MergedFrom { .. } => "merged_from",
            EventData::PossiblyRelated { .. } => "possibly_related",
            EventData::ContactLogged { .. } => "contact_logged",
            EventData::InformationRepeated { .. } => "information_repeated",
            EventData::RepeatLinked { .. } => "repeat_linked",
            EventData::RepeatUnlinked { .. } => "repeat_unlinked",
            EventData::SurveySent { .. } => "survey_sent",
            EventData::SurveyAnswered { .. } => "survey_answered",
            EventData::Snoozed { .. } => "snoozed",
            EventData::Unsnoozed { .. } => "unsnoozed",
            EventData::RelatedLinked { .. } => "related_linked",
            EventData::RelatedUnlinked { .. } => "related_unlinked",
            EventData::SplitInto { .. } => "split_into",
            EventData::SplitFrom { .. } => "split_from",
            EventData::CustomerMerged { .. } => "customer_merged",
            EventData::SlaWarned { .. } => "sla_warned",
            EventData::SlaBreached { .. } => "sla_breached",
            EventData::Routed { .. } => "routed",
            EventData::RuleApplied { .. } => "rule_applied",
            EventData::FrustrationScored { .. } => "frustration_scored",
            EventData::QuoteSent { .. } => "quote_sent",
            EventData::QuoteApproved { .. } => "quote_approved",
            EventData::QuoteDeclined { .. } => "quote_declined",
            EventData::SideConversationStarted { .. } => "side_conversation_started",
            EventData::TaskAdded { .. } => "task_added",
            EventData::TaskChanged { .. } => "task_changed",
            EventData::PromiseWithdrawn { .. } => "promise_withdrawn",
            EventData::AppointmentOffered { .. } => "appointment_offered",
            EventData::AppointmentBooked { .. } => "appointment_booked",
            EventData::AppointmentRescheduled { .. } => "appointment_rescheduled",
            EventData::AppointmentCancelled { .. } => "appointment_cancelled",
            EventData::AppointmentReminded { .. } => "appointment_reminded",
            EventData::TechnicianOnTheWay { .. } => "technician_on_the_way",
            EventData::TechnicianArrived { .. } => "technician_arrived",
            EventData::AppointmentDone { .. } => "appointment_done",
            EventData::AppointmentNoShow { .. } => "appointment_no_show",
        }
    }
}

/// One stored entry of a case's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseEvent {
    /// Global id of the event.
    pub id: EventId,
    /// The case it belongs to.
    pub case_id: CaseId,
    /// Position in the case's log, from 1 with no gaps.
    pub seq: i64,
    /// When it happened.
    pub at: Timestamp,
    /// Who caused it.
    pub actor: Actor,
    /// What happened.
    pub data: EventData,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Status;

    #[test]
    fn only_annotation_events_are_recordable() {
        assert!(
            EventData::IdentityRequested {
                reason: "address change".into(),
                after_verification: false,
            }
            .check_recordable(Timestamp::UNIX_EPOCH)
            .is_ok()
        );
        assert_eq!(
            EventData::IdentityRequested {
                reason: " ".into(),
                after_verification: false,
            }
            .check_recordable(Timestamp::UNIX_EPOCH)
            .unwrap_err()
            .field,
            "reason"
        );
        let status = EventData::StatusChanged {
            from: Status::New,
            to: Status::Closed,
        };
        assert_eq!(
            status
                .check_recordable(Timestamp::UNIX_EPOCH)
                .unwrap_err()
                .field,
            "type"
        );
        let delivery = EventData::EmailDeliveryChanged {
            message_id: MessageId(1),
            status: DeliveryStatus::Bounced,
            detail: None,
        };
        assert_eq!(
            delivery
                .check_recordable(Timestamp::UNIX_EPOCH)
                .unwrap_err()
                .field,
            "type"
        );
    }

    #[test]
    fn merge_events_round_trip_as_json() {
        let data = EventData::CaseMerged {
            into: CaseId(9),
            message_ids: vec![MessageId(4)],
        };
        let json = serde_json::to_value(&data).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "case_merged", "into": 9, "message_ids": [4]})
        );
        assert_eq!(serde_json::from_value::<EventData>(json).unwrap(), data);
        assert_eq!(
            data.check_recordable(Timestamp::UNIX_EPOCH)
                .unwrap_err()
                .field,
            "type",
            "merges come only from the merge endpoint"
        );
    }

    #[test]
    fn event_json_is_tagged_by_type() {
        let json = serde_json::to_value(EventData::StatusChanged {
            from: Status::New,
            to: Status::Open,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "status_changed", "from": "new", "to": "open"})
        );
    }
}
