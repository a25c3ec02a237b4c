//! The one error type for failed requests, and with it the one mapping from
//! store and domain errors to HTTP status codes. The API sends it as its
//! envelope, `{"error": {"code", "message", "details"}}`; web pages turn it
//! into an error page (`web::shared::error`). Internal causes are logged,
//! never sent to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use tend_domain::Invalid;
use tend_store::StoreError;
use utoipa::ToSchema;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or invalid API token: send `Authorization: Bearer <token>`")]
    Unauthorized,
    #[error("your role ({0}) may not do this")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{}", .0.message)]
    Invalid(Invalid),
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
        existing_id: Option<i64>,
    },
    #[error("request body too large: the limit is {0} bytes")]
    TooLarge(usize),
    #[error("{field} is too large: the limit is {limit} bytes")]
    AttachmentTooLarge { field: String, limit: usize },
    #[error("send the body as JSON with `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("internal error; it has been logged")]
    Internal,
}

/// The error envelope, as documented in the OpenAPI document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// Extra facts, e.g. `{"field": "email"}`.
    pub details: Value,
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            ApiError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooLarge(_) | ApiError::AttachmentTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            ApiError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    fn details(&self) -> Value {
        match self {
            ApiError::Invalid(i) => json!({"field": i.field}),
            ApiError::AttachmentTooLarge { field, limit } => {
                json!({"field": field, "limit": limit})
            }
            ApiError::TooLarge(limit) => json!({"limit": limit}),
            ApiError::Conflict {
                field, existing_id, ..
            } => json!({"field": field, "existing_id": existing_id}),
            _ => json!({}),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: self.to_string(),
                details: self.details(),
            },
        };
        (status, axum::Json(body)).into_response()
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError::Invalid(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what.into()),
            StoreError::Invalid(i) => ApiError::Invalid(i),
            StoreError::Conflict {
                field,
                message,
                existing_id,
            } => ApiError::Conflict {
                field: Some(field),
                message,
                existing_id,
            },
            StoreError::State(message) => ApiError::Conflict {
                field: None,
                message,
                existing_id: None,
            },
            StoreError::IdempotencyRace => ApiError::Conflict {
                field: None,
                message: e.to_string(),
                existing_id: None,
            },
            other => {
                tracing::error!(error = %other, "store failure");
                ApiError::Internal
            }
        }
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;
