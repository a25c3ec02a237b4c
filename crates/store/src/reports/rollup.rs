//! The stored per-day summary reports read (`report_days`): a projection
//! of the cases table, kept for every case and for each value of the
//! filters a report is most often narrowed by (its scopes: a channel, a
//! team, an agent, a tag). Case writes mark the days they touch as stale (a
//! database trigger, in the same transaction); [`Store::refresh_reports`]
//! recomputes those days from the cases, one day at a time, and replaces
//! their rows. A report refreshes first, so it always sees every committed
//! case, and then reads a few rows per day instead of every case.

use super::Side;
use super::facts::{Collector, DAY, DayFacts, Days, Fact, Tally};
use crate::dialect::Dialect;
use crate::sql::Sql;
use crate::tx::{Arg, args};
use crate::{Result, Store, StoreError};
use futures_util::TryStreamExt;
use sqlx::Row;
use std::collections::HashMap;

/// Rows per INSERT when a day's facts are written.
const ROWS_PER_INSERT: usize = 100;

impl Store {
    /// Brings the stored summary up to date: recomputes every day a case
    /// write has marked stale since the last refresh, and any day a refresh
    /// cut short left behind. Answers how many days it recomputed. Refreshes
    /// run one at a time.
    pub async fn refresh_reports(&self) -> Result<usize> {
        if let Some(primary) = &self.primary {
            // What it reads it writes back: it must read from the primary.
            return Box::pin(primary.refresh_reports()).await;
        }
        let _one_at_a_time = self.report_refresh.lock().await;
        let dialect = self.dialect;
        let days: Vec<i64> = self
            .write(move |tx| {
                Box::pin(async move {
                    if dialect == Dialect::Postgres {
                        // Waits for every open transaction that marked a day:
                        // what they wrote is then visible to the reads below,
                        // and later writes mark their days again.
                        tx.execute("LOCK TABLE report_stale_days IN EXCLUSIVE MODE", vec![])
                            .await?;
                    }
                    tx.execute(
                        "INSERT INTO report_refreshing_days (day) \
                         SELECT day FROM report_stale_days WHERE true ON CONFLICT (day) DO NOTHING",
                        vec![],
                    )
                    .await?;
                    tx.execute("DELETE FROM report_stale_days", vec![]).await?;
                    tx.fetch_all(
                        "SELECT day FROM report_refreshing_days ORDER BY day",
                        vec![],
                    )
                    .await?
                    .iter()
                    .map(|row| row.int("day"))
                    .collect()
                })
            })
            .await?;
        if days.len() > 30 {
            tracing::info!(days = days.len(), "recomputing the report summary");
        }
        for &day in &days {
            self.recompute_day(day).await?;
        }
        Ok(days.len())
    }

    /// Recomputes one day's facts, in every scope, from the cases and
    /// replaces its rows; the day is done in the same transaction.
    async fn recompute_day(&self, day: i64) -> Result<()> {
        let mut scopes: HashMap<String, Collector> = HashMap::new();
        let (from, to) = (day * DAY, (day + 1) * DAY);
        for side in [Side::Created, Side::Resolved] {
            self.collect(side, from, to, None, |case| {
                for scope in case.scopes() {
                    scopes.entry(scope).or_default().add_case(side, case);
                }
            })
            .await?;
        }
        let rows: Vec<StoredFact> = scopes
            .into_iter()
            .flat_map(|(scope, collector)| {
                let facts = collector.finish().remove(&day).unwrap_or_default();
                facts
                    .into_iter()
                    .map(move |((fact, key), tally)| (scope.clone(), fact, key, tally))
            })
            .collect();
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute("DELETE FROM report_days WHERE day = $1", args![day])
                    .await?;
                for chunk in rows.chunks(ROWS_PER_INSERT) {
                    let (text, values) = insert_facts(day, chunk);
                    tx.execute(&text, values).await?;
                }
                tx.execute(
                    "DELETE FROM report_refreshing_days WHERE day = $1",
                    args![day],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// The stored facts of `scope` on days [`from`, `to`), only of the kinds
    /// given, after a refresh.
    pub(crate) async fn summary_days(
        &self,
        scope: &str,
        from: i64,
        to: i64,
        facts: &[Fact],
    ) -> Result<Days> {
        // In a task of its own: a report whose client goes away must not
        // stop a refresh half way, after it took the stale days off the list.
        let store = self.clone();
        tokio::spawn(async move { store.refresh_reports().await })
            .await
            .map_err(|e| StoreError::Commit(format!("refreshing the report summary: {e}")))??;
        let mut sql = Sql::new("SELECT day, fact, key, n, total, high FROM report_days");
        sql.and()
            .push("scope = ")
            .arg(scope)
            .push(" AND day >= ")
            .arg(from)
            .push(" AND day < ")
            .arg(to)
            .push(" AND fact IN (");
        for (i, fact) in facts.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.arg(fact.as_str());
        }
        sql.push(")");
        let mut days = Days::new();
        let mut rows = sql.query().fetch(&self.reader);
        while let Some(row) = rows.try_next().await? {
            let fact = crate::rows::word(&row, "fact", Fact::parse)?;
            let day: &mut DayFacts = days.entry(row.try_get("day")?).or_default();
            day.insert(
                (fact, row.try_get("key")?),
                Tally {
                    n: row.try_get("n")?,
                    total: row.try_get("total")?,
                    high: row.try_get("high")?,
                },
            );
        }
        Ok(days)
    }

    /// Cases of `scope` created before day `before` and not resolved
    /// before it, from the stored facts (call after [`Store::summary_days`]).
    pub(crate) async fn summary_open_before(&self, scope: &str, before: i64) -> Result<i64> {
        let row = sqlx::query(
            "SELECT \
             CAST(COALESCE(SUM(CASE WHEN fact = 'cases' THEN n ELSE 0 END), 0) AS BIGINT) AS opened, \
             CAST(COALESCE(SUM(CASE WHEN fact = 'resolved' THEN n ELSE 0 END), 0) AS BIGINT) AS resolved \
             FROM report_days WHERE scope = $1 AND day < $2 AND fact IN ('cases', 'resolved') AND key = ''",
        )
        .bind(scope)
        .bind(before)
        .fetch_one(&self.reader)
        .await?;
        Ok(row.try_get::<i64, _>("opened")? - row.try_get::<i64, _>("resolved")?)
    }
}

/// One stored fact: its scope, kind, key and tally.
type StoredFact = (String, Fact, String, Tally);

/// One INSERT of `rows` of `day`: its text and values.
fn insert_facts(day: i64, rows: &[StoredFact]) -> (String, Vec<Arg>) {
    let mut text =
        String::from("INSERT INTO report_days (scope, day, fact, key, n, total, high) VALUES ");
    let mut values = Vec::with_capacity(rows.len() * 7);
    for (i, (scope, fact, key, tally)) in rows.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        let at = values.len();
        let placeholders: Vec<String> = (1..=7).map(|n| format!("${}", at + n)).collect();
        text.push_str(&format!("({})", placeholders.join(", ")));
        values.extend(args![
            scope.as_str(),
            day,
            fact.as_str(),
            key.as_str(),
            tally.n,
            tally.total,
            tally.high
        ]);
    }
    (text, values)
}
