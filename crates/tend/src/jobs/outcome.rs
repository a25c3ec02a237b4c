//! What a job handler answers: done, or why not and whether waiting may
//! help. A leaf module, so the handlers (in `mail`) and the runner that calls
//! them both depend on it and not on each other.

use tend_store::StoreError;
use tend_store::jobs::{Failure, Job};

/// Why a run failed, and whether waiting may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    pub failure: Failure,
    pub message: String,
}

impl JobError {
    /// A failure worth trying again after the back-off.
    pub fn transient(message: impl std::fmt::Display) -> Self {
        JobError {
            failure: Failure::Transient,
            message: message.to_string(),
        }
    }

    /// A failure no retry will cure: the job is dead at once.
    pub fn permanent(message: impl std::fmt::Display) -> Self {
        JobError {
            failure: Failure::Permanent,
            message: message.to_string(),
        }
    }
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<StoreError> for JobError {
    /// What a job names is gone for good; anything else the database says
    /// may pass.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) | StoreError::Corrupt(_) => JobError::permanent(e),
            other => JobError::transient(other),
        }
    }
}

/// The id named `field` in `job`'s payload; a job without one can never
/// run, so it is dead at once.
pub fn payload_id(job: &Job, field: &str) -> Result<i64, JobError> {
    job.payload
        .get(field)
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| JobError::permanent(format!("the job's payload has no `{field}`")))
}
