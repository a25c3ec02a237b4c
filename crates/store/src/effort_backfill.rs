//! Deriving the effort projection of cases written before it existed: each
//! such case (`effort_folded = 0`) has its whole log folded again and its
//! row rewritten from the fold, a batch per transaction.

use crate::cases::{load_state, save_state};
use crate::rows::parse_word;
use crate::time::from_micros;
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError};
use tend_domain::event::{Actor, ActorKind, CaseEvent, CaseState};
use tend_domain::ids::{CaseId, EventId};

impl Store {
    /// Folds the effort of up to `batch` cases still without it; answers
    /// how many were done (0 when none are left).
    pub async fn fold_effort_backlog(&self, batch: i64) -> Result<usize> {
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let ids = tx
                    .fetch_all(
                        "SELECT id FROM cases WHERE effort_folded = 0 ORDER BY id LIMIT $1",
                        args![batch],
                    )
                    .await?
                    .iter()
                    .map(|r| r.int("id").map(CaseId))
                    .collect::<Result<Vec<_>>>()?;
                for &id in &ids {
                    let before = load_state(tx, dialect, id).await?;
                    let folded = CaseState::fold(&log(tx, id).await?)
                        .map_err(|e| StoreError::Corrupt(format!("case #{id}: {e}")))?;
                    save_state(tx, id, &folded, &before).await?;
                }
                Ok(ids.len())
            })
        })
        .await
    }
}

/// Case `id`'s whole log, in order.
async fn log(tx: &mut Tx, id: CaseId) -> Result<Vec<CaseEvent>> {
    let rows = tx
        .fetch_all(
            "SELECT id, seq, actor_kind, actor_id, data, created_at FROM case_events \
             WHERE case_id = $1 ORDER BY seq",
            args![id.0],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CaseEvent {
                id: EventId(r.int("id")?),
                case_id: id,
                seq: r.int("seq")?,
                at: from_micros(r.int("created_at")?)?,
                actor: Actor {
                    kind: parse_word("actor_kind", &r.text("actor_kind")?, ActorKind::parse)?,
                    id: r.opt_int("actor_id")?,
                },
                data: crate::rows::parse_json("data", &r.text("data")?)?,
            })
        })
        .collect()
}
