//! Case lists: my open cases, my teams' open cases, unassigned, pending
//! customer, all, and saved filters; each narrowed by the agent's filters,
//! sortable and a page at a time (the store's filter and cursor, as the API
//! uses), with bulk changes for agents who may work cases.

use super::bulk::{self, Report};
use super::filters::{FilterForm, Filters, narrow};
use crate::http::AppState;
use crate::http::reads::Reads;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout, ago, when};
use crate::web::shared::session::Session;
use crate::web::shared::sla_badge::{SlaBadge, badge};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::Timestamp;
use std::collections::HashMap;
use tend_domain::agent::Action;
use tend_domain::case::Status;
use tend_domain::ids::{AgentId, SavedFilterId, TeamId};
use tend_domain::waiting::waited;
use tend_store::Store;
use tend_store::case_lists::ListedCase;
use tend_store::cases::{AssigneeFilter, CaseFilter, CaseSort};
use tend_store::cursor::Cursor;
use tend_store::model::Case;
use tend_store::saved_filters::SavedFilter;

/// Cases per page.
pub const PAGE_SIZE: i64 = 25;

/// Statuses that still need the business.
const OPEN: &[Status] = &[Status::New, Status::Open, Status::OnHold];

/// A built-in view.
#[derive(Debug, Clone, Copy)]
pub enum View {
    Mine,
    Team,
    Unassigned,
    Pending,
    All,
    /// Open cases an agent put aside until a time.
    Snoozed,
    /// Cases the agent follows.
    Following,
    /// Cases with a running SLA clock, due soonest first.
    DueSoon,
    /// Cases whose SLA clock is past due.
    Breached,
}

impl View {
    /// The view a slug such as `team` names.
    pub fn parse(slug: &str) -> Option<Self> {
        match slug {
            "mine" => Some(View::Mine),
            "team" => Some(View::Team),
            "unassigned" => Some(View::Unassigned),
            "pending" => Some(View::Pending),
            "all" => Some(View::All),
            "snoozed" => Some(View::Snoozed),
            "following" => Some(View::Following),
            "due" => Some(View::DueSoon),
            "breached" => Some(View::Breached),
            _ => None,
        }
    }

    /// The view's name in its path.
    pub fn slug(self) -> &'static str {
        match self {
            View::Mine => "mine",
            View::Team => "team",
            View::Unassigned => "unassigned",
            View::Pending => "pending",
            View::All => "all",
            View::Snoozed => "snoozed",
            View::Following => "following",
            View::DueSoon => "due",
            View::Breached => "breached",
        }
    }

    fn title(self) -> &'static str {
        match self {
            View::Mine => "My open cases",
            View::Team => "My team's",
            View::Unassigned => "Unassigned",
            View::Pending => "Pending customer",
            View::All => "All cases",
            View::Snoozed => "Snoozed",
            View::Following => "Following",
            View::DueSoon => "SLA due soonest",
            View::Breached => "SLA breached",
        }
    }

    /// The order the view opens in: the agent's own and the unassigned
    /// open cases with the customer who has waited longest first, the
    /// others most recently updated first.
    fn default_sort(self) -> &'static str {
        match self {
            View::Mine | View::Unassigned => "waiting_since",
            View::Team | View::Pending | View::All | View::Snoozed | View::Following => {
                "-updated_at"
            }
            View::DueSoon | View::Breached => "sla_due_at",
        }
    }

    /// What to say when the view is empty.
    fn empty(self) -> &'static str {
        match self {
            View::Mine => {
                "Nothing assigned to you is open. Pick a case from Unassigned and assign it to yourself."
            }
            View::Team => "No open case belongs to your teams.",
            View::Unassigned => "Every open case has an owner. Nice work.",
            View::Pending => "No case is waiting on a customer.",
            View::All => "No cases yet. They appear here when customers write in.",
            View::Snoozed => "No case is snoozed.",
            View::Following => "You follow no case. Follow one from its page to find it here.",
            View::DueSoon => {
                "No SLA clock is running. Clocks run on cases an SLA policy covers (Admin → Service levels)."
            }
            View::Breached => "No SLA is breached. Every running clock is within its target.",
        }
    }

    /// The view's own filter for agent `me` of `teams` at `now` (the
    /// working views leave out snoozed cases); `None` when it can list
    /// nothing (the team view of an agent in no team).
    pub(super) fn filter(
        self,
        me: AgentId,
        teams: Vec<TeamId>,
        now: Timestamp,
    ) -> Option<CaseFilter> {
        let working = matches!(self, View::Mine | View::Team | View::Unassigned);
        let (statuses, assignee) = match self {
            View::Mine => (OPEN.to_vec(), Some(AssigneeFilter::Agent(me))),
            View::Team if teams.is_empty() => return None,
            View::Team => (OPEN.to_vec(), None),
            View::Unassigned => (OPEN.to_vec(), Some(AssigneeFilter::Nobody)),
            View::Pending => (vec![Status::PendingCustomer], None),
            View::All | View::Snoozed | View::Following | View::DueSoon | View::Breached => {
                (Vec::new(), None)
            }
        };
        Some(CaseFilter {
            awake_at: working.then_some(now),
            snoozed_at: matches!(self, View::Snoozed).then_some(now),
            followed_by: matches!(self, View::Following).then_some(me),
            sla_running: matches!(self, View::DueSoon | View::Breached),
            sla_due_by: matches!(self, View::Breached).then_some(now),
            statuses,
            assignee,
            team_ids: if matches!(self, View::Team) {
                teams
            } else {
                Vec::new()
            },
            ..CaseFilter::default()
        })
    }
}

