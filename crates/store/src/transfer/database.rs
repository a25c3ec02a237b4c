//! A database as either end of a transfer: a [`Snapshot`] reads one
//! consistent view of it (a read transaction held for the whole run), a
//! [`Target`] takes rows. The target keeps its progress in bookkeeping
//! tables created at runtime (no numbered migration), in the same
//! transaction as each batch, so a rerun continues where the last one
//! stopped; they are dropped once the copy is verified.

use super::tables::{self, Kind, Row, SchemaColumn, Table, Value, quote};
use super::{Options, Result, Resume, Sink, Source, TransferError};
use crate::Dialect;
use futures_util::TryStreamExt as _;
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor as _, Row as _, Transaction};
use std::str::FromStr as _;

/// Prefix of the target's bookkeeping tables.
pub(crate) const BOOKKEEPING: &str = "tend_transfer_";

/// Tables Tend fills by itself (the job runner's schedule, by a migration;
/// the effort weights in use, by every start): not counted as data, and
/// emptied before the first batch.
const SEEDED: [&str; 2] = ["jobs", "effort_scoring"];

/// Most values bound in one statement (SQLite allows 32766).
const MAX_BINDS: usize = 30_000;

/// The highest migration this binary applies to a `dialect` database.
pub(crate) fn binary_level(dialect: Dialect) -> i64 {
    crate::migrator(dialect)
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// Opens a pool on `url`. SQLite files must exist (a missing source is an
/// error, not a new empty database), and foreign keys are not enforced while
/// rows arrive in table order; [`Target::complete`] checks them at the end.
async fn connect(url: &str) -> Result<(AnyPool, Dialect)> {
    sqlx::any::install_default_drivers();
    let dialect = Dialect::from_url(url)?;
    let url = match dialect {
        Dialect::Sqlite => {
            let file = Dialect::sqlite_file(url);
            if !std::path::Path::new(file).is_file() {
                return Err(TransferError::Refused(format!(
                    "no Tend database at {file}"
                )));
            }
            format!("sqlite://{file}?mode=rw")
        }
        Dialect::Postgres => url.to_owned(),
    };
    let options = sqlx::any::AnyConnectOptions::from_str(&url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(2)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if dialect == Dialect::Sqlite {
                    conn.execute("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = OFF;")
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok((pool, dialect))
}

/// One consistent read view of a database.
pub(crate) struct Snapshot {
    tx: Transaction<'static, Any>,
    dialect: Dialect,
    level: i64,
}

impl Snapshot {
    /// Opens a view of the source database at `url`, refusing one whose
    /// migrations are not exactly this binary's.
    pub(crate) async fn open_source(url: &str) -> Result<Self> {
        let (pool, dialect) = connect(url).await?;
        let applied: Vec<i64> =
            sqlx::query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(&pool)
                .await
                .map_err(|_| TransferError::Refused("the source is not a Tend database".into()))?
                .iter()
                .map(|row| row.try_get::<i64, _>("version"))
                .collect::<Result<_, _>>()?;
        let expected: Vec<i64> = crate::migrator(dialect).iter().map(|m| m.version).collect();
        if applied != expected {
            return Err(TransferError::Refused(format!(
                "the source database is at migration level {}, this tend is at {}: upgrade it first (`tend migrate` with this version, on the source)",
                applied.last().copied().unwrap_or(0),
                binary_level(dialect)
            )));
        }
        Self::begin(&pool, dialect).await
    }

    async fn begin(pool: &AnyPool, dialect: Dialect) -> Result<Self> {
        let mut tx = pool.begin().await?;
        if dialect == Dialect::Postgres {
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
        }
        Ok(Snapshot {
            tx,
            dialect,
            level: binary_level(dialect),
        })
    }

    /// The backend read.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The database's migration level.
    pub(crate) fn level(&self) -> i64 {
        self.level
    }

    /// The tables to copy, from the schema.
    pub(crate) async fn tables(&mut self, options: &Options) -> Result<Vec<Table>> {
        let sql = match self.dialect {
            Dialect::Sqlite => {
                "SELECT m.name AS tbl, p.name AS col, p.type AS declared, p.pk AS key \
                 FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' ORDER BY m.name, p.cid"
            }
            Dialect::Postgres => {
                "SELECT c.table_name::text AS tbl, c.column_name::text AS col, \
                 c.data_type::text AS declared, COALESCE(k.ordinal_position, 0)::bigint AS key \
                 FROM information_schema.columns c \
                 JOIN information_schema.tables t ON t.table_schema = c.table_schema \
                  AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' \
                 LEFT JOIN information_schema.table_constraints tc ON tc.table_schema = c.table_schema \
                  AND tc.table_name = c.table_name AND tc.constraint_type = 'PRIMARY KEY' \
                 LEFT JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name \
                  AND k.table_schema = c.table_schema AND k.table_name = c.table_name \
                  AND k.column_name = c.column_name \
                 WHERE c.table_schema = current_schema() AND c.is_generated = 'NEVER' \
                 ORDER BY c.table_name, c.ordinal_position"
            }
        };
        let rows = sqlx::query(sql).fetch_all(&mut *self.tx).await?;
        let columns = rows
            .iter()
            .map(|r| {
                Ok(SchemaColumn {
                    table: r.try_get("tbl")?,
                    column: r.try_get("col")?,
                    declared: r.try_get("declared")?,
                    key: r.try_get("key")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        tables::from_schema(columns, options)
    }
}

/// `ORDER BY` / keyset form of a key column: text compares byte by byte on
/// both backends (PostgreSQL's default collation would sort otherwise).
fn key_expr(dialect: Dialect, name: &str, kind: Kind) -> String {
    match (dialect, kind) {
        (Dialect::Postgres, Kind::Text) => format!("{} COLLATE \"C\"", quote(name)),
        _ => quote(name),
    }
}

/// Binds one value as its column's kind (PostgreSQL needs typed nulls).
fn bind<'q>(
    q: sqlx::query::Query<'q, Any, AnyArguments>,
    kind: Kind,
    value: &Value,
) -> sqlx::query::Query<'q, Any, AnyArguments> {
    match (kind, value) {
        (_, Value::Int(v)) => q.bind(*v),
        (_, Value::Text(v)) => q.bind(v.clone()),
        (_, Value::Bytes(v)) => q.bind(v.clone()),
        (Kind::Int, Value::Null) => q.bind(None::<i64>),
        (Kind::Text, Value::Null) => q.bind(None::<String>),
        (Kind::Bytes, Value::Null) => q.bind(None::<Vec<u8>>),
    }
}

/// Reads a row's values by the table's column kinds.
fn read_row(table: &Table, row: &AnyRow) -> Result<Row> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                Kind::Int => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
                Kind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
                Kind::Bytes => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Bytes),
            }
            .unwrap_or(Value::Null))
        })
        .collect()
}

