//! The read replica: an optional second pool, on a PostgreSQL standby, that
//! views, search and reports may read from, and the WAL positions that say
//! whether the standby has replayed a given write. Writes, and reads inside
//! writes, always run on the primary (see [`crate::writer`]).

use crate::{Dialect, Result, Store, StoreError};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a read waits for a replica connection before using the primary;
/// bounds what an unreachable replica costs a request.
const REPLICA_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the replica is left alone after it failed to answer, so that a
/// replica that is down does not cost every request its timeout.
const REST_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// A position in PostgreSQL's write-ahead log (an `pg_lsn`, written `X/Y`
/// in hexadecimal). Positions only grow, so a standby that has replayed up
/// to position P has every write committed at or before P.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WalPosition(u64);

impl FromStr for WalPosition {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self> {
        let bad = || StoreError::Corrupt(format!("`{text}` is not a WAL position"));
        let (high, low) = text.split_once('/').ok_or_else(bad)?;
        let part = |p: &str| {
            (!p.is_empty() && p.len() <= 8)
                .then(|| u64::from_str_radix(p, 16).ok())
                .flatten()
                .ok_or_else(bad)
        };
        Ok(WalPosition((part(high)? << 32) | part(low)?))
    }
}

impl std::fmt::Display for WalPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

/// The replica's pool, and when it may next be tried after a failure.
#[derive(Clone, Debug)]
pub(crate) struct Replica {
    pool: AnyPool,
    resting_until: Arc<Mutex<Option<Instant>>>,
}

impl Replica {
    /// Whether the replica is being left alone after a failure.
    fn resting(&self) -> bool {
        self.resting_until
            .lock()
            .map(|until| until.is_some_and(|t| Instant::now() < t))
            .unwrap_or(false)
    }

    fn rest(&self) {
        if let Ok(mut until) = self.resting_until.lock() {
            *until = Some(Instant::now() + REST_AFTER_FAILURE);
        }
    }

    /// How far the replica has replayed the primary's log (its own log
    /// position if it is no standby, e.g. after a promotion).
    async fn replayed(&self) -> Result<WalPosition> {
        let row = sqlx::query(
            "SELECT CAST(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() \
             ELSE pg_current_wal_lsn() END AS TEXT) AS lsn",
        )
        .fetch_one(&self.pool)
        .await?;
        let lsn: Option<String> = row.try_get("lsn")?;
        lsn.ok_or_else(|| StoreError::State("the replica has replayed nothing yet".into()))?
            .parse()
    }
}

impl Store {
    /// Adds a read replica at `url` for [`Store::for_reads`]. Only a
    /// PostgreSQL primary can have one. The replica is connected to lazily:
    /// a replica that is down delays no start-up and fails no request.
    pub fn with_replica(mut self, url: &str, max_connections: u32) -> Result<Self> {
        if self.dialect != Dialect::Postgres || Dialect::from_url(url)? != Dialect::Postgres {
            return Err(StoreError::Config(
                "a read replica (--database-read-url) needs PostgreSQL: both the database URL \
                 and the read URL must be postgres://..."
                    .into(),
            ));
        }
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(REPLICA_TIMEOUT)
            .connect_lazy_with(AnyConnectOptions::from_str(url)?);
        self.replica = Some(Replica {
            pool,
            resting_until: Default::default(),
        });
        Ok(self)
    }

    /// Whether this store reads from the replica (made by [`Store::for_reads`]).
    pub fn on_replica(&self) -> bool {
        self.primary.is_some()
    }

    /// Whether reads may go to a replica.
    pub fn has_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// The primary's current WAL position: every write committed so far is
    /// at or before it. `None` without a replica (nothing to compare it to).
    pub async fn primary_position(&self) -> Result<Option<WalPosition>> {
        let Some(pool) = self.postgres_writer().filter(|_| self.replica.is_some()) else {
            return Ok(None);
        };
        let row = sqlx::query("SELECT CAST(pg_current_wal_lsn() AS TEXT) AS lsn")
            .fetch_one(pool)
            .await?;
        Ok(Some(row.try_get::<String, _>("lsn")?.parse()?))
    }

    /// The store a view, search or report reads from: the replica when it
    /// answers and has replayed at least `seen` (the position of the
    /// reader's own last write, if recent), otherwise this store. A replica
    /// that fails to answer is logged and left alone for a few seconds.
    pub async fn for_reads(&self, seen: Option<WalPosition>) -> Store {
        let Some(replica) = self.replica.as_ref().filter(|r| !r.resting()) else {
            return self.clone();
        };
        match replica.replayed().await {
            Ok(replayed) if seen.is_none_or(|seen| replayed >= seen) => Store {
                reader: replica.pool.clone(),
                replica: None,
                primary: Some(Arc::new(self.clone())),
                ..self.clone()
            },
            Ok(_) => self.clone(),
            Err(e) => {
                tracing::warn!(error = %e, "the read replica did not answer; reading from the primary");
                replica.rest();
                self.clone()
            }
        }
    }

    /// Closes the replica's connections.
    pub(crate) async fn close_replica(&self) {
        if let Some(replica) = &self.replica {
            replica.pool.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WalPosition;

    #[test]
    fn wal_positions_parse_print_and_order() {
        let p: WalPosition = "16/B374D848".parse().unwrap();
        assert_eq!(p.to_string(), "16/B374D848");
        assert!(p > "0/FFFFFFFF".parse().unwrap());
        assert!("0/3000060".parse::<WalPosition>().unwrap() < "0/3000100".parse().unwrap());
        for bad in ["", "1", "/1", "1/", "x/1", "1/123456789", "1/2/3"] {
            assert!(bad.parse::<WalPosition>().is_err(), "{bad}");
        }
    }
}
