//! Idempotency keys: a POST retried with the same `Idempotency-Key` returns
//! the resource the first attempt created instead of creating another. The
//! key is recorded in the same transaction as the resource, so either both
//! exist or neither does.

use crate::rows::get;
use crate::time::micros;
use crate::tx::{Arg, Tx, args};
use crate::{Result, Store, StoreError, now};
use tend_domain::ids::AgentId;

/// A client's idempotency key for one request.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// Keys are scoped per agent.
    pub agent_id: AgentId,
    /// The client's key.
    pub key: String,
    /// Hash of method, path and body, to spot a key reused for another request.
    pub request_hash: String,
}

/// What an earlier request with the same key created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Kind of resource (`case`, `customer`...).
    pub resource: String,
    /// Its id.
    pub resource_id: i64,
    /// Hash of the earlier request.
    pub request_hash: String,
}

impl Store {
    /// What an earlier request with this key created, if any.
    pub async fn idempotent_result(&self, agent: AgentId, key: &str) -> Result<Option<Recorded>> {
        let row = sqlx::query(
            "SELECT resource, resource_id, request_hash FROM idempotency_keys WHERE agent_id = $1 AND key = $2",
        )
        .bind(agent.0)
        .bind(key)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok(Recorded {
                resource: get(&r, "resource")?,
                resource_id: get(&r, "resource_id")?,
                request_hash: get(&r, "request_hash")?,
            })
        })
        .transpose()
    }
}

impl Store {
    /// Inserts one row with `sql` (which must return its `id`) and records
    /// the idempotency key for it, in one write transaction.
    pub(crate) async fn insert_returning_id(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
        resource: &'static str,
        idem: Option<&IdempotencyKey>,
    ) -> Result<i64> {
        let idem = idem.cloned();
        self.write(move |tx| {
            Box::pin(async move {
                let id = tx.fetch_one(sql, args).await?.int("id")?;
                record(tx, idem.as_ref(), resource, id).await?;
                Ok(id)
            })
        })
        .await
    }
}

/// Records `key` as having created `resource` `id`, inside the caller's
/// transaction. A concurrent request that already used the key makes this
/// fail with [`StoreError::IdempotencyRace`].
pub(crate) async fn record(
    tx: &mut Tx,
    key: Option<&IdempotencyKey>,
    resource: &str,
    id: i64,
) -> Result<()> {
    let Some(key) = key else { return Ok(()) };
    let inserted = tx
        .execute(
            "INSERT INTO idempotency_keys (agent_id, key, request_hash, resource, resource_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            args![key.agent_id.0, &key.key, &key.request_hash, resource, id, micros(now())],
        )
        .await;
    match inserted {
        Err(e) if e.is_unique_violation() => Err(StoreError::IdempotencyRace),
        other => other.map(|_| ()),
    }
}
