//! Promises in the write path ([`tend_domain::promise`]): making one
//! ([`make_promise`], for agents and rules alike), keeping the open ones an
//! appended event keeps ([`after_event`], called by every append, so a
//! reply or a resolution keeps them in its own transaction), the
//! `promise_due` job queued when a promise is made, which records it
//! broken at its due time unless it was kept ([`Store::break_due_promises`]),
//! and an agent marking one kept or broken ([`Store::settle_promise`]).

use crate::cases::{EVENT_COLUMNS, append, load_state, save_state};
use crate::idempotency::{self, IdempotencyKey};
use crate::jobs::{JobKind, NewJob, enqueue};
use crate::notifications::{Recipient, notify};
use crate::rows::parse_json;
use crate::time::from_micros;
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError};
use jiff::Timestamp;
use serde_json::json;
use sqlx::AssertSqlSafe;
use tend_domain::event::{Actor, ActorKind, CaseEvent, EventData};
use tend_domain::ids::{CaseId, EventId};
use tend_domain::notification::{NotificationKind, cap};
use tend_domain::promise::{NewPromise, PromiseRecord, PromiseState, Promises, may_keep};
use tend_domain::state::CaseState;

/// The event kinds a case's promises are folded from.
const PROMISE_EVENTS: &str = "'promise_made', 'promise_kept', 'promise_broken'";

/// Case `id`'s promises, read inside a transaction.
pub(crate) async fn ledger(tx: &mut Tx, id: CaseId) -> Result<Promises> {
    let rows = tx
        .fetch_all(
            &format!(
                "SELECT id, seq, actor_kind, actor_id, data, created_at FROM case_events \
                 WHERE case_id = $1 AND kind IN ({PROMISE_EVENTS}) ORDER BY seq"
            ),
            args![id.0],
        )
        .await?;
    let mut promises = Promises::default();
    for row in rows {
        promises.apply(&CaseEvent {
            id: EventId(row.int("id")?),
            case_id: id,
            seq: row.int("seq")?,
            at: from_micros(row.int("created_at")?)?,
            actor: Actor {
                kind: crate::rows::parse_word(
                    "actor_kind",
                    &row.text("actor_kind")?,
                    ActorKind::parse,
                )?,
                id: row.opt_int("actor_id")?,
            },
            data: parse_json("data", &row.text("data")?)?,
        });
    }
    Ok(promises)
}

/// After `event` was appended to case `id` (and applied to `state`):
/// queues the due-time job of a promise it made, and answers the
/// `promise_kept` events of the open promises it keeps, for the caller to
/// append. Reads the case's promises only when the event may keep one and
/// one is open.
pub(crate) async fn after_event(
    tx: &mut Tx,
    id: CaseId,
    state: &CaseState,
    event: &CaseEvent,
) -> Result<Vec<EventData>> {
    if let EventData::PromiseMade { due_at, .. } = &event.data {
        let payload = json!({"case_id": id.0, "seq": event.seq});
        enqueue(tx, &NewJob::new(JobKind::PromiseDue, payload, *due_at)).await?;
        return Ok(Vec::new());
    }
    if !may_keep(&event.data) || state.effort.open_promises.is_empty() {
        return Ok(Vec::new());
    }
    let promises = ledger(tx, id).await?;
    Ok(promises
        .keeps(event.actor.kind, &event.data, event.at)
        .into_iter()
        .map(PromiseRecord::kept)
        .collect())
}

/// Makes `promise` on case `id` (in `state`, saved by the caller) as
/// `actor` at `at`: checked against the case's open promises, appended,
/// its due-time job queued. The one way agents and rules make promises.
pub(crate) async fn make_promise(
    tx: &mut Tx,
    id: CaseId,
    state: &mut CaseState,
    actor: Actor,
    promise: &NewPromise,
    at: Timestamp,
) -> Result<CaseEvent> {
    let data = promise.event();
    state.check_event(&data, at)?;
    append(tx, id, state, actor, data, at).await
}

/// The promise made by event `seq` of case `id`, or 404.
fn find(promises: &Promises, seq: i64) -> Result<&PromiseRecord> {
    promises.get(seq).ok_or(StoreError::NotFound("promise"))
}

