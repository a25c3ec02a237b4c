//! A signed-in customer's decision on a quote of a case they may see: the
//! case page shows open quotes with Approve and Decline buttons. The
//! decision is recorded as from the email's links (once, before the
//! quote's validity ends); a refusal is shown on the case page.

use super::PortalError;
use super::session::Customer;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::ids::{CaseId, QuoteId};
use tend_domain::quote::{self, Decision};
use tend_store::quotes::Decided;

/// The decision form's fields.
#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
}

/// Records the customer's decision on quote `quote` of case `id`.
pub async fn decide(
    State(s): State<AppState>,
    Path((id, quote)): Path<(i64, i64)>,
    posted: Posted<DecisionForm, Customer>,
) -> Result<Response, PortalError> {
    let Posted {
        session: customer,
        form,
    } = posted;
    let case = s.store.portal_case(customer.id(), CaseId(id)).await?;
    let found = s.store.quote(QuoteId(quote)).await?;
    if found.case_id != case.id {
        return Err(WebError::NotFound.into());
    }
    let checked = Decision::parse("decision", &form.decision)
        .and_then(|d| Ok((d, quote::comment(&form.comment)?)));
    let refusal = match checked {
        Err(e) => Some(format!("{}: {}", e.field, e.message)),
        Ok((decision, comment)) => {
            let outcome = s
                .store
                .decide_quote(found.id, decision, comment, customer.actor())
                .await?;
            match outcome {
                Decided::Recorded | Decided::Already => None,
                Decided::Refused(refused) => Some(format!("Quote {}: {refused}.", found.number)),
            }
        }
    };
    match refusal {
        None => Ok(Redirect::to(&format!("/portal/cases/{id}#quotes")).into_response()),
        Some(error) => {
            super::cases::render(&s, &customer, case.id, None, String::new(), Some(error)).await
        }
    }
}