/// Shown on the team view of an agent in no team.
const NO_TEAM: &str = "You are not in a team yet, so there are no team cases to show. \
                       Ask an admin to add you to your team.";

/// Sort orders offered, as (parameter, label).
const SORTS: &[(&str, &str)] = &[
    ("waiting_since", "Waiting longest"),
    ("-updated_at", "Recently updated"),
    ("updated_at", "Longest untouched"),
    ("-created_at", "Newest"),
    ("created_at", "Oldest"),
    ("-effort_index", "Highest customer effort"),
    ("sla_due_at", "SLA due soonest"),
];

/// One row of a case list, ready to show.
pub struct Row {
    pub id: i64,
    pub reference: String,
    pub subject: String,
    pub status: &'static str,
    pub priority: &'static str,
    pub assignee: String,
    /// Last change: exact (UTC), in RFC 3339 for the browser, and relative.
    pub updated: String,
    pub updated_at: String,
    pub updated_ago: String,
    /// How long the customer has been waiting for the business, if they are.
    pub waiting: Option<String>,
    pub effort_index: u32,
    pub effort_level: &'static str,
    /// The SLA badge, when a clock runs or is paused.
    pub sla: Option<SlaBadge>,
    /// The customer, their organisation and the start of the latest
    /// message (empty where the list does not show them).
    pub listed: ListedCase,
}

impl Row {
    pub fn new(case: Case, names: &HashMap<AgentId, String>, now: Timestamp) -> Self {
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
            updated_at: case.updated_at.to_string(),
            updated_ago: ago(&case.updated_at, now),
            waiting: case.waiting_since.map(|since| waited(since, now)),
            effort_index: case.effort_index,
            effort_level: case.effort_level.as_str(),
            sla: badge(&case.sla, now),
            listed: ListedCase::default(),
        }
    }
}

/// A saved filter as the sidebar lists it.
pub struct SavedLink {
    pub id: i64,
    pub name: String,
    pub shared: bool,
    /// Whether the signed-in agent owns it (and may delete it).
    pub mine: bool,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "view.html")]
struct ViewPage {
    layout: Layout,
    title: String,
    /// This page's path, without parameters.
    path: String,
    /// The built-in view the page narrows.
    view: &'static str,
    /// The saved filter shown, if any.
    saved_id: Option<i64>,
    empty: &'static str,
    /// The filters in force (on a saved filter's page, the saved ones).
    filters: Filters,
    form: FilterForm,
    /// Filters to carry in the sort form (none on a saved filter's page,
    /// whose path already implies them).
    keep: Vec<(String, String)>,
    sort: String,
    sorts: Vec<Choice>,
    rows: Vec<Row>,
    /// Which rows of how many: "26–50 of 312".
    range: Option<String>,
    /// Whether this is a later page (offer a way back to the first).
    paged: bool,
    first_page: String,
    next_page: Option<String>,
    /// Where the bulk form returns to: this very page.
    here: String,
    statuses: Vec<Choice>,
    assignees: Vec<Choice>,
    saved: Vec<SavedLink>,
    report: Option<Report>,
    /// When any case last changed as this page was drawn (microseconds):
    /// views.js redraws the first page once cases change after it.
    changed: i64,
}

