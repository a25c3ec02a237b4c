//! Agent accounts as the API and the admin pages create them: the fields
//! checked and the password hashed, in one place for both.

use crate::auth;
use crate::http::error::ApiError;
use tend_domain::agent::Role;
use tend_domain::email::EmailAddress;
use tend_domain::{Invalid, text};
use tend_store::agents::NewAgent;

/// Checks a new password and hashes it.
fn password_hash(field: &str, password: &str) -> Result<String, ApiError> {
    auth::checked_password_hash(password).map_err(|e| match e {
        auth::PasswordError::TooShort => Invalid::new(field, e.to_string()).into(),
        auth::PasswordError::Hash(cause) => {
            tracing::error!(error = %cause, "hashing a password failed");
            ApiError::Internal
        }
    })
}

/// Checks a new agent's fields (the API's and the admin page's) and hashes
/// the password, if one is given.
pub fn new_agent(
    email: &str,
    name: &str,
    role: Role,
    password: Option<&str>,
) -> Result<NewAgent, ApiError> {
    Ok(NewAgent {
        email: EmailAddress::parse("email", email)?,
        name: text::required("name", name, 200)?,
        role,
        password_hash: password.map(|p| password_hash("password", p)).transpose()?,
    })
}
