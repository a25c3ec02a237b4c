//! Business-hours calendars: stored definitions, the default one, and the
//! calendars teams and inboxes name.

use super::SlaCache;
use crate::rows::{flag, get, json, time};
use crate::time::micros;
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError, now};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use tend_domain::calendar::CalendarDefinition;
use tend_domain::ids::TeamId;
use utoipa::ToSchema;

/// A stored calendar.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Calendar {
    pub id: i64,
    #[serde(flatten)]
    pub definition: CalendarDefinition,
    /// The calendar of cases whose team and inbox name none.
    pub is_default: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub(super) const COLUMNS: &str =
    "id, name, time_zone, hours, holidays, is_default, created_at, updated_at";

pub(super) fn calendar(row: &AnyRow) -> Result<Calendar> {
    Ok(Calendar {
        id: get(row, "id")?,
        definition: CalendarDefinition {
            name: get(row, "name")?,
            time_zone: get(row, "time_zone")?,
            hours: get(row, "hours")?,
            holidays: json(row, "holidays")?,
        },
        is_default: flag(row, "is_default")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn name_taken(e: StoreError, name: &str) -> StoreError {
    e.taken("name", || {
        format!("a calendar named \u{201c}{name}\u{201d} already exists")
    })
}

fn holidays_json(definition: &CalendarDefinition) -> Result<String> {
    serde_json::to_string(&definition.holidays).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Makes calendar `id` the only default when `is_default`.
async fn claim_default(tx: &mut Tx, id: i64, is_default: bool) -> Result<()> {
    if is_default {
        tx.execute(
            "UPDATE calendars SET is_default = 0 WHERE is_default = 1 AND id <> $1",
            args![id],
        )
        .await?;
    }
    tx.execute(
        "UPDATE calendars SET is_default = $1 WHERE id = $2",
        args![i64::from(is_default), id],
    )
    .await?;
    Ok(())
}

impl Store {
    /// Every calendar, by name.
    pub async fn calendars(&self) -> Result<Vec<Calendar>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM calendars ORDER BY name, id"
        )))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(calendar).collect()
    }

    /// One calendar.
    pub async fn calendar(&self, id: i64) -> Result<Calendar> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM calendars WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("calendar"))?;
        calendar(&row)
    }

    /// Creates a calendar from a checked definition.
    pub async fn create_calendar(
        &self,
        definition: CalendarDefinition,
        is_default: bool,
    ) -> Result<Calendar> {
        let cache = self.setups.sla.clone();
        let id = self
            .write(move |tx| {
                Box::pin(async move {
                    let at = micros(now());
                    let row = tx
                        .fetch_one(
                            "INSERT INTO calendars (name, time_zone, hours, holidays, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                            args![
                                definition.name.as_str(),
                                definition.time_zone.as_str(),
                                definition.hours.as_str(),
                                holidays_json(&definition)?,
                                at
                            ],
                        )
                        .await
                        .map_err(|e| name_taken(e, &definition.name))?;
                    let id = row.int("id")?;
                    claim_default(tx, id, is_default).await?;
                    Ok(id)
                })
            })
            .await?;
        SlaCache::forget(&cache);
        self.calendar(id).await
    }

    /// Replaces a calendar's definition and whether it is the default.
    pub async fn update_calendar(
        &self,
        id: i64,
        definition: CalendarDefinition,
        is_default: bool,
    ) -> Result<Calendar> {
        let cache = self.setups.sla.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let changed = tx
                    .execute(
                        "UPDATE calendars SET name = $1, time_zone = $2, hours = $3, holidays = $4, \
                         updated_at = $5 WHERE id = $6",
                        args![
                            definition.name.as_str(),
                            definition.time_zone.as_str(),
                            definition.hours.as_str(),
                            holidays_json(&definition)?,
                            micros(now()),
                            id
                        ],
                    )
                    .await
                    .map_err(|e| name_taken(e, &definition.name))?;
                if changed == 0 {
                    return Err(StoreError::NotFound("calendar"));
                }
                claim_default(tx, id, is_default).await
            })
        })
        .await?;
        SlaCache::forget(&cache);
        self.calendar(id).await
    }

    /// Adds `days` to a calendar's holidays (an iCalendar import).
    pub async fn add_holidays(&self, id: i64, days: Vec<jiff::civil::Date>) -> Result<Calendar> {
        let current = self.calendar(id).await?;
        let mut definition = current.definition;
        definition.holidays.extend(days);
        let definition = definition.check()?;
        self.update_calendar(id, definition, current.is_default)
            .await
    }

    /// Deletes a calendar no team or inbox names.
    pub async fn delete_calendar(&self, id: i64) -> Result<()> {
        let cache = self.setups.sla.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let used = tx
                    .fetch_optional(
                        "SELECT 1 AS used FROM teams WHERE calendar_id = $1 \
                         UNION ALL SELECT 1 FROM inboxes WHERE calendar_id = $1 LIMIT 1",
                        args![id],
                    )
                    .await?;
                if used.is_some() {
                    return Err(StoreError::State(
                        "a team or an inbox uses this calendar: give them another one first".into(),
                    ));
                }
                let deleted = tx
                    .execute("DELETE FROM calendars WHERE id = $1", args![id])
                    .await?;
                if deleted == 0 {
                    return Err(StoreError::NotFound("calendar"));
                }
                Ok(())
            })
        })
        .await?;
        SlaCache::forget(&cache);
        Ok(())
    }

    /// The calendar a team's cases are measured by (none: the inbox's or
    /// the default).
    pub async fn set_team_calendar(&self, team: TeamId, calendar: Option<i64>) -> Result<()> {
        self.set_calendar_of("teams", team.0, calendar).await
    }

    /// The calendar an inbox's cases are measured by when their team names
    /// none.
    pub async fn set_inbox_calendar(&self, inbox: i64, calendar: Option<i64>) -> Result<()> {
        self.set_calendar_of("inboxes", inbox, calendar).await
    }

    async fn set_calendar_of(
        &self,
        table: &'static str,
        id: i64,
        calendar: Option<i64>,
    ) -> Result<()> {
        if let Some(c) = calendar {
            self.calendar(c).await.map_err(|e| match e {
                StoreError::NotFound(_) => {
                    tend_domain::Invalid::new("calendar_id", format!("no calendar #{c}")).into()
                }
                e => e,
            })?;
        }
        let cache = self.setups.sla.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let changed = tx
                    .execute(
                        &format!("UPDATE {table} SET calendar_id = $1 WHERE id = $2"),
                        args![calendar, id],
                    )
                    .await?;
                if changed == 0 {
                    return Err(StoreError::NotFound(if table == "teams" {
                        "team"
                    } else {
                        "inbox"
                    }));
                }
                Ok(())
            })
        })
        .await?;
        SlaCache::forget(&cache);
        Ok(())
    }

    /// The calendar each team and inbox names, as `(teams, inboxes)` of
    /// `(id, calendar id)`.
    pub async fn calendar_assignments(&self) -> Result<(Vec<(i64, i64)>, Vec<(i64, i64)>)> {
        let read = |table: &'static str| async move {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, calendar_id FROM {table} WHERE calendar_id IS NOT NULL ORDER BY id"
            )))
            .fetch_all(&self.reader)
            .await?;
            rows.iter()
                .map(|r| Ok((get(r, "id")?, get(r, "calendar_id")?)))
                .collect::<Result<Vec<(i64, i64)>>>()
        };
        Ok((read("teams").await?, read("inboxes").await?))
    }
}
