//! The one web error type: each failure becomes a page that says what to do
//! next (or, when the session is missing, a redirect to the sign-in page).
//! Internal causes are logged, never shown.

use super::layout::ErrorPage;
use crate::http::error::ApiError;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use tend_store::StoreError;

/// Everything a web request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("please sign in")]
    SignInRequired,
    #[error("this form has expired or did not come from Tend: reload the page and try again")]
    Csrf,
    #[error("your role may not do this; ask an admin if you need it")]
    Forbidden,
    #[error("there is no such page; go back to your cases")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("something went wrong on our side; it has been logged, please try again")]
    Internal,
}

impl WebError {
    /// A refused field, named in front of what is wrong with it.
    pub fn field(e: tend_domain::Invalid) -> Self {
        WebError::Invalid(format!("{}: {}", e.field, e.message))
    }

    /// The status code the failure is sent with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::SignInRequired => StatusCode::UNAUTHORIZED,
            WebError::Csrf | WebError::Forbidden => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl WebError {
    /// The response: a redirect to `sign_in` when a session is missing,
    /// otherwise the error page `render` makes (plain text if that fails).
    pub fn respond(
        self,
        sign_in: &str,
        render: impl FnOnce(&ErrorPage) -> askama::Result<String>,
    ) -> Response {
        if let WebError::SignInRequired = self {
            return Redirect::to(sign_in).into_response();
        }
        let page = ErrorPage {
            message: self.to_string(),
        };
        match render(&page) {
            Ok(html) => (self.status(), Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "rendering the error page");
                (self.status(), self.to_string()).into_response()
            }
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.respond("/signin", |page| page.render())
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::from(ApiError::from(e))
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::NotFound(_) => WebError::NotFound,
            ApiError::Forbidden(_) => WebError::Forbidden,
            ApiError::Internal => WebError::Internal,
            ApiError::Unauthorized => WebError::SignInRequired,
            too_large @ (ApiError::TooLarge(_) | ApiError::AttachmentTooLarge { .. }) => {
                WebError::TooLarge(too_large.to_string())
            }
            other => WebError::Invalid(other.to_string()),
        }
    }
}

impl From<tend_domain::Invalid> for WebError {
    fn from(e: tend_domain::Invalid) -> Self {
        WebError::Invalid(e.message)
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "rendering a page");
        WebError::Internal
    }
}
