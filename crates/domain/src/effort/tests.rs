use super::*;
use crate::case::Priority;
use crate::ids::MessageId;
use proptest::prelude::*;

const HOUR: i64 = 3600;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + seconds).unwrap()
}

/// A tally folded from `(seconds, actor, event)` steps.
fn fold(steps: &[(i64, ActorKind, EventData)]) -> EffortTally {
    let mut tally = EffortTally::default();
    for (t, actor, data) in steps {
        tally.apply(*actor, data, at(*t));
    }
    tally
}

fn opened(channel: Channel) -> EventData {
    EventData::CaseOpened {
        subject: "Leak".into(),
        customer_id: crate::ids::CustomerId(1),
        channel,
        status: Status::New,
        priority: Priority::Normal,
        tags: vec![],
        agreement_id: None,
        team_id: None,
        assignee_id: None,
    }
}

fn received(channel: Channel) -> EventData {
    EventData::MessageReceived {
        message_id: MessageId(1),
        channel,
    }
}

fn reply() -> EventData {
    EventData::ReplySent {
        message_id: MessageId(2),
        channel: Channel::Email,
    }
}

fn call(direction: Direction) -> EventData {
    EventData::ContactLogged {
        message_id: MessageId(3),
        channel: Channel::Phone,
        direction,
        duration_seconds: Some(300),
    }
}

fn status(from: Status, to: Status) -> EventData {
    EventData::StatusChanged { from, to }
}

fn team(from: Option<i64>, to: i64) -> EventData {
    EventData::HandedOff {
        from: from.map(TeamId),
        to: Some(TeamId(to)),
    }
}

use ActorKind::{Agent, Customer, System};

/// Seed 004's plumber: told to find a worker themselves, calls back twice
/// before anyone answers, passed between two teams.
#[test]
fn the_plumber_story_is_high_effort_with_every_driver_named() {
    let tally = fold(&[
        (0, Customer, opened(Channel::Email)),
        (0, Customer, received(Channel::Email)),
        (HOUR, Agent, team(None, 1)),
        (2 * HOUR, Agent, reply()),
        (
            2 * HOUR,
            Agent,
            EventData::CustomerActionRequested {
                action: "Find a plumber yourself".into(),
                kind: ActionKind::CallThirdParty,
            },
        ),
        (26 * HOUR, Agent, call(Direction::Inbound)),
        (30 * HOUR, Agent, call(Direction::Inbound)),
        (31 * HOUR, Agent, team(Some(1), 2)),
        (50 * HOUR, Agent, call(Direction::Outbound)),
        (50 * HOUR, Agent, status(Status::Open, Status::Resolved)),
    ]);
    let effort = EffortWeights::default().score(&tally);
    let texts: Vec<&str> = effort.lines.iter().map(|l| l.text.as_str()).collect();
    // 15 (third party) + 10 (switch) + 10 (transfer) + 8 (chaser) + 6 (26 h / 4)
    assert_eq!(
        texts,
        [
            "asked to call a third party +15",
            "email → phone +10",
            "transfer +10",
            "chaser +8",
            "waited 1 d 2 h +6",
        ]
    );
    assert_eq!(effort.index, 49);
    assert_eq!(effort.level, EffortLevel::High);
    assert_eq!(tally.contacts, 3);
    assert!(!tally.first_contact_resolution());
}

/// Seed 004's bank: a verified customer writes, then calls from a new number
/// and is asked to identify again.
#[test]
fn the_bank_story_counts_the_switch_and_the_second_identification() {
    let tally = fold(&[
        (0, Customer, opened(Channel::Email)),
        (0, Customer, received(Channel::Email)),
        (HOUR, Agent, reply()),
        (3 * HOUR, Agent, call(Direction::Inbound)),
        (
            3 * HOUR,
            Agent,
            EventData::IdentityRequested {
                reason: "new phone number".into(),
                after_verification: true,
            },
        ),
        (3 * HOUR + 600, Agent, call(Direction::Outbound)),
    ]);
    let effort = EffortWeights::default().score(&tally);
    assert_eq!(effort.index, 10 + 10);
    assert_eq!(effort.level, EffortLevel::Medium);
    assert_eq!(effort.lines[0].text, "email → phone +10");
    assert_eq!(effort.lines[1].text, "asked to identify again +10");
}

