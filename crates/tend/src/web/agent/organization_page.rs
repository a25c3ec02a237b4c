//! The organisation page: its name and domain, its members (each linked to
//! their customer page), its agreements and every member's cases, paged.

use super::case_section::{CaseSection, Placement};
use super::views::agent_names;
use crate::http::AppState;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::Layout;
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use tend_domain::agent::Action;
use tend_domain::ids::OrganizationId;
use tend_store::StoreError;
use tend_store::agreements::AgreementFilter;
use tend_store::cases::CaseFilter;
use tend_store::customers::CustomerFilter;
use tend_store::model::{Agreement, Customer, Organization};

/// Members listed (the first by id; the customer list searches the rest).
const MEMBERS: i64 = 100;
/// Agreements listed.
const AGREEMENTS: i64 = 50;

#[derive(Template)]
#[template(path = "organization.html")]
struct OrganizationPage {
    layout: Layout,
    organization: Organization,
    members: Vec<Customer>,
    /// Whether there are more members than listed.
    more_members: bool,
    agreements: Vec<Agreement>,
    /// Every member's cases (one section).
    sections: Vec<CaseSection>,
}

/// The organisation's page.
pub async fn page(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Html<String>, WebError> {
    session.require(Action::Read)?;
    let id = OrganizationId(id);
    let organization = s.store.organization(id).await.map_err(|e| match e {
        StoreError::NotFound(_) => WebError::NotFound,
        other => other.into(),
    })?;
    let members = s
        .store
        .customers(
            &CustomerFilter {
                organization_id: Some(id),
                ..CustomerFilter::default()
            },
            None,
            MEMBERS,
        )
        .await?;
    let agreements = s
        .store
        .agreements(
            &AgreementFilter {
                organization_id: Some(id),
                ..AgreementFilter::default()
            },
            None,
            AGREEMENTS,
        )
        .await?
        .data;
    let names = agent_names(&s).await?;
    let path = format!("/organizations/{id}");
    let cases = CaseSection::load(
        &s,
        &CaseFilter {
            organization_id: Some(id),
            ..CaseFilter::default()
        },
        Placement {
            title: format!("Cases of {}", organization.name),
            empty: "No member has a case yet.",
            show_customer: true,
            path: &path,
            prefix: "",
            anchor: "cases",
        },
        &params,
        &names,
    )
    .await?;
    let page = OrganizationPage {
        layout: Layout::new(&session, "organizations"),
        organization,
        more_members: members.next_cursor.is_some(),
        members: members.data,
        agreements,
        sections: vec![cases],
    };
    Ok(Html(page.render()?))
}
