//! The SLA jobs: `sla_timer` looks at one case at its next moment (a
//! warning or a breach is due) and `sla_refresh` measures cases again,
//! a batch at a time, after an admin changed the SLA set-up.

use super::{JobError, payload_id};
use crate::metrics::SlaMetrics;
use tend_domain::ids::CaseId;
use tend_store::Store;
use tend_store::jobs::Job;

/// Cases per transaction when measuring again.
const BATCH: i64 = 500;

/// Records the warnings and breaches due on the job's case; counts the
/// breaches in `metrics`.
pub(super) async fn timer(store: Store, job: Job, metrics: &SlaMetrics) -> Result<(), JobError> {
    let case = CaseId(payload_id(&job, "case_id")?);
    let alerts = store.check_sla(case, store.clock().now()).await?;
    for alert in alerts {
        if alert.breached {
            metrics.breached(alert.clock);
        }
        tracing::info!(
            case = %alert.case_id,
            clock = %alert.clock,
            breached = alert.breached,
            "SLA {}",
            if alert.breached { "breached" } else { "warning" }
        );
    }
    Ok(())
}

/// Measures every open case (and every case with an SLA) again.
pub(super) async fn refresh(store: Store, job: Job) -> Result<(), JobError> {
    let mut after = payload_id(&job, "after")?;
    while let Some(last) = store.refresh_sla(after, BATCH).await? {
        after = last;
        tracing::info!(up_to_case = last, "measured cases against the SLA policies");
    }
    Ok(())
}
