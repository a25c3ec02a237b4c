//! A dry run: which cases a rule would have acted on in the last days,
//! had it existed. Each event its trigger fires on is found through the
//! event-kind index, the case is folded from its log up to that event and
//! matched as it was then (its inbox, organisation and latest message as
//! they are now). Nothing is written.

use super::facts;
use crate::cases::{EVENT_COLUMNS, event};
use crate::service_levels::SlaCache;
use crate::time::{from_micros, micros};
use crate::{Result, Store, StoreError};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use std::collections::HashSet;
use tend_domain::ids::CaseId;
use tend_domain::rules::RuleDefinition;
use tend_domain::state::CaseState;
use utoipa::ToSchema;

/// How far back a dry run looks, in days.
pub const DAYS: i64 = 7;
/// Most triggering events a dry run looks at (the latest first).
pub const MAX_EVENTS: i64 = 2_000;
/// Most cases a dry run lists.
pub const MAX_MATCHES: usize = 100;

/// What a dry run found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DryRun {
    /// The start of the window looked at.
    pub since: Timestamp,
    /// Triggering events looked at.
    pub events_checked: usize,
    /// Whether there were more than [`MAX_EVENTS`] (the earliest were
    /// left out) or more matches than [`MAX_MATCHES`].
    pub truncated: bool,
    /// The cases the rule would have acted on, latest first.
    pub matches: Vec<DryRunMatch>,
}

/// One case a rule would have acted on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DryRunMatch {
    pub case_id: CaseId,
    pub subject: String,
    /// When the triggering event happened (the rule would have acted then,
    /// or `after_hours` later).
    pub at: Timestamp,
}

impl Store {
    /// Which cases `definition` would have acted on in the [`DAYS`] before
    /// `now`.
    pub async fn dry_run_rule(
        &self,
        definition: &RuleDefinition,
        now: Timestamp,
    ) -> Result<DryRun> {
        let since = now
            .checked_sub(SignedDuration::from_hours(24 * DAYS))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let setup = match self.setups.sla.peek() {
            Some(setup) => setup,
            None => self.write(|tx| Box::pin(SlaCache::get(tx))).await?,
        };
        let candidates = sqlx::query(
            "SELECT case_id, seq, created_at FROM case_events \
             WHERE kind = $1 AND created_at >= $2 ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(definition.when.on.event_kind())
        .bind(micros(since))
        .bind(MAX_EVENTS + 1)
        .fetch_all(&self.reader)
        .await?;
        let mut run = DryRun {
            since,
            events_checked: 0,
            truncated: candidates.len() as i64 > MAX_EVENTS,
            matches: Vec::new(),
        };
        let mut matched = HashSet::new();
        for row in candidates.iter().take(MAX_EVENTS as usize) {
            let case_id = CaseId(crate::rows::get(row, "case_id")?);
            let seq: i64 = crate::rows::get(row, "seq")?;
            let at = from_micros(crate::rows::get(row, "created_at")?)?;
            run.events_checked += 1;
            if matched.contains(&case_id) {
                continue;
            }
            let log = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {EVENT_COLUMNS} FROM case_events WHERE case_id = $1 AND seq <= $2 ORDER BY seq"
            )))
            .bind(case_id.0)
            .bind(seq)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(event)
            .collect::<Result<Vec<_>>>()?;
            let Some(trigger) = log.last() else { continue };
            if !definition.when.fired_by(&trigger.data) {
                continue;
            }
            let state = CaseState::fold(&log).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let looked = facts::look_on(
                &self.reader,
                &setup,
                &definition.conditions,
                case_id,
                &state,
                at,
            )
            .await?;
            if definition.conditions.matches(&looked.facts(&state)) {
                if run.matches.len() == MAX_MATCHES {
                    run.truncated = true;
                    break;
                }
                matched.insert(case_id);
                run.matches.push(DryRunMatch {
                    case_id,
                    subject: state.subject.clone(),
                    at,
                });
            }
        }
        Ok(run)
    }
}
