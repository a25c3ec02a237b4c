//! Full-text search over cases and messages.

use super::extract::{Params, Principal};
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tend_domain::agent::Action;
use tend_store::model::SearchHit;
use tend_store::search::query_terms;
use utoipa::{IntoParams, ToSchema};

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find; all must match. Punctuation is ignored.
    q: String,
    /// Results, 1-100 (default 20).
    limit: Option<i64>,
}

/// Ranked search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub data: Vec<SearchHit>,
}

/// Searches case subjects and message bodies (including internal notes),
/// best match first, with highlighted snippets.
#[utoipa::path(get, path = "/search", tag = "search", params(SearchParams),
    responses((status = 200, description = "Ranked hits", body = SearchResults)))]
pub async fn search(
    State(s): State<AppState>,
    me: Principal,
    Params(p): Params<SearchParams>,
) -> ApiResult<axum::Json<SearchResults>> {
    me.require(Action::Read)?;
    let terms = query_terms(&p.q)?;
    let limit = tend_store::cursor::limit(Some(p.limit.unwrap_or(20)))?;
    Ok(axum::Json(SearchResults {
        data: s.store.search(&terms, limit).await?,
    }))
}
