//! The worker loop: claims due jobs of the registry's kinds (a cheap read
//! first, so an idle poll costs the writer nothing), runs up to
//! [`RunnerOptions::concurrency`] at once, each in a tracing span with its
//! id, kind and case, and records the outcome: done (deleted, or queued
//! again for a recurring kind), failed (queued after the back-off) or dead.
//! It polls every [`RunnerOptions::poll`] and wakes at once when this
//! process commits a new job. Runs and failures are counted by kind.

use super::periodic;
use super::registry::{Entry, Registry};
use crate::metrics::JobMetrics;
use std::sync::Arc;
use std::time::Duration;
use tend_store::jobs::{Job, JobKind};
use tend_store::{Store, now};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tracing::Instrument;

/// How a runner works.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Most jobs running at once.
    pub concurrency: usize,
    /// How often to look for due jobs when nothing wakes the runner.
    pub poll: Duration,
    /// How long a claimed job is this runner's; if it has not finished by
    /// then (the process died), another runner may take it.
    pub lease: Duration,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions {
            concurrency: 4,
            poll: Duration::from_millis(500),
            lease: Duration::from_secs(300),
        }
    }
}

/// A running job runner. [`JobRunner::stop`] stops it gracefully; dropping
/// the handle stops it too, without waiting.
pub struct JobRunner {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl JobRunner {
    /// Starts a runner over `registry`'s kinds, counting runs in
    /// `metrics`, with the periodic search index catch-up beside it.
    pub fn start(
        store: Store,
        registry: Registry,
        options: RunnerOptions,
        metrics: JobMetrics,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(work(
                store.clone(),
                Arc::new(registry),
                options,
                metrics,
                stopped.clone(),
            )),
            tokio::spawn(periodic::run(store, stopped)),
        ];
        JobRunner { stop, tasks }
    }

    /// Stops claiming jobs, waits for the running ones to finish and
    /// returns.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a job runner task ended badly");
            }
        }
    }
}

/// Claims and runs jobs until `stop`, then lets the running ones finish.
async fn work(
    store: Store,
    registry: Arc<Registry>,
    options: RunnerOptions,
    metrics: JobMetrics,
    mut stop: watch::Receiver<bool>,
) {
    let kinds = registry.kinds();
    let mut running = JoinSet::new();
    let wake = tend_store::jobs::wake_signal();
    while !*stop.borrow() {
        // Listen before claiming, so a job committed meanwhile still wakes us.
        let woken = wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let free = options.concurrency.saturating_sub(running.len());
        for job in claim(&store, &kinds, free, options.lease).await {
            let Some(entry) = registry.get(job.kind).cloned() else {
                continue;
            };
            let span = job_span(&job);
            running.spawn(run_one(store.clone(), entry, job, metrics.clone()).instrument(span));
        }
        let full = running.len() >= options.concurrency;
        tokio::select! {
            // A dropped handle stops the runner too.
            changed = stop.changed() => if changed.is_err() { break },
            _ = &mut woken, if !full => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
            _ = tokio::time::sleep(options.poll), if !full => {}
        }
    }
    while running.join_next().await.is_some() {}
}

/// Up to `limit` due jobs of `kinds`, claimed for `lease`; none on error
/// (logged: the next poll tries again).
async fn claim(store: &Store, kinds: &[JobKind], limit: usize, lease: Duration) -> Vec<Job> {
    if limit == 0 {
        return Vec::new();
    }
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    claim_due(store, kinds, limit, lease)
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "claiming jobs failed");
            Vec::new()
        })
}

/// Claims due jobs, asking the writer only when a read finds some.
async fn claim_due(
    store: &Store,
    kinds: &[JobKind],
    limit: i64,
    lease: Duration,
) -> Result<Vec<Job>, tend_store::StoreError> {
    // The store's clock, which tests move forward to bring jobs due.
    let at = store.clock().now();
    if !store.jobs_due(kinds, at).await? {
        return Ok(Vec::new());
    }
    store.claim_jobs(kinds, limit, at, lease).await
}

/// The span a job runs in: its id and kind, and its case when it has one.
fn job_span(job: &Job) -> tracing::Span {
    let case = job.payload.get("case_id").and_then(|c| c.as_i64());
    tracing::info_span!("job", id = job.id, kind = %job.kind, attempt = job.attempts, case)
}

/// Runs one claimed job and records how it went.
async fn run_one(store: Store, entry: Entry, job: Job, metrics: JobMetrics) {
    let outcome = (entry.handler)(store.clone(), job.clone()).await;
    metrics.ran(job.kind, outcome.is_err());
    let recorded = match outcome {
        Ok(()) => {
            let next = entry
                .every
                .and_then(|every| jiff::SignedDuration::try_from(every).ok())
                .and_then(|every| now().checked_add(every).ok());
            store.complete_job(&job, next).await
        }
        Err(e) => {
            tracing::warn!(error = %e, failure = ?e.failure, "job failed");
            store
                .fail_job(&job, &e.message, e.failure, now())
                .await
                .map(|_| ())
        }
    };
    if let Err(e) = recorded {
        tracing::error!(error = %e, "recording a job's outcome failed");
    }
}
