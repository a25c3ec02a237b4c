//! The one-off `effort_backfill` job, queued by the migration that added
//! the effort projection when there were cases already: folds their logs a
//! batch at a time until none is left, logging progress.

use super::JobError;
use tend_store::Store;
use tend_store::jobs::Job;

/// Cases folded per transaction.
const BATCH: i64 = 200;

/// Folds every case still without its effort projection.
pub(super) async fn run(store: Store, _job: Job) -> Result<(), JobError> {
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