/// The start page: the agent's own open cases.
pub async fn home() -> Redirect {
    Redirect::to("/views/mine")
}

/// Most cases a list counts ("26–50 of more than 1,000" beyond): each
/// counted case is a row read, on every page.
pub(super) const COUNT_CAP: i64 = 1_000;

/// A page's sort (if given), cursor and the position of its first row, and
/// the rest of its parameters.
struct Params {
    sort: Option<String>,
    cursor: Option<String>,
    at: i64,
    filters: Filters,
}

impl Params {
    fn parse(pairs: &[(String, String)]) -> Result<Self, WebError> {
        let find = |name: &str| {
            pairs
                .iter()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| v.clone())
        };
        let filters = Filters::from_pairs(
            pairs
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "sort" | "cursor" | "at"))
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )?;
        let at = match find("at") {
            None => 1,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|at| (1..=i64::from(u32::MAX)).contains(at))
                .ok_or_else(|| {
                    WebError::Invalid(format!(
                        "`at` is the position of a page's first case (1 or more), not `{raw}`"
                    ))
                })?,
        };
        Ok(Params {
            sort: find("sort"),
            cursor: find("cursor"),
            at,
            filters,
        })
    }
}

/// A built-in view, narrowed by the filters in its parameters.
pub async fn view(
    State(s): State<AppState>,
    Reads(store): Reads,
    session: Session,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let view = View::parse(&slug).ok_or(WebError::NotFound)?;
    let params = Params::parse(&pairs)?;
    let listing = Listing {
        title: view.title().to_owned(),
        path: format!("/views/{}", view.slug()),
        view,
        saved: None,
    };
    render(&s, &store, &session, &headers, listing, params).await
}

/// A saved filter: its view and filters, sortable and paged.
pub async fn saved(
    State(s): State<AppState>,
    Reads(store): Reads,
    session: Session,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let saved = s.store.saved_filter(SavedFilterId(id)).await?;
    if !saved.visible_to(session.agent_id()) {
        return Err(WebError::NotFound);
    }
    let mut params = Params::parse(&pairs)?;
    if !params.filters.is_empty() {
        return Err(WebError::Invalid(
            "a saved filter's page takes only `sort` and `cursor`; change filters on its view"
                .into(),
        ));
    }
    let (view, filters) = load(&saved, session.agent_id())?;
    params.filters = filters;
    let listing = Listing {
        title: saved.name.clone(),
        path: format!("/views/saved/{id}"),
        view,
        saved: Some(saved),
    };
    render(&s, &store, &session, &headers, listing, params).await
}

/// Checks a stored filter still makes sense for agent `me` (views and
/// filters may change).
fn load(saved: &SavedFilter, me: AgentId) -> Result<(View, Filters), WebError> {
    let broken = |why: String| {
        WebError::Invalid(format!(
            "the saved filter “{}” no longer applies ({why}); delete it and save a new one",
            saved.name
        ))
    };
    let view = View::parse(&saved.view).ok_or_else(|| broken("its view is gone".into()))?;
    let filters = Filters::from_pairs(saved.params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| broken(e.message))?;
    filters.case_filter(me).map_err(|e| broken(e.to_string()))?;
    Ok((view, filters))
}

/// What a list page shows, before paging.
struct Listing {
    title: String,
    path: String,
    view: View,
    saved: Option<SavedFilter>,
}

