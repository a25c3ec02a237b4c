//! The one-off effort jobs: `effort_backfill`, queued by the migration that
//! added the effort projection when there were cases already, folds their
//! logs; `effort_rescore`, queued at start when the weights changed, scores
//! every case again from its stored tally. Both work a batch at a time and
//! log their progress.

use super::JobError;
use tend_store::Store;
use tend_store::jobs::Job;

/// Cases per transaction.
const BATCH: i64 = 200;

/// Folds every case still without its effort projection.
pub(super) async fn backfill(store: Store, _job: Job) -> Result<(), JobError> {
    let mut total = 0;
    loop {
        let done = store.fold_effort_backlog(BATCH).await?;
        if done == 0 {
            break;
        }
        total += done;
        tracing::info!(cases = total, "derived customer effort for existing cases");
    }
    Ok(())
}

/// Scores every case again under the current weights.
pub(super) async fn rescore(store: Store, _job: Job) -> Result<(), JobError> {
    let mut after = 0;
    while let Some(last) = store.rescore_effort(after, BATCH * 5).await? {
        after = last;
        tracing::info!(
            up_to_case = last,
            "scored customer effort with the new weights"
        );
    }
    Ok(())
}