#[test]
fn one_email_and_one_answer_that_resolves_it_is_effortless() {
    let tally = fold(&[
        (0, Customer, opened(Channel::Email)),
        (0, Customer, received(Channel::Email)),
        (3 * HOUR, Agent, reply()),
        (3 * HOUR, Agent, status(Status::Open, Status::Resolved)),
    ]);
    let effort = EffortWeights::default().score(&tally);
    assert_eq!((effort.index, effort.level), (0, EffortLevel::Low));
    assert!(effort.lines.is_empty());
    assert!(tally.first_contact_resolution());
    assert_eq!(tally.first_response_at, Some(at(3 * HOUR)));
    assert_eq!(tally.resolved_at, Some(at(3 * HOUR)));
}

#[test]
fn a_wait_runs_from_the_oldest_unanswered_message_and_acknowledgements_do_not_end_it() {
    let tally = fold(&[
        (0, Customer, opened(Channel::Email)),
        (0, Customer, received(Channel::Email)),
        (60, System, reply()),
        (HOUR, Customer, received(Channel::Email)),
    ]);
    assert_eq!(
        tally.waiting_since,
        Some(at(0)),
        "a chaser does not restart it"
    );
    assert_eq!(tally.chasers, 1);
    assert_eq!(tally.first_response_at, None, "automatic mail is no answer");
    let answered = {
        let mut t = tally.clone();
        t.apply(Agent, &reply(), at(63 * HOUR));
        t
    };
    assert_eq!(answered.waiting_since, None);
    assert_eq!(answered.waited_seconds, 63 * HOUR);
}

#[test]
fn notes_and_status_moves_do_not_end_a_wait_but_resolving_does() {
    let mut tally = fold(&[
        (0, Customer, opened(Channel::Email)),
        (0, Customer, received(Channel::Email)),
        (
            60,
            Agent,
            EventData::NoteAdded {
                message_id: MessageId(9),
            },
        ),
        (120, Agent, status(Status::New, Status::Open)),
    ]);
    assert_eq!(tally.waiting_since, Some(at(0)));
    tally.apply(Agent, &status(Status::Open, Status::Resolved), at(HOUR));
    assert_eq!((tally.waiting_since, tally.waited_seconds), (None, HOUR));
    tally.apply(Customer, &received(Channel::Email), at(2 * HOUR));
    tally.apply(
        System,
        &status(Status::Resolved, Status::Open),
        at(2 * HOUR),
    );
    assert_eq!((tally.reopened, tally.resolved_at), (1, None));
}

#[test]
fn waits_past_a_promise_and_broken_promises_count() {
    let tally = fold(&[
        (0, Customer, opened(Channel::Email)),
        (0, Customer, received(Channel::Email)),
        (
            60,
            System,
            EventData::PromiseMade {
                promise: "answer within 4 hours".into(),
                due_at: at(4 * HOUR),
                from: None,
                visible_to_customer: false,
                kept_by: Default::default(),
            },
        ),
        (9 * HOUR, Agent, reply()),
        (
            9 * HOUR,
            Agent,
            EventData::PromiseBroken {
                promise: "answer within 4 hours".into(),
            },
        ),
    ]);
    assert_eq!((tally.waits_past_promise, tally.broken_promises), (1, 1));
    assert!(tally.open_promises.is_empty());
    let effort = EffortWeights::default().score(&tally);
    assert_eq!(effort.index, 15 + 10 + 2);
}

#[test]
fn transfers_count_handoffs_after_the_first_assignment_only() {
    let tally = fold(&[
        (0, Customer, opened(Channel::Email)),
        (
            1,
            Agent,
            EventData::Assigned {
                from: None,
                to: Some(AgentId(1)),
            },
        ),
        (
            2,
            Agent,
            EventData::Assigned {
                from: Some(AgentId(1)),
                to: None,
            },
        ),
        (
            3,
            Agent,
            EventData::Assigned {
                from: None,
                to: Some(AgentId(1)),
            },
        ),
        (
            4,
            Agent,
            EventData::Assigned {
                from: Some(AgentId(1)),
                to: Some(AgentId(2)),
            },
        ),
        (5, Agent, team(None, 1)),
    ]);
    assert_eq!(tally.transfers, 1, "back to the same agent is no transfer");
}

