//! Merging one case into another, in one transaction: the source case's
//! messages (and so their attachments and email Message-IDs, which replies
//! thread by) move to the target, the source is closed with a
//! `case_merged` event and the target records `merged_from`. The source's
//! own log, customer effort included, stays where it is, linked both ways.

use crate::cases::{append, load_state, save_state};
use crate::model::Case;
use crate::tx::args;
use crate::{Result, Store, StoreError, now};
use tend_domain::Invalid;
use tend_domain::case::Status;
use tend_domain::event::{Actor, EventData};
use tend_domain::ids::{CaseId, MessageId};

impl Store {
    /// Merges case `from` into case `into`; answers both cases as they are
    /// afterwards. Refused (nothing written) for a case into itself, from or
    /// into a closed case, or across customers unless
    /// `other_customer_confirmed`.
    pub async fn merge_cases(
        &self,
        from: CaseId,
        into: CaseId,
        actor: Actor,
        other_customer_confirmed: bool,
    ) -> Result<(Case, Case)> {
        if let Err(StoreError::NotFound(_)) = self.case(into).await {
            return Err(Invalid::new("into", format!("there is no case #{into}")).into());
        }
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                // Lock both rows in id order, so two opposite merges cannot deadlock.
                let (low, high) = (from.min(into), from.max(into));
                let low_state = load_state(tx, dialect, low).await?;
                let high_state = load_state(tx, dialect, high).await?;
                let (mut source, mut target) = if low == from {
                    (low_state, high_state)
                } else {
                    (high_state, low_state)
                };
                source.check_merge(from, into, &target, other_customer_confirmed)?;
                let message_ids = tx
                    .fetch_all(
                        "SELECT id FROM messages WHERE case_id = $1 ORDER BY id",
                        args![from.0],
                    )
                    .await?
                    .iter()
                    .map(|row| row.int("id").map(MessageId))
                    .collect::<Result<Vec<_>>>()?;
                tx.execute(
                    "UPDATE messages SET case_id = $1 WHERE case_id = $2",
                    args![into.0, from.0],
                )
                .await?;
                let (source_before, target_before) = (source.clone(), target.clone());
                let at = now();
                let closing = EventData::StatusChanged {
                    from: source.status,
                    to: Status::Closed,
                };
                append(tx, from, &mut source, actor, closing, at).await?;
                let merged = EventData::CaseMerged {
                    into,
                    message_ids: message_ids.clone(),
                };
                append(tx, from, &mut source, actor, merged, at).await?;
                let absorbed = EventData::MergedFrom { from, message_ids };
                append(tx, into, &mut target, actor, absorbed, at).await?;
                save_state(tx, from, &source, &source_before).await?;
                save_state(tx, into, &target, &target_before).await?;
                Ok((
                    Case::from_state(from, &source, tx.effort()),
                    Case::from_state(into, &target, tx.effort()),
                ))
            })
        })
        .await
    }
}
