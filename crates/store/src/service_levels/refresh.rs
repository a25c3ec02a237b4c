//! Measuring cases again after the SLA set-up changed (a policy added,
//! edited, moved or deleted): a job walks the cases that are open or had
//! an SLA, a batch per transaction, and refolds each one's projection.

use super::upkeep::refold;
use crate::cases::load_state;
use crate::jobs::{JobKind, NewJob, enqueue};
use crate::tx::{Tx, args};
use crate::{Result, Store, now};
use serde_json::json;
use tend_domain::ids::CaseId;

/// Queues a walk over the cases from the start.
pub(crate) async fn queue(tx: &mut Tx) -> Result<()> {
    enqueue(
        tx,
        &NewJob::new(JobKind::SlaRefresh, json!({"after": 0}), now()),
    )
    .await?;
    Ok(())
}

impl Store {
    /// Measures up to `batch` cases after id `after` again (those open or
    /// with an SLA); answers the last id looked at, or `None` when done.
    pub async fn refresh_sla(&self, after: i64, batch: i64) -> Result<Option<i64>> {
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let ids: Vec<i64> = tx
                    .fetch_all(
                        "SELECT id FROM cases WHERE id > $1 AND (status NOT IN ('resolved', 'closed') \
                         OR sla_policy_id IS NOT NULL) ORDER BY id LIMIT $2",
                        args![after, batch],
                    )
                    .await?
                    .iter()
                    .map(|r| r.int("id"))
                    .collect::<Result<_>>()?;
                for id in &ids {
                    let state = load_state(tx, dialect, CaseId(*id)).await?;
                    refold(tx, CaseId(*id), &state).await?;
                }
                Ok(ids.last().copied())
            })
        })
        .await
    }
}
