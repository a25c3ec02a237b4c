//! Durable jobs: work that must happen after a change commits (sending an
//! email, acknowledging a new case, clearing out expired sign-ins), kept in
//! one `jobs` table on both backends. A job is enqueued with [`enqueue`]
//! inside the transaction of the change that causes it, so it exists if and
//! only if the change does. Workers claim due jobs with a lease (PostgreSQL:
//! `FOR UPDATE SKIP LOCKED`, so two workers never take the same row; SQLite:
//! through the single writer, which serialises claims anyway); a worker that
//! dies leaves its jobs due again when the lease runs out. A failed job is
//! tried again after an exponential back-off and is kept as `dead`, with its
//! last error, once it runs out of attempts; an admin can retry it.

use crate::time::{from_micros, micros};
use crate::tx::{Arg, Tx, TxRow, args};
use crate::{Dialect, Result, Store, StoreError};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use utoipa::ToSchema;

tend_domain::string_enum!(
    /// What a job does; each kind has one handler in the runner.
    JobKind {
        /// Hands one outbound email (`{"outbound_id": n}`) to the relay.
        SendEmail = "send_email",
        /// Acknowledges a case a customer's email opened
        /// (`{"case_id": n, "message_id": n}`).
        Acknowledge = "acknowledge",
        /// Deletes expired sessions and sign-in links; reschedules itself.
        CleanUp = "clean_up",
        /// Derives the effort projection of cases written before it existed.
        EffortBackfill = "effort_backfill",
        /// Scores every case's effort again after the weights changed.
        EffortRescore = "effort_rescore",
        /// Sends the survey of a resolved case (`{"case_id": n}`) if it is
        /// still due.
        Survey = "survey",
        /// Looks at a case's SLA clocks at their next moment
        /// (`{"case_id": n}`): records warnings and breaches, escalates.
        SlaTimer = "sla_timer",
        /// Measures cases again after the SLA set-up changed
        /// (`{"after": id}`); queues itself for the next batch.
        SlaRefresh = "sla_refresh",
        /// Emails an agent their notifications not yet read or emailed
        /// (`{"agent_id": n}`): one, or a digest of several.
        NotificationEmail = "notification_email",
        /// Runs a waiting rule at its moment
        /// (`{"rule_id": n, "case_id": n, "seq": n}`).
        RuleTimer = "rule_timer",
        /// Sends a rule's canned reply on a case
        /// (`{"rule_id": n, "case_id": n, "canned_reply_id": n}`).
        RuleReply = "rule_reply",
        /// Records the open promises of a case (`{"case_id": n, "seq": n}`,
        /// the promise made by event `seq`) broken once due, unless kept.
        PromiseDue = "promise_due",
        /// Reminds the customer of a booked visit the day before
        /// (`{"appointment_id": n}`), unless it moved or was called off.
        AppointmentReminder = "appointment_reminder",
        /// Makes an attempt at a webhook delivery (`{"delivery_id": n}`).
        WebhookDelivery = "webhook_delivery",
    }
);

tend_domain::string_enum!(
    /// Where a job is in its life. A job that succeeds is deleted (or, when
    /// it recurs, queued again for its next run).
    JobState {
        /// Waiting for its `run_at`.
        Queued = "queued",
        /// Claimed by a worker until `locked_until`.
        Running = "running",
        /// Out of attempts (or failed for good); kept until retried.
        Dead = "dead",
    }
);

/// A stored job.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    /// The kind's arguments, as JSON.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub state: JobState,
    /// When it is (or was) due.
    #[schema(value_type = String, format = DateTime)]
    pub run_at: Timestamp,
    /// Runs started so far (a claim counts as one).
    pub attempts: i64,
    /// Runs allowed before it is dead.
    pub max_attempts: i64,
    /// Why the latest run failed.
    pub last_error: Option<String>,
    /// While running: when the claim lapses and the job is due again.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub locked_until: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// The number of jobs of one kind in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCount {
    pub kind: String,
    pub state: String,
    pub count: i64,
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: JobKind,
    pub payload: serde_json::Value,
    pub run_at: Timestamp,
    pub max_attempts: i64,
}

