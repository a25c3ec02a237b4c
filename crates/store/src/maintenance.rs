//! Housekeeping after bulk loads: fresh planner statistics and compacted
//! search indexes, so queries right after an import run as they will later.

use crate::{Dialect, Result, Store};

impl Store {
    /// Updates planner statistics and merges search-index segments. Takes a
    /// while on large databases; safe to run while Tend serves.
    pub async fn optimize(&self) -> Result<()> {
        self.catch_up_search_index().await?;
        let statements: &[&str] = match self.dialect {
            Dialect::Sqlite => &[
                "ANALYZE",
                "INSERT INTO cases_fts (cases_fts) VALUES ('optimize')",
                "INSERT INTO messages_fts (messages_fts) VALUES ('optimize')",
                "PRAGMA wal_checkpoint(TRUNCATE)",
            ],
            // VACUUM also flushes GIN pending lists into the indexes.
            Dialect::Postgres => &["VACUUM ANALYZE"],
        };
        for sql in statements {
            self.write_outside_transaction(sql).await?;
        }
        Ok(())
    }
}
