//! A write transaction on either backend. The write path (cases, messages,
//! events, customers...) is written once against [`Tx`]; the SQL is the same
//! text on both backends. On SQLite the statements run directly on the
//! group-commit thread's own connection ([`crate::writer`]), so a whole
//! transaction is one hand-off between threads instead of one per statement;
//! on PostgreSQL they run on a pooled sqlx transaction.

use crate::{Result, StoreError};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row as _};
use std::sync::Arc;
use tend_domain::effort::EffortWeights;

/// A value bound to a statement. Nulls carry their type, which PostgreSQL
/// needs to plan the statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Vec<u8>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Int(Some(i64::from(v)))
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_owned))
    }
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}

impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Self {
        Arg::Blob(v.to_vec())
    }
}

/// Builds a `Vec<Arg>` from values of mixed types.
macro_rules! args {
    ($($value:expr),* $(,)?) => { vec![$($crate::tx::Arg::from($value)),*] };
}
pub(crate) use args;

/// A row read inside a write transaction.
pub(crate) enum TxRow {
    /// The query's column names (shared by its rows) and this row's values.
    Sqlite(Arc<[String]>, Vec<rusqlite::types::Value>),
    Postgres(AnyRow),
}

impl TxRow {
    /// An integer column that may be null.
    pub(crate) fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        use rusqlite::types::Value;
        match self {
            TxRow::Sqlite(..) => match self.sqlite_value(col)? {
                Value::Null => Ok(None),
                Value::Integer(v) => Ok(Some(*v)),
                other => Err(mistyped(col, "an integer", other)),
            },
            TxRow::Postgres(row) => Ok(row.try_get(col)?),
        }
    }

    /// An integer column.
    pub(crate) fn int(&self, col: &str) -> Result<i64> {
        self.opt_int(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("{col} is null")))
    }

    /// A text column that may be null.
    pub(crate) fn opt_text(&self, col: &str) -> Result<Option<String>> {
        use rusqlite::types::Value;
        match self {
            TxRow::Sqlite(..) => match self.sqlite_value(col)? {
                Value::Null => Ok(None),
                Value::Text(v) => Ok(Some(v.clone())),
                other => Err(mistyped(col, "text", other)),
            },
            TxRow::Postgres(row) => Ok(row.try_get(col)?),
        }
    }

    /// A text column.
    pub(crate) fn text(&self, col: &str) -> Result<String> {
        self.opt_text(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("{col} is null")))
    }

    fn sqlite_value(&self, col: &str) -> Result<&rusqlite::types::Value> {
        match self {
            TxRow::Sqlite(names, values) => names
                .iter()
                .position(|name| name == col)
                .and_then(|i| values.get(i))
                .ok_or_else(|| StoreError::Corrupt(format!("no column {col}"))),
            TxRow::Postgres(_) => Err(StoreError::Corrupt("not a SQLite row".into())),
        }
    }
}

fn mistyped(col: &str, wanted: &str, got: &rusqlite::types::Value) -> StoreError {
    StoreError::Corrupt(format!("{col}: expected {wanted}, found {got:?}"))
}

/// An open write transaction, with the effort weights the case rows it
/// writes are scored by.
pub struct Tx {
    pub(crate) conn: Conn,
    pub(crate) effort: Arc<EffortWeights>,
    /// The set-up case writes read (SLA, rules).
    pub(crate) setups: crate::setups::Setups,
    /// Whether automation rules are acting in this write (their own
    /// writes do not start rules again; the engine follows them itself).
    pub(crate) in_rules: bool,
}

/// The connection a [`Tx`] writes through.
pub(crate) enum Conn {
    /// The group-commit thread's SQLite connection, inside its transaction.
    Sqlite(rusqlite::Connection),
    /// A pooled PostgreSQL transaction.
    Postgres(sqlx::Transaction<'static, Any>),
}

impl Tx {
    /// The weights case effort is scored by.
    pub(crate) fn effort(&self) -> &EffortWeights {
        &self.effort
    }

    /// The backend this transaction writes to.
    pub(crate) fn dialect(&self) -> crate::Dialect {
        match self.conn {
            Conn::Sqlite(_) => crate::Dialect::Sqlite,
            Conn::Postgres(_) => crate::Dialect::Postgres,
        }
    }

