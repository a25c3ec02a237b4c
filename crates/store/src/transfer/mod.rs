//! Moving and keeping data: one generic table copier between databases
//! (SQLite or PostgreSQL) and backup archives. The tables and columns come
//! from the schema; rows travel in primary-key order in batches; a database
//! target records its progress so an interrupted run resumes; and every run
//! ends by comparing per-table row counts and checksums of both sides.
//! `tend migrate --from --to`, `tend backup` and `tend restore` are thin glue
//! over [`migrate`], [`backup`] and [`restore`]. See docs/moving-data.md.

mod archive;
mod checksum;
mod database;
mod tables;
mod verify;

pub use checksum::Sum;
pub use verify::{TableCheck, Verification};

use crate::{Dialect, Store, StoreError, StoreOptions};
use database::{Snapshot, Target};
use std::path::Path;
use tables::{Row, Table, Value};

/// What can stop a transfer.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request cannot be carried out as asked (wrong backend, missing
    /// source, a target that already holds data, another migration level).
    #[error("{0}")]
    Refused(String),
    /// A backup archive could not be written or read.
    #[error("backup archive {path}: {message}")]
    Archive { path: String, message: String },
}

impl From<sqlx::Error> for TransferError {
    fn from(e: sqlx::Error) -> Self {
        TransferError::Store(e.into())
    }
}

/// A transfer result.
pub type Result<T, E = TransferError> = std::result::Result<T, E>;

/// Receives one line of progress at a time (the CLI prints them on stderr).
pub type Progress<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// How a transfer runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Leave out sign-in sessions (everyone signs in again afterwards).
    pub skip_sessions: bool,
    /// Most rows per batch (one transaction each on a database target).
    pub batch_rows: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            skip_sessions: false,
            batch_rows: 500,
        }
    }
}

/// Copies every table of the SQLite database at `from` (a `sqlite:` URL of an
/// existing file) into the PostgreSQL database at `to`, migrating it first;
/// resumes an interrupted copy into the same target. Answers the
/// verification: check [`Verification::ok`].
pub async fn migrate(
    from: &str,
    to: &str,
    options: &Options,
    progress: Progress<'_>,
) -> Result<Verification> {
    if Dialect::from_url(to).ok() != Some(Dialect::Postgres) {
        return Err(TransferError::Refused(
            "--to must be a PostgreSQL URL (postgres://...)".into(),
        ));
    }
    if Dialect::from_url(from).ok() != Some(Dialect::Sqlite) {
        return Err(TransferError::Refused(
            "--from must be a SQLite data directory".into(),
        ));
    }
    let mut source = Snapshot::open_source(from).await?;
    let tables = source.tables(options).await?;
    let mut target = Target::open(to, &tables).await?;
    progress(&format!("copying {} tables", tables.len()));
    copy(&mut source, &mut target, &tables, options, progress).await?;
    target.complete(&tables).await?;
    progress("verifying");
    let expected = checksum::all(&mut source, &tables, options).await?;
    finish(target, &tables, expected, options).await
}

/// Writes every table of the database at `from` to a new archive at `to`
/// (atomically: a temporary file renamed into place), then reads the archive
/// back and compares it with the database.
pub async fn backup(
    from: &str,
    to: &Path,
    options: &Options,
    progress: Progress<'_>,
) -> Result<Verification> {
    let mut source = Snapshot::open_source(from).await?;
    let tables = source.tables(options).await?;
    let mut writer = archive::Writer::create(to, source.dialect(), source.level())?;
    let copied = copy(&mut source, &mut writer, &tables, options, progress).await;
    if let Err(e) = copied {
        writer.abandon();
        return Err(e);
    }
    writer.complete(&tables)?;
    progress("verifying");
    let expected = checksum::all(&mut source, &tables, options).await?;
    let mut reader = archive::Reader::open(to)?;
    let found = checksum::all(&mut reader, &tables, options).await?;
    Ok(Verification::compare(&tables, &expected, &found))
}

