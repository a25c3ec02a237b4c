//! Per-table checksums, computed the same way from any source: SHA-256 over
//! the rows in key order, each value in a canonical form (a type tag, then
//! the integer as 8 big-endian bytes or the text or bytes with their length),
//! so a SQLite database, a PostgreSQL database and an archive holding the
//! same rows give the same digest.

use super::tables::{Table, Value};
use super::{Options, Result, Source};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A table's row count and checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sum {
    /// Rows in the table.
    pub rows: u64,
    /// SHA-256 over the rows, lower-case hex.
    pub sha256: String,
}

/// Hashes rows one at a time.
#[derive(Default)]
pub(crate) struct Hasher {
    sha: Sha256,
    rows: u64,
}

impl Hasher {
    /// Adds a row.
    pub(crate) fn row(&mut self, row: &[Value]) {
        self.rows += 1;
        for value in row {
            match value {
                Value::Null => self.sha.update([0]),
                Value::Int(v) => {
                    self.sha.update([1]);
                    self.sha.update(v.to_be_bytes());
                }
                Value::Text(s) => self.bytes(2, s.as_bytes()),
                Value::Bytes(b) => self.bytes(3, b),
            }
        }
    }

    fn bytes(&mut self, tag: u8, bytes: &[u8]) {
        self.sha.update([tag]);
        self.sha.update((bytes.len() as u64).to_be_bytes());
        self.sha.update(bytes);
    }

    /// The count and digest of the rows added.
    pub(crate) fn finish(self) -> Sum {
        let digest = self.sha.finalize();
        Sum {
            rows: self.rows,
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// The sums of every table, reading each one whole from `source`.
pub(crate) async fn all(
    source: &mut impl Source,
    tables: &[Table],
    options: &Options,
) -> Result<Vec<Sum>> {
    let mut sums = Vec::with_capacity(tables.len());
    for table in tables {
        let mut hasher = Hasher::default();
        let mut after = None;
        loop {
            let rows = source
                .batch(table, after.as_deref(), options.batch_rows.max(1))
                .await?;
            let Some(last) = rows.last() else { break };
            after = Some(table.key_of(last));
            rows.iter().for_each(|row| hasher.row(row));
        }
        sums.push(hasher.finish());
    }
    Ok(sums)
}