impl NewJob {
    /// A job of `kind` due at `run_at`, with the default number of attempts.
    pub fn new(kind: JobKind, payload: serde_json::Value, run_at: Timestamp) -> Self {
        NewJob {
            kind,
            payload,
            run_at,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// How a run failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// It may work later: try again after the back-off, while attempts last.
    Transient,
    /// It will not work by waiting: the job is dead at once.
    Permanent,
}

/// Runs a job gets unless it asks for another number.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 10;
/// The wait after the first failure; it doubles with each further one.
const BACKOFF_BASE: Duration = Duration::from_secs(30);
/// The longest wait between two runs.
const BACKOFF_CAP: Duration = Duration::from_secs(3600);
/// Longest error kept, in characters.
const MAX_ERROR: usize = 1000;
/// Most jobs one listing answers.
pub const MAX_LISTED: i64 = 500;

/// How long to wait before running a job again after its `attempts`-th
/// failed run: 30 s, doubling each time, at most an hour.
pub fn backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    BACKOFF_BASE.saturating_mul(1 << doublings).min(BACKOFF_CAP)
}

/// Set when a transaction enqueued a job and not yet announced; the write
/// path announces it once the transaction commits (see [`after_commit`]).
static ENQUEUED: AtomicBool = AtomicBool::new(false);
/// Wakes idle runners in this process when a job was enqueued here.
static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Signalled after a transaction that enqueued a job commits, so a runner
/// in this process picks it up without waiting for its next poll.
pub fn wake_signal() -> &'static Notify {
    &WAKE
}

/// Called by the write path after every commit: wakes the runners if a
/// job was enqueued. (A wake-up that comes early, from a concurrent commit,
/// costs one empty claim; the runner's poll covers one that is missed.)
pub(crate) fn after_commit() {
    if ENQUEUED.swap(false, Ordering::AcqRel) {
        WAKE.notify_waiters();
    }
}

/// Enqueues `job` inside the caller's transaction: it exists once the
/// transaction commits, and never if it rolls back.
pub async fn enqueue(tx: &mut Tx, job: &NewJob) -> Result<i64> {
    let id = tx
        .fetch_one(
            "INSERT INTO jobs (kind, payload, state, run_at, attempts, max_attempts, created_at, updated_at) \
             VALUES ($1, $2, 'queued', $3, 0, $4, $5, $5) RETURNING id",
            args![
                job.kind.as_str(),
                job.payload.to_string(),
                micros(job.run_at),
                job.max_attempts.max(1),
                micros(crate::now())
            ],
        )
        .await?
        .int("id")?;
    ENQUEUED.store(true, Ordering::Release);
    Ok(id)
}

const COLUMNS: &str = "id, kind, payload, state, run_at, attempts, max_attempts, last_error, locked_until, created_at";

/// Due: queued and its time has come, or running on a lapsed claim.
const DUE: &str =
    "((state = 'queued' AND run_at <= $1) OR (state = 'running' AND locked_until <= $1))";

impl Store {
    /// Enqueues `job` in a transaction of its own (for work no change
    /// causes, such as a maintenance run an operator asks for).
    pub async fn enqueue_job(&self, job: NewJob) -> Result<i64> {
        self.write(move |tx| Box::pin(async move { enqueue(tx, &job).await }))
            .await
    }

    /// Whether any job of `kinds` is due at `at`: a read, so an idle
    /// worker's poll costs the writer nothing.
    pub async fn jobs_due(&self, kinds: &[JobKind], at: Timestamp) -> Result<bool> {
        let (kinds_sql, mut bound) = kind_list(kinds, 2);
        bound.insert(0, Arg::from(micros(at)));
        let sql = format!("SELECT id FROM jobs WHERE {DUE} AND kind IN ({kinds_sql}) LIMIT 1");
        Ok(crate::tx::bind(&sql, bound)
            .fetch_optional(&self.reader)
            .await?
            .is_some())
    }

