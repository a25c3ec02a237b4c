//! The customer page: who the customer is (contact points, organisation,
//! identity, agreements, effort and survey answers), notes agents keep
//! about them, their own cases and, apart, the other cases of their
//! organisation; with the form to edit name, organisation and contact
//! points. A merged duplicate's page leads to the customer it became.

use super::case_section::{CaseSection, Placement};
use super::identity::IdentityBox;
use super::survey_box::SurveyBox;
use super::views::agent_names;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout, when};
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::SignedDuration;
use tend_domain::agent::Action;
use tend_domain::customer::{AgreementStatus, ContactKind, normalize_phone};
use tend_domain::email::EmailAddress;
use tend_domain::ids::{CustomerId, OrganizationId};
use tend_domain::text;
use tend_store::StoreError;
use tend_store::agreements::AgreementFilter;
use tend_store::cases::CaseFilter;
use tend_store::contacts::CustomerEffort;
use tend_store::customer_notes::CustomerNote;
use tend_store::customers::CustomerChange;
use tend_store::model::{Agreement, ContactPoint, Customer, Organization};

/// Notes shown (the newest).
const NOTES: i64 = 50;
/// Longest note, in characters.
const MAX_NOTE: usize = 5_000;
/// Agreements of the customer, and of their organisation, shown.
const AGREEMENTS: i64 = 50;
/// Organisations offered in the edit form.
const ORGANIZATION_CHOICES: i64 = 500;
/// The period the effort summary covers.
const EFFORT_DAYS: i64 = 90;

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    layout: Layout,
    customer: Customer,
    organization: Option<Organization>,
    /// When the customer record was made.
    since: String,
    agreements: Vec<Agreement>,
    /// The statuses an agreement may be given.
    agreement_statuses: Vec<&'static str>,
    identity: IdentityBox,
    effort: CustomerEffort,
    effort_days: i64,
    surveys: SurveyBox,
    notes: Vec<NoteLine>,
    /// Their own cases, then (when they have an organisation) its other
    /// members' cases.
    sections: Vec<CaseSection>,
    organizations: Vec<Choice>,
    /// What went wrong with the last form, if anything.
    error: Option<String>,
    /// The customer that owns a contact point the agent tried to add.
    owner: Option<i64>,
    /// The form's values, kept when it is shown again with an error.
    draft: Draft,
}

/// A note as shown.
pub struct NoteLine {
    pub author: String,
    pub at: String,
    pub body: String,
}

impl From<CustomerNote> for NoteLine {
    fn from(n: CustomerNote) -> Self {
        NoteLine {
            author: n.author_name,
            at: when(&n.created_at),
            body: n.body,
        }
    }
}

/// What the agent typed, kept when a form comes back with an error.
#[derive(Default)]
pub struct Draft {
    note: String,
    add_email: String,
    add_phone: String,
}

/// The customer's page; a merged duplicate redirects to its survivor.
pub async fn page(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.require(Action::Read)?;
    render(&s, &session, CustomerId(id), &params, Problem::default()).await
}

/// A form's failure, shown on the page.
#[derive(Default)]
pub struct Problem {
    pub error: Option<String>,
    pub owner: Option<i64>,
    pub draft: Draft,
}

