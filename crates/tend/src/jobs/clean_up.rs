//! The recurring `clean_up` job: deletes expired sessions, pending
//! sign-ins, portal links and rate-limit counts older than any limit's
//! window. The runner queues it again after each run.

use super::JobError;
use tend_store::Store;
use tend_store::jobs::Job;

/// Runs one clean-up.
pub(super) async fn run(store: Store, _job: Job) -> Result<(), JobError> {
    let deleted = store.delete_expired(tend_store::now()).await?;
    let hits = store.delete_old_throttle_hits().await?;
    tracing::debug!(
        deleted,
        hits,
        "cleared out expired sessions, links and rate-limit counts"
    );
    Ok(())
}