/// Restores the archive at `from` into the database at `to` (migrating it
/// first), which must be empty and at the archive's migration level, or hold
/// an interrupted restore of it. The archive is checked against its manifest
/// before anything is written.
pub async fn restore(
    from: &Path,
    to: &str,
    options: &Options,
    progress: Progress<'_>,
) -> Result<Verification> {
    let manifest = archive::Reader::open(from)?.manifest().clone();
    let (tables, expected): (Vec<Table>, Vec<checksum::Sum>) = manifest
        .tables
        .iter()
        .filter(|t| !tables::left_out(&t.table.name, options))
        .map(|t| (t.table.clone(), t.sum.clone()))
        .unzip();
    progress("checking the archive");
    let found = checksum::all(&mut archive::Reader::open(from)?, &tables, options).await?;
    let check = Verification::compare(&tables, &expected, &found);
    if !check.ok() {
        return Err(archive::damaged(from, &check));
    }
    let level = database::binary_level(Dialect::from_url(to)?);
    if manifest.migration_level != level {
        return Err(TransferError::Refused(format!(
            "the archive is at migration level {}, this tend is at {level}: restore it with the tend version that wrote it",
            manifest.migration_level
        )));
    }
    let mut target = Target::open(to, &tables).await?;
    progress(&format!("restoring {} tables", tables.len()));
    let mut reader = archive::Reader::open(from)?;
    copy(&mut reader, &mut target, &tables, options, progress).await?;
    target.complete(&tables).await?;
    progress("verifying");
    finish(target, &tables, expected, options).await
}

/// Compares the target with what the source held; on success drops the
/// target's transfer bookkeeping.
async fn finish(
    target: Target,
    tables: &[Table],
    expected: Vec<checksum::Sum>,
    options: &Options,
) -> Result<Verification> {
    let found = checksum::all(&mut target.snapshot().await?, tables, options).await?;
    let check = Verification::compare(tables, &expected, &found);
    if check.ok() {
        target.forget().await?;
    }
    target.close().await;
    Ok(check)
}

/// Where rows come from: a database snapshot or an archive.
pub(crate) trait Source {
    /// How many rows `table` holds.
    async fn count(&mut self, table: &Table) -> Result<u64>;
    /// The next rows of `table` after the key `after` (from the start if
    /// none), in key order: at most `rows` rows, fewer once they pass
    /// [`tables::BATCH_BYTES`]; none at the end.
    async fn batch(
        &mut self,
        table: &Table,
        after: Option<&[Value]>,
        rows: usize,
    ) -> Result<Vec<Row>>;
}

/// How far the copy of one table got.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resume {
    /// The key of the last row copied.
    pub after: Option<Vec<Value>>,
    /// Rows copied so far.
    pub rows: u64,
    /// Whether every row is copied.
    pub finished: bool,
}

/// Where rows go: a database or an archive.
pub(crate) trait Sink {
    /// Where the copy of `table` resumes.
    async fn resume(&mut self, table: &Table) -> Result<Resume>;
    /// Writes a batch of rows, recording `done` as the progress after it.
    async fn write(&mut self, table: &Table, rows: &[Row], done: &Resume) -> Result<()>;
    /// Records that every row of `table` is written.
    async fn finish_table(&mut self, table: &Table, done: &Resume) -> Result<()>;
}

/// The one copy loop behind every command.
async fn copy(
    source: &mut impl Source,
    sink: &mut impl Sink,
    tables: &[Table],
    options: &Options,
    progress: Progress<'_>,
) -> Result<()> {
    for table in tables {
        let total = source.count(table).await?;
        let mut done = sink.resume(table).await?;
        if done.finished {
            progress(&format!(
                "{}: {}/{total} rows (copied before)",
                table.name, done.rows
            ));
            continue;
        }
        if total == 0 {
            progress(&format!("{}: 0/0 rows", table.name));
        }
        loop {
            let rows = source
                .batch(table, done.after.as_deref(), options.batch_rows.max(1))
                .await?;
            let Some(last) = rows.last() else { break };
            done.after = Some(table.key_of(last));
            done.rows += rows.len() as u64;
            sink.write(table, &rows, &done).await?;
            progress(&format!("{}: {}/{total} rows", table.name, done.rows));
        }
        done.finished = true;
        sink.finish_table(table, &done).await?;
    }
    Ok(())
}

/// Opens `url` with the store's own code and applies this binary's
/// migrations, so a target has the schema before rows arrive.
async fn migrate_schema(url: &str) -> Result<()> {
    let store = Store::connect(url, &StoreOptions::default()).await?;
    let migrated = store.migrate().await;
    store.close().await;
    Ok(migrated?)
}
