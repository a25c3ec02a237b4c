//! Merging a case into another from the case page: the agent names the other
//! case, confirms on a page showing both subjects (and whether the customers
//! differ, which needs an explicit tick), and the store merges them in one
//! transaction.

use super::case_page::{Draft, render_error};
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
use tend_domain::ids::CaseId;
use tend_store::StoreError;
use tend_store::model::{Case, Customer};

#[derive(Template)]
#[template(path = "merge.html")]
struct ConfirmPage {
    layout: Layout,
    case: Case,
    into: Case,
    customer: Customer,
    into_customer: Customer,
}

/// The case to merge into, as the agent typed it.
#[derive(Deserialize)]
pub struct Target {
    into: String,
}

/// Reads `#123` or `123` as a case id.
pub(super) fn case_id(raw: &str) -> Result<CaseId, WebError> {
    let digits = raw.trim().trim_start_matches('#');
    digits
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(CaseId)
        .ok_or_else(|| {
            WebError::Invalid(format!(
                "`{}` is not a case reference: use its number, e.g. #12",
                raw.trim()
            ))
        })
}

/// Asks the agent to confirm merging case `id` into the case they named.
pub async fn confirm(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Query(target): Query<Target>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let case = s.store.case(CaseId(id)).await?;
    let into = match case_id(&target.into) {
        Ok(into) => s.store.case(into).await.map_err(|e| match e {
            StoreError::NotFound(_) => {
                WebError::Invalid(format!("there is no case {}", target.into.trim()))
            }
            other => WebError::from(other),
        }),
        Err(e) => Err(e),
    };
    let into = match into {
        Ok(into) => into,
        Err(e) => return render_error(&s, &session, case.id, e, Draft::default()).await,
    };
    let page = ConfirmPage {
        layout: Layout::new(&session, ""),
        customer: s.store.customer(case.customer_id).await?,
        into_customer: s.store.customer(into.customer_id).await?,
        case,
        into,
    };
    Ok(Html(page.render()?).into_response())
}

/// The confirmed merge.
#[derive(Deserialize)]
pub struct MergeForm {
    into: i64,
    /// Present (ticked) when the agent confirmed merging across customers.
    confirm_other_customer: Option<String>,
}

/// Merges case `id` into the confirmed case and shows that case.
pub async fn merge(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<MergeForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let id = CaseId(id);
    let merged = s
        .store
        .merge_cases(
            id,
            CaseId(form.into),
            session.actor(),
            form.confirm_other_customer.is_some(),
        )
        .await;
    match merged {
        Ok((_, into)) => Ok(Redirect::to(&format!("/cases/{}", into.id)).into_response()),
        Err(e) => render_error(&s, &session, id, e.into(), Draft::default()).await,
    }
}
