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
pub mod appointments;
pub mod blobs;
pub mod canned;
pub mod case_lists;
pub mod cases;
pub mod contacts;
pub mod cursor;
pub mod customer_notes;
pub mod customers;
mod dialect;
mod effort_upkeep;
pub mod email;
mod error;
mod expiry;
pub mod followers;
mod frustration;
pub mod idempotency;
pub mod identity;
pub mod inbox_oauth;
pub mod jobs;
pub mod kb;
mod maintenance;
mod merge;
pub mod merge_customers;
pub mod messages;
pub mod model;
pub mod notifications;
mod open_case_pg;
mod ordered;
pub mod organizations;
pub mod outbound;
pub mod outbound_case;
mod participants;
pub mod portal;
mod promise_upkeep;
mod promises;
pub mod quotes;
pub mod related;
mod repeat;
mod replica;
pub mod reports;
pub mod requests;
mod routing;
mod rows;
pub mod rules;
pub mod saved_filters;
pub mod search;
mod search_index;
pub mod secrets;
pub mod service_levels;
pub mod sessions;
mod setups;
pub mod side_conversations;
pub mod signals;
pub mod signatures;
pub mod snooze;
pub mod split;
mod sql;
pub mod surveys;
pub mod tasks;
pub mod throttle;
mod time;
pub mod transfer;
mod tx;
pub mod webhooks;
mod writer;

pub use dialect::Dialect;
pub use error::StoreError;
pub use replica::WalPosition;
pub use time::{Clock, now};
pub use tx::Tx;
pub use writer::WriteFuture;
use writer::WritePath;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection as _, Executor};
use std::str::FromStr;
use std::time::Duration;
use tend_domain::effort::EffortWeights;

/// A store result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The migrations this binary applies to a `dialect` database.
pub(crate) fn migrator(dialect: Dialect) -> &'static sqlx::migrate::Migrator {
    match dialect {
        Dialect::Sqlite => &SQLITE_MIGRATIONS,
        Dialect::Postgres => &POSTGRES_MIGRATIONS,
    }
}

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
    /// The weights case effort is scored by.
    pub effort: EffortWeights,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            sqlite_sync: SqliteSync::Full,
            effort: EffortWeights::default(),
        }
    }
}

/// The connection pool at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open, idle or in use.
    pub size: u32,
    /// Connections open and idle.
    pub idle: usize,
    /// The most the pool opens.
    pub max: u32,
}

/// The database behind Tend.
#[derive(Clone, Debug)]
pub struct Store {
    /// Pool for reads; on SQLite its connections cannot write. On PostgreSQL
    /// the same pool writes, see [`WritePath`].
    reader: AnyPool,
    /// The one way writes reach the database.
    writes: WritePath,
    /// A PostgreSQL standby views may read from (see [`replica`]).
    replica: Option<replica::Replica>,
    /// On a store reading from the replica: the store reading from the
    /// primary it was made from.
    primary: Option<std::sync::Arc<Store>>,
    token_cache: agents::TokenCache,
    dialect: Dialect,
    /// The keys secrets are sealed with at rest (see [`secrets`]).
    secrets: Option<std::sync::Arc<secrets::Keyring>>,
    /// The weights case effort is scored by.
    effort: std::sync::Arc<EffortWeights>,
    /// Held while the report summary is refreshed (one refresh at a time).
    report_refresh: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// The clock time-based state (snoozes, promises) is judged by.
    clock: time::Clock,
    /// The SLA set-up case writes are measured against.
    setups: setups::Setups,
    /// The PostgreSQL URL, for connections outside the pool (listening for
    /// signals, holding advisory locks); none on SQLite.
    postgres_url: Option<std::sync::Arc<str>>,
}

/// Opens sqlx connections to one SQLite file with Tend's pragmas.
#[derive(Clone, Debug)]
pub(crate) struct SqliteOpener {
    options: AnyConnectOptions,
    pragmas: String,
}

impl SqliteOpener {
    /// A pool of up to `max` connections; with `read_only` they refuse to
    /// write (`query_only`), so no write can take a second connection by
    /// accident.
    async fn pool(&self, max: u32, read_only: bool) -> Result<AnyPool> {
        let mut pragmas = self.pragmas.clone();
        if read_only {
            pragmas.push_str(" PRAGMA query_only = ON;");
        }
        Ok(AnyPoolOptions::new()
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
            .connect_with(self.options.clone())
            .await?)
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://...`). A SQLite file
    /// is created if missing and put in WAL mode.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::from_url(url)?;
        options.effort.check()?;
        let effort = std::sync::Arc::new(options.effort.clone());
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
                let opener = SqliteOpener {
                    options: connect_options,
                    pragmas,
                };
                // The first connection creates the file and switches it to WAL
                // before the writer thread opens it.
                let reader = opener.pool(options.max_connections.max(1), true).await?;
                let setups = setups::Setups::default();
                let group = writer::GroupCommit::start(
                    Dialect::sqlite_file(url),
                    &opener.pragmas,
                    effort.clone(),
                    setups.clone(),
                )?;
                Store {
                    reader,
                    writes: WritePath::Sqlite { group, opener },
                    replica: None,
                    primary: None,
                    token_cache: Default::default(),
                    dialect,
                    secrets: None,
                    effort,
                    report_refresh: Default::default(),
                    clock: Default::default(),
                    setups,
                    postgres_url: None,
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
                    writes: WritePath::Postgres(pool),
                    replica: None,
                    primary: None,
                    token_cache: Default::default(),
                    dialect,
                    secrets: None,
                    effort,
                    report_refresh: Default::default(),
                    clock: Default::default(),
                    setups: Default::default(),
                    postgres_url: Some(dialect.normalize_url(url).into()),
                }
            }
        };
        Ok(store)
    }

    /// Applies pending migrations for this backend. On SQLite they run on a
    /// connection of their own, opened for them and closed after: migrations
    /// run at start-up, before anything else writes.
    pub async fn migrate(&self) -> Result<()> {
        match &self.writes {
            WritePath::Sqlite { opener, .. } => {
                let pool = opener.pool(1, false).await?;
                let migrated = SQLITE_MIGRATIONS.run(&pool).await;
                pool.close().await;
                migrated?;
            }
            WritePath::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Which backend this store talks to.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The weights case effort is scored by.
    pub fn effort_weights(&self) -> &EffortWeights {
        &self.effort
    }

    /// The clock snoozes and promises are judged by.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// How the connection pool is used: on SQLite the read pool (writes
    /// go through the one writer connection besides it).
    pub fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.reader.size(),
            idle: self.reader.num_idle(),
            max: self.reader.options().get_max_connections(),
        }
    }

    /// Closes all connections, letting SQLite checkpoint its WAL: writes
    /// already queued are committed first; later writes fail.
    pub async fn close(&self) {
        if let WritePath::Sqlite { group, .. } = &self.writes {
            group.stop().await;
        }
        self.close_replica().await;
        self.reader.close().await;
    }
}
