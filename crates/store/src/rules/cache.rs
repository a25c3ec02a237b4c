//! The enabled rules every case write is checked against, read once and
//! held as [`crate::setups::Held`].

use super::{COLUMNS, TABLE};
use crate::Result;
use crate::setups::Held;
use crate::tx::{Tx, args};
use std::sync::Arc;
use tend_domain::rules::RuleDefinition;

/// One enabled rule.
#[derive(Debug)]
pub(crate) struct ActiveRule {
    pub(crate) id: i64,
    pub(crate) definition: RuleDefinition,
}

/// The enabled rules in order, as of one read.
#[derive(Debug, Default)]
pub(crate) struct RuleSet {
    pub(crate) rules: Vec<ActiveRule>,
}

impl RuleSet {
    /// Reads the enabled rules inside a write.
    async fn load(tx: &mut Tx) -> Result<RuleSet> {
        let mut rules = Vec::new();
        for row in tx
            .fetch_all(
                &format!("SELECT {COLUMNS} FROM rules ORDER BY position, id"),
                args![],
            )
            .await?
        {
            let definition: RuleDefinition =
                TABLE.definition(row.text("name")?, &row.text("definition")?)?;
            if definition.enabled {
                rules.push(ActiveRule {
                    id: row.int("id")?,
                    definition,
                });
            }
        }
        Ok(RuleSet { rules })
    }

    /// The rule with `id`, if enabled.
    pub(crate) fn get(&self, id: i64) -> Option<&ActiveRule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// The shared, lazily read copy of the rules (clones share it).
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleCache(Held<RuleSet>);

impl RuleCache {
    /// The enabled rules, read inside `tx` when there is no fresh copy.
    pub(crate) async fn get(tx: &mut Tx) -> Result<Arc<RuleSet>> {
        let cache = tx.setups.rules.clone();
        let stamp = match cache.0.fresh_or_stamp() {
            Ok(set) => return Ok(set),
            Err(stamp) => stamp,
        };
        let set = Arc::new(RuleSet::load(tx).await?);
        cache.0.keep(set.clone(), stamp);
        Ok(set)
    }

    /// Whether a rule may act on a case written now: unless a fresh copy
    /// says there are none (then writes may skip them).
    pub(crate) fn may_apply(&self) -> bool {
        self.0.fresh().is_none_or(|set| !set.rules.is_empty())
    }

    /// Drops the copy: the next write reads the rules again.
    pub(crate) fn forget(&self) {
        self.0.forget();
    }
}
