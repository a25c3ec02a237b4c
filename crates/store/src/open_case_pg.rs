//! Opening a case on PostgreSQL in one statement. The general write path
//! ([`crate::cases::write_new_case`] inside a transaction) costs seven round
//! trips to the server (BEGIN, the customer check, the case, the message, two
//! events, COMMIT); on a loaded server those round trips, not the inserts, set
//! the throughput. Here the same rows are written by one data-modifying
//! statement in autocommit, which PostgreSQL runs atomically: every row or
//! none. SQLite has no data-modifying CTEs and no round trips, so it keeps
//! the general path.

use crate::cases::{
    NewCase, effort_columns, effort_values, fold_new_case, new_case_columns, new_case_values,
};
use crate::idempotency::IdempotencyKey;
use crate::messages::{message_value_columns, message_values};
use crate::rows::get;
use crate::time::micros;
use crate::tx::{Arg, bind};
use crate::{Result, StoreError, customers};
use jiff::Timestamp;
use serde_json::json;
use sqlx::AnyPool;
use tend_domain::effort::EffortWeights;
use tend_domain::event::{Actor, EventData};
use tend_domain::ids::CaseId;
use tend_domain::state::CaseState;

/// `$1`–`$13` the case ([`new_case_values`]; `$7` its tags as JSON, `$11`
/// the time), `$14`–`$29` the message ([`message_values`]), `$30` the events
/// as a JSON array, `$31`–`$34` the idempotency key (agent, key, request
/// hash, time; the agent is null without a key), `$35`–`$42` the effort
/// projection ([`effort_values`]). No row back means no such customer (or
/// one merged into another).
const OPEN_CASE: &str = concat!(
    "WITH customer AS (SELECT id FROM customers WHERE id = $13 AND merged_into_id IS NULL), \
     new_case AS (INSERT INTO cases (",
    new_case_columns!(),
    ", ",
    effort_columns!(),
    ") SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, customer.id, $11, \
       $35, $36, $37, $38, $39, $40, $41, $42 FROM customer RETURNING id), \
     tags AS (INSERT INTO case_tags (tag, case_id) \
       SELECT tag, new_case.id FROM new_case, json_array_elements_text($7::json) AS tag), \
     message AS (INSERT INTO messages (case_id, ",
    message_value_columns!(),
    ") SELECT new_case.id, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29 \
       FROM new_case RETURNING id, case_id), \
     events AS (INSERT INTO case_events (case_id, seq, kind, actor_kind, actor_id, data, created_at) \
       SELECT message.case_id, e.seq, e.kind, e.actor_kind, e.actor_id, \
         CASE WHEN e.names_message THEN jsonb_set(e.data::jsonb, '{message_id}', to_jsonb(message.id))::text \
         ELSE e.data END, $11 \
       FROM message, json_to_recordset($30::json) \
         AS e(seq BIGINT, kind TEXT, actor_kind TEXT, actor_id BIGINT, data TEXT, names_message BOOLEAN)), \
     idempotency AS (INSERT INTO idempotency_keys (agent_id, key, request_hash, resource, resource_id, created_at) \
       SELECT $31, $32, $33, 'case', new_case.id, $34 FROM new_case WHERE $31::BIGINT IS NOT NULL) \
     SELECT new_case.id FROM new_case, message"
);

/// Writes `new` (which must carry no attachments) with its opening events
/// and records `idem`, all in one statement; returns the case's id and state.
pub(crate) async fn open_case(
    pool: &AnyPool,
    weights: &EffortWeights,
    new: &NewCase,
    repeat: crate::repeat::Found,
    actor: Actor,
    idem: Option<&IdempotencyKey>,
    at: Timestamp,
) -> Result<(CaseId, CaseState)> {
    let (state, log) = fold_new_case(new, repeat, actor, at)?;
    let mut values = new_case_values(&state)?;
    values.extend(message_values(&new.message, at)?);
    values.push(events_json(&log)?.into());
    values.extend([
        Arg::Int(idem.map(|k| k.agent_id.0)),
        Arg::Text(idem.map(|k| k.key.clone())),
        Arg::Text(idem.map(|k| k.request_hash.clone())),
        Arg::Int(Some(micros(at))),
    ]);
    values.extend(effort_values(weights, &state)?);
    let row = match bind(OPEN_CASE, values).fetch_optional(pool).await {
        Ok(row) => row,
        Err(e) => {
            let e = StoreError::from(e);
            return Err(if e.is_unique_violation() {
                StoreError::IdempotencyRace
            } else {
                e
            });
        }
    };
    let row = row.ok_or_else(|| customers::no_such_customer(new.customer_id))?;
    Ok((CaseId(get(&row, "id")?), state))
}

/// The opening events as rows for `json_to_recordset`, numbered from 1; the
/// one naming the first message gets its id filled in by the statement.
fn events_json(log: &[(Actor, EventData)]) -> Result<String> {
    let rows = (1..)
        .zip(log)
        .map(|(seq, (actor, data))| {
            Ok(json!({
                "seq": seq,
                "kind": data.kind(),
                "actor_kind": actor.kind.as_str(),
                "actor_id": actor.id,
                "data": serde_json::to_string(data)?,
                "names_message": matches!(
                    data,
                    EventData::MessageReceived { .. } | EventData::FrustrationScored { .. }
                ),
            }))
        })
        .collect::<serde_json::Result<Vec<_>>>()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(serde_json::Value::Array(rows).to_string())
}
