//! How long a customer has been waiting for the business: a fold over a
//! case's events, so it is the same wherever it is shown.

use crate::event::{CaseEvent, EventData};
use jiff::Timestamp;

/// When the customer's latest message arrived, if no public reply from the
/// business came after it; `None` means the customer is not waiting.
/// Internal notes do not count as a reply. `events` are in log order.
pub fn waiting_since<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> Option<Timestamp> {
    events
        .into_iter()
        .fold(None, |since, event| match event.data {
            EventData::MessageReceived { .. } => Some(event.at),
            EventData::ReplySent { .. } => None,
            _ => since,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Channel;
    use crate::event::Actor;
    use crate::ids::{CaseId, EventId, MessageId};

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn event(seq: i64, data: EventData) -> CaseEvent {
        CaseEvent {
            id: EventId(seq),
            case_id: CaseId(1),
            seq,
            at: at(seq * 60),
            actor: Actor::system(),
            data,
        }
    }

    fn received(seq: i64) -> CaseEvent {
        event(
            seq,
            EventData::MessageReceived {
                message_id: MessageId(seq),
                channel: Channel::Email,
            },
        )
    }

    fn replied(seq: i64) -> CaseEvent {
        event(
            seq,
            EventData::ReplySent {
                message_id: MessageId(seq),
                channel: Channel::Email,
            },
        )
    }

    #[test]
    fn nobody_waits_on_an_empty_log() {
        assert_eq!(waiting_since(&[]), None);
    }

    #[test]
    fn the_customer_waits_from_their_latest_unanswered_message() {
        assert_eq!(waiting_since(&[received(1)]), Some(at(60)));
        assert_eq!(
            waiting_since(&[received(1), replied(2), received(3)]),
            Some(at(180))
        );
        assert_eq!(
            waiting_since(&[received(1), received(2)]),
            Some(at(120)),
            "measured from their latest message"
        );
    }

    #[test]
    fn a_public_reply_ends_the_wait_but_a_note_does_not() {
        assert_eq!(waiting_since(&[received(1), replied(2)]), None);
        let note = event(
            2,
            EventData::NoteAdded {
                message_id: MessageId(2),
            },
        );
        let status = event(
            3,
            EventData::StatusChanged {
                from: crate::case::Status::New,
                to: crate::case::Status::Open,
            },
        );
        assert_eq!(waiting_since(&[received(1), note, status]), Some(at(60)));
    }
}
