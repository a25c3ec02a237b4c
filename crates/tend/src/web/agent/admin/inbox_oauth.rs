//! Connecting an inbox's mailbox with OAuth 2.0 from the admin pages: the
//! client settings form (with Microsoft 365 and Google presets), the
//! "Connect with OAuth" button that sends the admin to the provider, and
//! the callback the provider sends them back to. The state is tied to the
//! admin's session (see `crate::mail::oauth`).

use super::inboxes::render_one;
use super::settle;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::mail::oauth::{self, Admin, request::OauthPreset, request::OauthRequest};
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::session::Session;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::Invalid;
use tend_domain::agent::Action;

/// The OAuth client form, as typed; blanks take the preset's values.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OauthForm {
    preset: String,
    tenant: String,
    authorize_url: String,
    token_url: String,
    client_id: String,
    client_secret: String,
    scopes: String,
}

impl OauthForm {
    /// The same request the API accepts.
    fn request(&self) -> Result<OauthRequest, Invalid> {
        let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(OauthRequest {
            preset: given(&self.preset)
                .map(|p| OauthPreset::parse("preset", &p))
                .transpose()?,
            tenant: given(&self.tenant),
            authorize_url: given(&self.authorize_url),
            token_url: given(&self.token_url),
            client_id: self.client_id.clone(),
            client_secret: given(&self.client_secret),
            scopes: given(&self.scopes),
        })
    }
}

fn page(id: i64) -> String {
    format!("/admin/inboxes/{id}")
}

/// Saves the OAuth client of an inbox's mailbox.
pub async fn set_client(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<OauthForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let saved = async {
        let client = form.request()?.parse()?;
        let inbox = s.store.set_inbox_oauth(id, &client).await?;
        s.mailboxes.changed();
        Ok::<_, ApiError>(inbox)
    }
    .await;
    settle(saved, &page(id), |m| {
        render_one(&s, &session, id, None, Some(m))
    })
    .await
}

/// "Connect with OAuth": sends the admin to the provider.
pub async fn connect(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<super::Confirm>,
) -> Result<Response, WebError> {
    let session = posted.session;
    session.require(Action::Administer)?;
    let admin = Admin {
        agent_id: session.agent_id(),
        session_hash: Some(session.id_hash.clone()),
    };
    let begun = oauth::begin(&s.store, id, admin, &s.web.public_url)
        .await
        .map_err(ApiError::from)?;
    Ok(Redirect::to(&begun.authorize_url).into_response())
}

/// What the provider sends back.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Callback {
    state: String,
    code: String,
    error: String,
    error_description: String,
}

/// The provider's redirect back: exchanges the code and shows the inbox.
pub async fn callback(
    State(s): State<AppState>,
    session: Session,
    Query(back): Query<Callback>,
) -> Result<Response, WebError> {
    session.require(Action::Administer)?;
    if !back.error.is_empty() {
        let why = if back.error_description.is_empty() {
            back.error
        } else {
            back.error_description
        };
        let clipped: String = why.chars().take(300).collect();
        return Err(ApiError::BadRequest(format!(
            "the provider did not authorise the mailbox: {clipped}"
        ))
        .into());
    }
    let admin = Admin {
        agent_id: session.agent_id(),
        session_hash: Some(session.id_hash.clone()),
    };
    let inbox = oauth::finish(
        &s.store,
        &s.mailboxes,
        &admin,
        &back.state,
        &back.code,
        None,
    )
    .await
    .map_err(ApiError::from)?;
    Ok(Redirect::to(&page(inbox)).into_response())
}