    /// Claims up to `limit` jobs of `kinds` due at `at`, each until
    /// `at + lease`; every claim counts as an attempt. Lapsed claims
    /// first, then queued jobs, oldest due first.
    pub async fn claim_jobs(
        &self,
        kinds: &[JobKind],
        limit: i64,
        at: Timestamp,
        lease: Duration,
    ) -> Result<Vec<Job>> {
        if kinds.is_empty() || limit < 1 {
            return Ok(Vec::new());
        }
        let until = later(at, lease);
        let skip_locked = match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let (kinds_sql, kind_args) = kind_list(kinds, 4);
        // One statement per state, not one with `OR`: each then reads the
        // index `jobs_due (state, run_at)` in order and stops at `limit`.
        // With `OR`, both backends gathered every due job and sorted them
        // for each claim, so a backlog of 440,000 SLA timers (the first
        // policy on a desk of a million cases) ran at 4 jobs a second.
        let statements: Vec<String> = [
            "state = 'running' AND locked_until <= $1",
            "state = 'queued' AND run_at <= $1",
        ]
        .iter()
        .map(|due| {
            format!(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2, \
                 updated_at = $1 WHERE id IN (SELECT id FROM jobs WHERE {due} AND kind IN ({kinds_sql}) \
                 ORDER BY run_at, id LIMIT $3{skip_locked}) RETURNING {COLUMNS}"
            )
        })
        .collect();
        self.write(move |tx| {
            Box::pin(async move {
                let mut jobs = Vec::new();
                for sql in &statements {
                    let left = limit - i64::try_from(jobs.len()).unwrap_or(limit);
                    if left < 1 {
                        break;
                    }
                    let mut bound = args![micros(at), micros(until), left];
                    bound.extend(kind_args.iter().cloned());
                    for row in tx.fetch_all(sql, bound).await? {
                        jobs.push(job(&row)?);
                    }
                }
                jobs.sort_by_key(|j| (j.run_at, j.id));
                Ok(jobs)
            })
        })
        .await
    }

    /// Records that `claimed` ran to the end: the job is deleted, or, when
    /// `next_run` is given (a recurring job), queued again for then with
    /// its attempts reset. A claim that has lapsed and been taken over
    /// changes nothing.
    pub async fn complete_job(&self, claimed: &Job, next_run: Option<Timestamp>) -> Result<()> {
        let (id, attempts) = (claimed.id, claimed.attempts);
        let at = micros(crate::now());
        self.write(move |tx| {
            Box::pin(async move {
                match next_run {
                    None => {
                        tx.execute(
                            "DELETE FROM jobs WHERE id = $1 AND state = 'running' AND attempts = $2",
                            args![id, attempts],
                        )
                        .await?
                    }
                    Some(next) => {
                        tx.execute(
                            "UPDATE jobs SET state = 'queued', run_at = $1, attempts = 0, last_error = NULL, \
                             locked_until = NULL, updated_at = $2 WHERE id = $3 AND state = 'running' AND attempts = $4",
                            args![micros(next), at, id, attempts],
                        )
                        .await?
                    }
                };
                Ok(())
            })
        })
        .await
    }

    /// Records that a run of `claimed` failed at `at` with `error`: queued
    /// again after [`backoff`], or dead when the failure is permanent or the
    /// job has used its attempts. Answers the job as it now stands (`None`
    /// when the claim had lapsed and was taken over).
    pub async fn fail_job(
        &self,
        claimed: &Job,
        error: &str,
        failure: Failure,
        at: Timestamp,
    ) -> Result<Option<Job>> {
        let (id, attempts) = (claimed.id, claimed.attempts);
        let dead = failure == Failure::Permanent || attempts >= claimed.max_attempts;
        let (state, run_at) = if dead {
            (JobState::Dead, claimed.run_at)
        } else {
            (JobState::Queued, later(at, backoff(attempts)))
        };
        let error: String = error.chars().take(MAX_ERROR).collect();
        self.write(move |tx| {
            Box::pin(async move {
                let row = tx
                    .fetch_optional(
                        &format!(
                            "UPDATE jobs SET state = $1, run_at = $2, last_error = $3, locked_until = NULL, \
                             updated_at = $4 WHERE id = $5 AND state = 'running' AND attempts = $6 \
                             RETURNING {COLUMNS}"
                        ),
                        args![
                            state.as_str(),
                            micros(run_at),
                            error,
                            micros(at),
                            id,
                            attempts
                        ],
                    )
                    .await?;
                row.as_ref().map(job).transpose()
            })
        })
        .await
    }

