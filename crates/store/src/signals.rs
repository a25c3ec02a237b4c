//! What several Tend nodes on one PostgreSQL tell each other, through
//! PostgreSQL itself: notifications (`LISTEN`/`NOTIFY`) for things every
//! node must hear at once (presence on a case, a case changed), and
//! session advisory locks for work exactly one node may do at a time
//! (reading one mailbox). A lock lives as long as its connection, so a
//! node that dies (even `kill -9`) lets go of its locks when PostgreSQL
//! sees the connection close. On SQLite there is one node: nothing is
//! sent, nothing heard, and every lock is granted.

use crate::{Dialect, Result, Store};
use sqlx::Connection as _;
use sqlx::postgres::{PgConnection, PgListener};

/// The channel a case's id is sent on whenever the case changes (the
/// `cases_changed` trigger of migration 0041 on PostgreSQL).
pub const CASE_CHANGED: &str = "tend_case_changed";

/// Longest payload PostgreSQL carries in one notification, in bytes.
pub const MAX_PAYLOAD: usize = 7999;

/// Kinds of work held under an advisory lock, so ids of different kinds
/// never share a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// Reading one inbox's mailbox over IMAP.
    Mailbox = 1,
}

/// Work this node holds exclusively until dropped.
#[derive(Debug)]
pub struct ExclusiveLock {
    /// The connection holding the PostgreSQL lock; none on SQLite.
    connection: Option<PgConnection>,
}

impl ExclusiveLock {
    /// Whether the lock is still held: on PostgreSQL, whether its
    /// connection is alive (a lost connection lost the lock with it).
    pub async fn still_held(&mut self) -> bool {
        match &mut self.connection {
            Some(connection) => connection.ping().await.is_ok(),
            None => true,
        }
    }
}

impl Store {
    /// Sends `payload` to every node listening on `channel` (once the
    /// surrounding work commits; here at once). Nothing on SQLite.
    pub async fn signal(&self, channel: &str, payload: &str) -> Result<()> {
        if self.dialect != Dialect::Postgres {
            return Ok(());
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(&self.reader)
            .await?;
        Ok(())
    }

    /// A listener on `channels` over a connection of its own, or `None` on
    /// SQLite. The listener reconnects by itself when the connection drops
    /// (notifications sent meanwhile are lost).
    pub async fn listen(&self, channels: &[&str]) -> Result<Option<PgListener>> {
        let Some(url) = &self.postgres_url else {
            return Ok(None);
        };
        let mut listener = PgListener::connect(url).await?;
        listener.listen_all(channels.iter().copied()).await?;
        Ok(Some(listener))
    }

    /// Takes the lock on `kind` work on `id` if no node holds it; `None`
    /// when another node does. Granted at once on SQLite.
    pub async fn try_exclusive(&self, kind: LockKind, id: i64) -> Result<Option<ExclusiveLock>> {
        let Some(url) = &self.postgres_url else {
            return Ok(Some(ExclusiveLock { connection: None }));
        };
        let mut connection = PgConnection::connect(url).await?;
        // The two-key form: the kind, and the id folded into 32 bits.
        let key = (id ^ (id >> 32)) as i32;
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(kind as i32)
            .bind(key)
            .fetch_one(&mut connection)
            .await?;
        if taken {
            Ok(Some(ExclusiveLock {
                connection: Some(connection),
            }))
        } else {
            let _ = connection.close().await;
            Ok(None)
        }
    }
}
