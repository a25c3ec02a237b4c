//! The signature forms: an agent's own on the account page, an inbox's on
//! its admin page.

use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::canned;
use tend_store::signatures::SignatureOf;

/// A signature form's field.
#[derive(Deserialize)]
pub struct SignatureForm {
    #[serde(default)]
    signature: String,
}

/// Saves the signed-in agent's signature.
pub async fn set_mine(
    State(s): State<AppState>,
    Posted { session, form }: Posted<SignatureForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    save(&s, SignatureOf::Agent(session.agent_id()), &form).await?;
    Ok(Redirect::to("/account?done=signature").into_response())
}

/// Saves an inbox's signature.
pub async fn set_inbox(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<SignatureForm>,
) -> Result<Response, WebError> {
    session.require(Action::Administer)?;
    save(&s, SignatureOf::Inbox(id), &form).await?;
    Ok(Redirect::to(&format!("/admin/inboxes/{id}")).into_response())
}

async fn save(s: &AppState, of: SignatureOf, form: &SignatureForm) -> Result<(), WebError> {
    let signature = canned::signature(&form.signature).map_err(WebError::field)?;
    Ok(s.store.set_signature(of, signature).await?)
}
