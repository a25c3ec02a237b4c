//! Case lists: my open cases, unassigned, pending customer and all, sortable
//! and a page at a time (the store's filter and cursor, as the API uses).

use super::error::WebError;
use super::layout::{Choice, Layout, when};
use super::session::Session;
use crate::server::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use serde::Deserialize;
use std::collections::HashMap;
use tend_domain::case::Status;
use tend_domain::ids::AgentId;
use tend_store::cases::{AssigneeFilter, CaseFilter, CaseSort};
use tend_store::cursor::Cursor;
use tend_store::model::Case;

/// Cases per page.
const PAGE_SIZE: i64 = 25;

/// Statuses that still need the business.
const OPEN: &[Status] = &[Status::New, Status::Open, Status::OnHold];

/// A built-in view.
#[derive(Debug, Clone, Copy)]
enum View {
    Mine,
    Unassigned,
    Pending,
    All,
}

impl View {
    fn parse(slug: &str) -> Option<Self> {
        match slug {
            "mine" => Some(View::Mine),
            "unassigned" => Some(View::Unassigned),
            "pending" => Some(View::Pending),
            "all" => Some(View::All),
            _ => None,
        }
    }

    fn slug(self) -> &'static str {
        match self {
            View::Mine => "mine",
            View::Unassigned => "unassigned",
            View::Pending => "pending",
            View::All => "all",
        }
    }

    fn title(self) -> &'static str {
        match self {
            View::Mine => "My open cases",
            View::Unassigned => "Unassigned",
            View::Pending => "Pending customer",
            View::All => "All cases",
        }
    }

    /// What to say when the view is empty.
    fn empty(self) -> &'static str {
        match self {
            View::Mine => {
                "Nothing assigned to you is open. Pick a case from Unassigned and assign it to yourself."
            }
            View::Unassigned => "Every open case has an owner. Nice work.",
            View::Pending => "No case is waiting on a customer.",
            View::All => "No cases yet. They appear here when customers write in.",
        }
    }

    fn filter(self, me: AgentId) -> CaseFilter {
        let (statuses, assignee) = match self {
            View::Mine => (OPEN.to_vec(), Some(AssigneeFilter::Agent(me))),
            View::Unassigned => (OPEN.to_vec(), Some(AssigneeFilter::Nobody)),
            View::Pending => (vec![Status::PendingCustomer], None),
            View::All => (Vec::new(), None),
        };
        CaseFilter {
            statuses,
            assignee,
            ..CaseFilter::default()
        }
    }
}

/// Sort orders offered, as (parameter, label).
const SORTS: &[(&str, &str)] = &[
    ("-updated_at", "Recently updated"),
    ("updated_at", "Longest untouched"),
    ("-created_at", "Newest"),
    ("created_at", "Oldest"),
];

/// Query parameters of a view.
#[derive(Debug, Deserialize)]
pub struct ViewParams {
    sort: Option<String>,
    cursor: Option<String>,
}

/// One row of a case list, ready to show.
pub struct Row {
    pub id: i64,
    pub reference: String,
    pub subject: String,
    pub status: &'static str,
    pub priority: &'static str,
    pub assignee: String,
    pub updated: String,
}

impl Row {
    pub fn new(case: Case, names: &HashMap<AgentId, String>) -> Self {
        Row {
            id: case.id.0,
            assignee: case
                .assignee_id
                .and_then(|a| names.get(&a).cloned())
                .unwrap_or_else(|| "—".into()),
            reference: case.reference,
            subject: case.subject,
            status: case.status.as_str(),
            priority: case.priority.as_str(),
            updated: when(&case.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "view.html")]
struct ViewPage {
    layout: Layout,
    title: &'static str,
    slug: &'static str,
    empty: &'static str,
    /// The sort in force, as its parameter.
    sort: String,
    sorts: Vec<Choice>,
    rows: Vec<Row>,
    /// Whether this is a later page (offer a way back to the first).
    paged: bool,
    next_cursor: Option<String>,
}

/// The start page: the agent's own open cases.
pub async fn home() -> Redirect {
    Redirect::to("/views/mine")
}

/// A view of cases.
pub async fn view(
    State(s): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(params): Query<ViewParams>,
) -> Result<Html<String>, WebError> {
    let view = View::parse(&slug).ok_or(WebError::NotFound)?;
    let sort_param = params.sort.unwrap_or_else(|| "-updated_at".into());
    let sort = CaseSort::parse(&sort_param)?;
    let cursor = params.cursor.as_deref().map(Cursor::decode).transpose()?;
    let page = s
        .store
        .cases(&view.filter(session.agent_id()), sort, cursor, PAGE_SIZE)
        .await?;
    let names = agent_names(&s).await?;
    let rows = page.data.into_iter().map(|c| Row::new(c, &names)).collect();
    let page = ViewPage {
        layout: Layout::new(&session, view.slug()),
        title: view.title(),
        slug: view.slug(),
        empty: view.empty(),
        sorts: Choice::list(SORTS.iter().copied(), &sort_param),
        sort: sort_param,
        rows,
        paged: params.cursor.is_some(),
        next_cursor: page.next_cursor,
    };
    Ok(Html(page.render()?))
}

/// Every agent's name by id (agent counts are small).
pub async fn agent_names(s: &AppState) -> Result<HashMap<AgentId, String>, WebError> {
    Ok(s.store
        .agents()
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}
