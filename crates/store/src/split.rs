//! Splitting a case: messages an agent selected move to a new case of the
//! same customer, in one transaction. The messages move (with their
//! attachments, which hang off them, and their email Message-IDs, so later
//! replies to them thread to the new case); the old case records
//! `split_into` and the new one `split_from`, each listing the messages, so
//! both logs say where every message went. The old case's earlier
//! `message_received` events still name the moved messages: the split
//! event after them says they left.

use crate::cases::{append, insert_case_row, insert_event, load_state, save_state};
use crate::model::Case;
use crate::tx::args;
use crate::{Result, Store, now};
use tend_domain::Invalid;
use tend_domain::case::{MAX_SUBJECT, Status};
use tend_domain::event::{Actor, EventData};
use tend_domain::ids::{CaseId, MessageId};
use tend_domain::state::CaseState;
use tend_domain::text;

/// Most messages split off in one go.
pub const MAX_SPLIT: usize = 100;

impl Store {
    /// Moves `message_ids` of case `from` to a new case titled `subject`
    /// for the same customer (same channel, priority, team, assignee,
    /// agreement and tags); answers the old and the new case. Refused, with
    /// nothing written, for no messages, more than [`MAX_SPLIT`], a message
    /// of another case, every message of the case (nothing would remain:
    /// rename the case instead), a closed case or a bad subject.
    pub async fn split_case(
        &self,
        from: CaseId,
        message_ids: &[MessageId],
        subject: &str,
        actor: Actor,
    ) -> Result<(Case, Case)> {
        let field = "message_ids";
        let mut ids = message_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Err(Invalid::new(field, "select at least one message to split off").into());
        }
        if ids.len() > MAX_SPLIT {
            return Err(Invalid::new(
                field,
                format!("split at most {MAX_SPLIT} messages at a time"),
            )
            .into());
        }
        let subject = text::required_clean("subject", subject, MAX_SUBJECT)?;
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let mut old = load_state(tx, dialect, from).await?;
                if old.status == Status::Closed {
                    return Err(Invalid::new(
                        field,
                        format!("case #{from} is closed; its messages stay where they are"),
                    )
                    .into());
                }
                let on_case: Vec<MessageId> = tx
                    .fetch_all(
                        "SELECT id FROM messages WHERE case_id = $1 ORDER BY id",
                        args![from.0],
                    )
                    .await?
                    .iter()
                    .map(|row| row.int("id").map(MessageId))
                    .collect::<Result<_>>()?;
                if let Some(stray) = ids.iter().find(|id| !on_case.contains(id)) {
                    return Err(Invalid::new(
                        field,
                        format!("message {stray} is not on case #{from}"),
                    )
                    .into());
                }
                if ids.len() == on_case.len() {
                    return Err(Invalid::new(
                        field,
                        "every message is selected, so nothing would remain: \
                         leave at least one, or rename the case instead",
                    )
                    .into());
                }
                let at = now();
                let opened = EventData::CaseOpened {
                    subject,
                    customer_id: old.customer_id,
                    channel: old.channel,
                    status: Status::New,
                    priority: old.priority,
                    tags: old.tags.iter().cloned().collect(),
                    agreement_id: old.agreement_id,
                    team_id: old.team_id,
                    assignee_id: old.assignee_id,
                };
                let mut new = CaseState::opened(actor.kind, &opened, at, 1)
                    .ok_or(crate::StoreError::Corrupt("case_opened expected".into()))?;
                let to = insert_case_row(tx, &new).await?;
                insert_event(tx, to, 1, actor, &opened, at).await?;
                for id in &ids {
                    tx.execute(
                        "UPDATE messages SET case_id = $1 WHERE id = $2",
                        args![to.0, id.0],
                    )
                    .await?;
                }
                let (old_before, new_before) = (old.clone(), new.clone());
                let into = EventData::SplitInto {
                    case_id: to,
                    message_ids: ids.clone(),
                };
                append(tx, from, &mut old, actor, into, at).await?;
                let split_from = EventData::SplitFrom {
                    case_id: from,
                    message_ids: ids,
                };
                append(tx, to, &mut new, actor, split_from, at).await?;
                save_state(tx, from, &old, &old_before).await?;
                save_state(tx, to, &new, &new_before).await?;
                Ok((
                    Case::from_state(from, &old, tx.effort()),
                    Case::from_state(to, &new, tx.effort()),
                ))
            })
        })
        .await
    }
}
