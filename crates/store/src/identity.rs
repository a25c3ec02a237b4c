//! A customer's identity history across all their cases: the latest
//! verification (who and when) and how often they were asked to identify.

use crate::cases::{EVENT_COLUMNS, event};
use crate::rows::get;
use crate::{Result, Store};
use sqlx::AssertSqlSafe;
use tend_domain::event::CaseEvent;
use tend_domain::ids::CustomerId;

/// What the case page shows about identifying a customer.
#[derive(Debug, Clone)]
pub struct IdentityHistory {
    /// The latest `identity_verified` event on any of the customer's cases.
    pub verified: Option<CaseEvent>,
    /// How many times the customer was asked to identify, on any case.
    pub requests: i64,
}

impl Store {
    /// The identity history of `customer`.
    pub async fn identity_history(&self, customer: CustomerId) -> Result<IdentityHistory> {
        let mine = "case_id IN (SELECT id FROM cases WHERE customer_id = $1)";
        let verified = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM case_events \
             WHERE kind = 'identity_verified' AND {mine} ORDER BY id DESC LIMIT 1"
        )))
        .bind(customer.0)
        .fetch_optional(&self.reader)
        .await?
        .map(|r| event(&r))
        .transpose()?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM case_events WHERE kind = 'identity_requested' AND {mine}"
        )))
        .bind(customer.0)
        .fetch_one(&self.reader)
        .await?;
        let requests = get(&row, "n")?;
        Ok(IdentityHistory { verified, requests })
    }
}
