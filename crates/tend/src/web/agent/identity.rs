//! Identify once: the case sidebar's identity box shows how sure we are of
//! who the customer is (level, method, who verified and when, across all
//! their cases), and lets agents ask the customer to identify or record a
//! verification. A verified customer is not asked again unless the agent
//! deliberately confirms; every request is counted as customer effort.

use super::case_page::{Draft, render_error};
use super::views::agent_names;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{label, when};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::customer::VerificationLevel;
use tend_domain::event::{ActorKind, EventData};
use tend_domain::ids::{AgentId, CaseId};
use tend_domain::text;
use tend_store::model::Customer;

/// Longest reason or method, in characters.
const MAX_TEXT: usize = 500;

/// What the identity box shows.
pub struct IdentityBox {
    /// The level as people read it.
    pub level: String,
    /// Whether the customer is verified (by email or by an agent).
    pub verified: bool,
    pub method: Option<String>,
    /// Who verified and when, such as "by Ann Agent on 2026-01-02 10:00 UTC".
    pub by: Option<String>,
    /// How many times the customer was asked to identify, on any case.
    pub requests: i64,
}

impl IdentityBox {
    /// The box for `customer`.
    pub async fn load(s: &AppState, customer: &Customer) -> Result<Self, WebError> {
        let history = s.store.identity_history(customer.id).await?;
        let by = match history.verified {
            Some(event) => {
                let who = match (event.actor.kind, event.actor.id) {
                    (ActorKind::Agent, Some(id)) => agent_names(s)
                        .await?
                        .remove(&AgentId(id))
                        .unwrap_or_else(|| format!("agent {id}")),
                    _ => "Tend".to_owned(),
                };
                Some(format!("by {who} on {}", when(&event.at)))
            }
            None => None,
        };
        Ok(IdentityBox {
            level: label(customer.verification_level.as_str()),
            verified: customer.verification_level != VerificationLevel::Unverified,
            method: customer.verification_method.clone(),
            by,
            requests: history.requests,
        })
    }
}

/// The "Request identity" form.
#[derive(Deserialize)]
pub struct RequestForm {
    reason: String,
    /// `yes` when the agent confirmed asking a verified customer again.
    #[serde(default)]
    again: Option<String>,
}

/// The "Mark identity verified" form.
#[derive(Deserialize)]
pub struct VerifyForm {
    method: String,
}

/// Records that the customer was asked to identify.
pub async fn request(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<RequestForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    let case = s.store.case(id).await?;
    let customer = s.store.customer(case.customer_id).await?;
    let checked = text::required("reason", &form.reason, MAX_TEXT)
        .map_err(WebError::field)
        .and_then(|reason| {
            let verified = customer.verification_level != VerificationLevel::Unverified;
            if verified && form.again.as_deref() != Some("yes") {
                Err(WebError::Invalid(
                    "This customer is already verified: confirm that you need to ask again.".into(),
                ))
            } else {
                Ok(reason)
            }
        });
    match checked {
        Ok(reason) => {
            let data = EventData::IdentityRequested {
                reason,
                after_verification: false,
            };
            s.store
                .record_event(id, data, session.actor(), None)
                .await?;
            Ok(Redirect::to(&format!("/cases/{id}")).into_response())
        }
        Err(e) => render_error(&s, &session, id, e, Draft::default()).await,
    }
}

/// Records that an agent verified the customer, and how.
pub async fn verify(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<VerifyForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    match text::required("method", &form.method, MAX_TEXT).map_err(WebError::field) {
        Ok(method) => {
            let data = EventData::IdentityVerified {
                level: VerificationLevel::AgentVerified,
                method,
            };
            s.store
                .record_event(id, data, session.actor(), None)
                .await?;
            Ok(Redirect::to(&format!("/cases/{id}")).into_response())
        }
        Err(e) => render_error(&s, &session, id, e, Draft::default()).await,
    }
}
