//! Write transactions. On SQLite one thread owns the writer connection and
//! commits whatever work is waiting as one transaction (group commit): each
//! piece of work runs in its own savepoint, so a failure undoes only that
//! piece, and every caller hears back only after the shared COMMIT is durable.
//! A commit writes each touched page (B-tree leaves, the full-text index) once
//! per transaction, and the work runs on the thread that owns the connection,
//! so sharing a commit among concurrent writers costs one thread hand-off per
//! batch rather than one per statement. On PostgreSQL every piece of work is
//! its own transaction on the pool, which already writes in parallel.
//!
//! [`WritePath`] is the only way a [`Store`] reaches a connection that writes:
//! on SQLite no other connection ever writes the file, so writers never meet
//! "database is locked".

use crate::tx::{Arg, Conn, Tx};
use crate::{Result, SqliteOpener, Store, StoreError};
use sqlx::AnyPool;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use tend_domain::effort::EffortWeights;
use tokio::sync::oneshot;

/// A boxed future borrowing the transaction it runs in.
pub type WriteFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

/// Most pieces of work committed together; bounds how long one batch holds
/// the writer and how much one failed COMMIT can take with it.
const MAX_BATCH: usize = 256;

/// Called once the batch a successful piece of work belonged to has been
/// committed (or failed to commit, with the reason).
type Finish = Box<dyn FnOnce(Option<&str>) + Send>;

/// One piece of work for the writer thread.
type Job = Box<dyn FnOnce(&mut Tx) -> Outcome + Send>;

/// Work that must run outside a transaction (a WAL checkpoint); it answers
/// its caller itself.
type Alone = Box<dyn FnOnce(&rusqlite::Connection) + Send>;

/// What the writer thread is asked to do, in order.
enum Message {
    /// Run in the next group-committed transaction.
    Work(Job),
    /// Run between transactions.
    Alone(Alone),
    /// Stop once everything queued before is committed; answer when the
    /// connection is closed.
    Stop(oneshot::Sender<()>),
}

/// What a job did: succeeded (and waits for the commit) or failed (and has
/// already told its caller).
enum Outcome {
    Done(Finish),
    Failed,
}

/// The one way a [`Store`]'s writes reach the database.
#[derive(Clone, Debug)]
pub(crate) enum WritePath {
    /// SQLite: the group-commit thread owns the only connection that writes;
    /// `opener` serves the read pool and, at start-up, the migrations.
    Sqlite {
        group: GroupCommit,
        opener: SqliteOpener,
    },
    /// PostgreSQL: transactions on the pool.
    Postgres(AnyPool),
}

/// The handle through which a [`Store`] sends work to its SQLite writer thread.
#[derive(Clone, Debug)]
pub(crate) struct GroupCommit {
    jobs: mpsc::Sender<Message>,
    /// The thread, taken by the first [`GroupCommit::stop`].
    thread: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

impl GroupCommit {
    /// Opens the writer connection on `path` with `pragmas` and starts the
    /// thread that owns it. The thread ends at [`GroupCommit::stop`] or when
    /// every handle is dropped.
    pub(crate) fn start(
        path: &str,
        pragmas: &str,
        effort: Arc<EffortWeights>,
        setups: crate::setups::Setups,
    ) -> Result<Self> {
        let conn = rusqlite::Connection::open(path)?;
        conn.execute_batch(pragmas)?;
        conn.execute_batch("PRAGMA cache_size = -64000;")?;
        conn.set_prepared_statement_cache_capacity(64);
        // The writer's statements are few and cached: with the planner's
        // statistics (STAT4) a statement that compares an indexed column with
        // a parameter is otherwise compiled again whenever the value changes.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        let (jobs, queue) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("tend-sqlite-writer".into())
            .spawn(move || run(conn, queue, effort, setups))
            .map_err(|e| StoreError::Config(format!("cannot start the SQLite writer: {e}")))?;
        Ok(GroupCommit {
            jobs,
            thread: Arc::new(Mutex::new(Some(thread))),
        })
    }

