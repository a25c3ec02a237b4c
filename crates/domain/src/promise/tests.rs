use super::*;
use crate::case::Channel;
use crate::effort::EffortTally;
use crate::ids::{CaseId, EventId, MessageId};
use proptest::prelude::*;
use std::collections::HashMap;

const HOUR: i64 = 3600;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + seconds).unwrap()
}

fn made(text: &str, due: i64, kept_by: PromiseKeeper) -> EventData {
    NewPromise {
        promise: text.into(),
        due_at: at(due),
        from: None,
        visible_to_customer: true,
        kept_by,
    }
    .event()
}

fn reply() -> EventData {
    EventData::ReplySent {
        message_id: MessageId(1),
        channel: Channel::Email,
    }
}

fn resolved() -> EventData {
    EventData::StatusChanged {
        from: Status::Open,
        to: Status::Resolved,
    }
}

/// A log being written, as the store writes it: each event folded into
/// the promises, and the promises it keeps recorded after it.
#[derive(Default)]
struct Log {
    events: Vec<CaseEvent>,
    promises: Promises,
    tally: EffortTally,
    /// Per promise, the states its closing events moved it to.
    closed: HashMap<i64, Vec<PromiseState>>,
}

impl Log {
    fn push(&mut self, actor: ActorKind, data: EventData, t: i64) {
        let event = CaseEvent {
            id: EventId(self.events.len() as i64 + 1),
            case_id: CaseId(1),
            seq: self.events.len() as i64 + 1,
            at: at(t),
            actor: Actor {
                kind: actor,
                id: None,
            },
            data,
        };
        let closing = match event.data {
            EventData::PromiseKept { .. } => Some(PromiseState::Kept),
            EventData::PromiseBroken { .. } => Some(PromiseState::Broken),
            _ => None,
        };
        let touched = self.promises.apply(&event);
        if let (Some(seq), Some(state)) = (touched, closing) {
            self.closed.entry(seq).or_default().push(state);
        }
        self.tally.apply(actor, &event.data, event.at);
        let kept: Vec<EventData> = self
            .promises
            .keeps(actor, &event.data, event.at)
            .into_iter()
            .map(PromiseRecord::kept)
            .collect();
        self.events.push(event);
        for data in kept {
            self.push(ActorKind::System, data, t);
        }
    }

    /// The due-time job at `t`.
    fn tick(&mut self, t: i64) {
        let broken: Vec<EventData> = self
            .promises
            .due(at(t))
            .into_iter()
            .map(PromiseRecord::broken)
            .collect();
        for data in broken {
            self.push(ActorKind::System, data, t);
        }
    }
}

#[test]
fn a_reply_keeps_reply_promises_only_before_they_are_due() {
    let mut log = Log::default();
    log.push(
        ActorKind::Agent,
        made("reply", HOUR, PromiseKeeper::Reply),
        0,
    );
    log.push(
        ActorKind::Agent,
        made("fix", HOUR, PromiseKeeper::Resolved),
        0,
    );
    log.push(
        ActorKind::Agent,
        made("call", HOUR, PromiseKeeper::Manual),
        0,
    );
    // Tend's own mail and the customer's messages keep nothing.
    log.push(ActorKind::System, reply(), 10);
    assert_eq!(log.promises.open().count(), 3);
    log.push(ActorKind::Agent, reply(), 20);
    let states: Vec<_> = log.promises.all().iter().map(|p| p.state).collect();
    assert_eq!(
        states,
        [PromiseState::Kept, PromiseState::Open, PromiseState::Open]
    );
    assert_eq!(log.events.last().unwrap().data.kind(), "promise_kept");
    // Resolving after the due time keeps nothing: the promise is due.
    log.push(ActorKind::Agent, resolved(), 2 * HOUR);
    assert_eq!(log.promises.open().count(), 2);
    let due: Vec<_> = log
        .promises
        .due(at(2 * HOUR))
        .iter()
        .map(|p| p.seq)
        .collect();
    assert_eq!(due, [2, 3]);
    log.tick(2 * HOUR);
    assert_eq!(log.promises.open().count(), 0);
    assert_eq!(log.tally.broken_promises, 2);
}

#[test]
fn a_window_keeps_only_from_its_start() {
    let mut promises = Promises::default();
    let data = NewPromise {
        from: Some(at(HOUR)),
        ..NewPromise::checked(
            "visit",
            at(2 * HOUR),
            None,
            true,
            PromiseKeeper::Resolved,
            at(0),
        )
        .unwrap()
    }
    .event();
    promises.apply(&CaseEvent {
        id: EventId(1),
        case_id: CaseId(1),
        seq: 4,
        at: at(0),
        actor: Actor::system(),
        data,
    });
    assert!(
        promises
            .keeps(ActorKind::Agent, &resolved(), at(HOUR - 1))
            .is_empty()
    );
    assert_eq!(
        promises.keeps(ActorKind::Agent, &resolved(), at(HOUR))[0].seq,
        4
    );
    assert!(may_keep(&resolved()) && may_keep(&reply()));
    assert!(!may_keep(&EventData::NoteAdded {
        message_id: MessageId(1)
    }));
}

