//! Replaying retried POSTs: with an `Idempotency-Key`, the first request's
//! resource is returned instead of creating another. The key itself is
//! written by the store in the resource's own transaction.

use crate::http::error::ApiError;
use axum::response::Response;
use serde::Serialize;
use tend_store::idempotency::IdempotencyKey;
use tend_store::{Store, StoreError};

/// One idempotent create: what it makes and how to find an earlier result.
pub struct Create<'a> {
    pub store: &'a Store,
    pub key: Option<&'a IdempotencyKey>,
    /// Kind of resource, recorded with the key (`case`, `customer`...).
    pub resource: &'a str,
    /// Collection URL; the new resource's id is appended for `Location`.
    pub collection: &'a str,
}

impl Create<'_> {
    /// Runs `create` unless the key was already used, answering 201 with the
    /// resource either way; a concurrent twin that commits first turns into a
    /// replay of its result, fetched with `fetch`.
    pub async fn respond<T, Fetched>(
        self,
        create: impl Future<Output = Result<T, StoreError>>,
        fetch: impl FnOnce(i64) -> Fetched,
        id_of: impl Fn(&T) -> i64,
    ) -> Result<Response, ApiError>
    where
        T: Serialize,
        Fetched: Future<Output = Result<T, StoreError>>,
    {
        let replayed = match earlier(self.store, self.key, self.resource).await? {
            Some(id) => Some(id),
            None => match create.await {
                Ok(value) => {
                    return Ok(super::created(
                        format!("{}/{}", self.collection, id_of(&value)),
                        false,
                        value,
                    ));
                }
                Err(StoreError::IdempotencyRace) => {
                    earlier(self.store, self.key, self.resource).await?
                }
                Err(e) => return Err(e.into()),
            },
        };
        let id = replayed.ok_or(StoreError::IdempotencyRace)?;
        let value = fetch(id).await?;
        Ok(super::created(
            format!("{}/{id}", self.collection),
            true,
            value,
        ))
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