async fn render(
    s: &AppState,
    store: &Store,
    session: &Session,
    headers: &HeaderMap,
    listing: Listing,
    params: Params,
) -> Result<Response, WebError> {
    session.require(Action::Read)?;
    let me = session.agent_id();
    let Params {
        sort,
        cursor,
        at,
        filters,
    } = params;
    let sort = sort.unwrap_or_else(|| listing.view.default_sort().to_owned());
    let case_sort = CaseSort::parse(&sort)?;
    let after = cursor.as_deref().map(Cursor::decode).transpose()?;
    let extra = filters.case_filter(me)?;
    let teams = match listing.view {
        View::Team => store.agent(me).await?.team_ids,
        _ => Vec::new(),
    };
    let own = listing.view.filter(me, teams, store.clock().now());
    let empty = if own.is_none() {
        NO_TEAM
    } else if listing.saved.is_none() && !filters.is_empty() {
        "No case matches these filters."
    } else {
        listing.view.empty()
    };
    // Read before the list, so a change landing meanwhile makes it stale.
    let changed = store.cases_changed_at().await?;
    let agents = store.agents().await?;
    let names = agents.iter().map(|a| (a.id, a.name.clone())).collect();
    let (rows, next_cursor, total) = match own.and_then(|own| narrow(own, extra)) {
        Some(filter) => {
            let page = store.cases(&filter, case_sort, after, PAGE_SIZE).await?;
            let total = store.count_cases(&filter, COUNT_CAP).await?;
            let mut listed = store.listed_cases(&page.data).await?;
            // The store's clock, as the filter above and the case page's
            // SLA panel read it, so a badge agrees with the view it is in.
            let now = store.clock().now();
            let rows = page
                .data
                .into_iter()
                .map(|c| {
                    let shown = listed.remove(&c.id).unwrap_or_default();
                    Row {
                        listed: shown,
                        ..Row::new(c, &names, now)
                    }
                })
                .collect();
            (rows, page.next_cursor, total)
        }
        None => (Vec::new(), None, 0),
    };
    let range = page_range(at, rows.len(), total);
    // Links on a saved filter's page need no filters: its path implies them.
    let in_links = match listing.saved {
        Some(_) => Filters::default(),
        None => filters.clone(),
    };
    let first_page = in_links.link(&listing.path, &[("sort", &sort)]);
    let here = match &cursor {
        Some(c) => in_links.link(
            &listing.path,
            &[("sort", &sort), ("cursor", c), ("at", &at.to_string())],
        ),
        None => first_page.clone(),
    };
    let next_at = (at + rows.len() as i64).to_string();
    let saved = store
        .saved_filters_for(me)
        .await?
        .into_iter()
        .map(|f| SavedLink {
            id: f.id.0,
            active: listing.saved.as_ref().is_some_and(|s| s.id == f.id),
            mine: f.owner == me,
            name: f.name,
            shared: f.shared,
        })
        .collect();
    let report = bulk::Report::from_cookie(headers);
    let page = ViewPage {
        layout: Layout::new(session, active_nav(&listing)),
        title: listing.title,
        view: listing.view.slug(),
        saved_id: listing.saved.as_ref().map(|f| f.id.0),
        empty,
        form: FilterForm::new(&filters, &store.teams().await?, &agents),
        keep: in_links
            .values()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        sorts: Choice::list(SORTS.iter().copied(), &sort),
        next_page: next_cursor.map(|c| {
            in_links.link(
                &listing.path,
                &[("sort", &sort), ("cursor", &c), ("at", &next_at)],
            )
        }),
        range,
        sort,
        filters,
        rows,
        paged: cursor.is_some(),
        first_page,
        here,
        path: listing.path,
        statuses: Choice::statuses(""),
        assignees: Choice::assignable(&agents, ""),
        saved,
        report,
        changed,
    };
    let html = Html(page.render()?);
    // A shown bulk report is spent.
    match page.report {
        Some(_) => Ok(([(header::SET_COOKIE, bulk::clear_report(s)?)], html).into_response()),
        None => Ok(html.into_response()),
    }
}

/// "26–50 of 312" for `shown` rows from position `at` of `total` (counted
/// up to [`COUNT_CAP`]); `None` for an empty page.
pub(super) fn page_range(at: i64, shown: usize, total: i64) -> Option<String> {
    if shown == 0 {
        return None;
    }
    let last = at + shown as i64 - 1;
    let of = if total > COUNT_CAP {
        format!("more than {}", grouped(COUNT_CAP))
    } else {
        grouped(total.max(last))
    };
    Some(format!("{}–{} of {of}", grouped(at), grouped(last)))
}

/// A count with thousands separated: 10,000.
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The navigation entry a list page highlights.
fn active_nav(listing: &Listing) -> &'static str {
    match listing.saved {
        Some(_) => "saved",
        None => listing.view.slug(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_says_which_rows_of_how_many() {
        assert_eq!(page_range(1, 25, 312).as_deref(), Some("1–25 of 312"));
        assert_eq!(page_range(26, 25, 312).as_deref(), Some("26–50 of 312"));
        assert_eq!(
            page_range(1_001, 25, COUNT_CAP + 1).as_deref(),
            Some("1,001–1,025 of more than 1,000")
        );
        // Cases added since the count: never "26–50 of 40".
        assert_eq!(page_range(26, 25, 40).as_deref(), Some("26–50 of 50"));
        assert_eq!(page_range(1, 0, 0), None);
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(-1_000), "-1,000");
        assert_eq!(grouped(999), "999");
    }
}
