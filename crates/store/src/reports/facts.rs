//! What each case adds to the reports, as facts of a UTC day: a case counts
//! on the day it was created (effort, first response, repeats) and on the
//! day it was resolved (resolution time, first-contact resolution). A
//! period's report is the sum of its days' facts, whether they come from
//! the stored summary (`rollup`) or straight from the cases.

use super::Side;
use crate::Result;
use crate::rows::{json, optional_id, parse_json, word};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, HashMap};
use tend_domain::effort::{EffortLevel, EffortTally, EffortWeights};
use tend_domain::stats;

/// Microseconds in a day.
pub(crate) const DAY: i64 = 86_400_000_000;
/// High-effort cases kept per day: enough for any period's highest.
pub(crate) const HIGHEST_PER_DAY: usize = super::HIGHEST;

tend_domain::string_enum!(
    /// One kind of fact a day holds, each with a key (empty when it has
    /// none) and a tally.
    Fact {
        /// Cases created: how many, their index sum, how many at high effort.
        Cases = "cases",
        /// Cases created at the level named by the key.
        Level = "level",
        /// Cases created with an index in the 10-point band the key numbers
        /// (0 to 9; 9 takes 100).
        Band = "band",
        /// Cases a driver (the key) added points to, and the points.
        Driver = "driver",
        /// Cases created per team id (the key; empty for none).
        Team = "team",
        /// Cases created per assigned agent id.
        Agent = "agent",
        /// Cases created per channel.
        Channel = "channel",
        /// Cases created per tag.
        Tag = "tag",
        /// Cases created per agreement id.
        Agreement = "agreement",
        /// One of the day's highest-effort cases: the key is its id, the
        /// total its index.
        Highest = "highest",
        /// Cases created that repeat an earlier one.
        Repeat = "repeat",
        /// Cases created that were reopened at least once.
        Reopened = "reopened",
        /// Cases created whose first response came after the key's seconds
        /// (to two significant figures: [`stats::two_figures`]).
        FirstResponse = "first_response",
        /// Cases resolved.
        Resolved = "resolved",
        /// Cases resolved the key's seconds (two significant figures) after
        /// they were created.
        Resolution = "resolution",
        /// Cases resolved on the customer's first contact, never reopened.
        FirstContact = "first_contact",
    }
);

/// How many cases, a sum over them and how many of them were high effort.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    pub n: i64,
    pub total: i64,
    pub high: i64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.n += other.n;
        self.total += other.total;
        self.high += other.high;
    }
}

/// The facts of one day, by fact and key.
pub(crate) type DayFacts = HashMap<(Fact, String), Tally>;
/// Facts per day, the day numbered from the epoch.
pub(crate) type Days = BTreeMap<i64, DayFacts>;

/// The summary scope of one filter value (`channel:email`, `team:3`): the
/// facts of only the cases that value keeps. The scope of every case is
/// the empty string.
pub(crate) fn scope(filter: &str, value: &str) -> String {
    format!("{filter}:{value}")
}

/// The day (numbered from the epoch) a time in microseconds falls on.
pub(crate) fn day_of(micros: i64) -> i64 {
    micros.div_euclid(DAY)
}

/// The columns of `cases c` a case's facts come from.
pub(crate) const COLUMNS: &str = "c.id, c.created_at, c.channel, c.team_id, c.assignee_id, \
     c.agreement_id, c.tags, c.effort_index, c.effort_level, c.effort, c.first_response_at, \
     c.resolved_at, c.repeat_of_id";

/// A case as the reports see it.
pub(crate) struct CaseFacts {
    id: i64,
    created_at: i64,
    channel: String,
    team: String,
    agent: String,
    agreement: String,
    tags: Vec<String>,
    index: u32,
    level: EffortLevel,
    tally: EffortTally,
    /// Points per driver (a driver scoring several lines counts once).
    drivers: BTreeMap<&'static str, i64>,
    first_response_at: Option<i64>,
    resolved_at: Option<i64>,
    repeat: bool,
}

impl CaseFacts {
    /// Reads a row of [`COLUMNS`], scoring its tally with `weights`.
    pub(crate) fn from_row(row: &AnyRow, weights: &EffortWeights) -> Result<Self> {
        let raw_tags: String = row.try_get("tags")?;
        let tally: EffortTally = json(row, "effort")?;
        let index = u32::try_from(row.try_get::<i64, _>("effort_index")?).unwrap_or(0);
        let mut drivers = BTreeMap::new();
        if index > 0 {
            for line in weights.score(&tally).lines {
                *drivers.entry(line.driver.as_str()).or_default() += i64::from(line.points);
            }
        }
        let id_text = |col: &str| -> Result<String> {
            Ok(optional_id(row, col, |v| v.to_string())?.unwrap_or_default())
        };
        Ok(Self {
            id: row.try_get("id")?,
            created_at: row.try_get("created_at")?,
            channel: row.try_get("channel")?,
            team: id_text("team_id")?,
            agent: id_text("assignee_id")?,
            agreement: id_text("agreement_id")?,
            tags: if raw_tags == "[]" {
                Vec::new()
            } else {
                parse_json("tags", &raw_tags)?
            },
            index,
            level: word(row, "effort_level", EffortLevel::parse)?,
            tally,
            drivers,
            first_response_at: row.try_get("first_response_at")?,
            resolved_at: row.try_get("resolved_at")?,
            repeat: row.try_get::<Option<i64>, _>("repeat_of_id")?.is_some(),
        })
    }

