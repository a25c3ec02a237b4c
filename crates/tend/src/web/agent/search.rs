//! The search page: case subjects and messages, best match first, with the
//! store's highlighted snippets (escaped text with `<mark>` around matches).

use crate::http::AppState;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::Layout;
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_store::model::SearchHit;
use tend_store::search::query_terms;

/// Results shown.
const RESULTS: i64 = 50;

/// The search box's field.
#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    hits: Vec<SearchHit>,
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
    let (hits, error) = if query.is_empty() {
        (Vec::new(), None)
    } else {
        match query_terms(&query) {
            Ok(terms) => (s.store.search(&terms, RESULTS).await?, None),
            Err(e) => (Vec::new(), Some(e.message)),
        }
    };
    let page = SearchPage {
        layout: Layout::new(&session, "search"),
        query,
        hits,
        error,
    };
    Ok(Html(page.render()?))
}
