//! Email signatures: one per agent and one per inbox, plain text with
//! placeholders, appended to what agents send by email.

use crate::rows::get;
use crate::tx::args;
use crate::{Result, Store, StoreError};
use tend_domain::ids::AgentId;

/// Whose signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureOf {
    Agent(AgentId),
    Inbox(i64),
}

impl SignatureOf {
    fn id(self) -> i64 {
        match self {
            SignatureOf::Agent(id) => id.0,
            SignatureOf::Inbox(id) => id,
        }
    }

    fn select(self) -> &'static str {
        match self {
            SignatureOf::Agent(_) => "SELECT signature FROM agents WHERE id = $1",
            SignatureOf::Inbox(_) => "SELECT signature FROM inboxes WHERE id = $1",
        }
    }

    fn update(self) -> &'static str {
        match self {
            SignatureOf::Agent(_) => "UPDATE agents SET signature = $1 WHERE id = $2",
            SignatureOf::Inbox(_) => "UPDATE inboxes SET signature = $1 WHERE id = $2",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            SignatureOf::Agent(_) => "agent",
            SignatureOf::Inbox(_) => "inbox",
        }
    }
}

impl Store {
    /// The signature of `of` (empty when it has none).
    pub async fn signature(&self, of: SignatureOf) -> Result<String> {
        let row = sqlx::query(of.select())
            .bind(of.id())
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound(of.noun()))?;
        get(&row, "signature")
    }

    /// Sets the signature of `of` (already checked; empty clears it).
    pub async fn set_signature(&self, of: SignatureOf, signature: String) -> Result<()> {
        let id = of.id();
        let changed = self
            .write(move |tx| {
                Box::pin(async move { tx.execute(of.update(), args![signature, id]).await })
            })
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound(of.noun()));
        }
        Ok(())
    }
}
