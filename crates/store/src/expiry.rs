//! Clearing out what has expired: agents' and customers' browser sessions,
//! sign-ins waiting for their second factor, and portal sign-in links. Their
//! expiry already makes them useless; deleting them keeps the tables small
//! and leaves no stale secrets (even hashed) lying around. The job runner's
//! recurring `clean_up` job calls this.

use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store};
use jiff::Timestamp;

/// The tables with an `expires_at` column whose expired rows are deleted.
const EXPIRING: [&str; 4] = [
    "web_sessions",
    "web_pending_signins",
    "portal_sessions",
    "portal_links",
];

impl Store {
    /// Deletes every session, pending sign-in and portal link that expired
    /// before `at`; answers how many rows went.
    pub async fn delete_expired(&self, at: Timestamp) -> Result<u64> {
        self.write(move |tx| {
            Box::pin(async move {
                let mut deleted = 0;
                for table in EXPIRING {
                    deleted += tx
                        .execute(
                            &format!("DELETE FROM {table} WHERE expires_at < $1"),
                            args![micros(at)],
                        )
                        .await?;
                }
                Ok(deleted)
            })
        })
        .await
    }
}
