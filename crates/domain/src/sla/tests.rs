use super::*;
use crate::calendar::WeeklyHours;
use crate::case::Channel;
use crate::ids::{CustomerId, MessageId};
use jiff::tz::TimeZone;
use proptest::prelude::*;

const ZONE: &str = "Europe/Amsterdam";

/// A local Amsterdam time as an instant.
fn local(text: &str) -> Timestamp {
    let dt: jiff::civil::DateTime = text.parse().unwrap();
    TimeZone::get(ZONE).unwrap().to_timestamp(dt).unwrap()
}

fn office() -> BusinessCalendar {
    BusinessCalendar::new(
        TimeZone::get(ZONE).unwrap(),
        WeeklyHours::parse("mon-fri 09:00-17:00").unwrap(),
        [],
    )
}

/// First response in 4 business hours, next in 2, resolution in 16; an
/// urgent case 1, 1 and 8. Pending pauses, on hold does not.
fn policy() -> SlaPolicy {
    let hours = |h: u32| Some(h * 60);
    SlaPolicy {
        targets: vec![
            (
                Priority::Normal,
                Targets {
                    first_response: hours(4),
                    next_response: hours(2),
                    resolution: hours(16),
                },
            ),
            (
                Priority::Urgent,
                Targets {
                    first_response: hours(1),
                    next_response: hours(1),
                    resolution: hours(8),
                },
            ),
        ],
        pause_when_pending: true,
        pause_when_on_hold: false,
    }
}

fn opened() -> EventData {
    EventData::CaseOpened {
        subject: "No hot water".into(),
        customer_id: CustomerId(1),
        channel: Channel::Email,
        status: Status::New,
        priority: Priority::Normal,
        tags: vec![],
        agreement_id: None,
        team_id: None,
        assignee_id: None,
    }
}

fn received() -> EventData {
    EventData::MessageReceived {
        message_id: MessageId(1),
        channel: Channel::Email,
    }
}

fn reply() -> EventData {
    EventData::ReplySent {
        message_id: MessageId(2),
        channel: Channel::Email,
    }
}

fn status(from: Status, to: Status) -> EventData {
    EventData::StatusChanged { from, to }
}

fn fold(steps: &[(&str, ActorKind, EventData)]) -> SlaClocks {
    SlaClocks::fold(
        &policy(),
        &office(),
        steps
            .iter()
            .map(|(t, actor, data)| (*actor, data, local(t))),
    )
}

fn at(clocks: &SlaClocks, now: &str) -> SlaStatus {
    clocks.status(&policy(), &office(), local(now))
}

fn running(due: &str, breached: bool) -> ClockState {
    ClockState::Running {
        due_at: local(due),
        breached,
    }
}

#[test]
fn a_case_opened_on_friday_afternoon_is_due_on_monday() {
    let clocks = fold(&[("2026-12-04T16:00", ActorKind::Customer, opened())]);
    let now = at(&clocks, "2026-12-04T16:30");
    assert_eq!(now.first_response, running("2026-12-07T12:00", false));
    assert_eq!(now.resolution, running("2026-12-08T16:00", false));
    assert_eq!(now.next_response, ClockState::Off);
    assert_eq!(now.next_due(), Some(local("2026-12-07T12:00")));
    assert_eq!(
        at(&clocks, "2026-12-07T12:00").first_response,
        running("2026-12-07T12:00", true)
    );
}

#[test]
fn an_acknowledgement_is_no_answer_but_a_reply_is() {
    let mut steps = vec![
        ("2026-12-07T09:00", ActorKind::Customer, opened()),
        ("2026-12-07T09:00", ActorKind::System, reply()),
    ];
    let clocks = fold(&steps);
    assert_eq!(
        at(&clocks, "2026-12-07T10:00").first_response,
        running("2026-12-07T13:00", false)
    );
    steps.push(("2026-12-07T14:00", ActorKind::Agent, reply()));
    let clocks = fold(&steps);
    assert_eq!(
        at(&clocks, "2026-12-07T15:00").first_response,
        ClockState::Met {
            at: local("2026-12-07T14:00"),
            late: true
        }
    );
    // The customer writes again: the next-response clock starts.
    steps.push(("2026-12-07T16:30", ActorKind::Customer, received()));
    let clocks = fold(&steps);
    assert_eq!(
        at(&clocks, "2026-12-07T16:45").next_response,
        running("2026-12-08T10:30", false)
    );
    steps.push(("2026-12-08T09:15", ActorKind::Agent, reply()));
    assert_eq!(
        at(&fold(&steps), "2026-12-08T10:00").next_response,
        ClockState::Met {
            at: local("2026-12-08T09:15"),
            late: false
        }
    );
}