    /// Commits what is queued, closes the writer connection and ends the
    /// thread. Later writes fail with [`StoreError::Commit`].
    pub(crate) async fn stop(&self) {
        let (done, stopped) = oneshot::channel();
        if self.jobs.send(Message::Stop(done)).is_ok() {
            let _ = stopped.await;
        }
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread {
            // The thread has answered and is returning: joining is brief.
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }

    fn send(&self, message: Message) -> Result<()> {
        self.jobs
            .send(message)
            .map_err(|_| StoreError::Commit("the SQLite writer has stopped".into()))
    }
}

impl Store {
    /// Runs `work` in a write transaction and returns its result once the
    /// transaction is durably committed. An error from `work` undoes all of
    /// its writes and nothing else.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Tx) -> WriteFuture<'c, T> + Send + 'static,
    {
        let group = match &self.writes {
            WritePath::Sqlite { group, .. } => group,
            WritePath::Postgres(pool) => {
                let mut tx = Tx {
                    conn: Conn::Postgres(pool.begin().await?),
                    effort: self.effort.clone(),
                    setups: self.setups.clone(),
                    in_rules: false,
                };
                let value = work(&mut tx).await?;
                if let Conn::Postgres(tx) = tx.conn {
                    tx.commit().await?;
                }
                crate::jobs::after_commit();
                return Ok(value);
            }
        };
        let (reply, answer) = oneshot::channel::<Result<T>>();
        let job: Job = Box::new(move |tx| match run_ready(work(tx)) {
            Ok(value) => Outcome::Done(Box::new(move |commit_error| {
                let _ = reply.send(match commit_error {
                    None => Ok(value),
                    Some(why) => Err(StoreError::Commit(why.to_owned())),
                });
            })),
            Err(e) => {
                let _ = reply.send(Err(e));
                Outcome::Failed
            }
        });
        group.send(Message::Work(job))?;
        let value = answer.await.map_err(|_| {
            StoreError::Commit("the write was not committed: its batch failed".into())
        })??;
        crate::jobs::after_commit();
        Ok(value)
    }

    /// Runs one statement in a write transaction of its own; answers the
    /// rows it changed.
    pub(crate) async fn execute_write(&self, sql: &'static str, args: Vec<Arg>) -> Result<u64> {
        self.write(move |tx| Box::pin(async move { tx.execute(sql, args).await }))
            .await
    }

    /// Runs one statement that may not run inside a transaction (`VACUUM`,
    /// a WAL checkpoint) on the write path: on SQLite on the writer
    /// connection between two batches, on PostgreSQL on the pool.
    pub(crate) async fn write_outside_transaction(&self, statement: &'static str) -> Result<()> {
        let group = match &self.writes {
            WritePath::Sqlite { group, .. } => group,
            WritePath::Postgres(pool) => {
                sqlx::query(statement).execute(pool).await?;
                return Ok(());
            }
        };
        let (reply, answer) = oneshot::channel::<Result<()>>();
        group.send(Message::Alone(Box::new(move |conn| {
            let _ = reply.send(run_alone(conn, statement));
        })))?;
        answer
            .await
            .map_err(|_| StoreError::Commit("the SQLite writer has stopped".into()))?
    }

