//! SQLite's full-text index, filled behind the write path. Indexing a row in
//! its own small transaction costs FTS5 a new index segment and merge work
//! each time, more than the rest of a case's writes together; indexing the
//! new rows in large batches costs a fraction of that. The job runner
//! catches up every moment (a periodic task, see `tend::jobs`), and every
//! search catches up first, so a search always sees every committed row.
//! (PostgreSQL indexes in the same statement, through generated columns.)

use crate::tx::{Tx, args};
use crate::{Dialect, Result, Store};

/// Most rows indexed per table in one transaction, so a large backlog (after
/// a bulk import) never holds the writer for long.
const CHUNK: i64 = 20_000;

/// The FTS5 tables and the columns they index.
const INDEXES: [(&str, &str, &str); 2] = [
    ("cases", "cases_fts", "subject"),
    ("messages", "messages_fts", "body_text"),
];

/// Indexes up to [`CHUNK`] new rows of each table; answers whether rows may
/// remain (a chunk was full).
pub(crate) async fn catch_up(tx: &mut Tx) -> Result<bool> {
    let mut more = false;
    for (table, fts, column) in INDEXES {
        let done = tx
            .fetch_one(
                "SELECT indexed_id FROM fts_progress WHERE name = $1",
                args![table],
            )
            .await?
            .int("indexed_id")?;
        let upto = tx
            .fetch_one(
                &format!(
                    "SELECT COALESCE(MAX(id), $1) AS upto FROM \
                     (SELECT id FROM {table} WHERE id > $1 ORDER BY id LIMIT $2)"
                ),
                args![done, CHUNK],
            )
            .await?
            .int("upto")?;
        if upto == done {
            continue;
        }
        more |= upto - done >= CHUNK;
        tx.execute(
            &format!(
                "INSERT INTO {fts} (rowid, {column}) \
                     SELECT id, {column} FROM {table} WHERE id > $1 AND id <= $2"
            ),
            args![done, upto],
        )
        .await?;
        tx.execute(
            "UPDATE fts_progress SET indexed_id = $1 WHERE name = $2",
            args![upto, table],
        )
        .await?;
    }
    Ok(more)
}

impl Store {
    /// Brings the full-text index up to date with every committed row.
    pub async fn catch_up_search_index(&self) -> Result<()> {
        if self.dialect != Dialect::Sqlite || !self.search_backlog().await? {
            return Ok(());
        }
        while self.write(|tx| Box::pin(catch_up(tx))).await? {}
        Ok(())
    }

    /// Whether any committed row is not indexed yet: a read, so a search
    /// bothers the writer only when there is something to index.
    async fn search_backlog(&self) -> Result<bool> {
        let pending = sqlx::query(
            "SELECT 1 AS pending FROM fts_progress p WHERE \
             (p.name = 'cases' AND EXISTS (SELECT 1 FROM cases WHERE id > p.indexed_id)) OR \
             (p.name = 'messages' AND EXISTS (SELECT 1 FROM messages WHERE id > p.indexed_id)) LIMIT 1",
        )
        .fetch_optional(&self.reader)
        .await?;
        Ok(pending.is_some())
    }
}