#[test]
fn repeat_links_can_be_undone_by_an_agent() {
    let mut tally = fold(&[(
        0,
        System,
        EventData::RepeatLinked {
            of: CaseId(4),
            reason: "same agreement".into(),
        },
    )]);
    assert_eq!(
        EffortWeights::default().score(&tally).lines[0].text,
        "repeat of #4 +15"
    );
    tally.apply(Agent, &EventData::RepeatUnlinked { of: CaseId(5) }, at(1));
    assert_eq!(
        tally.repeat_of,
        Some(CaseId(4)),
        "only the linked case unlinks"
    );
    tally.apply(Agent, &EventData::RepeatUnlinked { of: CaseId(4) }, at(2));
    assert_eq!(EffortWeights::default().score(&tally).index, 0);
}

#[test]
fn weights_are_checked() {
    let bad = EffortWeights {
        medium_from: 50,
        high_from: 40,
        ..EffortWeights::default()
    };
    assert!(bad.check().is_err());
    assert!(EffortWeights::default().check().is_ok());
}

#[test]
fn the_tally_round_trips_as_json_and_old_rows_read_as_empty() {
    let tally = fold(&[
        (0, Customer, opened(Channel::Email)),
        (0, Customer, received(Channel::Email)),
        (9, Agent, call(Direction::Inbound)),
    ]);
    let json = serde_json::to_string(&tally).unwrap();
    assert_eq!(serde_json::from_str::<EffortTally>(&json).unwrap(), tally);
    assert_eq!(
        serde_json::from_str::<EffortTally>("{}").unwrap(),
        EffortTally::default()
    );
}

/// The events a customer-facing case sees, for generated logs.
fn any_step() -> impl Strategy<Value = (i64, ActorKind, EventData)> {
    let channel = prop::sample::select(Channel::ALL.to_vec());
    let event = prop_oneof![
        channel.clone().prop_map(received),
        Just(reply()),
        Just(call(Direction::Inbound)),
        Just(call(Direction::Outbound)),
        (channel.clone(), channel).prop_map(|(from, to)| EventData::ChannelSwitched { from, to }),
        (0i64..4).prop_map(|t| team(None, t)),
        (0i64..4).prop_map(|a| EventData::Assigned {
            from: None,
            to: Some(AgentId(a)),
        }),
        Just(status(Status::Open, Status::Resolved)),
        Just(status(Status::Resolved, Status::Open)),
        prop::sample::select(ActionKind::ALL.to_vec()).prop_map(|kind| {
            EventData::CustomerActionRequested {
                action: "do it".into(),
                kind,
            }
        }),
        any::<bool>().prop_map(|after_verification| EventData::IdentityRequested {
            reason: "x".into(),
            after_verification,
        }),
        Just(EventData::InformationRepeated { what: "x".into() }),
        (0i64..100).prop_map(|h| EventData::PromiseMade {
            promise: format!("p{}", h % 3),
            due_at: at(h * HOUR),
            from: None,
            visible_to_customer: false,
            kept_by: Default::default(),
        }),
        (0i64..3).prop_map(|p| EventData::PromiseBroken {
            promise: format!("p{p}"),
        }),
        (
            0i64..4,
            prop::sample::select(crate::task::OwnerKind::ALL.to_vec()),
            prop::sample::select(crate::task::TaskStatus::ALL.to_vec()),
        )
            .prop_map(|(id, owner, status)| task(id, owner, status)),
    ];
    let actor = prop::sample::select(vec![Agent, Customer, System]);
    (0i64..HOUR * 10, actor, event)
}

