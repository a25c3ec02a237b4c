//! Keeping the effort projection whole: cases written before it existed
//! (`effort_folded = 0`) have their whole log folded again and their row
//! rewritten from the fold; when the configured weights change, every case
//! is scored again from its stored tally. A batch per transaction.

use crate::cases::{load_state, save_state};
use crate::jobs::{JobKind, NewJob, enqueue};
use crate::rows::parse_word;
use crate::time::from_micros;
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError, now};
use tend_domain::effort::EffortTally;
use tend_domain::event::{Actor, ActorKind, CaseEvent};
use tend_domain::ids::{CaseId, EventId};
use tend_domain::state::CaseState;

impl Store {
    /// Records the weights this store scores by; when they differ from the
    /// ones recorded before, queues the `effort_rescore` job. Answers
    /// whether it did.
    pub async fn adopt_effort_weights(&self) -> Result<bool> {
        let weights = serde_json::to_string(self.effort_weights())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(move |tx| {
            Box::pin(async move {
                let recorded = tx
                    .fetch_optional("SELECT weights FROM effort_scoring WHERE id = 1", args![])
                    .await?
                    .map(|r| r.text("weights"))
                    .transpose()?;
                match recorded {
                    Some(old) if old == weights => Ok(false),
                    Some(_) => {
                        tx.execute(
                            "UPDATE effort_scoring SET weights = $1 WHERE id = 1",
                            args![weights],
                        )
                        .await?;
                        let job = NewJob::new(JobKind::EffortRescore, serde_json::json!({}), now());
                        enqueue(tx, &job).await?;
                        Ok(true)
                    }
                    None => {
                        tx.execute(
                            "INSERT INTO effort_scoring (id, weights) VALUES (1, $1)",
                            args![weights],
                        )
                        .await?;
                        Ok(false)
                    }
                }
            })
        })
        .await
    }

    /// Scores up to `batch` cases after id `after` again from their stored
    /// tallies, rewriting those whose score changed; answers the last id
    /// looked at, or `None` when there were no more.
    pub async fn rescore_effort(&self, after: i64, batch: i64) -> Result<Option<i64>> {
        self.write(move |tx| {
            Box::pin(async move {
                let rows = tx
                    .fetch_all(
                        "SELECT id, effort, effort_index, effort_level FROM cases \
                         WHERE id > $1 ORDER BY id LIMIT $2",
                        args![after, batch],
                    )
                    .await?;
                let mut last = None;
                for row in rows {
                    let id = row.int("id")?;
                    last = Some(id);
                    let tally: EffortTally =
                        crate::rows::parse_json("effort", &row.text("effort")?)?;
                    let score = tx.effort().score(&tally);
                    let index = i64::from(score.index);
                    if row.int("effort_index")? != index
                        || row.text("effort_level")? != score.level.as_str()
                    {
                        tx.execute(
                            "UPDATE cases SET effort_index = $1, effort_level = $2 WHERE id = $3",
                            args![index, score.level.as_str(), id],
                        )
                        .await?;
                    }
                }
                Ok(last)
            })
        })
        .await
    }

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
