//! The recurring `clean_up` job: deletes expired sessions, pending
//! sign-ins and portal links. The runner queues it again after each run.

use super::JobError;
use tend_store::Store;
use tend_store::jobs::Job;

/// Runs one clean-up.
pub(super) async fn run(store: Store, _job: Job) -> Result<(), JobError> {
    let deleted = store.delete_expired(tend_store::now()).await?;
    tracing::debug!(deleted, "cleared out expired sessions and links");
    Ok(())
}