    /// The summary scopes the case counts in: every case's, its channel's,
    /// its team's and agent's (when it has them) and each of its tags'.
    pub(crate) fn scopes(&self) -> Vec<String> {
        let mut scopes = vec![String::new(), scope("channel", &self.channel)];
        for (filter, value) in [("team", &self.team), ("agent", &self.agent)] {
            if !value.is_empty() {
                scopes.push(scope(filter, value));
            }
        }
        scopes.extend(self.tags.iter().map(|tag| scope("tag", tag)));
        scopes
    }
}

/// Adds up facts, day by day.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    pub days: Days,
}

impl Collector {
    fn add(&mut self, day: i64, fact: Fact, key: impl Into<String>, tally: Tally) {
        self.days
            .entry(day)
            .or_default()
            .entry((fact, key.into()))
            .or_default()
            .add(tally);
    }

    /// What a case adds on the day `side` counts it by.
    pub(crate) fn add_case(&mut self, side: Side, case: &CaseFacts) {
        match side {
            Side::Created => self.created(case),
            Side::Resolved => self.resolved(case),
        }
    }

    /// What a case adds on the day it was created.
    fn created(&mut self, case: &CaseFacts) {
        let day = day_of(case.created_at);
        let high = i64::from(case.level == EffortLevel::High);
        let index = i64::from(case.index);
        let counted = Tally {
            n: 1,
            total: index,
            high,
        };
        let one = Tally {
            n: 1,
            ..Tally::default()
        };
        self.add(day, Fact::Cases, "", counted);
        self.add(day, Fact::Level, case.level.as_str(), one);
        self.add(day, Fact::Band, (case.index / 10).min(9).to_string(), one);
        self.add(day, Fact::Team, case.team.as_str(), counted);
        self.add(day, Fact::Agent, case.agent.as_str(), counted);
        self.add(day, Fact::Channel, case.channel.as_str(), counted);
        self.add(day, Fact::Agreement, case.agreement.as_str(), counted);
        for tag in &case.tags {
            self.add(day, Fact::Tag, tag.as_str(), counted);
        }
        if case.repeat {
            self.add(day, Fact::Repeat, "", one);
        }
        if case.tally.reopened > 0 {
            self.add(day, Fact::Reopened, "", one);
        }
        if let Some(first) = case.first_response_at {
            let seconds = (first - case.created_at).max(0) / 1_000_000;
            self.add(
                day,
                Fact::FirstResponse,
                stats::two_figures(seconds).to_string(),
                one,
            );
        }
        if case.index == 0 {
            return;
        }
        for (&driver, &total) in &case.drivers {
            self.add(day, Fact::Driver, driver, Tally { n: 1, total, high });
        }
        self.add(day, Fact::Highest, case.id.to_string(), counted);
    }

    /// What a case adds on the day it was resolved (nothing if it is not).
    fn resolved(&mut self, case: &CaseFacts) {
        let Some(resolved) = case.resolved_at else {
            return;
        };
        let day = day_of(resolved);
        let one = Tally {
            n: 1,
            ..Tally::default()
        };
        self.add(day, Fact::Resolved, "", one);
        let seconds = (resolved - case.created_at).max(0) / 1_000_000;
        self.add(
            day,
            Fact::Resolution,
            stats::two_figures(seconds).to_string(),
            one,
        );
        if case.tally.first_contact_resolution() {
            self.add(day, Fact::FirstContact, "", one);
        }
    }

    /// The facts, each day's highest-effort cases cut to the few a report
    /// can show.
    pub(crate) fn finish(mut self) -> Days {
        for facts in self.days.values_mut() {
            let mut highest: Vec<(i64, i64)> = facts
                .iter()
                .filter(|((fact, _), _)| *fact == Fact::Highest)
                .filter_map(|((_, key), t)| Some((t.total, key.parse::<i64>().ok()?)))
                .collect();
            if highest.len() <= HIGHEST_PER_DAY {
                continue;
            }
            highest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            for (_, id) in &highest[HIGHEST_PER_DAY..] {
                facts.remove(&(Fact::Highest, id.to_string()));
            }
        }
        self.days
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_at_utc_midnight() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(DAY - 1), 0);
        assert_eq!(day_of(DAY), 1);
        // 2026-12-03T00:00:00Z.
        assert_eq!(day_of(1_764_720_000_000_000), 20_425);
    }
}
