//! The customer and organisation lists: a search box (customers by name,
//! email, phone or agreement reference; organisations by name) and a page
//! at a time by id, with the store's keyset cursor.

use crate::api::search_text;
use crate::http::AppState;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::Layout;
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::ids::OrganizationId;
use tend_store::cursor::Cursor;
use tend_store::customers::CustomerFilter;
use tend_store::model::{Customer, Organization};

/// Rows per page.
const PAGE: i64 = 25;

/// A list page's search and position.
#[derive(Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    cursor: Option<String>,
    /// The position of the page's first row, for "26–50".
    at: Option<u32>,
}

/// Paging links and the rows' positions.
pub struct Pager {
    /// "26–50", when the page shows any rows.
    pub range: Option<String>,
    pub first_page: Option<String>,
    pub next_page: Option<String>,
}

impl Pager {
    fn new(path: &str, params: &ListParams, q: &str, shown: usize, next: Option<String>) -> Self {
        let keep = if q.is_empty() {
            Vec::new()
        } else {
            vec![("q", q.to_owned())]
        };
        Self::build(path, &keep, params.cursor.is_some(), params.at, shown, next)
    }

    /// The links of a list at `path` whose links `keep` these query
    /// pairs; `paged` when this is not the first page, `at` the position
    /// of its first row, `shown` its rows and `next` the next page's
    /// cursor.
    pub fn build(
        path: &str,
        keep: &[(&str, String)],
        paged: bool,
        at: Option<u32>,
        shown: usize,
        next: Option<String>,
    ) -> Self {
        let at = i64::from(at.unwrap_or(1).max(1));
        let link = |extra: &[(&str, String)]| {
            let mut pairs: Vec<(&str, String)> = keep.to_vec();
            pairs.extend(extra.iter().cloned());
            match serde_urlencoded::to_string(&pairs) {
                Ok(query) if !query.is_empty() => format!("{path}?{query}"),
                _ => path.to_owned(),
            }
        };
        Pager {
            range: (shown > 0).then(|| format!("{at}–{}", at + shown as i64 - 1)),
            first_page: paged.then(|| link(&[])),
            next_page: next
                .map(|c| link(&[("cursor", c), ("at", (at + shown as i64).to_string())])),
        }
    }
}

/// A customer as the list shows them.
pub struct CustomerRow {
    pub customer: Customer,
    pub organization: Option<(OrganizationId, String)>,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct CustomersPage {
    layout: Layout,
    query: String,
    rows: Vec<CustomerRow>,
    pager: Pager,
}

#[derive(Template)]
#[template(path = "organizations.html")]
struct OrganizationsPage {
    layout: Layout,
    query: String,
    rows: Vec<Organization>,
    pager: Pager,
}

/// The search text and cursor of a list page.
fn parse(params: &ListParams) -> Result<(Option<String>, Option<Cursor>), WebError> {
    let q = search_text(Some(&params.q)).map_err(WebError::field)?;
    let cursor = params.cursor.as_deref().map(Cursor::decode).transpose()?;
    Ok((q, cursor))
}

/// Customers, searched by name, email, phone or agreement reference.
pub async fn customers(
    State(s): State<AppState>,
    session: Session,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, WebError> {
    session.require(Action::Read)?;
    let (q, cursor) = parse(&params)?;
    let filter = CustomerFilter {
        text: q.clone(),
        ..CustomerFilter::default()
    };
    let page = s.store.customers(&filter, cursor, PAGE).await?;
    let orgs: Vec<OrganizationId> = page.data.iter().filter_map(|c| c.organization_id).collect();
    let names = s.store.organization_names(&orgs).await?;
    let q = q.unwrap_or_default();
    let pager = Pager::new("/customers", &params, &q, page.data.len(), page.next_cursor);
    let rows = page
        .data
        .into_iter()
        .map(|customer| CustomerRow {
            organization: customer
                .organization_id
                .and_then(|o| names.get(&o).map(|n| (o, n.clone()))),
            customer,
        })
        .collect();
    let page = CustomersPage {
        layout: Layout::new(&session, "customers"),
        query: q,
        rows,
        pager,
    };
    Ok(Html(page.render()?))
}

/// Organisations, searched by name.
pub async fn organizations(
    State(s): State<AppState>,
    session: Session,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, WebError> {
    session.require(Action::Read)?;
    let (q, cursor) = parse(&params)?;
    let page = s.store.organizations(q.as_deref(), cursor, PAGE).await?;
    let q = q.unwrap_or_default();
    let pager = Pager::new(
        "/organizations",
        &params,
        &q,
        page.data.len(),
        page.next_cursor,
    );
    let page = OrganizationsPage {
        layout: Layout::new(&session, "organizations"),
        query: q,
        rows: page.data,
        pager,
    };
    Ok(Html(page.render()?))
}
