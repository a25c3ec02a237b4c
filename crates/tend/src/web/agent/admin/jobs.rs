//! Jobs: what the job runner has not done yet. Dead jobs (out of attempts,
//! or failed for good) are listed with their last error and a Retry button;
//! below them the jobs waiting, with the error of a run that failed.

use super::{Confirm, layout, respond, settle};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Layout, when};
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use tend_domain::agent::Action;
use tend_store::jobs::{Job, JobState};

/// Where this page lives.
const HOME: &str = "/admin/jobs";

/// One job, ready to show.
struct Row {
    id: i64,
    kind: &'static str,
    state: &'static str,
    attempts: i64,
    max_attempts: i64,
    last_error: Option<String>,
    run_at: String,
}

impl From<Job> for Row {
    fn from(job: Job) -> Self {
        Row {
            id: job.id,
            kind: job.kind.as_str(),
            state: job.state.as_str(),
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            last_error: job.last_error,
            run_at: when(&job.run_at),
        }
    }
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage {
    layout: Layout,
    section: &'static str,
    dead: Vec<Row>,
    waiting: Vec<Row>,
    error: Option<String>,
}

async fn render(
    s: &AppState,
    session: &Session,
    error: Option<String>,
) -> Result<Response, WebError> {
    let layout = layout(session)?;
    let (dead, waiting): (Vec<Job>, Vec<Job>) = s
        .store
        .jobs(None)
        .await?
        .into_iter()
        .partition(|j| j.state == JobState::Dead);
    let page = JobsPage {
        layout,
        section: "jobs",
        dead: dead.into_iter().map(Row::from).collect(),
        waiting: waiting.into_iter().map(Row::from).collect(),
        error,
    };
    respond(&page, &page.error)
}

/// Lists dead and waiting jobs.
pub async fn list(State(s): State<AppState>, session: Session) -> Result<Response, WebError> {
    render(&s, &session, None).await
}

/// Queues a dead job again, due now.
pub async fn retry(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Confirm>,
) -> Result<Response, WebError> {
    let Posted { session, .. } = posted;
    session.require(Action::Administer)?;
    let retried = s
        .store
        .retry_job(id, tend_store::now())
        .await
        .map_err(ApiError::from);
    settle(retried, HOME, |m| render(&s, &session, Some(m))).await
}
