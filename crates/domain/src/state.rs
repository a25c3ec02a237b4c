//! A case's current state as the fold of its event log: replaying the log
//! ([`CaseState::fold`]), applying one more event (which also keeps the
//! customer-effort tally), and planning the events a change needs.

use crate::Invalid;
use crate::case::{CaseChange, Channel, MAX_TAGS_PER_CASE, Priority, Status};
use crate::effort::EffortTally;
use crate::event::{ActorKind, CaseEvent, EventData};
use crate::ids::{AgentId, AgreementId, CaseId, CustomerId, TeamId};
use jiff::Timestamp;
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashSet};

/// Longest snooze, in days.
pub const MAX_SNOOZE_DAYS: i64 = 366;

/// A case as derived from its events.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseState {
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub customer_id: CustomerId,
    pub assignee_id: Option<AgentId>,
    pub team_id: Option<TeamId>,
    pub agreement_id: Option<AgreementId>,
    pub channel: Channel,
    pub tags: BTreeSet<String>,
    pub custom_fields: Map<String, Value>,
    pub message_count: i64,
    /// The case this one was merged into, if it was.
    pub merged_into: Option<CaseId>,
    /// Until when an agent put the case aside (a time already past means
    /// it is back); cleared when the snooze ends or the case is resolved.
    pub snoozed_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Sequence number of the last event applied.
    pub last_seq: i64,
    /// What the case has cost its customer so far.
    pub effort: EffortTally,
}

/// Why a log could not be folded into a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    #[error("the log does not start with case_opened")]
    NotOpened,
    #[error("event {seq} repeats case_opened")]
    OpenedTwice { seq: i64 },
    #[error("event {seq} follows {previous}: the log has a gap or is out of order")]
    OutOfOrder { seq: i64, previous: i64 },
}