#[test]
fn waiting_on_the_customer_pauses_and_their_reply_resumes() {
    let clocks = fold(&[
        ("2026-12-07T09:00", ActorKind::Customer, opened()),
        ("2026-12-07T10:00", ActorKind::Agent, reply()),
        (
            "2026-12-07T10:00",
            ActorKind::Agent,
            status(Status::New, Status::PendingCustomer),
        ),
    ]);
    assert_eq!(
        at(&clocks, "2026-12-09T10:00").resolution,
        ClockState::Paused {
            remaining_seconds: 15 * 3600
        }
    );
    let resumed = fold(&[
        ("2026-12-07T09:00", ActorKind::Customer, opened()),
        ("2026-12-07T10:00", ActorKind::Agent, reply()),
        (
            "2026-12-07T10:00",
            ActorKind::Agent,
            status(Status::New, Status::PendingCustomer),
        ),
        ("2026-12-09T10:00", ActorKind::Customer, received()),
        (
            "2026-12-09T10:00",
            ActorKind::Customer,
            status(Status::PendingCustomer, Status::Open),
        ),
    ]);
    let now = at(&resumed, "2026-12-09T10:30");
    // 15 business hours left from Wednesday 10:00: 7 that day, 8 Thursday.
    assert_eq!(now.resolution, running("2026-12-10T17:00", false));
    assert_eq!(now.next_response, running("2026-12-09T12:00", false));
}

#[test]
fn on_hold_keeps_running_under_this_policy() {
    let clocks = fold(&[
        ("2026-12-07T09:00", ActorKind::Customer, opened()),
        (
            "2026-12-07T10:00",
            ActorKind::Agent,
            status(Status::New, Status::OnHold),
        ),
    ]);
    assert_eq!(
        at(&clocks, "2026-12-07T11:00").resolution,
        running("2026-12-08T17:00", false)
    );
}

#[test]
fn a_higher_priority_brings_the_due_time_forward() {
    let clocks = fold(&[
        ("2026-12-07T09:00", ActorKind::Customer, opened()),
        (
            "2026-12-07T09:30",
            ActorKind::Agent,
            EventData::PriorityChanged {
                from: Priority::Normal,
                to: Priority::Urgent,
            },
        ),
    ]);
    assert_eq!(
        at(&clocks, "2026-12-07T09:45").first_response,
        running("2026-12-07T10:00", false)
    );
    // Low has no targets in this policy.
    let low = fold(&[
        ("2026-12-07T09:00", ActorKind::Customer, opened()),
        (
            "2026-12-07T09:30",
            ActorKind::Agent,
            EventData::PriorityChanged {
                from: Priority::Normal,
                to: Priority::Low,
            },
        ),
    ]);
    assert_eq!(at(&low, "2026-12-07T09:45").first_response, ClockState::Off);
}

#[test]
fn resolving_stops_the_clocks_and_reopening_carries_on() {
    let steps = [
        ("2026-12-07T09:00", ActorKind::Customer, opened()),
        ("2026-12-07T10:00", ActorKind::Agent, reply()),
        (
            "2026-12-07T11:00",
            ActorKind::Agent,
            status(Status::New, Status::Resolved),
        ),
        (
            "2026-12-08T09:00",
            ActorKind::Customer,
            status(Status::Resolved, Status::Open),
        ),
    ];
    let resolved = fold(&steps[..3]);
    assert_eq!(
        at(&resolved, "2026-12-07T12:00").resolution,
        ClockState::Met {
            at: local("2026-12-07T11:00"),
            late: false
        }
    );
    // Two business hours were used before: 14 remain from Tuesday 09:00.
    assert_eq!(
        at(&fold(&steps), "2026-12-08T09:30").resolution,
        running("2026-12-09T15:00", false)
    );
}

fn any_step() -> impl Strategy<Value = (i64, ActorKind, EventData)> {
    let statuses = prop::sample::select(Status::ALL.to_vec());
    (
        0i64..200_000,
        prop::sample::select(vec![
            ActorKind::Agent,
            ActorKind::Customer,
            ActorKind::System,
        ]),
        prop_oneof![
            Just(received()),
            Just(reply()),
            (statuses.clone(), statuses).prop_map(|(from, to)| status(from, to)),
            prop::sample::select(Priority::ALL.to_vec()).prop_map(|to| {
                EventData::PriorityChanged {
                    from: Priority::Normal,
                    to,
                }
            }),
        ],
    )
}

proptest! {
    /// Whatever happens: a running clock is never due before it started
    /// counting, a met clock was met no earlier than the case opened, and
    /// paused time never counts as used.
    #[test]
    fn clocks_stay_within_the_log(mut steps in prop::collection::vec(any_step(), 0..40)) {
        steps.sort_by_key(|(t, _, _)| *t);
        let start = local("2026-12-07T08:00");
        let policy = policy();
        let calendar = office();
        let opened = opened();
        let events = std::iter::once((ActorKind::Customer, &opened, start)).chain(
            steps.iter().map(|(t, actor, data)| {
                (*actor, data, start + jiff::SignedDuration::from_secs(*t))
            }),
        );
        let clocks = SlaClocks::fold(&policy, &calendar, events);
        let end = start + jiff::SignedDuration::from_secs(200_000);
        let status = clocks.status(&policy, &calendar, end);
        for clock in [status.first_response, status.next_response, status.resolution] {
            match clock {
                ClockState::Running { due_at, .. } => prop_assert!(due_at > start),
                ClockState::Met { at, .. } => prop_assert!(at >= start && at <= end),
                ClockState::Paused { remaining_seconds } => {
                    prop_assert!(remaining_seconds <= 16 * 3600)
                }
                ClockState::Off => {}
            }
        }
        for clock in [clocks.first, clocks.next, clocks.resolution] {
            prop_assert!(clock.used >= 0);
            prop_assert!(clock.used <= calendar.open_seconds_between(start, end));
        }
    }
}
