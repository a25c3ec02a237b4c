//! The SLA set-up every case write is measured against: enabled policies in
//! order and the calendars, held as [`crate::setups::Held`].

use super::{calendars, policies};
use crate::Result;
use crate::setups::Held;
use crate::tx::{Tx, args};
use std::collections::HashMap;
use std::sync::Arc;
use tend_domain::calendar::{BusinessCalendar, CalendarDefinition};
use tend_domain::sla::SlaPolicy;
use tend_domain::sla::definition::SlaPolicyDefinition;

/// One enabled policy, ready to compute with.
#[derive(Debug)]
pub(crate) struct ActivePolicy {
    pub(crate) id: i64,
    pub(crate) definition: SlaPolicyDefinition,
    pub(crate) clocks: SlaPolicy,
}

/// Policies and calendars as of one read.
#[derive(Debug, Default)]
pub(crate) struct SlaSetup {
    pub(crate) policies: Vec<ActivePolicy>,
    calendars: HashMap<i64, (String, BusinessCalendar)>,
    default_calendar: Option<i64>,
    team_calendars: HashMap<i64, i64>,
    inbox_calendars: HashMap<i64, i64>,
}

impl SlaSetup {
    /// Whether any case can have an SLA.
    pub(crate) fn active(&self) -> bool {
        !self.policies.is_empty()
    }

    /// Whether inbox calendars exist (so a case's inbox matters).
    pub(crate) fn has_inbox_calendars(&self) -> bool {
        !self.inbox_calendars.is_empty()
    }

    /// The calendar of a case with `team` and `inbox`: the team's, else the
    /// inbox's, else the default, else always open; with its id.
    pub(crate) fn calendar_for(
        &self,
        team: Option<i64>,
        inbox: Option<i64>,
    ) -> (Option<i64>, BusinessCalendar) {
        let id = team
            .and_then(|t| self.team_calendars.get(&t))
            .or_else(|| inbox.and_then(|i| self.inbox_calendars.get(&i)))
            .copied()
            .or(self.default_calendar);
        match id.and_then(|id| self.calendars.get(&id).map(|c| (id, c))) {
            Some((id, (_, calendar))) => (Some(id), calendar.clone()),
            None => (None, BusinessCalendar::always_open()),
        }
    }

    /// Reads the set-up inside a write.
    async fn load(tx: &mut Tx) -> Result<SlaSetup> {
        let mut setup = SlaSetup::default();
        let rows = tx
            .fetch_all(
                &format!(
                    "SELECT {} FROM sla_policies ORDER BY position, id",
                    policies::COLUMNS
                ),
                args![],
            )
            .await?;
        for row in rows {
            let definition: SlaPolicyDefinition =
                policies::TABLE.definition(row.text("name")?, &row.text("definition")?)?;
            if definition.enabled {
                setup.policies.push(ActivePolicy {
                    id: row.int("id")?,
                    clocks: definition.policy(),
                    definition,
                });
            }
        }
        for row in tx
            .fetch_all(
                &format!("SELECT {} FROM calendars", calendars::COLUMNS),
                args![],
            )
            .await?
        {
            let id = row.int("id")?;
            let definition = CalendarDefinition {
                name: row.text("name")?,
                time_zone: row.text("time_zone")?,
                hours: row.text("hours")?,
                holidays: crate::rows::parse_json("holidays", &row.text("holidays")?)?,
            };
            if row.int("is_default")? == 1 {
                setup.default_calendar = Some(id);
            }
            setup
                .calendars
                .insert(id, (definition.name.clone(), definition.calendar()));
        }
        for (table, map) in [
            ("teams", &mut setup.team_calendars),
            ("inboxes", &mut setup.inbox_calendars),
        ] {
            for row in tx
                .fetch_all(
                    &format!("SELECT id, calendar_id FROM {table} WHERE calendar_id IS NOT NULL"),
                    args![],
                )
                .await?
            {
                map.insert(row.int("id")?, row.int("calendar_id")?);
            }
        }
        Ok(setup)
    }
}

/// The shared, lazily read copy of the set-up (clones share it).
#[derive(Debug, Clone, Default)]
pub(crate) struct SlaCache(Held<SlaSetup>);

impl SlaCache {
    /// The set-up, read inside `tx` when there is no fresh copy.
    pub(crate) async fn get(tx: &mut Tx) -> Result<Arc<SlaSetup>> {
        let cache = tx.setups.sla.clone();
        let stamp = match cache.0.fresh_or_stamp() {
            Ok(setup) => return Ok(setup),
            Err(stamp) => stamp,
        };
        let setup = Arc::new(SlaSetup::load(tx).await?);
        cache.0.keep(setup.clone(), stamp);
        Ok(setup)
    }

    /// The copy held now, if fresh, without reading.
    pub(crate) fn peek(&self) -> Option<Arc<SlaSetup>> {
        self.0.fresh()
    }

    /// Whether SLA policies may apply to a case written now: unless a fresh
    /// copy says there are none (then writes may skip measuring).
    pub(crate) fn may_apply(&self) -> bool {
        self.peek().is_none_or(|setup| setup.active())
    }

    /// Drops the copy: the next write reads the set-up again.
    pub(crate) fn forget(&self) {
        self.0.forget();
    }
}