#[test]
fn new_promises_are_checked_naming_the_field() {
    let now = at(0);
    let check = |text: &str, due: i64, from: Option<i64>| {
        NewPromise::checked(
            text,
            at(due),
            from.map(at),
            false,
            PromiseKeeper::Reply,
            now,
        )
        .map_err(|e| e.field)
    };
    assert!(check("Reply by noon", HOUR, None).is_ok());
    assert_eq!(check("", HOUR, None).unwrap_err(), "promise");
    assert_eq!(check("  ", HOUR, None).unwrap_err(), "promise");
    assert_eq!(check("two\nlines", HOUR, None).unwrap_err(), "promise");
    assert_eq!(check("bell\u{7}", HOUR, None).unwrap_err(), "promise");
    assert_eq!(check(&"x".repeat(201), HOUR, None).unwrap_err(), "promise");
    assert!(check(&"é".repeat(200), HOUR, None).is_ok());
    assert_eq!(check("x", 0, None).unwrap_err(), "due_at");
    assert_eq!(check("x", 366 * 24 * HOUR, None).unwrap_err(), "due_at");
    assert_eq!(check("x", HOUR, Some(HOUR)).unwrap_err(), "from");
    assert_eq!(
        check(" trimmed ", HOUR, None).unwrap().promise,
        "trimmed",
        "kept trimmed"
    );
}

#[test]
fn a_reply_states_its_promise_in_utc() {
    let due: Timestamp = "2026-12-11T17:00:00Z".parse().unwrap();
    let now: Timestamp = "2026-12-07T09:00:00Z".parse().unwrap();
    let refund =
        NewPromise::checked("a refund", due, None, true, PromiseKeeper::Manual, now).unwrap();
    assert_eq!(
        refund.customer_line(),
        "Our promise: a refund, by Friday 11 December, 17:00 UTC."
    );
    let from = Some("2026-12-11T15:00:00Z".parse().unwrap());
    let visit =
        NewPromise::checked("a visit", due, from, true, PromiseKeeper::Manual, now).unwrap();
    assert_eq!(
        visit.customer_line(),
        "Our promise: a visit, between Friday 11 December, 15:00 UTC and Friday 11 December, 17:00 UTC."
    );
}

#[test]
fn old_promise_events_read_as_hidden_and_manual() {
    let old: EventData = serde_json::from_value(serde_json::json!({
        "type": "promise_made", "promise": "call back", "due_at": "2027-01-01T10:00:00Z"
    }))
    .unwrap();
    let EventData::PromiseMade {
        from,
        visible_to_customer,
        kept_by,
        ..
    } = old
    else {
        panic!("{old:?}")
    };
    assert_eq!(
        (from, visible_to_customer, kept_by),
        (None, false, PromiseKeeper::Manual)
    );
}

/// One step of a random log.
#[derive(Debug, Clone)]
enum Step {
    Make(u8, i64, PromiseKeeper, Option<i64>),
    Reply(ActorKind),
    Resolve,
    Mark(u8, bool),
    Tick,
}

fn any_step() -> impl Strategy<Value = (i64, Step)> {
    let keeper = prop::sample::select(PromiseKeeper::ALL.to_vec());
    let actor = prop::sample::select(vec![
        ActorKind::Agent,
        ActorKind::Customer,
        ActorKind::System,
    ]);
    let step = prop_oneof![
        (0u8..5, 1i64..6 * HOUR, keeper, prop::option::of(0i64..HOUR))
            .prop_map(|(p, due, k, from)| Step::Make(p, due, k, from)),
        actor.prop_map(Step::Reply),
        Just(Step::Resolve),
        (0u8..5, any::<bool>()).prop_map(|(p, kept)| Step::Mark(p, kept)),
        Just(Step::Tick),
    ];
    (0i64..2 * HOUR, step)
}

proptest! {
    /// Whatever happens and in whatever order, a promise is kept or
    /// broken at most once and never both; kept automatically only before
    /// it is due, broken by its time only after; the fold from scratch
    /// agrees with the fold as written, and with the effort fold.
    #[test]
    fn promises_close_at_most_once(steps in prop::collection::vec(any_step(), 0..80)) {
        let mut log = Log::default();
        let mut t = 0;
        for (gap, step) in steps {
            t += gap;
            match step {
                Step::Make(p, due, kept_by, from) => {
                    let text = format!("p{p}");
                    let from = from.map(|f| t + f).filter(|f| *f < t + due);
                    let new = NewPromise::checked(&text, at(t + due), from.map(at), true, kept_by, at(t));
                    let taken = log.promises.open().any(|o| o.promise == text);
                    if let (Ok(new), false) = (new, taken) {
                        log.push(ActorKind::Agent, new.event(), t);
                    }
                }
                Step::Reply(actor) => log.push(actor, reply(), t),
                Step::Resolve => log.push(ActorKind::Agent, resolved(), t),
                Step::Mark(p, kept) => {
                    let text = format!("p{p}");
                    let open = log.promises.open().find(|o| o.promise == text).cloned();
                    if let Some(open) = open {
                        let data = if kept { open.kept() } else { open.broken() };
                        log.push(ActorKind::Agent, data, t);
                    }
                }
                Step::Tick => log.tick(t),
            }
        }
        for (seq, states) in &log.closed {
            prop_assert_eq!(states.len(), 1, "promise {} closed {:?}", seq, states);
        }
        for p in log.promises.all() {
            prop_assert_eq!(p.is_open(), !log.closed.contains_key(&p.seq));
            let closed_at = p.closed_at;
            match (p.state, p.closed_by.map(|a| a.kind)) {
                (PromiseState::Kept, Some(ActorKind::System)) => {
                    prop_assert!(closed_at.unwrap() <= p.due_at);
                }
                (PromiseState::Broken, Some(ActorKind::System)) => {
                    prop_assert!(closed_at.unwrap() >= p.due_at);
                }
                _ => {}
            }
        }
        prop_assert_eq!(&Promises::fold(&log.events), &log.promises);
        prop_assert_eq!(log.tally.open_promises.len(), log.promises.open().count());
        let broken = log.promises.all().iter().filter(|p| p.state == PromiseState::Broken).count();
        prop_assert_eq!(log.tally.broken_promises as usize, broken);
    }
}
