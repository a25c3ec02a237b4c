//! Tend's storage. One [`Store`] serves both backends: SQLite (embedded, the
//! default) and PostgreSQL, picked from the database URL in [`Store::connect`].
//! Statements are written once in SQL both dialects accept; the few places
//! where they differ (full-text search, row locking) ask [`Dialect`].
//!
//! Every change to a case goes through [`cases`], which appends events to the
//! case log and updates the case row from the fold of that log in the same
//! transaction.

pub mod account;
pub mod agents;
pub mod agreements;
pub mod blobs;
pub mod canned;
pub mod cases;
pub mod cursor;
pub mod customers;
mod dialect;
pub mod email;
mod error;
mod expiry;
pub mod idempotency;
pub mod identity;
pub mod jobs;
pub mod kb;
mod maintenance;
mod merge;
pub mod messages;
pub mod model;
mod open_case_pg;
pub mod organizations;
pub mod outbound;
pub mod portal;
pub mod requests;
mod rows;
pub mod saved_filters;
pub mod search;
mod search_index;
pub mod sessions;
mod sql;
mod time;
mod tx;
mod writer;

pub use dialect::Dialect;
pub use error::StoreError;
pub use time::now;
pub use tx::Tx;
pub use writer::WriteFuture;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection as _, Executor};
use std::str::FromStr;
use std::time::Duration;

/// A store result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How durable a SQLite commit is. `Full` syncs the WAL on every commit, so an
/// acknowledged write survives power loss; `Normal` survives a crash of Tend
/// but not of the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// fsync on every commit.
    #[default]
    Full,
    /// fsync at checkpoints only.
    Normal,
}

/// How long a PostgreSQL connection may sit idle before it is pinged again
/// ahead of use.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(5);

/// Pool sizing and durability knobs.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections for reads (and, on PostgreSQL, writes).
    pub max_connections: u32,
    /// SQLite commit durability.
    pub sqlite_sync: SqliteSync,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            sqlite_sync: SqliteSync::Full,
        }
    }
}

/// The database behind Tend.
#[derive(Clone, Debug)]
pub struct Store {
    /// Pool for reads.
    reader: AnyPool,
    /// Pool for writes: on SQLite a single connection, because SQLite has one
    /// writer at a time and a queue in-process beats retrying on `SQLITE_BUSY`.
    writer: AnyPool,
    /// On SQLite, the task that group-commits writes on `writer`.
    group_commit: Option<writer::GroupCommit>,
    token_cache: agents::TokenCache,
    dialect: Dialect,
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://...`). A SQLite file
    /// is created if missing and put in WAL mode.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::from_url(url)?;
        let connect_options = AnyConnectOptions::from_str(&dialect.normalize_url(url))?;
        let store = match dialect {
            Dialect::Sqlite => {
                let sync = match options.sqlite_sync {
                    SqliteSync::Full => "FULL",
                    SqliteSync::Normal => "NORMAL",
                };
                let pragmas = format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; PRAGMA busy_timeout = 5000; \
                     PRAGMA foreign_keys = ON; PRAGMA cache_size = -8000; PRAGMA temp_store = MEMORY;"
                );
                let pool = |max: u32| {
                    let pragmas = pragmas.clone();
                    AnyPoolOptions::new()
                        .max_connections(max)
                        // A local file cannot go stale like a network
                        // connection; the ping would double each acquire's cost.
                        .test_before_acquire(false)
                        .acquire_timeout(Duration::from_secs(30))
                        .after_connect(move |conn, _meta| {
                            let pragmas = pragmas.clone();
                            Box::pin(async move {
                                conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                                Ok(())
                            })
                        })
                        .connect_with(connect_options.clone())
                };
                let writer = pool(1).await?;
                let group_commit = writer::GroupCommit::start(Dialect::sqlite_file(url), &pragmas)?;
                let reader = pool(options.max_connections.max(1)).await?;
                Store {
                    reader,
                    group_commit: Some(group_commit),
                    token_cache: Default::default(),
                    writer,
                    dialect,
                }
            }
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(30))
                    // A ping before every acquire doubles the round trips of
                    // a busy pool; only a connection idle for a while (which a
                    // server restart may have cut) is pinged first.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for > PING_WHEN_IDLE_FOR {
                                conn.ping().await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect_with(connect_options)
                    .await?;
                Store {
                    reader: pool.clone(),
                    writer: pool,
                    group_commit: None,
                    token_cache: Default::default(),
                    dialect,
                }
            }
        };
        Ok(store)
    }

    /// Applies pending migrations for this backend.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.writer).await?;
        Ok(())
    }

    /// Which backend this store talks to.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// Closes all connections, letting SQLite checkpoint its WAL.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
