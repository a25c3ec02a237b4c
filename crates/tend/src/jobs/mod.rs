//! The job runner: runs the durable jobs of [`tend_store::jobs`] (sending
//! email, acknowledging new cases, clearing out expired sign-ins) and the
//! periodic catch-up of SQLite's search index. A [`Registry`] maps each job
//! kind to its handler; [`start`] runs a worker over it and answers the
//! [`JobRunner`] handle that stops it.
//!
//! ```ignore
//! let runner = tend::jobs::start(store.clone(), relay)?;
//! // ... serve ...
//! runner.stop().await; // stops claiming, lets running jobs finish
//! ```

mod clean_up;
mod effort_upkeep;
pub mod outcome;
mod periodic;
mod registry;
mod runner;

pub use outcome::{JobError, payload_id};
pub use registry::{Handler, Registry};
pub use runner::{JobRunner, RunnerOptions};

use crate::mail::outbound::Relay;
use tend_store::Store;

/// Starts the job runner with Tend's handlers: acknowledgements, clean-up,
/// and, when a `relay` is given, sending email through it (without one,
/// email stays queued). Fails when TLS to the relay cannot be set up.
pub fn start(store: Store, relay: Option<Relay>) -> Result<JobRunner, String> {
    let registry = Registry::standard(relay)?;
    Ok(JobRunner::start(store, registry, RunnerOptions::default()))
}
