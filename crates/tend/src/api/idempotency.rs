//! Replaying retried POSTs: with an `Idempotency-Key`, the first request's
//! resource is returned instead of creating another. The key itself is
//! written by the store in the resource's own transaction.

use crate::api::error::ApiError;
use tend_store::idempotency::IdempotencyKey;
use tend_store::{Store, StoreError};

/// The result of an idempotent create.
pub enum Outcome<T> {
    /// Created now.
    Fresh(T),
    /// An earlier request with the same key created the resource with this id.
    Replayed(i64),
}

/// Runs `create` unless `key` was already used; a concurrent twin that
/// commits first turns into a replay of its result.
pub async fn run<T>(
    store: &Store,
    key: Option<&IdempotencyKey>,
    resource: &str,
    create: impl Future<Output = Result<T, StoreError>>,
) -> Result<Outcome<T>, ApiError> {
    if let Some(id) = earlier(store, key, resource).await? {
        return Ok(Outcome::Replayed(id));
    }
    match create.await {
        Ok(value) => Ok(Outcome::Fresh(value)),
        Err(StoreError::IdempotencyRace) => match earlier(store, key, resource).await? {
            Some(id) => Ok(Outcome::Replayed(id)),
            None => Err(StoreError::IdempotencyRace.into()),
        },
        Err(e) => Err(e.into()),
    }
}

async fn earlier(
    store: &Store,
    key: Option<&IdempotencyKey>,
    resource: &str,
) -> Result<Option<i64>, ApiError> {
    let Some(key) = key else { return Ok(None) };
    let Some(recorded) = store.idempotent_result(key.agent_id, &key.key).await? else {
        return Ok(None);
    };
    if recorded.request_hash != key.request_hash || recorded.resource != resource {
        return Err(tend_domain::Invalid::new(
            "Idempotency-Key",
            "this key was already used for a different request; use a new key",
        )
        .into());
    }
    Ok(Some(recorded.resource_id))
}
