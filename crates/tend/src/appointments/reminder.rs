//! The `appointment_reminder` job: the day before a booked visit, the
//! customer gets a reminder with the calendar invitation again. A visit
//! moved since the job was queued has its own job; one called off or
//! already reminded gets nothing ([`tend_store::appointments::changes`]).

use super::scheduler::Scheduler;
use crate::jobs::{JobError, payload_id};
use tend_domain::event::Actor;
use tend_domain::ids::AppointmentId;
use tend_store::Store;
use tend_store::appointments::changes::Change;
use tend_store::jobs::Job;

/// Sends the reminder of the job's appointment if it is still due.
pub async fn run(store: Store, job: Job, public_url: &str, business: &str) -> Result<(), JobError> {
    let id = AppointmentId(payload_id(&job, "appointment_id")?);
    let appointment = store.appointment(id).await?;
    let scheduler = Scheduler {
        store: &store,
        business,
        public_url,
    };
    scheduler
        .change(&appointment, Change::Remind, Actor::system(), None)
        .await?;
    Ok(())
}
