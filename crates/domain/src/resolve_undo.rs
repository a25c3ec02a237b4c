//! A customer who marked their request solved may take it back for a short
//! while ("Reopen" in the portal). Whether they still may is read from the
//! case's log: the latest status change must be their resolve, made less
//! than the window ago; undoing it records the change back as another
//! status change, so both stay in the log.

use crate::case::Status;
use crate::event::{ActorKind, CaseEvent, EventData};
use crate::ids::CustomerId;
use jiff::{SignedDuration, Timestamp};

/// A resolve that can still be undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undoable {
    /// The status the case had before it was resolved.
    pub back_to: Status,
    /// When the chance ends.
    pub until: Timestamp,
}

/// Whether `customer` may undo resolving the case whose latest events are
/// `newest_first` at `now`, within `window` of resolving it. Only the
/// latest status change counts: once anything moved the case on (an agent
/// closing it, say), there is nothing to undo. A log read only in part
/// (`newest_first` a page) may miss the status change: then nothing is
/// undoable, which is the safe answer.
pub fn undoable_resolve<'a>(
    newest_first: impl IntoIterator<Item = &'a CaseEvent>,
    customer: CustomerId,
    now: Timestamp,
    window: SignedDuration,
) -> Option<Undoable> {
    let latest = newest_first
        .into_iter()
        .find(|e| matches!(e.data, EventData::StatusChanged { .. }))?;
    let EventData::StatusChanged { from, to } = latest.data else {
        return None;
    };
    let theirs = latest.actor.kind == ActorKind::Customer && latest.actor.id == Some(customer.0);
    let until = latest.at.checked_add(window).ok()?;
    (theirs && to == Status::Resolved && from != Status::Resolved && now < until).then_some(
        Undoable {
            // A case resolved straight from "new" reopens as open: someone
            // has read it by then.
            back_to: match from {
                Status::New | Status::Closed => Status::Open,
                other => other,
            },
            until,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Actor;
    use crate::ids::{CaseId, EventId};
    use proptest::prelude::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn event(secs: i64, actor: Actor, data: EventData) -> CaseEvent {
        CaseEvent {
            id: EventId(secs),
            case_id: CaseId(1),
            seq: secs,
            at: at(secs),
            actor,
            data,
        }
    }

    fn resolved_by(actor: Actor, secs: i64) -> CaseEvent {
        event(
            secs,
            actor,
            EventData::StatusChanged {
                from: Status::PendingCustomer,
                to: Status::Resolved,
            },
        )
    }

    const TEN_MINUTES: SignedDuration = SignedDuration::from_secs(600);

    #[test]
    fn only_the_customers_own_latest_resolve_is_undoable() {
        let ann = CustomerId(7);
        let mine = [resolved_by(Actor::customer(ann), 0)];
        assert_eq!(
            undoable_resolve(&mine, ann, at(60), TEN_MINUTES),
            Some(Undoable {
                back_to: Status::PendingCustomer,
                until: at(600)
            })
        );
        // Someone else's resolve, an agent's, or a later change: nothing.
        assert_eq!(
            undoable_resolve(&mine, CustomerId(8), at(60), TEN_MINUTES),
            None
        );
        let agents = [resolved_by(Actor::agent(crate::ids::AgentId(1)), 0)];
        assert_eq!(undoable_resolve(&agents, ann, at(60), TEN_MINUTES), None);
        let closed = [
            event(
                30,
                Actor::system(),
                EventData::StatusChanged {
                    from: Status::Resolved,
                    to: Status::Closed,
                },
            ),
            resolved_by(Actor::customer(ann), 0),
        ];
        assert_eq!(undoable_resolve(&closed, ann, at(60), TEN_MINUTES), None);
        assert_eq!(undoable_resolve(&[], ann, at(60), TEN_MINUTES), None);
    }

    proptest! {
        /// Undo is offered from the resolve until exactly the end of the
        /// window, never after, whatever else happened meanwhile.
        #[test]
        fn the_window_is_measured_from_the_resolve(
            window in 0i64..100_000,
            elapsed in 0i64..200_000,
            notes in 0usize..5,
        ) {
            let ann = CustomerId(7);
            let mut log: Vec<CaseEvent> = (0..notes)
                .map(|i| event(
                    (i as i64) + 1,
                    Actor::customer(ann),
                    EventData::TagsChanged { added: vec!["x".into()], removed: vec![] },
                ))
                .collect();
            log.reverse();
            log.push(resolved_by(Actor::customer(ann), 0));
            let found = undoable_resolve(&log, ann, at(elapsed), SignedDuration::from_secs(window));
            prop_assert_eq!(found.is_some(), elapsed < window);
            if let Some(u) = found {
                prop_assert_eq!(u.until, at(window));
            }
        }
    }
}
