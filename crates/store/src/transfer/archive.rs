//! Backup archives: a gzip-compressed file of JSON lines, readable with
//! `zcat`. A line `{"table": NAME}` starts a table's rows; each row is a JSON
//! array of its values in the table's column order (bytes as
//! `{"b64": ...}`); the last line is `{"manifest": ...}`: format, backend,
//! migration level, and per table its columns, key, row count and checksum.
//! An archive is written to a temporary file next to its name and renamed
//! into place only when complete.

use super::checksum::{Hasher, Sum};
use super::tables::{Row, Table, Value};
use super::{Result, Resume, Sink, Source, TransferError, Verification};
use crate::Dialect;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Lines, Write};
use std::path::{Path, PathBuf};

/// The format name in the manifest.
const FORMAT: &str = "tend-backup-1";

/// What an archive holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub format: String,
    /// The backend the rows were read from.
    pub backend: String,
    /// The highest migration of the database backed up.
    pub migration_level: i64,
    pub tables: Vec<ManifestTable>,
}

/// One table of an archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ManifestTable {
    #[serde(flatten)]
    pub table: Table,
    #[serde(flatten)]
    pub sum: Sum,
}

fn failed(path: &Path, message: impl std::fmt::Display) -> TransferError {
    TransferError::Archive {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// The error for an archive whose rows disagree with its manifest.
pub(crate) fn damaged(path: &Path, check: &Verification) -> TransferError {
    failed(
        path,
        format!(
            "damaged: its rows do not match its manifest in {}",
            check.mismatches().join(", ")
        ),
    )
}

/// Writes a new archive.
pub(crate) struct Writer {
    out: GzEncoder<BufWriter<File>>,
    partial: PathBuf,
    path: PathBuf,
    backend: Dialect,
    level: i64,
    /// The table being written and its running sum.
    current: Option<(String, Hasher)>,
    sums: Vec<(String, Sum)>,
}

impl Writer {
    /// Starts an archive that will appear at `path` once complete; refuses
    /// to replace an existing file.
    pub(crate) fn create(path: &Path, backend: Dialect, level: i64) -> Result<Self> {
        if path.exists() {
            return Err(failed(path, "already exists; name a new file"));
        }
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = File::create(&partial).map_err(|e| failed(&partial, e))?;
        Ok(Writer {
            out: GzEncoder::new(BufWriter::new(file), Compression::default()),
            partial,
            path: path.to_owned(),
            backend,
            level,
            current: None,
            sums: Vec::new(),
        })
    }

    fn line(&mut self, json: &serde_json::Value) -> Result<()> {
        writeln!(self.out, "{json}").map_err(|e| failed(&self.partial, e))
    }

    /// Closes the running sum of the table being written.
    fn close_table(&mut self) {
        if let Some((name, hasher)) = self.current.take() {
            self.sums.push((name, hasher.finish()));
        }
    }

    /// Writes the manifest, syncs the file and renames it into place.
    pub(crate) fn complete(mut self, tables: &[Table]) -> Result<()> {
        self.close_table();
        let manifest = Manifest {
            format: FORMAT.into(),
            backend: match self.backend {
                Dialect::Sqlite => "sqlite",
                Dialect::Postgres => "postgres",
            }
            .into(),
            migration_level: self.level,
            tables: tables
                .iter()
                .map(|table| ManifestTable {
                    table: table.clone(),
                    sum: self
                        .sums
                        .iter()
                        .find(|(name, _)| name == &table.name)
                        .map(|(_, sum)| sum.clone())
                        .unwrap_or_else(|| Hasher::default().finish()),
                })
                .collect(),
        };
        let json = serde_json::json!({ "manifest": manifest });
        self.line(&json)?;
        let partial = self.partial.clone();
        let file = self
            .out
            .finish()
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
            .map_err(|e| failed(&partial, e))?;
        file.sync_all().map_err(|e| failed(&partial, e))?;
        std::fs::rename(&partial, &self.path).map_err(|e| failed(&self.path, e))?;
        Ok(())
    }

    /// Removes the unfinished file after a failure.
    pub(crate) fn abandon(self) {
        let _ = std::fs::remove_file(&self.partial);
    }
}

impl Sink for Writer {
    async fn resume(&mut self, _table: &Table) -> Result<Resume> {
        Ok(Resume::default())
    }

    async fn write(&mut self, table: &Table, rows: &[Row], _done: &Resume) -> Result<()> {
        if self
            .current
            .as_ref()
            .is_none_or(|(name, _)| name != &table.name)
        {
            self.close_table();
            self.line(&serde_json::json!({ "table": table.name }))?;
            self.current = Some((table.name.clone(), Hasher::default()));
        }
        for row in rows {
            if let Some((_, hasher)) = &mut self.current {
                hasher.row(row);
            }
            let json = serde_json::Value::Array(row.iter().map(Value::to_json).collect());
            self.line(&json)?;
        }
        Ok(())
    }

    async fn finish_table(&mut self, _table: &Table, _done: &Resume) -> Result<()> {
        Ok(())
    }
}

/// A line of an archive.
enum Line {
    Table(String),
    Row(Vec<serde_json::Value>),
    Manifest(Box<Manifest>),
}

/// Reads an archive front to back.
pub(crate) struct Reader {
    path: PathBuf,
    lines: Lines<BufReader<GzDecoder<File>>>,
    manifest: Manifest,
    /// The table whose rows are being read.
    current: Option<String>,
    /// A line read ahead.
    peeked: Option<Line>,
}

impl Reader {
    /// Opens the archive at `path`, reading it through once for its manifest.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let mut lines = Self::lines(path)?;
        let mut manifest = None;
        while let Some(line) = Self::next(path, &mut lines)? {
            if let Line::Manifest(m) = line {
                manifest = Some(*m);
            }
        }
        let manifest = manifest.ok_or_else(|| {
            failed(
                path,
                "has no manifest: it is incomplete or not a Tend backup",
            )
        })?;
        if manifest.format != FORMAT {
            return Err(failed(path, format!("unknown format {}", manifest.format)));
        }
        Ok(Reader {
            path: path.to_owned(),
            lines: Self::lines(path)?,
            manifest,
            current: None,
            peeked: None,
        })
    }

    fn lines(path: &Path) -> Result<Lines<BufReader<GzDecoder<File>>>> {
        let file = File::open(path).map_err(|e| failed(path, e))?;
        Ok(BufReader::new(GzDecoder::new(file)).lines())
    }

    fn next(path: &Path, lines: &mut Lines<BufReader<GzDecoder<File>>>) -> Result<Option<Line>> {
        let Some(line) = lines.next() else {
            return Ok(None);
        };
        let line = line.map_err(|e| failed(path, e))?;
        let json: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| failed(path, format!("a line is not JSON: {e}")))?;
        match json {
            serde_json::Value::Array(values) => Ok(Some(Line::Row(values))),
            serde_json::Value::Object(mut o) => {
                if let Some(serde_json::Value::String(name)) = o.remove("table") {
                    Ok(Some(Line::Table(name)))
                } else if let Some(m) = o.remove("manifest") {
                    let m = serde_json::from_value(m)
                        .map_err(|e| failed(path, format!("unreadable manifest: {e}")))?;
                    Ok(Some(Line::Manifest(Box::new(m))))
                } else {
                    Err(failed(path, "an unknown line"))
                }
            }
            _ => Err(failed(path, "an unknown line")),
        }
    }

    /// What the archive holds.
    pub(crate) fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Where `name` comes in the archive.
    fn position(&self, name: &str) -> Option<usize> {
        self.manifest
            .tables
            .iter()
            .position(|t| t.table.name == name)
    }

    /// Reads the next line ahead, unless one already is.
    fn peek(&mut self) -> Result<()> {
        if self.peeked.is_none() {
            self.peeked = Self::next(&self.path, &mut self.lines)?;
        }
        Ok(())
    }
}

