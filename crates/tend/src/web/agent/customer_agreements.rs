//! Agreements edited from the customer page: add one the customer holds,
//! or change the status of one of theirs (an organisation's agreements are
//! shown there but changed through the API).

use super::customer_page::{Problem, render};
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::customer::AgreementStatus;
use tend_domain::ids::{AgreementId, CustomerId};
use tend_domain::text;
use tend_store::StoreError;
use tend_store::agreements::{AgreementChange, Holder, NewAgreement};

/// A new agreement of the customer.
#[derive(Deserialize)]
pub struct NewForm {
    name: String,
    #[serde(default)]
    reference: String,
}

/// Adds an agreement the customer holds, in force from now.
pub async fn add(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<NewForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let id = CustomerId(id);
    let checked = text::required("name", &form.name, 200).and_then(|name| {
        let reference = text::optional("reference", Some(form.reference.as_str()), 200)?;
        Ok((name, reference))
    });
    let (name, reference) = match checked {
        Ok(fields) => fields,
        Err(e) => return refused(&s, &session, id, WebError::field(e)).await,
    };
    let customer = s.store.customer(id).await?;
    if customer.merged_into_id.is_some() {
        return Err(WebError::NotFound);
    }
    let new = NewAgreement {
        holder: Holder::Customer(id),
        name,
        reference,
        status: AgreementStatus::Active,
        starts_on: None,
        ends_on: None,
        terms: None,
    };
    s.store.create_agreement(&new, None).await?;
    Ok(Redirect::to(&format!("/customers/{id}#agreements-title")).into_response())
}

/// A new status for one of the customer's agreements.
#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

/// Changes the status of an agreement the customer holds.
pub async fn set_status(
    State(s): State<AppState>,
    Path((id, agreement)): Path<(i64, i64)>,
    posted: Posted<StatusForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let id = CustomerId(id);
    let found = s
        .store
        .agreement(AgreementId(agreement))
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => WebError::NotFound,
            other => other.into(),
        })?;
    if found.customer_id != Some(id) {
        return Err(WebError::NotFound);
    }
    let status = match AgreementStatus::parse("status", &form.status) {
        Ok(status) => status,
        Err(e) => return refused(&s, &session, id, WebError::field(e)).await,
    };
    let change = AgreementChange {
        status: Some(status),
        ..AgreementChange::default()
    };
    s.store.update_agreement(found.id, &change).await?;
    Ok(Redirect::to(&format!("/customers/{id}#agreements-title")).into_response())
}

/// The customer page again, saying what was refused.
async fn refused(
    s: &AppState,
    session: &crate::web::shared::session::Session,
    id: CustomerId,
    e: WebError,
) -> Result<Response, WebError> {
    match e {
        WebError::Invalid(message) => {
            let problem = Problem {
                error: Some(message),
                ..Problem::default()
            };
            render(s, session, id, &[], problem).await
        }
        other => Err(other),
    }
}
