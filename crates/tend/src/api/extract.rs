//! Request extractors that turn every malformed input into a precise
//! [`ApiError`]: the bearer-token principal, JSON bodies, query strings and
//! path ids.

use crate::auth;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::state::BodyLimit;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tend_domain::Invalid;
use tend_domain::agent::{Action, Role};
use tend_domain::event::Actor;
use tend_domain::ids::AgentId;
use tend_store::idempotency::IdempotencyKey;

/// The agent a request acts as, from its bearer token.
#[derive(Debug, Clone, Copy)]
pub struct Principal {
    pub agent_id: AgentId,
    pub role: Role,
}

impl Principal {
    /// Fails with 403 unless the role may perform `action`.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if self.role.may(action) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(self.role.to_string()))
        }
    }

    /// The event-log actor for this agent.
    pub fn actor(&self) -> Actor {
        Actor::agent(self.agent_id)
    }
}

impl<S> FromRequestParts<S> for Principal
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let owner = state
            .store
            .token_owner(&auth::token_hash(token))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Principal {
            agent_id: owner.agent_id,
            role: owner.role,
        })
    }
}

/// A JSON body, plus a hash of the request for idempotency checks.
pub struct Json<T> {
    pub value: T,
    request_hash: String,
}

impl<T> Json<T> {
    /// The idempotency key for this request, when the client sent one.
    pub fn idempotency_key(
        &self,
        principal: &Principal,
        header: &IdempotencyHeader,
    ) -> Option<IdempotencyKey> {
        header.0.as_ref().map(|key| IdempotencyKey {
            agent_id: principal.agent_id,
            key: key.clone(),
            request_hash: self.request_hash.clone(),
        })
    }
}

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let route = format!("{} {}", req.method(), req.uri().path());
        let limit = req
            .extensions()
            .get::<BodyLimit>()
            .map(|l| l.0)
            .unwrap_or_default();
        let bytes = match axum::body::Bytes::from_request(req_with_json_check(req)?, state).await {
            Ok(b) => b,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::TooLarge(limit));
            }
            Err(e) => return Err(ApiError::BadRequest(e.body_text())),
        };
        let mut hasher = Sha256::new();
        hasher.update(route.as_bytes());
        hasher.update([0]);
        hasher.update(&bytes);
        let request_hash = format!("{:x}", hasher.finalize());
        let value = axum::Json::<T>::from_bytes(&bytes).map_err(json_error)?.0;
        Ok(Json {
            value,
            request_hash,
        })
    }
}

fn req_with_json_check(req: Request) -> Result<Request, ApiError> {
    let is_json = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| {
            let v = v.trim();
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
        .unwrap_or(false);
    if is_json {
        Ok(req)
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// Maps serde's complaints to 400 (not JSON) or 422 (JSON of the wrong shape),
/// naming the field where serde says which.
fn json_error(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => shape_error(&e.body_text()),
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::BadRequest(format!("malformed JSON: {}", e.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        other => ApiError::BadRequest(other.body_text()),
    }
}

/// A 422 for input of the wrong shape, from axum's "Failed to ...: detail" text.
fn shape_error(text: &str) -> ApiError {
    let detail = text
        .split_once(": ")
        .map(|(_, rest)| rest)
        .unwrap_or(text)
        .to_string();
    ApiError::Invalid(Invalid::new(field_of(&detail), detail))
}

/// The field a serde message is about: `missing field `x``, `unknown field `x``
/// or a `path.to.field: ...` prefix.
fn field_of(detail: &str) -> String {
    for marker in ["missing field `", "unknown field `"] {
        if let Some(rest) = detail.split(marker).nth(1) {
            return rest.split('`').next().unwrap_or_default().to_string();
        }
    }
    match detail.split_once(": ") {
        Some((path, _)) if !path.contains(' ') => path.to_string(),
        _ => String::new(),
    }
}

/// The `Idempotency-Key` header, if sent (1-255 visible ASCII characters).
pub struct IdempotencyHeader(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(Self(None));
        };
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| (1..=255).contains(&k.len()));
        match key {
            Some(k) => Ok(Self(Some(k.to_string()))),
            None => Err(
                Invalid::new("Idempotency-Key", "must be 1-255 visible ASCII characters").into(),
            ),
        }
    }
}

/// Query-string parameters, with errors naming the parameter.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(q) => Ok(Params(q.0)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(shape_error(&e.body_text()))
            }
            Err(other) => Err(ApiError::BadRequest(other.body_text())),
        }
    }
}

/// A numeric id from the path.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<i64>::from_request_parts(parts, state).await {
            Ok(p) => Ok(Id(p.0)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ApiError::BadRequest(
                "the id in the path must be an integer".into(),
            )),
            Err(other) => Err(ApiError::BadRequest(other.body_text())),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn field_names_come_out_of_serde_messages() {
        assert_eq!(
            super::field_of("missing field `subject` at line 1 column 2"),
            "subject"
        );
        assert_eq!(
            super::field_of("unknown field `subjct`, expected one of"),
            "subjct"
        );
        assert_eq!(
            super::field_of("customer_id: invalid type: string \"x\", expected i64"),
            "customer_id"
        );
    }
}