/// The page of customer `id`, with `problem` from a refused form.
pub async fn render(
    s: &AppState,
    session: &Session,
    id: CustomerId,
    params: &[(String, String)],
    problem: Problem,
) -> Result<Response, WebError> {
    let customer = s.store.customer(id).await.map_err(not_found)?;
    if let Some(into) = customer.merged_into_id {
        return Ok(Redirect::to(&format!("/customers/{into}")).into_response());
    }
    let organization = match customer.organization_id {
        Some(org) => Some(s.store.organization(org).await?),
        None => None,
    };
    let names = agent_names(s).await?;
    let path = format!("/customers/{id}");
    let own = CaseSection::load(
        s,
        &CaseFilter {
            customer_id: Some(id),
            ..CaseFilter::default()
        },
        Placement {
            title: format!("Cases of {}", customer.name),
            empty: "No cases yet.",
            show_customer: false,
            path: &path,
            prefix: "",
            anchor: "cases",
        },
        params,
        &names,
    )
    .await?;
    let mut sections = vec![own];
    if let Some(org) = &organization {
        sections.push(
            CaseSection::load(
                s,
                &CaseFilter {
                    organization_id: Some(org.id),
                    except_customer_id: Some(id),
                    ..CaseFilter::default()
                },
                Placement {
                    title: format!("Other cases of {}", org.name),
                    empty: "No other member of the organisation has a case.",
                    show_customer: true,
                    path: &path,
                    prefix: "org_",
                    anchor: "organization-cases",
                },
                params,
                &names,
            )
            .await?,
        );
    }
    let since = tend_store::now() - SignedDuration::from_hours(EFFORT_DAYS * 24);
    let mut organizations = s
        .store
        .organizations(None, None, ORGANIZATION_CHOICES)
        .await?
        .data;
    // Their own is always offered, or saving the form would drop it.
    if let Some(own) = &organization
        && organizations.iter().all(|o| o.id != own.id)
    {
        organizations.push(own.clone());
    }
    let current = customer
        .organization_id
        .map(|o| o.0.to_string())
        .unwrap_or_default();
    let mut choices = vec![Choice::blank("No organisation", &current)];
    let ids: Vec<String> = organizations.iter().map(|o| o.id.0.to_string()).collect();
    choices.extend(Choice::list(
        ids.iter()
            .zip(&organizations)
            .map(|(id, o)| (id.as_str(), o.name.as_str())),
        &current,
    ));
    let status = match problem.error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let page = CustomerPage {
        layout: Layout::new(session, "customers"),
        agreements: agreements(s, &customer).await?,
        since: when(&customer.created_at),
        agreement_statuses: AgreementStatus::ALL.iter().map(|a| a.as_str()).collect(),
        identity: IdentityBox::load(s, &customer).await?,
        effort: s.store.customer_effort(id, since).await?,
        effort_days: EFFORT_DAYS,
        surveys: SurveyBox::load(s, id).await?,
        notes: s
            .store
            .customer_notes(id, NOTES)
            .await?
            .into_iter()
            .map(NoteLine::from)
            .collect(),
        sections,
        organizations: choices,
        organization,
        customer,
        error: problem.error,
        owner: problem.owner,
        draft: problem.draft,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// A missing customer is the page's 404.
fn not_found(e: StoreError) -> WebError {
    match e {
        StoreError::NotFound(_) => WebError::NotFound,
        other => other.into(),
    }
}

/// The customer's own agreements, then their organisation's.
pub async fn agreements(s: &AppState, customer: &Customer) -> Result<Vec<Agreement>, WebError> {
    let own = AgreementFilter {
        customer_id: Some(customer.id),
        ..AgreementFilter::default()
    };
    let mut found = s.store.agreements(&own, None, AGREEMENTS).await?.data;
    if let Some(org) = customer.organization_id {
        let theirs = AgreementFilter {
            organization_id: Some(org),
            ..AgreementFilter::default()
        };
        found.extend(s.store.agreements(&theirs, None, AGREEMENTS).await?.data);
    }
    Ok(found)
}

/// A new note about the customer.
#[derive(serde::Deserialize)]
pub struct NoteForm {
    body: String,
}

/// Adds a note and shows the page with it on top.
pub async fn add_note(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<NoteForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let id = CustomerId(id);
    let added = match text::required_clean("note", &form.body, MAX_NOTE) {
        Ok(body) => s
            .store
            .add_customer_note(id, session.agent_id(), &body)
            .await
            .map_err(WebError::from),
        Err(e) => Err(e.into()),
    };
    match added {
        Ok(()) => Ok(Redirect::to(&format!("/customers/{id}#notes")).into_response()),
        Err(e) => {
            let problem = Problem {
                draft: Draft {
                    note: form.body.chars().take(MAX_NOTE).collect(),
                    ..Draft::default()
                },
                ..failure(e)?
            };
            render(&s, &session, id, &[], problem).await
        }
    }
}

/// Turns a refused change into the message the page shows; other errors
/// (a missing customer, a failing database) stay errors.
fn failure(e: WebError) -> Result<Problem, WebError> {
    match e {
        WebError::Invalid(message) => Ok(Problem {
            error: Some(message),
            ..Problem::default()
        }),
        other => Err(other),
    }
}

/// The edit form, as posted: `name`, `organization` (an id or empty),
/// `add_email`, `add_phone` and any number of `remove` (`kind:value`).
struct EditForm {
    name: String,
    organization: Option<OrganizationId>,
    add_email: String,
    add_phone: String,
    remove: Vec<String>,
}

/// Most contact points one form may remove.
const MAX_REMOVALS: usize = 50;

impl EditForm {
    fn parse(pairs: Vec<(String, String)>) -> Result<Self, WebError> {
        let mut form = EditForm {
            name: String::new(),
            organization: None,
            add_email: String::new(),
            add_phone: String::new(),
            remove: Vec::new(),
        };
        for (key, value) in pairs {
            match key.as_str() {
                "name" => form.name = value,
                "organization" if value.trim().is_empty() => form.organization = None,
                "organization" => {
                    let org = value.trim().parse::<i64>().map_err(|_| {
                        WebError::Invalid(format!("`{value}` is not an organisation"))
                    })?;
                    form.organization = Some(OrganizationId(org));
                }
                "add_email" => form.add_email = value,
                "add_phone" => form.add_phone = value,
                "remove" if form.remove.len() >= MAX_REMOVALS => {
                    return Err(WebError::Invalid(format!(
                        "remove at most {MAX_REMOVALS} contact points at once"
                    )));
                }
                "remove" => form.remove.push(value),
                _ => {}
            }
        }
        Ok(form)
    }

    /// The store's change, every field checked.
    fn change(&self) -> Result<CustomerChange, WebError> {
        let mut add = Vec::new();
        if !self.add_email.trim().is_empty() {
            let address =
                EmailAddress::parse("email", self.add_email.trim()).map_err(WebError::field)?;
            add.push(ContactPoint::email(&address));
        }
        if !self.add_phone.trim().is_empty() {
            add.push(ContactPoint {
                kind: ContactKind::Phone,
                value: normalize_phone("phone", self.add_phone.trim()).map_err(WebError::field)?,
            });
        }
        let remove = self
            .remove
            .iter()
            .map(|raw| {
                let (kind, value) = raw.split_once(':').ok_or_else(|| {
                    WebError::Invalid(format!("`{raw}` is not a contact point to remove"))
                })?;
                Ok(ContactPoint {
                    kind: ContactKind::parse("remove", kind).map_err(WebError::field)?,
                    value: value.to_owned(),
                })
            })
            .collect::<Result<Vec<_>, WebError>>()?;
        Ok(CustomerChange {
            name: Some(text::required("name", &self.name, 200).map_err(WebError::field)?),
            organization_id: Some(self.organization),
            add_contact_points: add,
            remove_contact_points: remove,
            language: None,
        })
    }
}

/// Saves the edit form; a refusal shows the page again with the message
/// (and, for a contact point another customer has, a link to them).
pub async fn edit(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let id = CustomerId(id);
    let form = EditForm::parse(form)?;
    let saved = match form.change() {
        Ok(change) => s.store.update_customer(id, &change).await,
        Err(e) => return shown_again(&s, &session, id, &form, failure(e)?).await,
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/customers/{id}")).into_response()),
        Err(StoreError::Conflict {
            message,
            existing_id,
            ..
        }) => {
            let problem = Problem {
                error: Some(message),
                owner: existing_id,
                ..Problem::default()
            };
            shown_again(&s, &session, id, &form, problem).await
        }
        Err(StoreError::Invalid(e)) => {
            shown_again(&s, &session, id, &form, failure(e.into())?).await
        }
        Err(other) => Err(other.into()),
    }
}

/// The page again after a refused edit, with what the agent typed to add.
async fn shown_again(
    s: &AppState,
    session: &Session,
    id: CustomerId,
    form: &EditForm,
    problem: Problem,
) -> Result<Response, WebError> {
    let problem = Problem {
        draft: Draft {
            add_email: form.add_email.chars().take(320).collect(),
            add_phone: form.add_phone.chars().take(64).collect(),
            ..Draft::default()
        },
        ..problem
    };
    render(s, session, id, &[], problem).await
}
