//! Automation rules: stored in the order an admin gives them, run by
//! [`engine`] inside the write that triggers them (or, for a rule that
//! waits, by its timer job), tried against recent cases by [`dry_run`].

mod cache;
pub mod dry_run;
pub(crate) mod engine;
pub(crate) mod facts;
mod timer;

pub(crate) use cache::RuleCache;

use crate::ordered::Ordered;
use crate::rows::{get, optional_time, time};
use crate::{Result, Store, StoreError};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use tend_domain::rules::RuleDefinition;
use utoipa::ToSchema;

/// Most rules one desk holds.
pub const MAX_RULES: i64 = 200;

/// The rules' table, in order.
pub(crate) static TABLE: Ordered = Ordered {
    table: "rules",
    noun: "rule",
    a_noun: "a rule",
    plural: "rules",
    max: MAX_RULES,
};

/// A stored rule with how it has done.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleRecord {
    pub id: i64,
    /// Place in the order rules run, from 1.
    pub position: i64,
    #[serde(flatten)]
    pub definition: RuleDefinition,
    /// Times it acted on a case.
    pub fired: i64,
    pub last_fired_at: Option<Timestamp>,
    /// Times it failed (each failure left the case unchanged).
    pub failures: i64,
    /// Why it failed last, on which case and when.
    pub last_error: Option<String>,
    pub last_error_case_id: Option<i64>,
    pub last_error_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub(crate) const COLUMNS: &str = "id, name, position, definition, fired, last_fired_at, failures, \
     last_error, last_error_case_id, last_error_at, created_at, updated_at";

fn record(row: &AnyRow) -> Result<RuleRecord> {
    Ok(RuleRecord {
        id: get(row, "id")?,
        position: get(row, "position")?,
        definition: TABLE.definition(get(row, "name")?, &get::<String>(row, "definition")?)?,
        fired: get(row, "fired")?,
        last_fired_at: optional_time(row, "last_fired_at")?,
        failures: get(row, "failures")?,
        last_error: get(row, "last_error")?,
        last_error_case_id: get(row, "last_error_case_id")?,
        last_error_at: optional_time(row, "last_error_at")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

impl Store {
    /// Every rule, in the order they run.
    pub async fn rules(&self) -> Result<Vec<RuleRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM rules ORDER BY position, id"
        )))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(record).collect()
    }

    /// One rule.
    pub async fn rule(&self, id: i64) -> Result<RuleRecord> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM rules WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("rule"))?;
        record(&row)
    }

    /// Adds a checked rule at the end of the order.
    pub async fn create_rule(&self, definition: RuleDefinition) -> Result<RuleRecord> {
        let id = self
            .change_rules(move |tx| {
                Box::pin(async move { TABLE.insert(tx, &definition.name, &definition).await })
            })
            .await?;
        self.rule(id).await
    }

    /// Replaces a rule's definition.
    pub async fn update_rule(&self, id: i64, definition: RuleDefinition) -> Result<RuleRecord> {
        self.change_rules(move |tx| {
            Box::pin(async move { TABLE.update(tx, id, &definition.name, &definition).await })
        })
        .await?;
        self.rule(id).await
    }

    /// Moves a rule to `position` (from 1; past the end is the end).
    pub async fn move_rule(&self, id: i64, position: i64) -> Result<RuleRecord> {
        self.change_rules(move |tx| Box::pin(TABLE.move_to(tx, id, position)))
            .await?;
        self.rule(id).await
    }

    /// Deletes a rule; its waiting timers find it gone and do nothing.
    pub async fn delete_rule(&self, id: i64) -> Result<()> {
        self.change_rules(move |tx| Box::pin(TABLE.delete(tx, id)))
            .await
    }

    /// Runs `change` on the rules and drops this node's copy of them.
    async fn change_rules<T, F>(&self, change: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut crate::tx::Tx) -> crate::writer::WriteFuture<'c, T>
            + Send
            + 'static,
    {
        let value = self.write(change).await?;
        self.setups.rules.forget();
        Ok(value)
    }
}
