//! Saved filters: a case view's query parameters stored under a name by an
//! agent, private or shared with every agent. The store keeps the parameters
//! as a JSON object of strings; what they mean is the web layer's business,
//! which checks them when saving and again when opening.

use crate::rows::{flag, get, parse_json, time};
use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store, StoreError, now};
use jiff::Timestamp;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;
use tend_domain::ids::{AgentId, SavedFilterId};

/// A filter to save.
#[derive(Debug, Clone)]
pub struct NewSavedFilter {
    pub owner: AgentId,
    pub name: String,
    /// The built-in view it narrows (a slug such as `team`).
    pub view: String,
    /// The view's query parameters.
    pub params: BTreeMap<String, String>,
    /// Whether every agent sees it.
    pub shared: bool,
}

/// A saved filter.
#[derive(Debug, Clone)]
pub struct SavedFilter {
    pub id: SavedFilterId,
    pub owner: AgentId,
    pub name: String,
    pub view: String,
    pub params: BTreeMap<String, String>,
    pub shared: bool,
    pub created_at: Timestamp,
}

impl SavedFilter {
    /// Whether `agent` may open it: its owner, or anyone when shared.
    pub fn visible_to(&self, agent: AgentId) -> bool {
        self.shared || self.owner == agent
    }
}

const COLUMNS: &str = "id, agent_id, name, view, params, shared, created_at";

fn saved_filter(row: &AnyRow) -> Result<SavedFilter> {
    Ok(SavedFilter {
        id: SavedFilterId(get(row, "id")?),
        owner: AgentId(get(row, "agent_id")?),
        name: get(row, "name")?,
        view: get(row, "view")?,
        params: parse_json("params", &get::<String>(row, "params")?)?,
        shared: flag(row, "shared")?,
        created_at: time(row, "created_at")?,
    })
}

impl Store {
    /// Saves a filter; an agent's filter names are unique.
    pub async fn create_saved_filter(&self, new: NewSavedFilter) -> Result<SavedFilter> {
        let params =
            serde_json::to_string(&new.params).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let name = new.name.clone();
        let inserted = self
            .write(move |tx| {
                Box::pin(async move {
                    let row = tx
                        .fetch_one(
                            "INSERT INTO saved_filters (agent_id, name, view, params, shared, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                            args![
                                new.owner.0,
                                new.name,
                                new.view,
                                params,
                                new.shared,
                                micros(now())
                            ],
                        )
                        .await?;
                    row.int("id")
                })
            })
            .await;
        match inserted {
            Ok(id) => self.saved_filter(SavedFilterId(id)).await,
            Err(e) if e.is_unique_violation() => Err(StoreError::Conflict {
                field: "name".into(),
                message: format!("you already have a saved filter named {name}"),
                existing_id: None,
            }),
            Err(e) => Err(e),
        }
    }

    /// One saved filter.
    pub async fn saved_filter(&self, id: SavedFilterId) -> Result<SavedFilter> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM saved_filters WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("saved filter"))?;
        saved_filter(&row)
    }

    /// The filters `agent` may open: their own and every shared one, by name.
    pub async fn saved_filters_for(&self, agent: AgentId) -> Result<Vec<SavedFilter>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM saved_filters WHERE agent_id = $1 OR shared = 1 ORDER BY name, id"
        )))
        .bind(agent.0)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(saved_filter).collect()
    }

    /// Deletes a saved filter of `owner`; answers whether there was one.
    pub async fn delete_saved_filter(&self, id: SavedFilterId, owner: AgentId) -> Result<bool> {
        let deleted = self
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "DELETE FROM saved_filters WHERE id = $1 AND agent_id = $2",
                        args![id.0, owner.0],
                    )
                    .await
                })
            })
            .await?;
        Ok(deleted > 0)
    }
}
