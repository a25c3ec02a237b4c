//! SLA policies, in the order they are tried.

use super::SlaCache;
use crate::ordered::Ordered;
use crate::rows::{get, time};
use crate::{Result, Store, StoreError};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use tend_domain::sla::definition::SlaPolicyDefinition;
use utoipa::ToSchema;

/// Most SLA policies one desk holds.
pub const MAX_POLICIES: i64 = 200;

/// The policies' table, in order.
pub(super) static TABLE: Ordered = Ordered {
    table: "sla_policies",
    noun: "SLA policy",
    a_noun: "an SLA policy",
    plural: "SLA policies",
    max: MAX_POLICIES,
};

/// A stored SLA policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaPolicyRecord {
    pub id: i64,
    /// Place in the order policies are tried, from 1.
    pub position: i64,
    #[serde(flatten)]
    pub definition: SlaPolicyDefinition,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub(super) const COLUMNS: &str = "id, name, position, definition, created_at, updated_at";

pub(super) fn policy(row: &AnyRow) -> Result<SlaPolicyRecord> {
    Ok(SlaPolicyRecord {
        id: get(row, "id")?,
        position: get(row, "position")?,
        definition: TABLE.definition(get(row, "name")?, &get::<String>(row, "definition")?)?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

impl Store {
    /// Every SLA policy, in the order they are tried.
    pub async fn sla_policies(&self) -> Result<Vec<SlaPolicyRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sla_policies ORDER BY position, id"
        )))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(policy).collect()
    }

    /// One SLA policy.
    pub async fn sla_policy(&self, id: i64) -> Result<SlaPolicyRecord> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sla_policies WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("SLA policy"))?;
        policy(&row)
    }

    /// Adds a checked policy at the end of the order.
    pub async fn create_sla_policy(
        &self,
        definition: SlaPolicyDefinition,
    ) -> Result<SlaPolicyRecord> {
        let id = self
            .change_sla_policies(move |tx| {
                Box::pin(async move { TABLE.insert(tx, &definition.name, &definition).await })
            })
            .await?;
        self.sla_policy(id).await
    }

    /// Replaces a policy's definition; open cases are measured again.
    pub async fn update_sla_policy(
        &self,
        id: i64,
        definition: SlaPolicyDefinition,
    ) -> Result<SlaPolicyRecord> {
        self.change_sla_policies(move |tx| {
            Box::pin(async move { TABLE.update(tx, id, &definition.name, &definition).await })
        })
        .await?;
        self.sla_policy(id).await
    }

    /// Moves a policy to `position` (from 1; past the end is the end).
    pub async fn move_sla_policy(&self, id: i64, position: i64) -> Result<SlaPolicyRecord> {
        self.change_sla_policies(move |tx| Box::pin(TABLE.move_to(tx, id, position)))
            .await?;
        self.sla_policy(id).await
    }

    /// Deletes a policy; cases it covered are measured again.
    pub async fn delete_sla_policy(&self, id: i64) -> Result<()> {
        self.change_sla_policies(move |tx| Box::pin(TABLE.delete(tx, id)))
            .await
    }

    /// Runs `change` on the policies, then queues measuring open cases
    /// again and drops this node's copy of the set-up.
    async fn change_sla_policies<T, F>(&self, change: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut crate::tx::Tx) -> crate::writer::WriteFuture<'c, T>
            + Send
            + 'static,
    {
        let value = self
            .write(move |tx| {
                Box::pin(async move {
                    let value = change(tx).await?;
                    super::refresh::queue(tx).await?;
                    Ok(value)
                })
            })
            .await?;
        SlaCache::forget(&self.setups.sla);
        Ok(value)
    }
}
