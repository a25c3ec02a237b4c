//! Set-up an admin keeps in order (SLA policies, automation rules): rows
//! with a unique name, a position from 1 and a JSON definition stored
//! without its name. One place for adding, renaming, moving and deleting,
//! whatever the definition.

use crate::rows::parse_json;
use crate::time::micros;
use crate::tx::{Tx, args};
use crate::{Result, StoreError, now};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// One ordered table and how its rows are named in messages.
pub(crate) struct Ordered {
    pub(crate) table: &'static str,
    /// What one row is ("SLA policy").
    pub(crate) noun: &'static str,
    /// With its article ("an SLA policy").
    pub(crate) a_noun: &'static str,
    /// Several ("SLA policies").
    pub(crate) plural: &'static str,
    /// Most rows one desk holds.
    pub(crate) max: i64,
}

impl Ordered {
    /// A definition from its name and stored form.
    pub(crate) fn definition<T: DeserializeOwned>(&self, name: String, stored: &str) -> Result<T> {
        let mut value: serde_json::Value = parse_json("definition", stored)?;
        if let Some(fields) = value.as_object_mut() {
            fields.insert("name".into(), name.into());
        }
        serde_json::from_value(value)
            .map_err(|e| StoreError::Corrupt(format!("{}: {e}", self.noun)))
    }

    /// Adds a row named `name` at the end of the order; answers its id.
    pub(crate) async fn insert(
        &self,
        tx: &mut Tx,
        name: &str,
        definition: &impl Serialize,
    ) -> Result<i64> {
        let count = tx
            .fetch_one(
                &format!("SELECT COUNT(*) AS n FROM {}", self.table),
                args![],
            )
            .await?
            .int("n")?;
        if count >= self.max {
            return Err(StoreError::State(format!(
                "a desk holds at most {} {}",
                self.max, self.plural
            )));
        }
        let row = tx
            .fetch_one(
                &format!(
                    "INSERT INTO {} (name, position, definition, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4) RETURNING id",
                    self.table
                ),
                args![name, count + 1, stored(definition)?, micros(now())],
            )
            .await
            .map_err(|e| self.name_taken(e, name))?;
        row.int("id")
    }

    /// Replaces row `id`'s name and definition.
    pub(crate) async fn update(
        &self,
        tx: &mut Tx,
        id: i64,
        name: &str,
        definition: &impl Serialize,
    ) -> Result<()> {
        let changed = tx
            .execute(
                &format!(
                    "UPDATE {} SET name = $1, definition = $2, updated_at = $3 WHERE id = $4",
                    self.table
                ),
                args![name, stored(definition)?, micros(now()), id],
            )
            .await
            .map_err(|e| self.name_taken(e, name))?;
        if changed == 0 {
            return Err(StoreError::NotFound(self.noun));
        }
        Ok(())
    }

    /// Moves row `id` to `position` (from 1; past the end is the end).
    pub(crate) async fn move_to(&self, tx: &mut Tx, id: i64, position: i64) -> Result<()> {
        let table = self.table;
        let current = tx
            .fetch_optional(
                &format!("SELECT position FROM {table} WHERE id = $1"),
                args![id],
            )
            .await?
            .ok_or(StoreError::NotFound(self.noun))?
            .int("position")?;
        let target = position.max(1);
        // Half steps put it before (or after) the row now there.
        let half = if target < current { -1 } else { 1 };
        tx.execute(
            &format!("UPDATE {table} SET position = $1 WHERE id = $2"),
            args![target * 2 + half, id],
        )
        .await?;
        tx.execute(
            &format!("UPDATE {table} SET position = position * 2 WHERE id <> $1"),
            args![id],
        )
        .await?;
        self.renumber(tx).await
    }

    /// Deletes row `id`.
    pub(crate) async fn delete(&self, tx: &mut Tx, id: i64) -> Result<()> {
        let deleted = tx
            .execute(
                &format!("DELETE FROM {} WHERE id = $1", self.table),
                args![id],
            )
            .await?;
        if deleted == 0 {
            return Err(StoreError::NotFound(self.noun));
        }
        self.renumber(tx).await
    }

    /// Renumbers the rows 1, 2, 3... in their current order.
    async fn renumber(&self, tx: &mut Tx) -> Result<()> {
        let table = self.table;
        let ids: Vec<i64> = tx
            .fetch_all(
                &format!("SELECT id FROM {table} ORDER BY position, id"),
                args![],
            )
            .await?
            .iter()
            .map(|r| r.int("id"))
            .collect::<Result<_>>()?;
        for (position, id) in (1_i64..).zip(ids) {
            tx.execute(
                &format!("UPDATE {table} SET position = $1 WHERE id = $2"),
                args![position, id],
            )
            .await?;
        }
        Ok(())
    }

    fn name_taken(&self, e: StoreError, name: &str) -> StoreError {
        e.taken("name", || {
            format!(
                "{} named \u{201c}{name}\u{201d} already exists",
                self.a_noun
            )
        })
    }
}

/// The stored form of a definition: everything but its name, which has
/// its own unique column.
fn stored(definition: &impl Serialize) -> Result<String> {
    let mut value =
        serde_json::to_value(definition).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("name");
    }
    Ok(value.to_string())
}
