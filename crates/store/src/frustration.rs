//! Frustration signals in the write path: each customer message is scored
//! ([`tend_domain::frustration`]) as it is written, and the score recorded
//! as a `frustration_scored` event that folds into the case's latest score
//! (the tally and the `frustration` column). Recorded when the message
//! scores above 0, or scores 0 after a message that did not (so the latest
//! score falls back): a calm case gains no events.

use crate::Result;
use crate::cases::append;
use crate::messages::NewMessage;
use crate::tx::Tx;
use jiff::Timestamp;
use tend_domain::event::{Actor, ActorKind, EventData};
use tend_domain::frustration::score;
use tend_domain::ids::{CaseId, MessageId};
use tend_domain::state::CaseState;

/// The new text of a message: its body without the quoted history below
/// an email reply.
fn new_text(msg: &NewMessage) -> &str {
    msg.text_quote_start
        .and_then(|end| msg.body_text.get(..end))
        .unwrap_or(&msg.body_text)
}

/// The event scoring `msg` (id `message_id`), a customer's message on a
/// case where they have been in touch `contacts` times, whose latest score
/// is `latest`; none when it need not be recorded.
fn scored(msg: &NewMessage, message_id: MessageId, contacts: u32, latest: u8) -> Option<EventData> {
    if msg.author.kind != ActorKind::Customer || msg.internal {
        return None;
    }
    let found = score(new_text(msg), contacts);
    (found.score > 0 || latest > 0).then_some(EventData::FrustrationScored {
        message_id,
        score: found.score,
        signals: found.signals,
    })
}

/// The opening log's event scoring a new case's first message (its
/// `message_id` a placeholder until the message row exists, like the
/// `message_received` event's), if it scores. A case that repeats an
/// earlier one (`log` has `repeat_linked`) counts as a second contact.
pub(crate) fn opening(msg: &NewMessage, log: &[(Actor, EventData)]) -> Option<(Actor, EventData)> {
    let repeats = log
        .iter()
        .any(|(_, data)| matches!(data, EventData::RepeatLinked { .. }));
    let contacts = if repeats { 2 } else { 1 };
    scored(msg, MessageId(0), contacts, 0).map(|data| (Actor::system(), data))
}

/// Fills the new message's id into the opening log's placeholders.
pub(crate) fn name_message(log: &mut [(Actor, EventData)], id: MessageId) {
    for (_, data) in log {
        match data {
            EventData::MessageReceived { message_id, .. }
            | EventData::FrustrationScored { message_id, .. }
                if *message_id == MessageId(0) =>
            {
                *message_id = id;
            }
            _ => {}
        }
    }
}

/// After a message `id` was written on case `case_id` (and its own event
/// applied to `state`): records its score, when there is one to record.
/// The case's contact count adds to the score only when this message
/// chases an earlier one still unanswered.
pub(crate) async fn after_message(
    tx: &mut Tx,
    case_id: CaseId,
    state: &mut CaseState,
    msg: &NewMessage,
    id: MessageId,
    at: Timestamp,
) -> Result<()> {
    // Contacts count only while the customer chases an unanswered one: a
    // wait that began before this message.
    let chasing = state.effort.waiting_since.is_some_and(|since| since < at);
    let contacts = if chasing { state.effort.contacts } else { 1 };
    if let Some(data) = scored(msg, id, contacts, state.effort.frustration) {
        append(tx, case_id, state, Actor::system(), data, at).await?;
    }
    Ok(())
}
