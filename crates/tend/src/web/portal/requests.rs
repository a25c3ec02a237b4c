//! New requests from a signed-in customer, optionally about one of their
//! agreements ("request a change" opens the form with it chosen). Articles
//! matching what they type are suggested as in the public form.

use super::PortalError;
use super::session::Customer;
use crate::brand::Brand;
use crate::http::AppState;
use crate::replies::MAX_BODY;
use crate::web::shared::csrf::PostedWithFiles;
use crate::web::shared::error::WebError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Map;
use tend_domain::case::{Channel, MAX_SUBJECT, Priority};
use tend_domain::ids::AgreementId;
use tend_domain::text;
use tend_store::cases::NewCase;
use tend_store::messages::NewMessage;
use tend_store::model::Agreement;

/// The form's fields; `agreement` is an agreement id or blank.
#[derive(Deserialize, Default)]
pub struct NewRequestForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    agreement: String,
}

#[derive(Template)]
#[template(path = "portal_request.html")]
struct RequestPage<'a> {
    brand: &'a Brand,
    customer: &'a Customer,
    agreements: Vec<Agreement>,
    /// The agreement the request is about, when one is chosen.
    chosen: Option<i64>,
    form: &'a NewRequestForm,
    error: Option<String>,
}

impl RequestPage<'_> {
    fn is_chosen(&self, agreement: &Agreement) -> bool {
        self.chosen == Some(agreement.id.0)
    }
}

/// `?agreement=ID` chooses the agreement to ask a change to.
#[derive(Deserialize, Default)]
pub struct About {
    agreement: Option<String>,
}

/// The empty form (with an agreement chosen when asked).
pub async fn page(
    State(s): State<AppState>,
    customer: Customer,
    Query(about): Query<About>,
) -> Result<Response, PortalError> {
    let form = NewRequestForm {
        agreement: about.agreement.unwrap_or_default(),
        ..NewRequestForm::default()
    };
    render(&s, &customer, &form, None).await
}

async fn render(
    s: &AppState,
    customer: &Customer,
    form: &NewRequestForm,
    error: Option<String>,
) -> Result<Response, PortalError> {
    let agreements = s.store.portal_agreements(customer.id()).await?;
    let chosen = form
        .agreement
        .parse::<i64>()
        .ok()
        .filter(|id| agreements.iter().any(|a| a.id.0 == *id));
    let status = match &error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let page = RequestPage {
        brand: &s.web.brand,
        customer,
        agreements,
        chosen,
        form,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Opens the case and shows it, or shows the form again with what is wrong.
pub async fn submit(
    State(s): State<AppState>,
    posted: PostedWithFiles<NewRequestForm, Customer>,
) -> Result<Response, PortalError> {
    let PostedWithFiles {
        session: customer,
        form,
        files,
    } = posted;
    let new = match checked(&s, &customer, &form, files).await {
        Ok(new) => new,
        Err(PortalError(e @ (WebError::Invalid(_) | WebError::TooLarge(_)))) => {
            return render(&s, &customer, &form, Some(e.to_string())).await;
        }
        Err(e) => return Err(e),
    };
    let case = s.store.create_case(new, customer.actor(), None).await?;
    Ok(Redirect::to(&format!("/portal/cases/{}", case.id)).into_response())
}

/// The case the form describes, every field, file and the agreement checked.
async fn checked(
    s: &AppState,
    customer: &Customer,
    form: &NewRequestForm,
    files: Vec<crate::web::shared::csrf::PostedFile>,
) -> Result<NewCase, PortalError> {
    let subject = text::required("Subject", &form.subject, MAX_SUBJECT).map_err(WebError::field)?;
    let body = text::required("Message", &form.message, MAX_BODY).map_err(WebError::field)?;
    let agreement_id = match form.agreement.trim() {
        "" => None,
        raw => {
            let id = raw
                .parse()
                .map(AgreementId)
                .map_err(|_| WebError::Invalid("Agreement: choose one from the list".into()))?;
            Some(s.store.portal_agreement(customer.id(), id).await?.id)
        }
    };
    let attachments = crate::web::shared::upload::uploads(s, files)?;
    Ok(NewCase {
        subject,
        customer_id: customer.id(),
        channel: Channel::Portal,
        priority: Priority::Normal,
        tags: Vec::new(),
        team_id: None,
        assignee_id: None,
        agreement_id,
        custom_fields: Map::new(),
        message: NewMessage {
            attachments,
            ..NewMessage::text(customer.actor(), Channel::Portal, false, body)
        },
        follows: None,
    })
}