impl Store {
    /// Makes a promise on case `id` as `actor`; answers it. With `idem`,
    /// the promise's event id is recorded under the key in the same
    /// transaction (see [`Store::promise_made_by`]).
    pub async fn make_promise(
        &self,
        id: CaseId,
        promise: NewPromise,
        actor: Actor,
        idem: Option<&IdempotencyKey>,
    ) -> Result<PromiseRecord> {
        let (dialect, idem) = (self.dialect, idem.cloned());
        self.write(move |tx| {
            Box::pin(async move {
                let mut state = load_state(tx, dialect, id).await?;
                let before = state.clone();
                let at = crate::now();
                let event = make_promise(tx, id, &mut state, actor, &promise, at).await?;
                save_state(tx, id, &state, &before).await?;
                idempotency::record(tx, idem.as_ref(), "promise", event.id.0).await?;
                let promises = ledger(tx, id).await?;
                find(&promises, event.seq).cloned()
            })
        })
        .await
    }

    /// Case `id`'s promises, oldest first, with where each stands.
    pub async fn promises(&self, id: CaseId) -> Result<Vec<PromiseRecord>> {
        sqlx::query("SELECT id FROM cases WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("case"))?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM case_events \
             WHERE case_id = $1 AND kind IN ({PROMISE_EVENTS}) ORDER BY seq"
        )))
        .bind(id.0)
        .fetch_all(&self.reader)
        .await?;
        let events = rows
            .iter()
            .map(crate::cases::event)
            .collect::<Result<Vec<_>>>()?;
        Ok(Promises::fold(&events).all().to_vec())
    }

    /// The promise made by event `seq` of case `id`.
    pub async fn promise(&self, id: CaseId, seq: i64) -> Result<PromiseRecord> {
        self.promises(id)
            .await?
            .into_iter()
            .find(|p| p.seq == seq)
            .ok_or(StoreError::NotFound("promise"))
    }

    /// The promise the `promise_made` event `event` made (how a retried
    /// request finds the promise its first try made).
    pub async fn promise_made_by(&self, event: EventId) -> Result<PromiseRecord> {
        let event = self.event(event).await?;
        self.promise(event.case_id, event.seq).await
    }

    /// Marks the open promise made by event `seq` of case `id` kept (or
    /// broken) as `actor`; answers it. A promise already kept or broken
    /// is a conflict.
    pub async fn settle_promise(
        &self,
        id: CaseId,
        seq: i64,
        kept: bool,
        actor: Actor,
    ) -> Result<PromiseRecord> {
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let mut state = load_state(tx, dialect, id).await?;
                let promises = ledger(tx, id).await?;
                let promise = find(&promises, seq)?;
                if promise.state != PromiseState::Open {
                    return Err(StoreError::State(format!(
                        "the promise “{}” is already {}",
                        promise.promise, promise.state
                    )));
                }
                let data = if kept {
                    promise.kept()
                } else {
                    promise.broken()
                };
                let before = state.clone();
                append(tx, id, &mut state, actor, data, crate::now()).await?;
                save_state(tx, id, &state, &before).await?;
                let promises = ledger(tx, id).await?;
                find(&promises, seq).cloned()
            })
        })
        .await
    }

    /// Records every open promise of case `id` past due at `now` broken
    /// (by Tend) and tells the assignee, else the case's team; answers
    /// the promises broken. Run by the `promise_due` job; a promise kept
    /// in the meantime is left alone, and a case gone is nothing to do.
    pub async fn break_due_promises(
        &self,
        id: CaseId,
        now: Timestamp,
    ) -> Result<Vec<PromiseRecord>> {
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let mut state = match load_state(tx, dialect, id).await {
                    Ok(state) => state,
                    Err(StoreError::NotFound(_)) => return Ok(Vec::new()),
                    Err(e) => return Err(e),
                };
                let promises = ledger(tx, id).await?;
                let due: Vec<PromiseRecord> = promises.due(now).into_iter().cloned().collect();
                if due.is_empty() {
                    return Ok(due);
                }
                let before = state.clone();
                let to = match (state.assignee_id, state.team_id) {
                    (Some(agent), _) => vec![Recipient::Agent(agent)],
                    (None, Some(team)) => vec![Recipient::Team(team)],
                    (None, None) => Vec::new(),
                };
                for promise in &due {
                    let event =
                        append(tx, id, &mut state, Actor::system(), promise.broken(), now).await?;
                    let text = cap(&format!(
                        "#{id} {}: the promise “{}” passed its due time unkept",
                        state.subject, promise.promise
                    ));
                    notify(
                        tx,
                        &to,
                        NotificationKind::PromiseDue,
                        id,
                        &text,
                        Some(event.id),
                    )
                    .await?;
                }
                save_state(tx, id, &state, &before).await?;
                Ok(due)
            })
        })
        .await
    }
}
