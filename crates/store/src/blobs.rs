//! Content-addressed file storage in the database: each distinct content is
//! stored once under its SHA-256, inside the same transaction as whatever
//! refers to it, so there is never a half-written file or a dangling reference.

use crate::rows::get;
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError};
use sha2::{Digest, Sha256};

/// Stores `data` if new and returns its hex SHA-256.
pub(crate) async fn put(tx: &mut Tx, data: &[u8]) -> Result<String> {
    let sha256 = hex(&Sha256::digest(data));
    tx.execute(
        "INSERT INTO blobs (sha256, size, data) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
        args![&sha256, data.len() as i64, data],
    )
    .await?;
    Ok(sha256)
}

impl Store {
    /// The content stored under `sha256`.
    pub async fn blob(&self, sha256: &str) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT data FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("file"))?;
        get(&row, "data")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
