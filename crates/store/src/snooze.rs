//! Snoozing a case: put aside until a time, it leaves the working views
//! (their filter compares `snoozed_until` with the store's clock, so no job
//! wakes it) and comes back when the time passes. A customer's message ends
//! the snooze early (see `cases::write_message`).

use crate::model::Case;
use crate::{Result, Store};
use jiff::Timestamp;
use tend_domain::event::{Actor, EventData};
use tend_domain::ids::CaseId;

impl Store {
    /// Snoozes case `id` until `until`, or wakes it (`None`): a `snoozed`
    /// or `unsnoozed` event, whose fold keeps the row's `snoozed_until`.
    /// Refused for a time not in the future (by the store's clock) or more
    /// than a year ahead, a resolved or closed case, and waking a case that
    /// is not snoozed.
    pub async fn snooze_case(
        &self,
        id: CaseId,
        until: Option<Timestamp>,
        actor: Actor,
    ) -> Result<Case> {
        let data = match until {
            Some(until) => EventData::Snoozed { until },
            None => EventData::Unsnoozed { by_customer: false },
        };
        self.record_event(id, data, actor, None).await?;
        self.case(id).await
    }
}
