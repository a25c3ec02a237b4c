//! Calling a provider's token endpoint (RFC 6749 §4.1.3 and §6): a form
//! POST with the client's credentials, answered with tokens or an OAuth
//! error. Answers are read up to a limit; nothing of them is logged.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use tend_store::email::Password;
use tend_store::inbox_oauth::{OauthClient, OauthTokens};

/// Largest token endpoint answer read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// Longest token lifetime believed (a bogus `expires_in` cannot overflow).
const MAX_LIFETIME_SECONDS: i64 = 366 * 24 * 3600;

/// What went wrong at the token endpoint.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The provider refused (an OAuth error such as `invalid_grant`): the
    /// same request will not work later either.
    #[error("{error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    /// The endpoint could not be reached or answered nonsense; worth
    /// trying again later.
    #[error("{0}")]
    Unavailable(String),
}

#[derive(Deserialize)]
struct Answer {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
    error: Option<String>,
    error_description: Option<String>,
}

/// POSTs `form` with the client's credentials to its token endpoint;
/// answers the tokens (expiry counted from `now`).
pub(super) async fn request(
    http: &reqwest::Client,
    client: &OauthClient,
    form: &[(&str, &str)],
    now: Timestamp,
) -> Result<OauthTokens, EndpointError> {
    let mut body: Vec<(&str, &str)> = form.to_vec();
    body.push(("client_id", &client.client_id));
    if !client.client_secret.expose().is_empty() {
        body.push(("client_secret", client.client_secret.expose()));
    }
    let unavailable = |e: reqwest::Error| EndpointError::Unavailable(e.without_url().to_string());
    let mut response = http
        .post(&client.token_url)
        .header("accept", "application/json")
        .form(&body)
        .send()
        .await
        .map_err(unavailable)?;
    let status = response.status();
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unavailable)? {
        if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(EndpointError::Unavailable("the answer is too large".into()));
        }
        bytes.extend_from_slice(&chunk);
    }
    let answer: Answer = serde_json::from_slice(&bytes).map_err(|_| {
        EndpointError::Unavailable(format!("HTTP {status} without an OAuth answer"))
    })?;
    if let Some(error) = answer.error {
        let clip = |s: String| s.chars().take(300).collect::<String>();
        if status.is_server_error() {
            return Err(EndpointError::Unavailable(clip(error)));
        }
        return Err(EndpointError::Refused {
            error: clip(error),
            description: answer.error_description.map(clip),
        });
    }
    match (status.is_success(), answer.access_token) {
        (true, Some(access)) if !access.is_empty() => Ok(OauthTokens {
            access_token: Password::new(access),
            refresh_token: answer
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(Password::new),
            expires_at: answer
                .expires_in
                .map(|s| now + SignedDuration::from_secs(s.clamp(0, MAX_LIFETIME_SECONDS))),
        }),
        _ => Err(EndpointError::Unavailable(format!(
            "HTTP {status} without an access token"
        ))),
    }
}
