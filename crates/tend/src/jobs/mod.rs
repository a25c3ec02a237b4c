//! The job runner: runs the durable jobs of [`tend_store::jobs`] (sending
//! email, acknowledging new cases, surveying customers after resolution,
//! breaking promises at their due time, clearing out expired sign-ins)
//! and the
//! periodic catch-up of SQLite's search index. A [`Registry`] maps each job
//! kind to its handler; [`start`] runs a worker over it and answers the
//! [`JobRunner`] handle that stops it.
//!
//! ```ignore
//! let runner = tend::jobs::start(store.clone(), relay, public_url, business, lease, &metrics)?;
//! // ... serve ...
//! runner.stop().await; // stops claiming, lets running jobs finish
//! ```

mod clean_up;
mod effort_upkeep;
pub mod outcome;
mod periodic;
mod promises;
mod registry;
mod rules;
mod runner;
mod sla;

pub use outcome::{JobError, payload_id};
pub use registry::{Handler, Registry};
pub use runner::{JobRunner, RunnerOptions};

use crate::mail::outbound::Relay;
use crate::metrics::Metrics;
use tend_store::Store;

/// Starts the job runner with Tend's handlers: acknowledgements, surveys
/// and reminders (linking to `public_url`, sent as `business` where a case
/// has no inbox), clean-up, and, when a `relay` is given, sending email
/// through it (without one, email stays queued). A claimed job is this
/// node's for `lease`; if the node dies, another takes it after that. Runs, failures and SLA
/// breaches are counted in `metrics`. Fails when TLS to the relay cannot
/// be set up.
pub fn start(
    store: Store,
    relay: Option<Relay>,
    public_url: String,
    business: String,
    lease: std::time::Duration,
    metrics: &Metrics,
) -> Result<JobRunner, String> {
    let registry = Registry::standard(relay, public_url, business, metrics.sla.clone())?;
    Ok(JobRunner::start(
        store,
        registry,
        RunnerOptions {
            lease,
            ..RunnerOptions::default()
        },
        metrics.jobs.clone(),
    ))
}
