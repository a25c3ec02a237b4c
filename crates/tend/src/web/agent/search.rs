//! The search page: what agents type, found where it lives. A case number
//! opens that case; customers by name, email address or phone number;
//! agreements by name or reference; then case subjects and messages, best
//! match first and one row per case, with the store's highlighted snippets
//! (escaped text with `<mark>` around matches).

use crate::http::AppState;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::Layout;
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use std::collections::HashMap;
use tend_domain::agent::Action;
use tend_domain::ids::CaseId;
use tend_store::StoreError;
use tend_store::agreements::AgreementFilter;
use tend_store::customers::CustomerFilter;
use tend_store::model::{Agreement, Case, Customer, SearchHit};
use tend_store::search::query_terms;

/// Messages and subjects matched (then grouped per case).
const RESULTS: i64 = 50;
/// Customers and agreements listed.
const PEOPLE: i64 = 10;
/// Longest query.
const MAX_QUERY_CHARS: usize = 200;

/// The search box's field.
#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

/// A case among the text matches: its best match, and how many more of
/// its messages matched.
pub struct CaseHit {
    pub hit: SearchHit,
    pub more: usize,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    /// The case the query numbers (`#12` or `12`), if it exists.
    case: Option<Case>,
    customers: Vec<Customer>,
    agreements: Vec<Agreement>,
    hits: Vec<CaseHit>,
    error: Option<String>,
}

/// Searches, or shows the empty search box.
pub async fn search(
    State(s): State<AppState>,
    session: Session,
    Query(params): Query<SearchParams>,
) -> Result<Html<String>, WebError> {
    session.require(Action::Read)?;
    let query = params.q.trim().to_owned();
    let mut page = SearchPage {
        layout: Layout::new(&session, "search"),
        query: String::new(),
        case: None,
        customers: Vec::new(),
        agreements: Vec::new(),
        hits: Vec::new(),
        error: None,
    };
    if query.is_empty() {
        return Ok(Html(page.render()?));
    }
    if query.chars().count() > MAX_QUERY_CHARS || query.chars().any(char::is_control) {
        page.error = Some(format!(
            "search for at most {MAX_QUERY_CHARS} characters on one line"
        ));
        page.query = query.chars().take(MAX_QUERY_CHARS).collect();
        return Ok(Html(page.render()?));
    }
    page.case = numbered_case(&s, &query).await?;
    let text = Some(query.clone());
    page.customers = s
        .store
        .customers(
            &CustomerFilter {
                text: text.clone(),
                ..CustomerFilter::default()
            },
            None,
            PEOPLE,
        )
        .await?
        .data;
    page.agreements = s
        .store
        .agreements(
            &AgreementFilter {
                text,
                ..AgreementFilter::default()
            },
            None,
            PEOPLE,
        )
        .await?
        .data;
    match query_terms(&query) {
        Ok(terms) => page.hits = per_case(s.store.search(&terms, RESULTS).await?),
        Err(e) => page.error = Some(e.message),
    }
    page.query = query;
    Ok(Html(page.render()?))
}

/// The case a query such as `#12` or `12` numbers, if there is one.
async fn numbered_case(s: &AppState, query: &str) -> Result<Option<Case>, WebError> {
    let digits = query.strip_prefix('#').unwrap_or(query);
    let Ok(id) = digits.parse::<i64>() else {
        return Ok(None);
    };
    if id <= 0 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    match s.store.case(CaseId(id)).await {
        Ok(case) => Ok(Some(case)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Hits, best first, one per case: each case's best, counting the rest.
fn per_case(hits: Vec<SearchHit>) -> Vec<CaseHit> {
    let mut grouped: Vec<CaseHit> = Vec::new();
    let mut at: HashMap<CaseId, usize> = HashMap::new();
    for hit in hits {
        match at.get(&hit.case_id) {
            Some(&i) => grouped[i].more += 1,
            None => {
                at.insert(hit.case_id, grouped.len());
                grouped.push(CaseHit { hit, more: 0 });
            }
        }
    }
    grouped
}
