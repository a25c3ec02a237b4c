//! SLA policies, in the order they are tried.

use super::SlaCache;
use crate::rows::{get, parse_json, time};
use crate::time::micros;
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError, now};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use tend_domain::sla::definition::SlaPolicyDefinition;
use utoipa::ToSchema;

/// Most SLA policies one desk holds.
pub const MAX_POLICIES: i64 = 200;

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
        definition: definition_from(get(row, "name")?, &get::<String>(row, "definition")?)?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// A definition from its name and stored form.
pub(super) fn definition_from(name: String, stored: &str) -> Result<SlaPolicyDefinition> {
    let mut value: serde_json::Value = parse_json("definition", stored)?;
    if let Some(fields) = value.as_object_mut() {
        fields.insert("name".into(), name.into());
    }
    serde_json::from_value(value).map_err(|e| StoreError::Corrupt(format!("sla policy: {e}")))
}

/// The stored form of a definition: everything but its name, which has
/// its own unique column.
fn stored(definition: &SlaPolicyDefinition) -> Result<String> {
    let mut value =
        serde_json::to_value(definition).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("name");
    }
    Ok(value.to_string())
}

fn name_taken(e: StoreError, name: &str) -> StoreError {
    e.taken("name", || {
        format!("an SLA policy named \u{201c}{name}\u{201d} already exists")
    })
}

/// Renumbers the policies 1, 2, 3... in their current order.
async fn renumber(tx: &mut Tx) -> Result<()> {
    let ids: Vec<i64> = tx
        .fetch_all("SELECT id FROM sla_policies ORDER BY position, id", args![])
        .await?
        .iter()
        .map(|r| r.int("id"))
        .collect::<Result<_>>()?;
    for (position, id) in (1_i64..).zip(ids) {
        tx.execute(
            "UPDATE sla_policies SET position = $1 WHERE id = $2",
            args![position, id],
        )
        .await?;
    }
    Ok(())
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
        let cache = self.sla_cache.clone();
        let id = self
            .write(move |tx| {
                Box::pin(async move {
                    let count = tx
                        .fetch_one("SELECT COUNT(*) AS n FROM sla_policies", args![])
                        .await?
                        .int("n")?;
                    if count >= MAX_POLICIES {
                        return Err(StoreError::State(format!(
                            "a desk holds at most {MAX_POLICIES} SLA policies"
                        )));
                    }
                    let at = micros(now());
                    let row = tx
                        .fetch_one(
                            "INSERT INTO sla_policies (name, position, definition, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $4) RETURNING id",
                            args![definition.name.as_str(), count + 1, stored(&definition)?, at],
                        )
                        .await
                        .map_err(|e| name_taken(e, &definition.name))?;
                    let id = row.int("id")?;
                    super::refresh::queue(tx).await?;
                    Ok(id)
                })
            })
            .await?;
        SlaCache::forget(&cache);
        self.sla_policy(id).await
    }

    /// Replaces a policy's definition; open cases are measured again.
    pub async fn update_sla_policy(
        &self,
        id: i64,
        definition: SlaPolicyDefinition,
    ) -> Result<SlaPolicyRecord> {
        let cache = self.sla_cache.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let changed = tx
                    .execute(
                        "UPDATE sla_policies SET name = $1, definition = $2, updated_at = $3 WHERE id = $4",
                        args![definition.name.as_str(), stored(&definition)?, micros(now()), id],
                    )
                    .await
                    .map_err(|e| name_taken(e, &definition.name))?;
                if changed == 0 {
                    return Err(StoreError::NotFound("SLA policy"));
                }
                super::refresh::queue(tx).await
            })
        })
        .await?;
        SlaCache::forget(&cache);
        self.sla_policy(id).await
    }

    /// Moves a policy to `position` (from 1; past the end is the end).
    pub async fn move_sla_policy(&self, id: i64, position: i64) -> Result<SlaPolicyRecord> {
        let cache = self.sla_cache.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let current = tx
                    .fetch_optional("SELECT position FROM sla_policies WHERE id = $1", args![id])
                    .await?
                    .ok_or(StoreError::NotFound("SLA policy"))?
                    .int("position")?;
                let target = position.max(1);
                // Half steps put it before (or after) the policy now there.
                let half = if target < current { -1 } else { 1 };
                tx.execute(
                    "UPDATE sla_policies SET position = $1 WHERE id = $2",
                    args![target * 2 + half, id],
                )
                .await?;
                tx.execute(
                    "UPDATE sla_policies SET position = position * 2 WHERE id <> $1",
                    args![id],
                )
                .await?;
                renumber(tx).await?;
                super::refresh::queue(tx).await
            })
        })
        .await?;
        SlaCache::forget(&cache);
        self.sla_policy(id).await
    }

    /// Deletes a policy; cases it covered are measured again.
    pub async fn delete_sla_policy(&self, id: i64) -> Result<()> {
        let cache = self.sla_cache.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let deleted = tx
                    .execute("DELETE FROM sla_policies WHERE id = $1", args![id])
                    .await?;
                if deleted == 0 {
                    return Err(StoreError::NotFound("SLA policy"));
                }
                renumber(tx).await?;
                super::refresh::queue(tx).await
            })
        })
        .await?;
        SlaCache::forget(&cache);
        Ok(())
    }
}
