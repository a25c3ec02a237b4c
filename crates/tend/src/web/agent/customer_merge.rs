//! Merging a duplicate customer from its page: the agent names the
//! customer that stays (by number or email address), confirms on a page
//! showing both records and what will move, and the store merges them in
//! one transaction, recording a `customer_merged` event on every moved
//! case.

use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::Layout;
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::customer::ContactKind;
use tend_domain::email::EmailAddress;
use tend_domain::ids::CustomerId;
use tend_store::StoreError;
use tend_store::cases::CaseFilter;
use tend_store::model::Customer;

#[derive(Template)]
#[template(path = "customer_merge.html")]
struct ConfirmPage {
    layout: Layout,
    customer: Customer,
    into: Customer,
    /// How many cases move (counted up to the list cap).
    cases: i64,
}

/// The customer to merge into, as the agent typed it.
#[derive(Deserialize)]
pub struct Target {
    into: String,
}

/// Finds the customer the agent named: `#12`, `12` or an email address.
async fn named(s: &AppState, raw: &str) -> Result<Customer, WebError> {
    let raw = raw.trim();
    let id = match raw.trim_start_matches('#').parse::<i64>() {
        Ok(id) if id > 0 => Some(CustomerId(id)),
        Ok(_) => None,
        Err(_) => match EmailAddress::parse("into", raw) {
            Ok(email) => {
                s.store
                    .customer_id_by_contact(ContactKind::Email, email.as_str())
                    .await?
            }
            Err(_) => {
                return Err(WebError::Invalid(format!(
                    "`{}` is neither a customer number nor an email address",
                    raw.chars().take(100).collect::<String>()
                )));
            }
        },
    };
    let missing = || {
        WebError::Invalid(format!(
            "there is no customer {}",
            raw.chars().take(100).collect::<String>()
        ))
    };
    match id {
        Some(id) => s.store.customer(id).await.map_err(|e| match e {
            StoreError::NotFound(_) => missing(),
            other => other.into(),
        }),
        None => Err(missing()),
    }
}

/// Asks the agent to confirm merging customer `id` into the one they named.
pub async fn confirm(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Query(target): Query<Target>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let customer = s.store.customer(CustomerId(id)).await?;
    if let Some(into) = customer.merged_into_id {
        return Ok(Redirect::to(&format!("/customers/{into}")).into_response());
    }
    let into = named(&s, &target.into).await?;
    if into.id == customer.id {
        return Err(WebError::Invalid(
            "a customer cannot be merged into itself: name the other record".into(),
        ));
    }
    if let Some(survivor) = into.merged_into_id {
        return Err(WebError::Invalid(format!(
            "customer {} was itself merged into customer {survivor}; merge into {survivor}",
            into.id
        )));
    }
    let filter = CaseFilter {
        customer_id: Some(customer.id),
        ..CaseFilter::default()
    };
    let page = ConfirmPage {
        layout: Layout::new(&session, "customers"),
        cases: s
            .store
            .count_cases(&filter, super::views::COUNT_CAP)
            .await?,
        customer,
        into,
    };
    Ok(Html(page.render()?).into_response())
}

/// The confirmed merge.
#[derive(Deserialize)]
pub struct MergeForm {
    into: i64,
}

/// Merges customer `id` into the confirmed customer and shows that one.
pub async fn merge(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<MergeForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let merged = s
        .store
        .merge_customers(CustomerId(id), CustomerId(form.into), session.actor())
        .await?;
    Ok(Redirect::to(&format!("/customers/{}", merged.survivor.id)).into_response())
}