    /// The pool PostgreSQL writes on, for the few writes that are one
    /// statement in autocommit (atomic on their own, a round trip cheaper
    /// than a transaction). `None` on SQLite, where every write goes through
    /// [`Store::write`].
    pub(crate) fn postgres_writer(&self) -> Option<&AnyPool> {
        match &self.writes {
            WritePath::Postgres(pool) => Some(pool),
            WritePath::Sqlite { .. } => None,
        }
    }
}

/// Runs `statement` in autocommit, reading (and dropping) any rows it returns.
fn run_alone(conn: &rusqlite::Connection, statement: &str) -> Result<()> {
    let mut stmt = conn.prepare(statement)?;
    let mut rows = stmt.raw_query();
    while rows.next()?.is_some() {}
    Ok(())
}

/// Drives a write future on the writer thread. On SQLite every statement is
/// synchronous, so the future is ready at its first poll.
fn run_ready<T>(mut work: WriteFuture<'_, T>) -> Result<T> {
    match work.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(StoreError::Commit(
            "a SQLite write waited on something outside its transaction".into(),
        )),
    }
}

/// The writer thread: waits for work, then takes everything queued (up to
/// [`MAX_BATCH`]) into one transaction. (The full-text index is caught up
/// by the job runner's periodic task, through [`Store::write`].)
fn run(
    conn: rusqlite::Connection,
    queue: mpsc::Receiver<Message>,
    effort: Arc<EffortWeights>,
    setups: crate::setups::Setups,
) {
    let mut tx = Tx {
        conn: Conn::Sqlite(conn),
        effort,
        setups,
        in_rules: false,
    };
    // A message that ended the batch before it, handled next.
    let mut held: Option<Message> = None;
    loop {
        let next = match held.take() {
            Some(message) => message,
            None => match queue.recv() {
                Ok(message) => message,
                Err(_) => return,
            },
        };
        match next {
            Message::Work(first) => {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(Message::Work(job)) => batch.push(job),
                        Ok(other) => {
                            held = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                commit_and_answer(&mut tx, batch);
            }
            Message::Alone(work) => {
                if let Conn::Sqlite(conn) = &tx.conn {
                    work(conn);
                }
            }
            Message::Stop(done) => {
                // Closing the connection checkpoints the WAL when it is the last.
                drop(tx);
                let _ = done.send(());
                return;
            }
        }
    }
}

/// Commits `batch` and tells each job's caller the outcome.
fn commit_and_answer(tx: &mut Tx, batch: Vec<Job>) {
    let mut finishers = Vec::new();
    let error = commit_batch(tx, batch, &mut finishers)
        .err()
        .map(|e| e.to_string());
    if let Some(why) = &error {
        tracing::error!(error = %why, "group commit failed");
    }
    for finish in finishers {
        finish(error.as_deref());
    }
}

/// Runs the jobs in one transaction and commits, collecting the finishers of
/// the jobs that succeeded. When several jobs share the transaction each runs
/// in its own savepoint; a job alone needs none (its failure rolls back the
/// whole transaction), which matters for bulk jobs: SQLite's cost per
/// statement inside a savepoint grows with the pages the savepoint has
/// touched. A job that panics is rolled back like one that failed (its
/// caller hears that its write was not committed). After a failed COMMIT the
/// transaction is rolled back.
fn commit_batch(tx: &mut Tx, jobs: Vec<Job>, finishers: &mut Vec<Finish>) -> Result<()> {
    let isolate = jobs.len() > 1;
    sql(tx, "BEGIN IMMEDIATE")?;
    let run_all = || {
        for job in jobs {
            if isolate {
                sql(tx, "SAVEPOINT job")?;
            }
            match std::panic::catch_unwind(AssertUnwindSafe(|| job(tx))) {
                Ok(Outcome::Done(finish)) => {
                    if isolate {
                        sql(tx, "RELEASE job")?;
                    }
                    finishers.push(finish);
                }
                Ok(Outcome::Failed) | Err(_) if isolate => {
                    sql(tx, "ROLLBACK TO job")?;
                    sql(tx, "RELEASE job")?
                }
                Ok(Outcome::Failed) | Err(_) => return sql(tx, "ROLLBACK"),
            }
        }
        sql(tx, "COMMIT")
    };
    let result = run_all();
    if result.is_err() && matches!(&tx.conn, Conn::Sqlite(conn) if !conn.is_autocommit()) {
        let _ = sql(tx, "ROLLBACK");
    }
    result
}

/// Runs one transaction-control statement on the writer connection.
fn sql(tx: &Tx, statement: &str) -> Result<()> {
    match &tx.conn {
        Conn::Sqlite(conn) => Ok(conn.prepare_cached(statement)?.raw_execute().map(|_| ())?),
        Conn::Postgres(_) => Err(StoreError::Config("the writer thread needs SQLite".into())),
    }
}
