//! Opening cases on PostgreSQL, many per statement. The general write path
//! ([`crate::cases::write_new_case`] inside a transaction) costs seven round
//! trips per case, and each statement pays PostgreSQL's fixed cost (executor
//! start-up, the generated search columns' expressions, a commit). Here the
//! cases waiting at a moment are written together: one round trip draws
//! their ids, and one data-modifying statement (atomic, in autocommit) writes
//! every case, tag, first message, opening event and idempotency key. Cases
//! whose customer does not exist are left out of the statement and told so;
//! when the statement fails (an idempotency key used twice at once), each
//! case of the batch is written again on its own, so only the culprit fails.
//! SQLite has no data-modifying CTEs and no round trips, so it keeps the
//! general path.

use crate::cases::{NewCase, fold_new_case, new_case_columns, new_case_values};
use crate::idempotency::IdempotencyKey;
use crate::messages::{message_value_columns, message_values};
use crate::rows::get;
use crate::time::micros;
use crate::tx::{Arg, bind};
use crate::{Result, StoreError, customers};
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use sqlx::AnyPool;
use std::sync::Arc;
use tend_domain::event::{Actor, CaseState, EventData};
use tend_domain::ids::{CaseId, MessageId};
use tokio::sync::{Mutex, mpsc, oneshot};

/// Most cases written by one statement.
const MAX_BATCH: usize = 64;

/// Batches in flight at once, each on its own pooled connection.
const WORKERS: usize = 4;

/// Draws `$1` ids for new cases and as many for their first messages.
const DRAW_IDS: &str = "SELECT nextval(pg_get_serial_sequence('cases', 'id')) AS case_id, \
     nextval(pg_get_serial_sequence('messages', 'id')) AS message_id FROM generate_series(1, $1)";

/// Writes JSON arrays of rows: `$1` cases, `$2` messages, `$3` events, `$4`
/// idempotency keys. Answers the ids of the cases written (those whose
/// customer exists); rows of the others are skipped with them.
const OPEN_CASES: &str = concat!(
    "WITH new_case AS (INSERT INTO cases (id, ",
    new_case_columns!(),
    ") SELECT id, ",
    new_case_columns!(),
    " FROM json_populate_recordset(NULL::cases, $1::json) AS r \
       WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = r.customer_id) RETURNING id), \
     tags AS (INSERT INTO case_tags (tag, case_id) \
       SELECT t.tag, r.id FROM new_case JOIN json_populate_recordset(NULL::cases, $1::json) AS r USING (id), \
         json_array_elements_text(r.tags::json) AS t(tag)), \
     message AS (INSERT INTO messages (id, case_id, ",
    message_value_columns!(),
    ") SELECT id, case_id, ",
    message_value_columns!(),
    " FROM json_populate_recordset(NULL::messages, $2::json) AS m \
       WHERE m.case_id IN (SELECT id FROM new_case)), \
     events AS (INSERT INTO case_events (case_id, seq, kind, actor_kind, actor_id, data, created_at) \
       SELECT case_id, seq, kind, actor_kind, actor_id, data, created_at \
       FROM json_populate_recordset(NULL::case_events, $3::json) AS e \
       WHERE e.case_id IN (SELECT id FROM new_case)), \
     idempotency AS (INSERT INTO idempotency_keys (agent_id, key, request_hash, resource, resource_id, created_at) \
       SELECT agent_id, key, request_hash, resource, resource_id, created_at \
       FROM json_populate_recordset(NULL::idempotency_keys, $4::json) AS k \
       WHERE k.resource_id IN (SELECT id FROM new_case)) \
     SELECT id FROM new_case"
);

/// A case to open and where to send the outcome.
struct Request {
    new: NewCase,
    actor: Actor,
    idem: Option<IdempotencyKey>,
    at: Timestamp,
    reply: oneshot::Sender<Result<(CaseId, CaseState)>>,
}

/// The handle through which a PostgreSQL [`crate::Store`] opens cases.
#[derive(Clone, Debug)]
pub(crate) struct CaseOpener {
    queue: mpsc::Sender<Request>,
}

impl CaseOpener {
    /// Starts the tasks that write batches on `pool`; they end when every
    /// handle is dropped.
    pub(crate) fn start(pool: AnyPool) -> Self {
        let (queue, waiting) = mpsc::channel(MAX_BATCH * WORKERS);
        let waiting = Arc::new(Mutex::new(waiting));
        for _ in 0..WORKERS {
            tokio::spawn(work(pool.clone(), waiting.clone()));
        }
        CaseOpener { queue }
    }