impl Source for Snapshot {
    async fn count(&mut self, table: &Table) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) AS n FROM {}", quote(&table.name));
        let n: i64 = sqlx::query(AssertSqlSafe(sql))
            .fetch_one(&mut *self.tx)
            .await?
            .try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn batch(
        &mut self,
        table: &Table,
        after: Option<&[Value]>,
        rows: usize,
    ) -> Result<Vec<Row>> {
        let columns: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
        let kinds = table.key_kinds();
        let keys: Vec<String> = table
            .key
            .iter()
            .zip(&kinds)
            .map(|(k, kind)| key_expr(self.dialect, k, *kind))
            .collect();
        let mut sql = format!("SELECT {} FROM {}", columns.join(", "), quote(&table.name));
        if after.is_some() {
            let params: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
            sql.push_str(&format!(
                " WHERE ({}) > ({})",
                keys.join(", "),
                params.join(", ")
            ));
        }
        sql.push_str(&format!(" ORDER BY {} LIMIT {rows}", keys.join(", ")));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (value, kind) in after.unwrap_or_default().iter().zip(&kinds) {
            query = bind(query, *kind, value);
        }
        let mut stream = query.fetch(&mut *self.tx);
        let mut out = Vec::new();
        let mut bytes = 0;
        while let Some(row) = stream.try_next().await? {
            let row = read_row(table, &row)?;
            bytes += row.iter().map(Value::size).sum::<usize>();
            out.push(row);
            if bytes >= tables::BATCH_BYTES {
                break;
            }
        }
        Ok(out)
    }
}

/// A database receiving rows.
pub(crate) struct Target {
    pool: AnyPool,
    dialect: Dialect,
}

impl Target {
    /// Migrates the database at `url` and opens it for `tables`: a fresh
    /// transfer if it holds no data (creating the bookkeeping), a resumed one
    /// if it holds an unfinished transfer's; any other data is refused.
    pub(crate) async fn open(url: &str, tables: &[Table]) -> Result<Self> {
        super::migrate_schema(url).await?;
        let (pool, dialect) = connect(url).await?;
        let target = Target { pool, dialect };
        let mut view = target.snapshot().await?;
        let found: Vec<Table> = view
            .tables(&Options::default())
            .await?
            .into_iter()
            .filter(|t| tables.iter().any(|s| s.name == t.name))
            .collect();
        tables::check_same(tables, &found)?;
        if !target.resuming(&mut view).await? {
            for table in tables.iter().filter(|t| !SEEDED.contains(&t.name.as_str())) {
                if view.count(table).await? > 0 {
                    return Err(TransferError::Refused(format!(
                        "the target database already holds data (table {}): copy only into a new, empty database",
                        table.name
                    )));
                }
            }
            drop(view);
            target.start().await?;
        }
        Ok(target)
    }

