//! The end of every transfer: per-table row counts and checksums of the
//! source against the target, printed as a table.

use super::checksum::Sum;
use super::tables::Table;
use std::fmt;

/// One table's counts and checksums on both sides.
#[derive(Debug, Clone)]
pub struct TableCheck {
    /// The table.
    pub table: String,
    /// What the source holds.
    pub source: Sum,
    /// What the target holds.
    pub target: Sum,
}

impl TableCheck {
    /// Whether both sides agree.
    pub fn ok(&self) -> bool {
        self.source == self.target
    }
}

/// Every table's check.
#[derive(Debug, Clone)]
pub struct Verification {
    /// One entry per copied table.
    pub tables: Vec<TableCheck>,
}

impl Verification {
    /// Pairs sums listed in `tables` order.
    pub(crate) fn compare(tables: &[Table], source: &[Sum], target: &[Sum]) -> Self {
        Verification {
            tables: tables
                .iter()
                .zip(source.iter().zip(target))
                .map(|(table, (source, target))| TableCheck {
                    table: table.name.clone(),
                    source: source.clone(),
                    target: target.clone(),
                })
                .collect(),
        }
    }

    /// Whether every table agrees.
    pub fn ok(&self) -> bool {
        self.tables.iter().all(TableCheck::ok)
    }

    /// Names of the tables that disagree.
    pub fn mismatches(&self) -> Vec<&str> {
        self.tables
            .iter()
            .filter(|t| !t.ok())
            .map(|t| t.table.as_str())
            .collect()
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<26} {:>12} {:>12}  {:<16} {:<16} result",
            "table", "source rows", "target rows", "source sha256", "target sha256"
        )?;
        for t in &self.tables {
            writeln!(
                f,
                "{:<26} {:>12} {:>12}  {:<16} {:<16} {}",
                t.table,
                t.source.rows,
                t.target.rows,
                &t.source.sha256[..16.min(t.source.sha256.len())],
                &t.target.sha256[..16.min(t.target.sha256.len())],
                if t.ok() { "ok" } else { "MISMATCH" }
            )?;
        }
        Ok(())
    }
}