proptest! {
    /// Whatever happens, the index stays within 0–100, its level matches it,
    /// waits are never negative and the tally stays small.
    #[test]
    fn any_log_scores_within_bounds(mut steps in prop::collection::vec(any_step(), 0..120)) {
        let mut clock = 0;
        for step in &mut steps {
            clock += step.0;
            step.0 = clock;
        }
        let tally = fold(&steps);
        let weights = EffortWeights::default();
        let effort = weights.score(&tally);
        prop_assert!(effort.index <= MAX_INDEX);
        prop_assert_eq!(effort.level, weights.level(effort.index));
        prop_assert!(tally.waited_seconds >= 0);
        prop_assert!(tally.switches.len() <= MAX_SWITCHES_NAMED);
        prop_assert!(tally.open_promises.len() <= MAX_OPEN_PROMISES);
        prop_assert!(tally.actions.len() <= ActionKind::ALL.len());
        let sum: u32 = effort.lines.iter().map(|l| l.points).sum();
        prop_assert_eq!(effort.index, sum.min(MAX_INDEX));
    }

    /// The wait always runs from the oldest customer contact since the last
    /// agent answer or resolution (a reference fold over the same steps).
    #[test]
    fn waiting_since_is_the_oldest_unanswered_contact(
        gaps in prop::collection::vec((1i64..HOUR, 0u8..4), 0..60)
    ) {
        let mut clock = 0;
        let mut steps = Vec::new();
        let mut expected: Option<i64> = None;
        for (gap, what) in gaps {
            clock += gap;
            let step = match what {
                0 => (Customer, received(Channel::Email)),
                1 => (System, reply()),
                2 => (Agent, reply()),
                _ => (Agent, EventData::NoteAdded { message_id: MessageId(1) }),
            };
            match what {
                0 => { expected.get_or_insert(clock); }
                2 => expected = None,
                _ => {}
            }
            steps.push((clock, step.0, step.1));
        }
        prop_assert_eq!(fold(&steps).waiting_since, expected.map(at));
    }

    /// One more chaser never makes a case look easier.
    #[test]
    fn a_chaser_never_lowers_the_index(steps in prop::collection::vec(any_step(), 0..60)) {
        let mut ordered = steps;
        let mut clock = 0;
        for step in &mut ordered {
            clock += step.0;
            step.0 = clock;
        }
        let weights = EffortWeights::default();
        let before = fold(&ordered);
        let mut after = before.clone();
        after.apply(Customer, &received(before.last_channel.unwrap_or(Channel::Email)), at(clock + 1));
        prop_assert!(weights.score(&after).index >= weights.score(&before).index);
    }
}

#[test]
fn a_tally_is_written_without_its_zeros_and_reads_back_the_same() {
    assert_eq!(
        serde_json::to_string(&EffortTally::default()).unwrap(),
        "{}"
    );
    let tally = EffortTally {
        contacts: 2,
        chasers: 1,
        last_channel: Some(Channel::Email),
        waiting_since: Some(at(60)),
        reopened: 1,
        ..EffortTally::default()
    };
    let stored = serde_json::to_string(&tally).unwrap();
    assert!(!stored.contains("transfers"), "{stored}");
    assert_eq!(serde_json::from_str::<EffortTally>(&stored).unwrap(), tally);
}

fn task(id: i64, owner_kind: crate::task::OwnerKind, status: crate::task::TaskStatus) -> EventData {
    EventData::TaskChanged {
        task_id: TaskId(id),
        status,
        due_at: None,
        owner_kind,
    }
}

/// Tasks the customer owns are work pushed onto them, weighted like any
/// other action; reassigning or cancelling one takes it back, finishing
/// it does not (they did the work).
#[test]
fn customer_tasks_are_pushed_work_until_cancelled_or_reassigned() {
    use crate::task::{OwnerKind, TaskStatus};
    let added = |id, owner_kind| EventData::TaskAdded {
        task_id: TaskId(id),
        title: "Send a photo of the meter".into(),
        owner_kind,
        due_at: None,
    };
    let weights = EffortWeights::default();
    let tally = fold(&[
        (0, Customer, opened(Channel::Email)),
        (0, Agent, added(1, OwnerKind::Customer)),
        (0, Agent, added(2, OwnerKind::ThirdParty)),
        (0, Agent, added(3, OwnerKind::Customer)),
    ]);
    let effort = weights.score(&tally);
    assert_eq!(effort.index, 2 * weights.customer_task);
    assert_eq!(effort.lines[0].driver, Driver::PushedWork);
    assert_eq!(effort.lines[0].text, "asked to do 2 tasks +12");
    let later = fold(&[
        (0, Agent, added(1, OwnerKind::Customer)),
        (0, Agent, added(2, OwnerKind::ThirdParty)),
        (0, Agent, added(3, OwnerKind::Customer)),
        (HOUR, Agent, task(1, OwnerKind::Customer, TaskStatus::Done)),
        (HOUR, Agent, task(3, OwnerKind::Agent, TaskStatus::Open)),
        (HOUR, Agent, task(2, OwnerKind::Customer, TaskStatus::Open)),
        (
            HOUR,
            Agent,
            task(2, OwnerKind::Customer, TaskStatus::Cancelled),
        ),
    ]);
    assert_eq!(later.customer_tasks, vec![TaskId(1)]);
    assert_eq!(weights.score(&later).index, weights.customer_task);
}
