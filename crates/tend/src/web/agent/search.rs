//! The search page: what agents type, found where it lives. A case number
//! opens that case; customers by name, email address or phone number;
//! agreements by name or reference; then case subjects and messages, best
//! match first and one row per case, with the store's highlighted snippets
//! (escaped text with `<mark>` around matches), narrowed by status, team and
//! the days the cases were opened.

use crate::api::{MAX_SEARCH_CHARS, search_text};
use crate::http::reads::Reads;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout};
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::Query;
use axum::response::Html;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;
use std::collections::HashMap;
use tend_domain::agent::Action;
use tend_domain::case::Status;
use tend_domain::ids::{CaseId, TeamId};
use tend_store::agreements::AgreementFilter;
use tend_store::customers::CustomerFilter;
use tend_store::model::{Agreement, Case, Customer, SearchHit};
use tend_store::search::{SearchFilter, query_terms};
use tend_store::{Store, StoreError};

/// Messages and subjects matched (then grouped per case).
const RESULTS: i64 = 50;
/// Customers and agreements listed.
const PEOPLE: i64 = 10;

/// The search box's fields: the words, and the filters on the cases found
/// by text (a status, a team, the days they were opened, in the agent's
/// time zone).
#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    team: String,
    /// First and last day opened, `YYYY-MM-DD`.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl SearchParams {
    /// The case filter these parameters ask for, with days counted in
    /// `zone`.
    fn filter(&self, zone: &TimeZone) -> Result<SearchFilter, String> {
        let statuses = match self.status.as_str() {
            "" => Vec::new(),
            raw => vec![Status::parse("status", raw).map_err(|e| e.message)?],
        };
        let team_id = match self.team.as_str() {
            "" => None,
            raw => {
                Some(TeamId(raw.parse().map_err(|_| {
                    format!("`{}` is not a team", raw.escape_debug())
                })?))
            }
        };
        let day = |raw: &str, which: &str| -> Result<Option<Date>, String> {
            match raw.trim() {
                "" => Ok(None),
                raw => raw.parse::<Date>().map(Some).map_err(|_| {
                    format!(
                        "the {which} day is a date such as 2026-12-31, not `{}`",
                        raw.escape_debug()
                    )
                }),
            }
        };
        let start = |date: Date| {
            date.to_zoned(zone.clone())
                .map(|z| z.timestamp())
                .map_err(|e| e.to_string())
        };
        let from = day(&self.from, "first")?;
        let to = day(&self.to, "last")?;
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err("the last day opened is before the first".into());
        }
        Ok(SearchFilter {
            statuses,
            team_id,
            opened_from: from.map(start).transpose()?,
            opened_before: to
                .map(|d| d.tomorrow().map_err(|e| e.to_string()).and_then(start))
                .transpose()?,
        })
    }

    /// Whether any filter is set.
    fn filtered(&self) -> bool {
        [&self.status, &self.team, &self.from, &self.to]
            .iter()
            .any(|v| !v.trim().is_empty())
    }
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
    statuses: Vec<Choice>,
    teams: Vec<Choice>,
    from: String,
    to: String,
    /// Whether a filter narrows the cases (the filters then show open).
    filtered: bool,
}

/// Searches, or shows the empty search box.
pub async fn search(
    Reads(store): Reads,
    session: Session,
    Query(params): Query<SearchParams>,
) -> Result<Html<String>, WebError> {
    session.require(Action::Read)?;
    let query = params.q.trim().to_owned();
    let teams = store.teams().await?;
    let mut page = SearchPage {
        layout: Layout::new(&session, "search"),
        query: String::new(),
        case: None,
        customers: Vec::new(),
        agreements: Vec::new(),
        hits: Vec::new(),
        error: None,
        statuses: std::iter::once(Choice::blank("Any status", &params.status))
            .chain(Choice::statuses(&params.status))
            .collect(),
        teams: std::iter::once(Choice::blank("Any team", &params.team))
            .chain(
                Choice::teams(&teams, &params.team)
                    .into_iter()
                    .filter(|c| c.value != "none"),
            )
            .collect(),
        from: params.from.chars().take(10).collect(),
        to: params.to.chars().take(10).collect(),
        filtered: params.filtered(),
    };
    // The same rule as every API list's `q`.
    let query = match search_text(Some(&query)) {
        Ok(Some(query)) => query,
        Ok(None) => return Ok(Html(page.render()?)),
        Err(e) => {
            page.error = Some(format!("the search text {}", e.message));
            page.query = query.chars().take(MAX_SEARCH_CHARS).collect();
            return Ok(Html(page.render()?));
        }
    };
    page.case = numbered_case(&store, &query).await?;
    let text = Some(query.clone());
    page.customers = store
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
    page.agreements = store
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
    let zone = agent_zone(&session);
    match (query_terms(&query), params.filter(&zone)) {
        (Ok(terms), Ok(filter)) => {
            page.hits = per_case(store.search(&terms, &filter, RESULTS).await?)
        }
        (Err(e), _) => page.error = Some(e.message),
        (_, Err(e)) => page.error = Some(e),
    }
    page.query = query;
    Ok(Html(page.render()?))
}

/// The agent's own time zone, else UTC.
fn agent_zone(session: &Session) -> TimeZone {
    session
        .web
        .preferences
        .time_zone
        .as_deref()
        .and_then(|name| TimeZone::get(name).ok())
        .unwrap_or(TimeZone::UTC)
}

/// The case a query such as `#12` or `12` numbers, if there is one.
async fn numbered_case(store: &Store, query: &str) -> Result<Option<Case>, WebError> {
    let digits = query.strip_prefix('#').unwrap_or(query);
    let Ok(id) = digits.parse::<i64>() else {
        return Ok(None);
    };
    if id <= 0 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    match store.case(CaseId(id)).await {
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