    /// Queues dead job `id` again, due at `at`, with a fresh set of
    /// attempts (its last error stays until it runs).
    pub async fn retry_job(&self, id: i64, at: Timestamp) -> Result<Job> {
        self.write(move |tx| {
            Box::pin(async move {
                let row = tx
                    .fetch_optional(
                        &format!(
                            "UPDATE jobs SET state = 'queued', run_at = $1, attempts = 0, locked_until = NULL, \
                             updated_at = $1 WHERE id = $2 AND state = 'dead' RETURNING {COLUMNS}"
                        ),
                        args![micros(at), id],
                    )
                    .await?;
                if let Some(row) = row {
                    ENQUEUED.store(true, Ordering::Release);
                    return job(&row);
                }
                let exists = tx
                    .fetch_optional("SELECT id FROM jobs WHERE id = $1", args![id])
                    .await?;
                Err(match exists {
                    Some(_) => StoreError::State(format!("job {id} is not dead; only dead jobs are retried")),
                    None => StoreError::NotFound("job"),
                })
            })
        })
        .await
    }

    /// One job.
    pub async fn job(&self, id: i64) -> Result<Job> {
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
        let row = crate::tx::bind(&sql, args![id])
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("job"))?;
        job(&row)
    }

    /// How many jobs there are of each kind in each state (done jobs are
    /// deleted, so this is the queue), for the metrics. Kinds and states
    /// come as stored: a newer node's kind is counted, not refused.
    pub async fn job_counts(&self) -> Result<Vec<JobCount>> {
        sqlx::query("SELECT kind, state, COUNT(*) AS n FROM jobs GROUP BY kind, state")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|row| {
                Ok(JobCount {
                    kind: crate::rows::get(row, "kind")?,
                    state: crate::rows::get(row, "state")?,
                    count: crate::rows::get(row, "n")?,
                })
            })
            .collect()
    }

    /// Jobs in `state` (every state when `None`), newest first, at most
    /// [`MAX_LISTED`].
    pub async fn jobs(&self, state: Option<JobState>) -> Result<Vec<Job>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM jobs WHERE ($1 = '' OR state = $1) ORDER BY id DESC LIMIT $2"
        );
        let state = state.map_or("", JobState::as_str);
        crate::tx::bind(&sql, args![state, MAX_LISTED])
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(job)
            .collect()
    }
}

/// `$first, $first+1...` placeholders for `kinds`, with their values.
fn kind_list(kinds: &[JobKind], first: usize) -> (String, Vec<Arg>) {
    let placeholders: Vec<String> = (first..first + kinds.len())
        .map(|i| format!("${i}"))
        .collect();
    let values = kinds.iter().map(|k| Arg::from(k.as_str())).collect();
    (placeholders.join(", "), values)
}

/// `at` plus `wait`, saturating at the end of time.
fn later(at: Timestamp, wait: Duration) -> Timestamp {
    SignedDuration::try_from(wait)
        .ok()
        .and_then(|d| at.checked_add(d).ok())
        .unwrap_or(Timestamp::MAX)
}

/// The columns of a job row, read inside a transaction or from the pool.
trait JobRow {
    fn int(&self, col: &str) -> Result<i64>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
}

impl JobRow for TxRow {
    fn int(&self, col: &str) -> Result<i64> {
        TxRow::int(self, col)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        TxRow::opt_int(self, col)
    }
    fn text(&self, col: &str) -> Result<String> {
        TxRow::text(self, col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        TxRow::opt_text(self, col)
    }
}

impl JobRow for sqlx::any::AnyRow {
    fn int(&self, col: &str) -> Result<i64> {
        crate::rows::get(self, col)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        crate::rows::get(self, col)
    }
    fn text(&self, col: &str) -> Result<String> {
        crate::rows::get(self, col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        crate::rows::get(self, col)
    }
}

fn job(row: &impl JobRow) -> Result<Job> {
    Ok(Job {
        id: row.int("id")?,
        kind: crate::rows::parse_word("kind", &row.text("kind")?, JobKind::parse)?,
        payload: crate::rows::parse_json("payload", &row.text("payload")?)?,
        state: crate::rows::parse_word("state", &row.text("state")?, JobState::parse)?,
        run_at: from_micros(row.int("run_at")?)?,
        attempts: row.int("attempts")?,
        max_attempts: row.int("max_attempts")?,
        last_error: row.opt_text("last_error")?,
        locked_until: row.opt_int("locked_until")?.map(from_micros).transpose()?,
        created_at: from_micros(row.int("created_at")?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(3), Duration::from_secs(120));
        assert_eq!(backoff(8), Duration::from_secs(3600));
        assert_eq!(backoff(1000), Duration::from_secs(3600));
        assert_eq!(backoff(0), Duration::from_secs(30));
    }
}
