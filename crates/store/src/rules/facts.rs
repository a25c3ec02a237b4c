//! What rules (and SLA policies) match a case on beyond its folded state: its inbox, its
//! customer's organisation, the customer's latest message and whether the
//! moment is in its business hours. Each is looked up only when a rule's
//! conditions need it, inside a write or (for a dry run) on the read pool.

use crate::Result;
use crate::rows::get;
use crate::service_levels::{SlaCache, SlaSetup};
use crate::tx::{Tx, args};
use jiff::Timestamp;
use sqlx::AnyPool;
use tend_domain::ids::{CaseId, OrganizationId};
use tend_domain::rules::{RuleConditions, RuleFacts};
use tend_domain::state::CaseState;

/// The inbox the case's email first came in on.
const INBOX: &str = "SELECT email_inbox_id AS v FROM messages WHERE case_id = $1 \
     AND email_inbox_id IS NOT NULL ORDER BY id LIMIT 1";
/// The organisation of the case's customer.
const ORGANIZATION: &str = "SELECT organization_id AS v FROM customers WHERE id = $1";
/// The customer's latest message on the case.
const LATEST_TEXT: &str = "SELECT body_text AS v FROM messages WHERE case_id = $1 \
     AND author_kind = 'customer' AND internal = 0 ORDER BY id DESC LIMIT 1";

/// The looked-up facts of one case.
#[derive(Debug, Default)]
pub(crate) struct Looked {
    inbox_id: Option<i64>,
    organization_id: Option<OrganizationId>,
    latest_text: Option<String>,
    in_business_hours: bool,
}

impl Looked {
    /// The facts `conditions` are matched on, with `state`.
    pub(crate) fn facts<'a>(&'a self, state: &'a CaseState) -> RuleFacts<'a> {
        RuleFacts {
            state,
            inbox_id: self.inbox_id,
            organization_id: self.organization_id,
            latest_text: self.latest_text.as_deref(),
            in_business_hours: self.in_business_hours,
        }
    }

    /// Whether `at` is in the case's business hours (the SLA calendars).
    fn set_hours(&mut self, setup: &SlaSetup, state: &CaseState, at: Timestamp) {
        let (_, calendar) = setup.calendar_for(state.team_id.map(|t| t.0), self.inbox_id);
        self.in_business_hours = calendar.is_open(at);
    }
}

/// Looks up, inside a write, what `conditions` need about case `id` at `at`.
pub(crate) async fn look_in(
    tx: &mut Tx,
    conditions: &RuleConditions,
    id: CaseId,
    state: &CaseState,
    at: Timestamp,
) -> Result<Looked> {
    let mut looked = Looked::default();
    if conditions.needs_inbox() {
        looked.inbox_id = case_inbox(tx, id).await?;
    }
    if conditions.needs_organization() {
        looked.organization_id = customer_organization(tx, state).await?;
    }
    if conditions.needs_text() {
        looked.latest_text = match tx.fetch_optional(LATEST_TEXT, args![id.0]).await? {
            Some(row) => row.opt_text("v")?,
            None => None,
        };
    }
    if conditions.within_business_hours.is_some() {
        let setup = SlaCache::get(tx).await?;
        looked.set_hours(&setup, state, at);
    }
    Ok(looked)
}

/// Looks up, on the read pool, what `conditions` need about case `id` at
/// `at`, with the SLA set-up `setup`.
pub(crate) async fn look_on(
    reader: &AnyPool,
    setup: &SlaSetup,
    conditions: &RuleConditions,
    id: CaseId,
    state: &CaseState,
    at: Timestamp,
) -> Result<Looked> {
    let mut looked = Looked::default();
    if conditions.needs_inbox() {
        looked.inbox_id = pool_int(reader, INBOX, id.0).await?;
    }
    if conditions.needs_organization() {
        looked.organization_id = pool_int(reader, ORGANIZATION, state.customer_id.0)
            .await?
            .map(OrganizationId);
    }
    if conditions.needs_text() {
        looked.latest_text = match sqlx::query(LATEST_TEXT)
            .bind(id.0)
            .fetch_optional(reader)
            .await?
        {
            Some(row) => get(&row, "v")?,
            None => None,
        };
    }
    if conditions.within_business_hours.is_some() {
        looked.set_hours(setup, state, at);
    }
    Ok(looked)
}

/// The inbox case `id`'s email first came in on, inside a write.
pub(crate) async fn case_inbox(tx: &mut Tx, id: CaseId) -> Result<Option<i64>> {
    tx_int(tx, INBOX, id.0).await
}

/// The organisation of the customer of a case in `state`, inside a write.
pub(crate) async fn customer_organization(
    tx: &mut Tx,
    state: &CaseState,
) -> Result<Option<OrganizationId>> {
    Ok(tx_int(tx, ORGANIZATION, state.customer_id.0)
        .await?
        .map(OrganizationId))
}

/// A one-column integer query's value, inside a write.
async fn tx_int(tx: &mut Tx, sql: &str, id: i64) -> Result<Option<i64>> {
    match tx.fetch_optional(sql, args![id]).await? {
        Some(row) => row.opt_int("v"),
        None => Ok(None),
    }
}

async fn pool_int(reader: &AnyPool, sql: &'static str, id: i64) -> Result<Option<i64>> {
    match sqlx::query(sql).bind(id).fetch_optional(reader).await? {
        Some(row) => get(&row, "v"),
        None => Ok(None),
    }
}
