//! Making deliveries: after an event is inserted, one delivery row and one
//! `webhook_delivery` job per enabled webhook that wants its kind, in the
//! event's own transaction. The enabled webhooks are held in memory like
//! the rules ([`crate::setups`]), so a desk without webhooks pays nothing.

use crate::jobs::enqueue;
use crate::setups::Held;
use crate::time::micros;
use crate::tx::{Tx, args};
use crate::{Result, StoreError};
use jiff::Timestamp;
use std::sync::Arc;
use tend_domain::event::{Actor, CaseEvent, EventData};
use tend_domain::ids::{CaseId, EventId};

/// One enabled webhook: its id and the kinds it wants.
#[derive(Debug)]
pub(crate) struct Subscription {
    id: i64,
    events: Vec<String>,
}

/// The shared copy of the enabled webhooks (clones share it).
#[derive(Debug, Clone, Default)]
pub(crate) struct WebhookCache(Held<Vec<Subscription>>);

impl WebhookCache {
    /// The enabled webhooks, read inside `tx` when there is no fresh copy.
    async fn get(tx: &mut Tx) -> Result<Arc<Vec<Subscription>>> {
        let cache = tx.setups.webhooks.clone();
        let stamp = match cache.0.fresh_or_stamp() {
            Ok(held) => return Ok(held),
            Err(stamp) => stamp,
        };
        let mut subscriptions = Vec::new();
        for row in tx
            .fetch_all(
                "SELECT id, definition FROM webhooks WHERE enabled = 1",
                args![],
            )
            .await?
        {
            let stored: serde_json::Value = serde_json::from_str(&row.text("definition")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let events = serde_json::from_value(stored["events"].clone())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            subscriptions.push(Subscription {
                id: row.int("id")?,
                events,
            });
        }
        let held = Arc::new(subscriptions);
        cache.0.keep(held.clone(), stamp);
        Ok(held)
    }

    /// Whether a write now may have deliveries to make: unless a fresh
    /// copy says there are no webhooks.
    pub(crate) fn may_apply(&self) -> bool {
        self.0.fresh().is_none_or(|held| !held.is_empty())
    }

    /// Drops the copy: the next write reads the webhooks again.
    pub(crate) fn forget(&self) {
        self.0.forget();
    }
}

/// Makes the deliveries of event `id` (number `seq` of case `case`, by
/// `actor`, at `at`).
pub(crate) async fn after_event(
    tx: &mut Tx,
    event: (EventId, CaseId, i64),
    actor: Actor,
    data: &EventData,
    at: Timestamp,
) -> Result<()> {
    if !super::deliverable(data) || !tx.setups.webhooks.may_apply() {
        return Ok(());
    }
    let subscriptions = WebhookCache::get(tx).await?;
    let kind = data.kind();
    let (id, case_id, seq) = event;
    let mut body = None;
    for subscription in subscriptions
        .iter()
        .filter(|s| tend_domain::webhook::wants(&s.events, kind))
    {
        let payload = match &body {
            Some(payload) => payload,
            None => body.insert(payload_of(CaseEvent {
                id,
                case_id,
                seq,
                at,
                actor,
                data: data.clone(),
            })?),
        };
        let row = tx
            .fetch_one(
                "INSERT INTO webhook_deliveries (webhook_id, event_id, case_id, kind, payload, \
                 status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'queued', $6, $6) \
                 RETURNING id",
                args![
                    subscription.id,
                    id.0,
                    case_id.0,
                    kind,
                    payload.clone(),
                    micros(at)
                ],
            )
            .await?;
        enqueue(tx, &super::delivery_job(row.int("id")?, at)).await?;
    }
    Ok(())
}

/// The JSON body of a delivery: the event as the API shows it.
fn payload_of(event: CaseEvent) -> Result<String> {
    serde_json::to_string(&serde_json::json!({ "event": event }))
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}
