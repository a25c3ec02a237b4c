//! The `promise_due` job: at a promise's due time, records it broken
//! (and tells the assignee or team) unless it was kept in the meantime.

use super::{JobError, payload_id};
use tend_domain::ids::CaseId;
use tend_store::Store;
use tend_store::jobs::Job;

/// Records the promises of the job's case that are due and still open.
pub(super) async fn due(store: Store, job: Job) -> Result<(), JobError> {
    let case = CaseId(payload_id(&job, "case_id")?);
    for broken in store.break_due_promises(case, store.clock().now()).await? {
        tracing::info!(case = %case, seq = broken.seq, "promise broken at its due time");
    }
    Ok(())
}