impl CaseState {
    /// Replays a whole log, checking it starts with `case_opened` and has no gaps.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> Result<Self, FoldError> {
        let mut events = events.into_iter();
        let first = events.next().ok_or(FoldError::NotOpened)?;
        let mut state = Self::opened(first.actor.kind, &first.data, first.at, first.seq)
            .ok_or(FoldError::NotOpened)?;
        for event in events {
            if event.seq != state.last_seq + 1 {
                return Err(FoldError::OutOfOrder {
                    seq: event.seq,
                    previous: state.last_seq,
                });
            }
            if matches!(event.data, EventData::CaseOpened { .. }) {
                return Err(FoldError::OpenedTwice { seq: event.seq });
            }
            state.apply(event.actor.kind, &event.data, event.at);
        }
        Ok(state)
    }

    /// The state right after a `case_opened` event, or `None` for any other event.
    pub fn opened(actor: ActorKind, data: &EventData, at: Timestamp, seq: i64) -> Option<Self> {
        let EventData::CaseOpened {
            subject,
            customer_id,
            channel,
            status,
            priority,
            tags,
            agreement_id,
            team_id,
            assignee_id,
        } = data
        else {
            return None;
        };
        Some(Self {
            subject: subject.clone(),
            status: *status,
            priority: *priority,
            customer_id: *customer_id,
            assignee_id: *assignee_id,
            team_id: *team_id,
            agreement_id: *agreement_id,
            channel: *channel,
            tags: tags.iter().cloned().collect(),
            custom_fields: Map::new(),
            message_count: 0,
            merged_into: None,
            snoozed_until: None,
            created_at: at,
            updated_at: at,
            last_seq: seq,
            effort: {
                let mut effort = EffortTally::default();
                effort.apply(actor, data, at);
                effort
            },
        })
    }

    /// Applies one later event, caused by `actor`. Events that record effort
    /// or promises leave the case fields alone but still count as activity;
    /// every event goes through the effort tally.
    pub fn apply(&mut self, actor: ActorKind, data: &EventData, at: Timestamp) {
        self.effort.apply(actor, data, at);
        match data {
            EventData::MessageReceived { .. }
            | EventData::ReplySent { .. }
            | EventData::NoteAdded { .. } => {
                self.message_count += 1;
            }
            EventData::SubjectChanged { to, .. } => self.subject.clone_from(to),
            EventData::StatusChanged { to, .. } => {
                self.status = *to;
                if matches!(to, Status::Resolved | Status::Closed) {
                    self.snoozed_until = None;
                }
            }
            EventData::PriorityChanged { to, .. } => self.priority = *to,
            EventData::Assigned { to, .. } => self.assignee_id = *to,
            EventData::HandedOff { to, .. } => self.team_id = *to,
            EventData::AgreementLinked { to, .. } => self.agreement_id = *to,
            EventData::TagsChanged { added, removed } => {
                for tag in removed {
                    self.tags.remove(tag);
                }
                self.tags.extend(added.iter().cloned());
            }
            EventData::CustomFieldsChanged { changes } => {
                for (key, value) in changes {
                    if value.is_null() {
                        self.custom_fields.remove(key);
                    } else {
                        self.custom_fields.insert(key.clone(), value.clone());
                    }
                }
            }
            EventData::CaseMerged { into, message_ids } => {
                self.merged_into = Some(*into);
                self.status = Status::Closed;
                self.message_count = (self.message_count - message_ids.len() as i64).max(0);
            }
            EventData::MergedFrom { message_ids, .. }
            | EventData::SplitFrom { message_ids, .. } => {
                self.message_count += message_ids.len() as i64;
            }
            EventData::SplitInto { message_ids, .. } => {
                self.message_count = (self.message_count - message_ids.len() as i64).max(0);
            }
            EventData::Snoozed { until } => self.snoozed_until = Some(*until),
            EventData::Unsnoozed { .. } => self.snoozed_until = None,
            EventData::CustomerMerged { into, .. } => self.customer_id = *into,
            EventData::CaseOpened { .. }
            | EventData::IdentityVerified { .. }
            | EventData::IdentityRequested { .. }
            | EventData::ChannelSwitched { .. }
            | EventData::CustomerActionRequested { .. }
            | EventData::PromiseMade { .. }
            | EventData::PromiseKept { .. }
            | EventData::PromiseBroken { .. }
            | EventData::EmailDeliveryChanged { .. }
            | EventData::PossiblyRelated { .. }
            | EventData::ContactLogged { .. }
            | EventData::InformationRepeated { .. }
            | EventData::RepeatLinked { .. }
            | EventData::RepeatUnlinked { .. }
            | EventData::SurveySent { .. }
            | EventData::SurveyAnswered { .. }
            | EventData::RelatedLinked { .. }
            | EventData::RelatedUnlinked { .. }
            | EventData::SlaWarned { .. }
            | EventData::SlaBreached { .. }
            | EventData::Routed { .. }
            | EventData::RuleApplied { .. }
            | EventData::FrustrationScored { .. }
            | EventData::QuoteSent { .. }
            | EventData::QuoteApproved { .. }
            | EventData::QuoteDeclined { .. }
            | EventData::SideConversationStarted { .. }
            | EventData::TaskAdded { .. }
            | EventData::TaskChanged { .. }
            | EventData::PromiseWithdrawn { .. }
            | EventData::AppointmentOffered { .. }
            | EventData::AppointmentBooked { .. }
            | EventData::AppointmentRescheduled { .. }
            | EventData::AppointmentCancelled { .. }
            | EventData::AppointmentReminded { .. }
            | EventData::TechnicianOnTheWay { .. }
            | EventData::TechnicianArrived { .. }
            | EventData::AppointmentDone { .. }
            | EventData::AppointmentNoShow { .. } => {}
        }
        self.updated_at = at;
        self.last_seq += 1;
    }

    /// The events that carry out `change`, leaving out anything that would
    /// not change the case. Rejects moves out of `closed`.
    pub fn plan(&self, change: &CaseChange) -> Result<Vec<EventData>, Invalid> {
        let mut events = Vec::new();
        if let Some(to) = change.subject.as_ref().filter(|s| **s != self.subject) {
            events.push(EventData::SubjectChanged {
                from: self.subject.clone(),
                to: to.clone(),
            });
        }
        if let Some(to) = change.status.filter(|s| *s != self.status) {
            if !self.status.may_become(to) {
                return Err(Invalid::new(
                    "status",
                    "a closed case cannot be reopened; open a follow-up case",
                ));
            }
            events.push(EventData::StatusChanged {
                from: self.status,
                to,
            });
        }
        if let Some(to) = change.priority.filter(|p| *p != self.priority) {
            events.push(EventData::PriorityChanged {
                from: self.priority,
                to,
            });
        }
        if let Some(to) = change.assignee.filter(|a| *a != self.assignee_id) {
            events.push(EventData::Assigned {
                from: self.assignee_id,
                to,
            });
        }
        if let Some(to) = change.team.filter(|t| *t != self.team_id) {
            events.push(EventData::HandedOff {
                from: self.team_id,
                to,
            });
        }
        if let Some(to) = change.agreement.filter(|a| *a != self.agreement_id) {
            events.push(EventData::AgreementLinked {
                from: self.agreement_id,
                to,
            });
        }
        if let Some(tags) = self.plan_tags(&change.add_tags, &change.remove_tags)? {
            events.push(tags);
        }
        let changes: Map<String, Value> = change
            .custom_fields
            .iter()
            .filter(|(k, v)| self.custom_fields.get(*k).unwrap_or(&Value::Null) != *v)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !changes.is_empty() {
            events.push(EventData::CustomFieldsChanged { changes });
        }
        Ok(events)
    }

    /// The tag change that adds `add` and removes `remove` (a tag in both is
    /// kept), if anything changes; refused when it would leave the case with
    /// more than [`MAX_TAGS_PER_CASE`] tags. Linear in the lists' lengths.
    fn plan_tags(&self, add: &[String], remove: &[String]) -> Result<Option<EventData>, Invalid> {
        let kept: HashSet<&str> = add.iter().map(String::as_str).collect();
        let mut seen = HashSet::new();
        let adding: Vec<String> = add
            .iter()
            .filter(|t| !self.tags.contains(*t) && seen.insert(t.as_str()))
            .cloned()
            .collect();
        let removing: Vec<String> = remove
            .iter()
            .filter(|t| {
                self.tags.contains(*t) && !kept.contains(t.as_str()) && seen.insert(t.as_str())
            })
            .cloned()
            .collect();
        let count = self.tags.len() + adding.len() - removing.len();
        if !adding.is_empty() && count > MAX_TAGS_PER_CASE {
            return Err(Invalid::new(
                "add_tags",
                format!(
                    "a case holds at most {MAX_TAGS_PER_CASE} tags; this one has {} and the change would give it {count}",
                    self.tags.len()
                ),
            ));
        }
        if adding.is_empty() && removing.is_empty() {
            return Ok(None);
        }
        Ok(Some(EventData::TagsChanged {
            added: adding,
            removed: removing,
        }))
    }

    /// Checks this case (`id`) may be merged into case `into_id`, whose state
    /// is `into`: never into itself or a closed case, never from a closed
    /// case, and across customers only when the agent confirmed it.
    pub fn check_merge(
        &self,
        id: CaseId,
        into_id: CaseId,
        into: &CaseState,
        other_customer_confirmed: bool,
    ) -> Result<(), Invalid> {
        if id == into_id {
            return Err(Invalid::new("into", "a case cannot be merged into itself"));
        }
        if self.status == Status::Closed {
            return Err(Invalid::new(
                "into",
                format!("case #{id} is closed and cannot be merged"),
            ));
        }
        if into.status == Status::Closed {
            return Err(Invalid::new(
                "into",
                format!("case #{into_id} is closed; merge into an open case"),
            ));
        }
        if self.customer_id != into.customer_id && !other_customer_confirmed {
            return Err(Invalid::new(
                "confirm_other_customer",
                format!("case #{into_id} belongs to another customer; confirm to merge anyway"),
            ));
        }
        Ok(())
    }

    /// Checks `data` makes sense for the case as it is at `now`: a promise
    /// kept or broken is one still open, a promise made is not already
    /// open (its text names it), open promises stay under their cap, a
    /// snooze ends in the future on a case still being worked, and
    /// only a snoozed case can be woken.
    pub fn check_event(&self, data: &EventData, now: Timestamp) -> Result<(), Invalid> {
        match data {
            EventData::PromiseKept { promise }
            | EventData::PromiseBroken { promise }
            | EventData::PromiseWithdrawn { promise }
                if !self.effort.open_promises.iter().any(|(p, _)| p == promise) =>
            {
                Err(Invalid::new(
                    "promise",
                    format!("no open promise “{promise}” on this case"),
                ))
            }
            EventData::PromiseMade { .. }
                if self.effort.open_promises.len() >= crate::effort::MAX_OPEN_PROMISES =>
            {
                Err(Invalid::new(
                    "promise",
                    format!(
                        "a case holds at most {} open promises: mark one kept or broken first",
                        crate::effort::MAX_OPEN_PROMISES
                    ),
                ))
            }
            EventData::PromiseMade { promise, .. }
                if self.effort.open_promises.iter().any(|(p, _)| p == promise) =>
            {
                Err(Invalid::new(
                    "promise",
                    format!("“{promise}” is already promised on this case"),
                ))
            }
            EventData::Snoozed { until } if *until <= now => Err(Invalid::new(
                "until",
                "a snooze ends in the future: give a later time",
            )),
            EventData::Snoozed { until }
                if *until > now + jiff::SignedDuration::from_hours(MAX_SNOOZE_DAYS * 24) =>
            {
                Err(Invalid::new(
                    "until",
                    format!("a case can be snoozed for at most {MAX_SNOOZE_DAYS} days"),
                ))
            }
            EventData::Snoozed { .. }
                if matches!(self.status, Status::Resolved | Status::Closed) =>
            {
                Err(Invalid::new(
                    "until",
                    "a resolved or closed case is not in the working views: nothing to snooze",
                ))
            }
            EventData::Unsnoozed { .. } if !self.is_snoozed(now) => {
                Err(Invalid::new("until", "the case is not snoozed"))
            }
            _ => Ok(()),
        }
    }

    /// Whether the case is put aside at `now`.
    pub fn is_snoozed(&self, now: Timestamp) -> bool {
        self.snoozed_until.is_some_and(|until| until > now)
    }

    /// The event that reopens a closed case because its customer wrote
    /// again. Agents cannot reopen a closed case; an email answering it may,
    /// when its inbox says so.
    pub fn reopen_on_reply(&self) -> Option<EventData> {
        (self.status == Status::Closed).then_some(EventData::StatusChanged {
            from: Status::Closed,
            to: Status::Open,
        })
    }

    /// The status a new message moves the case to, if any: a customer writing
    /// reopens a waiting or resolved case; a first public reply opens a new one.
    pub fn status_after_message(&self, author: ActorKind, internal: bool) -> Option<Status> {
        match (author, self.status) {
            (ActorKind::Customer, Status::PendingCustomer | Status::Resolved | Status::OnHold) => {
                Some(Status::Open)
            }
            (ActorKind::Agent, Status::New) if !internal => Some(Status::Open),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Actor;
    use crate::ids::{EventId, MessageId};

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn opened() -> EventData {
        EventData::CaseOpened {
            subject: "Boiler leaks".into(),
            customer_id: CustomerId(7),
            channel: Channel::Email,
            status: Status::New,
            priority: Priority::Normal,
            tags: vec!["boiler".into()],
            agreement_id: None,
            team_id: None,
            assignee_id: None,
        }
    }

    fn log(datas: Vec<EventData>) -> Vec<CaseEvent> {
        datas
            .into_iter()
            .enumerate()
            .map(|(i, data)| CaseEvent {
                id: EventId(i as i64 + 100),
                case_id: CaseId(1),
                seq: i as i64 + 1,
                at: at(i as i64),
                actor: Actor::system(),
                data,
            })
            .collect()
    }

    #[test]
    fn a_customer_merge_moves_the_case_to_the_survivor() {
        let merged = EventData::CustomerMerged {
            from: CustomerId(7),
            into: CustomerId(3),
        };
        let state = CaseState::fold(&log(vec![opened(), merged.clone()])).unwrap();
        assert_eq!(state.customer_id, CustomerId(3));
        assert_eq!(state.last_seq, 2);
        assert_eq!(state.status, Status::New, "nothing else changes");
        let json = serde_json::to_value(&merged).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "customer_merged", "from": 7, "into": 3})
        );
        assert_eq!(
            merged
                .check_recordable(Timestamp::UNIX_EPOCH)
                .unwrap_err()
                .field,
            "type"
        );
    }

    #[test]
    fn fold_replays_changes_in_order() {
        let events = log(vec![
            opened(),
            EventData::MessageReceived {
                message_id: MessageId(1),
                channel: Channel::Email,
            },
            EventData::Assigned {
                from: None,
                to: Some(AgentId(3)),
            },
            EventData::StatusChanged {
                from: Status::New,
                to: Status::Open,
            },
            EventData::TagsChanged {
                added: vec!["vip".into()],
                removed: vec!["boiler".into()],
            },
            EventData::IdentityRequested {
                reason: "account change".into(),
                after_verification: false,
            },
        ]);
        let state = CaseState::fold(&events).unwrap();
        assert_eq!(state.status, Status::Open);
        assert_eq!(state.assignee_id, Some(AgentId(3)));
        assert_eq!(
            state.tags.iter().cloned().collect::<Vec<_>>(),
            vec!["vip".to_string()]
        );
        assert_eq!(state.message_count, 1);
        assert_eq!(state.last_seq, 6);
        assert_eq!(state.updated_at, at(5));
        assert_eq!(state.created_at, at(0));
    }

    #[test]
    fn fold_rejects_logs_that_do_not_start_with_opened_or_have_gaps() {
        let mut events = log(vec![
            opened(),
            EventData::PromiseKept {
                promise: "x".into(),
            },
        ]);
        assert_eq!(CaseState::fold(&events[1..]), Err(FoldError::NotOpened));
        events[1].seq = 3;
        assert!(matches!(
            CaseState::fold(&events),
            Err(FoldError::OutOfOrder { .. })
        ));
    }

    #[test]
    fn plan_emits_only_real_changes_and_folding_them_reaches_the_target() {
        let mut state = CaseState::fold(&log(vec![opened()])).unwrap();
        let change = CaseChange {
            status: Some(Status::New),
            priority: Some(Priority::High),
            team: Some(Some(TeamId(2))),
            add_tags: vec!["boiler".into(), "urgent".into()],
            remove_tags: vec!["absent".into()],
            custom_fields: [("floor".to_string(), Value::from(3))]
                .into_iter()
                .collect(),
            ..CaseChange::default()
        };
        let events = state.plan(&change).unwrap();
        let kinds: Vec<_> = events.iter().map(EventData::kind).collect();
        assert_eq!(
            kinds,
            [
                "priority_changed",
                "handed_off",
                "tags_changed",
                "custom_fields_changed"
            ]
        );
        for e in &events {
            state.apply(ActorKind::Agent, e, at(9));
        }
        assert!(
            state.plan(&change).unwrap().is_empty(),
            "replanning after applying is a no-op"
        );
        assert_eq!(state.custom_fields["floor"], Value::from(3));
    }

    #[test]
    fn plan_caps_the_tags_of_a_case() {
        let mut state = CaseState::fold(&log(vec![opened()])).unwrap();
        let tags = |range: std::ops::Range<usize>| range.map(|i| format!("t{i}")).collect();
        let fill = CaseChange {
            add_tags: tags(1..MAX_TAGS_PER_CASE),
            ..CaseChange::default()
        };
        for e in state.plan(&fill).unwrap() {
            state.apply(ActorKind::Agent, &e, at(1));
        }
        assert_eq!(state.tags.len(), MAX_TAGS_PER_CASE);
        let one_more = CaseChange {
            add_tags: vec!["extra".into()],
            ..CaseChange::default()
        };
        assert_eq!(state.plan(&one_more).unwrap_err().field, "add_tags");
        // Swapping one tag for another, or only removing, is fine.
        let swap = CaseChange {
            remove_tags: vec!["boiler".into()],
            ..one_more.clone()
        };
        assert_eq!(state.plan(&swap).unwrap().len(), 1);
        let remove = CaseChange {
            remove_tags: tags(1..3),
            ..CaseChange::default()
        };
        assert_eq!(
            state.plan(&remove).unwrap(),
            [EventData::TagsChanged {
                added: vec![],
                removed: vec!["t1".into(), "t2".into()]
            }]
        );
        // Tags already there and repeated tags do not count.
        let again = CaseChange {
            add_tags: [tags(1..MAX_TAGS_PER_CASE), tags(1..3)].concat(),
            ..CaseChange::default()
        };
        assert!(state.plan(&again).unwrap().is_empty());
    }

    #[test]
    fn closed_cases_stay_closed() {
        let mut state = CaseState::fold(&log(vec![opened()])).unwrap();
        state.status = Status::Closed;
        let err = state
            .plan(&CaseChange {
                status: Some(Status::Open),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(err.field, "status");
    }

    #[test]
    fn customer_message_reopens_waiting_case() {
        let mut state = CaseState::fold(&log(vec![opened()])).unwrap();
        assert_eq!(state.status_after_message(ActorKind::Agent, true), None);
        assert_eq!(
            state.status_after_message(ActorKind::Agent, false),
            Some(Status::Open)
        );
        state.status = Status::PendingCustomer;
        assert_eq!(
            state.status_after_message(ActorKind::Customer, false),
            Some(Status::Open)
        );
    }

    #[test]
    fn merging_closes_the_source_and_moves_its_message_count() {
        let mut source = CaseState::fold(&log(vec![
            opened(),
            EventData::MessageReceived {
                message_id: MessageId(1),
                channel: Channel::Email,
            },
            EventData::NoteAdded {
                message_id: MessageId(2),
            },
        ]))
        .unwrap();
        let mut target = CaseState::fold(&log(vec![
            opened(),
            EventData::MessageReceived {
                message_id: MessageId(3),
                channel: Channel::Email,
            },
        ]))
        .unwrap();
        let moved = vec![MessageId(1), MessageId(2)];
        source.apply(
            ActorKind::Agent,
            &EventData::CaseMerged {
                into: CaseId(2),
                message_ids: moved.clone(),
            },
            at(10),
        );
        target.apply(
            ActorKind::Agent,
            &EventData::MergedFrom {
                from: CaseId(1),
                message_ids: moved,
            },
            at(10),
        );
        assert_eq!(source.status, Status::Closed);
        assert_eq!(source.merged_into, Some(CaseId(2)));
        assert_eq!(source.message_count, 0);
        assert_eq!(source.last_seq, 4);
        assert_eq!(target.message_count, 3);
        assert_eq!(target.merged_into, None);
        assert_eq!(target.status, Status::New);
        // A merged case stays closed: agents cannot reopen it.
        assert!(
            source
                .plan(&CaseChange {
                    status: Some(Status::Open),
                    ..Default::default()
                })
                .is_err()
        );
    }

    #[test]
    fn merge_refuses_itself_closed_cases_and_unconfirmed_other_customers() {
        let open = CaseState::fold(&log(vec![opened()])).unwrap();
        let mut closed = open.clone();
        closed.status = Status::Closed;
        let mut stranger = open.clone();
        stranger.customer_id = CustomerId(8);
        let field = |r: Result<(), Invalid>| r.unwrap_err().field;
        assert_eq!(
            field(open.check_merge(CaseId(1), CaseId(1), &open, true)),
            "into"
        );
        assert_eq!(
            field(open.check_merge(CaseId(1), CaseId(2), &closed, true)),
            "into"
        );
        assert_eq!(
            field(closed.check_merge(CaseId(1), CaseId(2), &open, true)),
            "into"
        );
        assert_eq!(
            field(open.check_merge(CaseId(1), CaseId(2), &stranger, false)),
            "confirm_other_customer"
        );
        assert!(
            open.check_merge(CaseId(1), CaseId(2), &stranger, true)
                .is_ok()
        );
        assert!(open.check_merge(CaseId(1), CaseId(2), &open, false).is_ok());
    }
}