    /// Opens `new` (which must carry no attachments) with its opening events
    /// and records `idem`; answers once committed, with the case's id and state.
    pub(crate) async fn open(
        &self,
        new: NewCase,
        actor: Actor,
        idem: Option<IdempotencyKey>,
        at: Timestamp,
    ) -> Result<(CaseId, CaseState)> {
        let stopped = || StoreError::Commit("the case writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        let request = Request {
            new,
            actor,
            idem,
            at,
            reply,
        };
        self.queue.send(request).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Takes whatever is waiting (up to [`MAX_BATCH`]) and writes it, until the
/// queue closes.
async fn work(pool: AnyPool, waiting: Arc<Mutex<mpsc::Receiver<Request>>>) {
    loop {
        let batch = {
            let mut waiting = waiting.lock().await;
            let Some(first) = waiting.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match waiting.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            batch
        };
        answer(&pool, batch).await;
    }
}

/// Writes `batch` and tells each request its outcome; a failed batch of
/// several is retried one case at a time.
async fn answer(pool: &AnyPool, batch: Vec<Request>) {
    match write(pool, &batch).await {
        Ok(outcomes) => {
            for (request, outcome) in batch.into_iter().zip(outcomes) {
                let _ = request.reply.send(outcome);
            }
        }
        Err(e) if batch.len() == 1 => {
            if let Some(request) = batch.into_iter().next() {
                let _ = request.reply.send(Err(e));
            }
        }
        Err(_) => {
            for request in batch {
                let outcome = match write(pool, std::slice::from_ref(&request)).await {
                    Ok(mut outcomes) => outcomes.remove(0),
                    Err(e) => Err(e),
                };
                let _ = request.reply.send(outcome);
            }
        }
    }
}

/// Writes the cases of `batch` in one statement; answers each one's outcome.
async fn write(pool: &AnyPool, batch: &[Request]) -> Result<Vec<Result<(CaseId, CaseState)>>> {
    let ids = bind(DRAW_IDS, vec![Arg::from(batch.len() as i64)])
        .fetch_all(pool)
        .await?;
    let (mut cases, mut messages, mut events, mut keys) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut opened = Vec::with_capacity(batch.len());
    for (request, row) in batch.iter().zip(&ids) {
        let case_id = CaseId(get(row, "case_id")?);
        let message_id = MessageId(get(row, "message_id")?);
        let (state, mut log) = fold_new_case(&request.new, request.actor, request.at)?;
        if let Some((_, EventData::MessageReceived { message_id: id, .. })) = log.last_mut() {
            *id = message_id;
        }
        let at = micros(request.at);
        let mut case = columns(new_case_columns!(), new_case_values(&state)?)?;
        case.insert("id".into(), json!(case_id.0));
        case.insert("created_at".into(), json!(at));
        cases.push(Value::Object(case));
        let mut message = columns(
            message_value_columns!(),
            message_values(&request.new.message, request.at)?,
        )?;
        message.insert("id".into(), json!(message_id.0));
        message.insert("case_id".into(), json!(case_id.0));
        messages.push(Value::Object(message));
        for (seq, (actor, data)) in (1..).zip(&log) {
            events.push(json!({
                "case_id": case_id.0, "seq": seq, "kind": data.kind(),
                "actor_kind": actor.kind.as_str(), "actor_id": actor.id,
                "data": serde_json::to_string(data).map_err(corrupt)?, "created_at": at,
            }));
        }
        if let Some(key) = &request.idem {
            keys.push(json!({
                "agent_id": key.agent_id.0, "key": key.key, "request_hash": key.request_hash,
                "resource": "case", "resource_id": case_id.0, "created_at": at,
            }));
        }
        opened.push((case_id, state));
    }
    let arrays =
        [cases, messages, events, keys].map(|rows| Arg::from(Value::Array(rows).to_string()));
    let written = match bind(OPEN_CASES, arrays.into()).fetch_all(pool).await {
        Ok(rows) => rows
            .iter()
            .map(|row| get(row, "id"))
            .collect::<Result<std::collections::HashSet<i64>>>()?,
        Err(e) => {
            let e = StoreError::from(e);
            return Err(if e.is_unique_violation() {
                StoreError::IdempotencyRace
            } else {
                e
            });
        }
    };
    Ok(batch
        .iter()
        .zip(opened)
        .map(|(request, (id, state))| {
            if written.contains(&id.0) {
                Ok((id, state))
            } else {
                Err(customers::no_such_customer(request.new.customer_id))
            }
        })
        .collect())
}

/// A JSON object of `names` (a comma-separated column list) to `values`, in
/// order; extra names (filled in by the caller) are left out.
fn columns(names: &str, values: Vec<Arg>) -> Result<Map<String, Value>> {
    names
        .split(',')
        .map(str::trim)
        .zip(values)
        .map(|(name, value)| {
            let value = match value {
                Arg::Int(v) => json!(v),
                Arg::Text(v) => json!(v),
                Arg::Blob(_) => return Err(corrupt("a blob in a new case's row")),
            };
            Ok((name.to_owned(), value))
        })
        .collect()
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}