impl Source for Reader {
    async fn count(&mut self, table: &Table) -> Result<u64> {
        Ok(self
            .manifest
            .tables
            .iter()
            .find(|t| t.table.name == table.name)
            .map_or(0, |t| t.sum.rows))
    }

    async fn batch(
        &mut self,
        table: &Table,
        after: Option<&[Value]>,
        rows: usize,
    ) -> Result<Vec<Row>> {
        let wanted = self.position(&table.name);
        let mut out = Vec::new();
        let mut bytes = 0;
        while out.len() < rows && bytes < super::tables::BATCH_BYTES {
            self.peek()?;
            match &self.peeked {
                None | Some(Line::Manifest(_)) => break,
                Some(Line::Table(name)) => {
                    // A later table's rows start: this one has no more.
                    if self.position(name) > wanted {
                        break;
                    }
                    self.current = Some(name.clone());
                    self.peeked = None;
                }
                Some(Line::Row(_)) => {
                    let Some(Line::Row(values)) = self.peeked.take() else {
                        continue;
                    };
                    if self.current.as_deref() != Some(table.name.as_str()) {
                        continue;
                    }
                    let row = values
                        .iter()
                        .zip(&table.columns)
                        .map(|(v, c)| Value::from_json(v, c.kind))
                        .collect::<Option<Row>>()
                        .filter(|row| row.len() == table.columns.len())
                        .ok_or_else(|| {
                            failed(
                                &self.path,
                                format!("a row of {} does not fit its columns", table.name),
                            )
                        })?;
                    if after.is_some_and(|after| table.key_of(&row).as_slice() <= after) {
                        continue;
                    }
                    bytes += row.iter().map(Value::size).sum::<usize>();
                    out.push(row);
                }
            }
        }
        Ok(out)
    }
}
