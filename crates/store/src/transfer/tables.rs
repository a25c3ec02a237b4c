//! The tables a transfer copies, read from each side's schema, and the
//! values their columns hold. Every column of Tend's schema is an integer
//! (ids, 0/1 flags, timestamps as microseconds since the epoch, see
//! `crate::time`), text (JSON included) or bytes (blob content), on both
//! backends; a column of any other type stops the transfer.

use super::{Options, Result, TransferError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// A batch stops growing once its values pass this many bytes, so tables of
/// large blobs move a few rows at a time.
pub(crate) const BATCH_BYTES: usize = 16 << 20;

/// Sign-in sessions: copied unless [`Options::skip_sessions`].
const SESSIONS: [&str; 3] = ["web_sessions", "portal_sessions", "web_pending_signins"];

/// Tables never copied: bookkeeping (migrations, transfers), SQLite's
/// full-text index (rebuilt from the rows on SQLite; generated columns on
/// PostgreSQL), the reports' to-do markers (marked again after a copy) and
/// rate-limit counts (minutes old, and an install being moved is stopped).
fn is_copied(name: &str) -> bool {
    let bookkeeping = name.starts_with("_sqlx") || name.starts_with("sqlite_");
    let search = name.ends_with("_fts") || name.contains("_fts_") || name == "fts_progress";
    let markers = name == "report_stale_days" || name == "report_refreshing_days";
    let transient = name == "throttle_hits";
    !(bookkeeping
        || search
        || markers
        || transient
        || name.starts_with(super::database::BOOKKEEPING))
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    Int,
    Text,
    Bytes,
}

impl Kind {
    /// The kind of a declared (SQLite) or `information_schema` (PostgreSQL) type.
    pub(crate) fn of(table: &str, column: &str, declared: &str) -> Result<Kind> {
        match declared.to_ascii_lowercase().as_str() {
            "integer" | "bigint" | "smallint" | "int" => Ok(Kind::Int),
            "text" | "character varying" | "varchar" => Ok(Kind::Text),
            "blob" | "bytea" => Ok(Kind::Bytes),
            other => Err(TransferError::Refused(format!(
                "column {table}.{column} has type `{other}`, which the copier does not know"
            ))),
        }
    }
}

/// One value of a row. The derived order is the key order on both backends:
/// numbers by value, text and bytes byte by byte (PostgreSQL sorts with the
/// "C" collation for this).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    /// Roughly how many bytes the value takes.
    pub(crate) fn size(&self) -> usize {
        match self {
            Value::Null | Value::Int(_) => 8,
            Value::Text(s) => s.len(),
            Value::Bytes(b) => b.len(),
        }
    }

    /// The archive form: JSON null, number, string, or `{"b64": ...}`.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Int(v) => (*v).into(),
            Value::Text(s) => s.as_str().into(),
            Value::Bytes(b) => serde_json::json!({ "b64": STANDARD.encode(b) }),
        }
    }

    /// Reads the archive form back, checking it against the column's kind.
    pub(crate) fn from_json(json: &serde_json::Value, kind: Kind) -> Option<Value> {
        match (json, kind) {
            (serde_json::Value::Null, _) => Some(Value::Null),
            (serde_json::Value::Number(n), Kind::Int) => n.as_i64().map(Value::Int),
            (serde_json::Value::String(s), Kind::Text) => Some(Value::Text(s.clone())),
            (serde_json::Value::Object(o), Kind::Bytes) => o
                .get("b64")
                .and_then(|b| b.as_str())
                .and_then(|b| STANDARD.decode(b).ok())
                .map(Value::Bytes),
            _ => None,
        }
    }
}

/// A row: one value per column, in the table's column order.
pub(crate) type Row = Vec<Value>;

/// A column and its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Column {
    pub name: String,
    pub kind: Kind,
}

/// A table as the copier sees it: columns sorted by name (so both backends
/// agree on the order whatever order migrations added them in) and the
/// primary key rows are copied and hashed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub key: Vec<String>,
}

impl Table {
    /// Positions of the key columns.
    fn key_positions(&self) -> impl Iterator<Item = usize> + '_ {
        self.key
            .iter()
            .filter_map(|k| self.columns.iter().position(|c| &c.name == k))
    }

    /// The key of a row.
    pub(crate) fn key_of(&self, row: &[Value]) -> Vec<Value> {
        self.key_positions()
            .filter_map(|i| row.get(i).cloned())
            .collect()
    }

    /// The kinds of the key columns, in key order.
    pub(crate) fn key_kinds(&self) -> Vec<Kind> {
        self.key_positions().map(|i| self.columns[i].kind).collect()
    }
}

/// One column as a schema query lists it.
pub(crate) struct SchemaColumn {
    pub table: String,
    pub column: String,
    pub declared: String,
    /// Position in the primary key (1-based), 0 if not part of it.
    pub key: i64,
}

/// Whether `options` leave out the table `name` (sessions, if asked).
pub(crate) fn left_out(name: &str, options: &Options) -> bool {
    options.skip_sessions && SESSIONS.contains(&name)
}

/// Builds the copied tables from schema rows (sorted by table), leaving out
/// what [`is_copied`] and the options exclude.
pub(crate) fn from_schema(columns: Vec<SchemaColumn>, options: &Options) -> Result<Vec<Table>> {
    let mut tables: Vec<(Table, Vec<(i64, String)>)> = Vec::new();
    for c in columns {
        if !is_copied(&c.table) || left_out(&c.table, options) {
            continue;
        }
        let kind = Kind::of(&c.table, &c.column, &c.declared)?;
        if tables.last().is_none_or(|(t, _)| t.name != c.table) {
            tables.push((
                Table {
                    name: c.table.clone(),
                    columns: Vec::new(),
                    key: Vec::new(),
                },
                Vec::new(),
            ));
        }
        if let Some((table, key)) = tables.last_mut() {
            if c.key > 0 {
                key.push((c.key, c.column.clone()));
            }
            table.columns.push(Column {
                name: c.column,
                kind,
            });
        }
    }
    tables
        .into_iter()
        .map(|(mut table, mut key)| {
            if key.is_empty() {
                return Err(TransferError::Refused(format!(
                    "table {} has no primary key to copy it in",
                    table.name
                )));
            }
            key.sort();
            table.key = key.into_iter().map(|(_, name)| name).collect();
            table.columns.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(table)
        })
        .collect()
}

/// Refuses a target whose tables differ from the source's.
pub(crate) fn check_same(source: &[Table], target: &[Table]) -> Result<()> {
    let names = |tables: &[Table]| tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    if names(source) != names(target) {
        return Err(TransferError::Refused(format!(
            "the target's tables differ from the source's: {:?} against {:?}",
            names(target),
            names(source)
        )));
    }
    for (s, t) in source.iter().zip(target) {
        if s.columns != t.columns {
            return Err(TransferError::Refused(format!(
                "table {} has other columns in the target than in the source",
                s.name
            )));
        }
    }
    Ok(())
}

/// Quotes an identifier for either dialect.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
