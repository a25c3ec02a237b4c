//! Work the runner does on a timer rather than from the jobs table: SQLite's
//! full-text index is caught up every [`CATCH_UP_EVERY`]. This needs no
//! durable job: its progress is in the database already (`fts_progress`),
//! a missed tick loses nothing, and a queued row four times a second would
//! cost more writes than the indexing. The check is a read; only a backlog
//! goes to the writer. (PostgreSQL indexes as it writes.)

use std::time::Duration;
use tend_store::{Dialect, Store};
use tokio::sync::watch;

/// How often the search index is caught up.
const CATCH_UP_EVERY: Duration = Duration::from_millis(250);

/// Catches up the search index until `stop` says so. Nothing to do on
/// PostgreSQL.
pub(super) async fn run(store: Store, mut stop: watch::Receiver<bool>) {
    if store.dialect() != Dialect::Sqlite {
        return;
    }
    let mut tick = tokio::time::interval(CATCH_UP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        if let Err(e) = store.catch_up_search_index().await {
            tracing::error!(error = %e, "indexing new rows for search failed");
        }
    }
}