    /// A read view of the target.
    pub(crate) async fn snapshot(&self) -> Result<Snapshot> {
        Snapshot::begin(&self.pool, self.dialect).await
    }

    /// Whether an earlier transfer into this database left its bookkeeping.
    async fn resuming(&self, view: &mut Snapshot) -> Result<bool> {
        let sql = match self.dialect {
            Dialect::Sqlite => {
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'tend_transfer_progress'"
            }
            Dialect::Postgres => {
                "SELECT COUNT(*) AS n FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = 'tend_transfer_progress'"
            }
        };
        let n: i64 = sqlx::query(sql)
            .fetch_one(&mut *view.tx)
            .await?
            .try_get("n")?;
        Ok(n > 0)
    }

    /// Creates the bookkeeping, empties the seeded tables and, on
    /// PostgreSQL, sets the foreign keys aside (recorded, to be added back
    /// by [`Target::complete`]): rows arrive table by table, and a row may
    /// point at one copied later.
    async fn start(&self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        tx.execute(
            "CREATE TABLE tend_transfer_progress (name TEXT PRIMARY KEY, last_key TEXT, \
             copied BIGINT NOT NULL, finished BIGINT NOT NULL)",
        )
        .await?;
        for table in SEEDED {
            tx.execute(AssertSqlSafe(format!("DELETE FROM {}", quote(table))))
                .await?;
        }
        if self.dialect == Dialect::Postgres {
            tx.execute(
                "CREATE TABLE tend_transfer_constraints (name TEXT PRIMARY KEY, \
                 tbl TEXT NOT NULL, definition TEXT NOT NULL)",
            )
            .await?;
            tx.execute(
                "INSERT INTO tend_transfer_constraints (name, tbl, definition) \
                 SELECT c.conname::text, c.conrelid::regclass::text, pg_get_constraintdef(c.oid) \
                 FROM pg_constraint c WHERE c.contype = 'f' \
                 AND c.connamespace = current_schema()::regnamespace",
            )
            .await?;
            for (name, table, _) in self.constraints(&mut tx).await? {
                tx.execute(AssertSqlSafe(format!(
                    "ALTER TABLE {table} DROP CONSTRAINT {}",
                    quote(&name)
                )))
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The foreign keys set aside: name, table, definition.
    async fn constraints(
        &self,
        tx: &mut Transaction<'static, Any>,
    ) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT name, tbl, definition FROM tend_transfer_constraints ORDER BY name",
        )
        .fetch_all(&mut **tx)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("name")?,
                    r.try_get("tbl")?,
                    r.try_get("definition")?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// Makes the copied rows whole: foreign keys back (and checked), every
    /// identity sequence past the largest id, every day's report summary due
    /// for a refresh.
    pub(crate) async fn complete(&self, tables: &[Table]) -> Result<()> {
        match self.dialect {
            Dialect::Postgres => {
                let mut tx = self.pool.begin().await?;
                for (name, table, definition) in self.constraints(&mut tx).await? {
                    tx.execute(AssertSqlSafe(format!(
                        "ALTER TABLE {table} ADD CONSTRAINT {} {definition}",
                        quote(&name)
                    )))
                    .await
                    .map_err(|e| {
                        TransferError::Refused(format!(
                            "the copied rows break the foreign key {name} on {table}: {e}"
                        ))
                    })?;
                }
                tx.execute("DELETE FROM tend_transfer_constraints").await?;
                let identities = sqlx::query(
                    "SELECT table_name::text AS tbl, column_name::text AS col \
                     FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND is_identity = 'YES'",
                )
                .fetch_all(&mut *tx)
                .await?;
                for row in identities {
                    let (table, column): (String, String) =
                        (row.try_get("tbl")?, row.try_get("col")?);
                    if !tables.iter().any(|t| t.name == table) {
                        continue;
                    }
                    sqlx::query(AssertSqlSafe(format!(
                        "SELECT setval(pg_get_serial_sequence($1, $2), \
                         COALESCE((SELECT MAX({col}) FROM {tbl}), 0) + 1, false)",
                        col = quote(&column),
                        tbl = quote(&table)
                    )))
                    .bind(quote(&table))
                    .bind(column)
                    .execute(&mut *tx)
                    .await?;
                }
                mark_report_days(&mut tx).await?;
                tx.commit().await?;
            }
            Dialect::Sqlite => {
                let mut tx = self.pool.begin().await?;
                let broken =
                    sqlx::query("SELECT \"table\" AS tbl FROM pragma_foreign_key_check LIMIT 1")
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(row) = broken {
                    let table: String = row.try_get("tbl")?;
                    return Err(TransferError::Refused(format!(
                        "the copied rows of {table} point at rows that are not there"
                    )));
                }
                mark_report_days(&mut tx).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Drops the bookkeeping of a finished, verified transfer.
    pub(crate) async fn forget(&self) -> Result<()> {
        self.pool
            .execute("DROP TABLE IF EXISTS tend_transfer_progress")
            .await?;
        if self.dialect == Dialect::Postgres {
            self.pool
                .execute("DROP TABLE IF EXISTS tend_transfer_constraints")
                .await?;
        }
        Ok(())
    }

    /// Closes the connections.
    pub(crate) async fn close(self) {
        self.pool.close().await;
    }
}

/// Marks every day with cases for the reports to summarise again, as the
/// migration that introduced the summary did: the copy leaves the
/// to-do markers behind (see `tables::is_copied`).
async fn mark_report_days(tx: &mut Transaction<'static, Any>) -> Result<()> {
    tx.execute(
        "INSERT INTO report_stale_days (day) SELECT DISTINCT created_at / 86400000000 FROM cases \
         WHERE true ON CONFLICT (day) DO NOTHING",
    )
    .await?;
    tx.execute(
        "INSERT INTO report_stale_days (day) SELECT DISTINCT resolved_at / 86400000000 FROM cases \
         WHERE resolved_at IS NOT NULL ON CONFLICT (day) DO NOTHING",
    )
    .await?;
    Ok(())
}

impl Sink for Target {
    async fn resume(&mut self, table: &Table) -> Result<Resume> {
        let row = sqlx::query(
            "SELECT last_key, copied, finished FROM tend_transfer_progress WHERE name = $1",
        )
        .bind(table.name.clone())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Resume::default());
        };
        let key: Option<String> = row.try_get("last_key")?;
        let after = key
            .map(|k| {
                let json: Vec<serde_json::Value> = serde_json::from_str(&k).unwrap_or_default();
                json.iter()
                    .zip(table.key_kinds())
                    .map(|(v, kind)| Value::from_json(v, kind))
                    .collect::<Option<Vec<_>>>()
                    .filter(|key| key.len() == table.key.len())
                    .ok_or_else(|| {
                        TransferError::Refused(format!(
                            "the progress recorded for {} is damaged: start again with a new database",
                            table.name
                        ))
                    })
            })
            .transpose()?;
        Ok(Resume {
            after,
            rows: u64::try_from(row.try_get::<i64, _>("copied")?).unwrap_or(0),
            finished: row.try_get::<i64, _>("finished")? != 0,
        })
    }

    async fn write(&mut self, table: &Table, rows: &[Row], done: &Resume) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let names: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
        let per_statement = (MAX_BINDS / table.columns.len().max(1)).max(1);
        for chunk in rows.chunks(per_statement) {
            let mut n = 0;
            let tuples: Vec<String> = chunk
                .iter()
                .map(|row| {
                    let params: Vec<String> = row
                        .iter()
                        .map(|_| {
                            n += 1;
                            format!("${n}")
                        })
                        .collect();
                    format!("({})", params.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO {} ({}) VALUES {}",
                quote(&table.name),
                names.join(", "),
                tuples.join(", ")
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for row in chunk {
                for (value, column) in row.iter().zip(&table.columns) {
                    query = bind(query, column.kind, value);
                }
            }
            query.execute(&mut *tx).await?;
        }
        record(&mut tx, table, done).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn finish_table(&mut self, table: &Table, done: &Resume) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        record(&mut tx, table, done).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Records how far the copy of `table` got, in the batch's transaction.
async fn record(tx: &mut Transaction<'static, Any>, table: &Table, done: &Resume) -> Result<()> {
    let key = done
        .after
        .as_ref()
        .map(|key| serde_json::Value::Array(key.iter().map(Value::to_json).collect()).to_string());
    sqlx::query(
        "INSERT INTO tend_transfer_progress (name, last_key, copied, finished) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET last_key = excluded.last_key, copied = excluded.copied, \
         finished = excluded.finished",
    )
    .bind(table.name.clone())
    .bind(key)
    .bind(i64::try_from(done.rows).unwrap_or(i64::MAX))
    .bind(i64::from(done.finished))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