    /// Runs a statement that returns no rows; answers the rows changed.
    pub(crate) async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64> {
        match &mut self.conn {
            Conn::Sqlite(conn) => {
                let mut stmt = prepare(conn, sql, &args)?;
                Ok(stmt.raw_execute()? as u64)
            }
            Conn::Postgres(tx) => Ok(bind(sql, args).execute(&mut **tx).await?.rows_affected()),
        }
    }

    /// Runs a query and returns its first row, if any.
    pub(crate) async fn fetch_optional(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Option<TxRow>> {
        match &mut self.conn {
            Conn::Sqlite(conn) => {
                let mut stmt = prepare(conn, sql, &args)?;
                let names = column_names(&stmt);
                let mut rows = stmt.raw_query();
                let Some(row) = rows.next()? else {
                    return Ok(None);
                };
                Ok(Some(sqlite_row(&names, row)?))
            }
            Conn::Postgres(tx) => Ok(bind(sql, args)
                .fetch_optional(&mut **tx)
                .await?
                .map(TxRow::Postgres)),
        }
    }

    /// Runs a query and returns all its rows.
    pub(crate) async fn fetch_all(&mut self, sql: &str, args: Vec<Arg>) -> Result<Vec<TxRow>> {
        match &mut self.conn {
            Conn::Sqlite(conn) => {
                let mut stmt = prepare(conn, sql, &args)?;
                let names = column_names(&stmt);
                let mut rows = stmt.raw_query();
                let mut all = Vec::new();
                while let Some(row) = rows.next()? {
                    all.push(sqlite_row(&names, row)?);
                }
                Ok(all)
            }
            Conn::Postgres(tx) => Ok(bind(sql, args)
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(TxRow::Postgres)
                .collect()),
        }
    }

    /// Runs a query that must return a row (e.g. `INSERT ... RETURNING`).
    pub(crate) async fn fetch_one(&mut self, sql: &str, args: Vec<Arg>) -> Result<TxRow> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("no row from: {sql}")))
    }
}

/// A statement's column names, to be shared by the rows it returns.
fn column_names(stmt: &rusqlite::Statement<'_>) -> Arc<[String]> {
    stmt.column_names().iter().map(|n| n.to_string()).collect()
}

/// Copies a SQLite row's values out.
fn sqlite_row(names: &Arc<[String]>, row: &rusqlite::Row<'_>) -> Result<TxRow> {
    let values = (0..names.len())
        .map(|i| row.get::<_, rusqlite::types::Value>(i))
        .collect::<rusqlite::Result<_>>()?;
    Ok(TxRow::Sqlite(names.clone(), values))
}

/// Prepares (from the connection's cache) and binds each `$N` placeholder
/// to `args[N - 1]`, so a placeholder may repeat or appear out of order.
fn prepare<'c>(
    conn: &'c rusqlite::Connection,
    sql: &str,
    args: &[Arg],
) -> Result<rusqlite::CachedStatement<'c>> {
    let mut stmt = conn.prepare_cached(sql)?;
    for index in 1..=stmt.parameter_count() {
        let number = stmt
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$')?.parse::<usize>().ok());
        let arg = number
            .and_then(|n| args.get(n.checked_sub(1)?))
            .ok_or_else(|| {
                StoreError::Corrupt(format!("no argument for placeholder {index} of: {sql}"))
            })?;
        match arg {
            Arg::Int(v) => stmt.raw_bind_parameter(index, v)?,
            Arg::Text(v) => stmt.raw_bind_parameter(index, v)?,
            Arg::Blob(v) => stmt.raw_bind_parameter(index, v)?,
        }
    }
    Ok(stmt)
}

/// A sqlx query for `sql` with `args` bound in order.
pub(crate) fn bind(
    sql: &str,
    args: Vec<Arg>,
) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments> {
    args.into_iter()
        .fold(sqlx::query(AssertSqlSafe(sql)), |q, arg| match arg {
            Arg::Int(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::Blob(v) => q.bind(v),
        })
}
