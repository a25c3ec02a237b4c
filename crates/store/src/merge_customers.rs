//! Merging a duplicate customer record into the one that stays, in one
//! transaction: every case (each recording a `customer_merged` event, so
//! its log says whose it was), the customer's own messages on them,
//! contact points, agreements, notes and portal sign-ins move to the
//! survivor, which keeps the stronger identity verification. The duplicate
//! stays as a tombstone whose `merged_into_id` names the survivor, so old
//! links and ids lead there; tombstones that pointed at the duplicate are
//! pointed at the survivor, so no chain forms.

use crate::cases::{append, load_state, save_state};
use crate::model::Customer;
use crate::time::micros;
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError, now};
use serde::Serialize;
use tend_domain::Invalid;
use tend_domain::customer::VerificationLevel;
use tend_domain::event::{Actor, EventData};
use tend_domain::ids::{CaseId, CustomerId};
use utoipa::ToSchema;

/// What a customer merge did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerMerge {
    /// The customer that stays, as it is afterwards.
    pub survivor: Customer,
    /// The duplicate, now a tombstone pointing at the survivor.
    pub merged_id: CustomerId,
    /// The cases that moved, each with a `customer_merged` event.
    pub moved_case_ids: Vec<CaseId>,
}

/// One side of a merge as read inside its transaction.
struct Side {
    merged_into: Option<i64>,
    organization_id: Option<i64>,
    level: VerificationLevel,
    method: Option<String>,
}

impl Store {
    /// Merges customer `from` (a duplicate) into `into`. Refused, with
    /// nothing written, for a customer into itself, for a `from` that is
    /// already merged, and for an `into` that is missing or merged itself.
    pub async fn merge_customers(
        &self,
        from: CustomerId,
        into: CustomerId,
        actor: Actor,
    ) -> Result<CustomerMerge> {
        if from == into {
            return Err(Invalid::new("into", "a customer cannot be merged into itself").into());
        }
        let dialect = self.dialect;
        let moved = self
            .write(move |tx| {
                Box::pin(async move {
                    // Lock both rows in id order, so opposite merges cannot deadlock.
                    let (low, high) = (from.min(into), from.max(into));
                    let low_side = side(tx, low, dialect.for_update()).await?;
                    let high_side = side(tx, high, dialect.for_update()).await?;
                    let (source, target) = if low == from {
                        (low_side, high_side)
                    } else {
                        (high_side, low_side)
                    };
                    let source = source.ok_or(StoreError::NotFound("customer"))?;
                    let target = target.ok_or_else(|| {
                        Invalid::new("into", format!("there is no customer {into}"))
                    })?;
                    if let Some(already) = source.merged_into {
                        return Err(StoreError::State(format!(
                            "customer {from} was already merged into customer {already}"
                        )));
                    }
                    if let Some(survivor) = target.merged_into {
                        return Err(Invalid::new(
                            "into",
                            format!(
                                "customer {into} was itself merged into customer {survivor}; merge into {survivor}"
                            ),
                        )
                        .into());
                    }
                    let moved = move_cases(tx, dialect, from, into, actor).await?;
                    for table in ["contact_points", "agreements", "customer_notes", "portal_links", "portal_sessions"] {
                        tx.execute(
                            &format!("UPDATE {table} SET customer_id = $1 WHERE customer_id = $2"),
                            args![into.0, from.0],
                        )
                        .await?;
                    }
                    let at = micros(now());
                    let (level, method) = if rank(source.level) > rank(target.level) {
                        (source.level, source.method)
                    } else {
                        (target.level, target.method)
                    };
                    tx.execute(
                        "UPDATE customers SET verification_level = $1, verification_method = $2, \
                         organization_id = $3, updated_at = $4 WHERE id = $5",
                        args![
                            level.as_str(),
                            method,
                            target.organization_id.or(source.organization_id),
                            at,
                            into.0
                        ],
                    )
                    .await?;
                    tx.execute(
                        "UPDATE customers SET merged_into_id = $1, updated_at = $2 WHERE id = $3 OR merged_into_id = $3",
                        args![into.0, at, from.0],
                    )
                    .await?;
                    Ok(moved)
                })
            })
            .await?;
        Ok(CustomerMerge {
            survivor: self.customer(into).await?,
            merged_id: from,
            moved_case_ids: moved,
        })
    }
}

/// How strong a verification is, to keep the stronger of two.
fn rank(level: VerificationLevel) -> u8 {
    match level {
        VerificationLevel::Unverified => 0,
        VerificationLevel::EmailVerified => 1,
        VerificationLevel::AgentVerified => 2,
    }
}

/// One customer's row, locked on PostgreSQL; `None` when there is none.
async fn side(tx: &mut Tx, id: CustomerId, lock: &str) -> Result<Option<Side>> {
    let Some(row) = tx
        .fetch_optional(
            &format!(
                "SELECT merged_into_id, organization_id, verification_level, verification_method \
                 FROM customers WHERE id = $1{lock}"
            ),
            args![id.0],
        )
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Side {
        merged_into: row.opt_int("merged_into_id")?,
        organization_id: row.opt_int("organization_id")?,
        level: crate::rows::parse_word(
            "verification_level",
            &row.text("verification_level")?,
            VerificationLevel::parse,
        )?,
        method: row.opt_text("verification_method")?,
    }))
}

/// Moves every case of `from` to `into`, each through a `customer_merged`
/// event, with the messages `from` wrote on it; answers the moved cases.
async fn move_cases(
    tx: &mut Tx,
    dialect: crate::Dialect,
    from: CustomerId,
    into: CustomerId,
    actor: Actor,
) -> Result<Vec<CaseId>> {
    let ids = tx
        .fetch_all(
            "SELECT id FROM cases WHERE customer_id = $1 ORDER BY id",
            args![from.0],
        )
        .await?
        .iter()
        .map(|row| row.int("id").map(CaseId))
        .collect::<Result<Vec<_>>>()?;
    let at = now();
    for &case in &ids {
        let mut state = load_state(tx, dialect, case).await?;
        let before = state.clone();
        append(
            tx,
            case,
            &mut state,
            actor,
            EventData::CustomerMerged { from, into },
            at,
        )
        .await?;
        save_state(tx, case, &state, &before).await?;
        tx.execute(
            "UPDATE messages SET author_id = $1 WHERE case_id = $2 AND author_kind = 'customer' AND author_id = $3",
            args![into.0, case.0, from.0],
        )
        .await?;
    }
    Ok(ids)
}
