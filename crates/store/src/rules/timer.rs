//! The timers of rules that wait (`after_hours`): at its moment, the rule
//! acts if it is still enabled, no newer event of its kind happened on the
//! case meanwhile, and the case meets its conditions then.

use super::cache::RuleCache;
use super::engine::{act, follow, record_failure};
use crate::cases::load_state;
use crate::tx::args;
use crate::{Result, Store, StoreError};
use jiff::Timestamp;
use tend_domain::ids::CaseId;

impl Store {
    /// Runs the timer of rule `rule_id` set by event `seq` of case `id`, at
    /// `now`. Answers whether the rule acted.
    pub async fn run_rule_timer(
        &self,
        rule_id: i64,
        id: CaseId,
        seq: i64,
        now: Timestamp,
    ) -> Result<bool> {
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let set = RuleCache::get(tx).await?;
                let Some(rule) = set.get(rule_id) else {
                    return Ok(false);
                };
                let kind = rule.definition.when.on.event_kind();
                let latest = tx
                    .fetch_one(
                        "SELECT MAX(seq) AS seq FROM case_events WHERE case_id = $1 AND kind = $2",
                        args![id.0, kind],
                    )
                    .await?
                    .opt_int("seq")?;
                if latest != Some(seq) {
                    return Ok(false);
                }
                let state = match load_state(tx, dialect, id).await {
                    Ok(state) => state,
                    Err(StoreError::NotFound(_)) => return Ok(false),
                    Err(e) => return Err(e),
                };
                let after_seq = state.last_seq;
                tx.in_rules = true;
                let acted = match act(tx, rule, id, &state, now).await {
                    Ok(true) => follow(tx, &set, id, after_seq).await.map(|_| true),
                    other => other,
                };
                tx.in_rules = false;
                acted
            })
        })
        .await
    }

    /// Records that rule `rule_id` failed on case `id` outside a write it
    /// acted in (a canned reply it sends from a job).
    pub async fn record_rule_failure(&self, rule_id: i64, id: CaseId, error: String) -> Result<()> {
        let at = self.clock().now();
        self.write(move |tx| {
            Box::pin(async move { record_failure(tx, rule_id, id, &error, at).await })
        })
        .await
    }
}
