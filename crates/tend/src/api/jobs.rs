//! Jobs: the job runner's queue as admins see it (what is waiting, what
//! failed and why) and the retry of a dead job. Admins only.

use super::extract::{Id, Params, Principal};
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_store::jobs::{Job, JobState};
use utoipa::IntoParams;

/// Which jobs to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobListParams {
    /// `queued`, `running` or `dead`; every state when absent.
    state: Option<String>,
}

/// Jobs, newest first (at most 500): by default all of them, or those in
/// `state` (`dead` for the ones that ran out of attempts).
#[utoipa::path(get, path = "/jobs", tag = "jobs", params(JobListParams),
    responses((status = 200, description = "The jobs", body = Vec<Job>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
    Params(params): Params<JobListParams>,
) -> ApiResult<axum::Json<Vec<Job>>> {
    me.require(Action::Administer)?;
    let state = params
        .state
        .as_deref()
        .map(|raw| JobState::parse("state", raw))
        .transpose()?;
    Ok(axum::Json(s.store.jobs(state).await?))
}

/// Queues a dead job again, due now, with a fresh set of attempts. 409 when
/// the job is not dead.
#[utoipa::path(post, path = "/jobs/{id}/retry", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 200, description = "The job, queued again", body = Job)))]
pub async fn retry(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Job>> {
    me.require(Action::Administer)?;
    Ok(axum::Json(s.store.retry_job(id, tend_store::now()).await?))
}
