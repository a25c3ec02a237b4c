//! Full-text search over cases and messages.

use super::cases::{status_list, timestamp};
use super::extract::{Params, Principal};
use crate::http::error::ApiResult;
use crate::http::reads::Reads;
use serde::{Deserialize, Serialize};
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::ids::TeamId;
use tend_store::model::SearchHit;
use tend_store::search::{SearchFilter, query_terms};
use utoipa::{IntoParams, ToSchema};

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find; all must match. Punctuation is ignored.
    q: String,
    /// Results, 1-100 (default 20).
    limit: Option<i64>,
    /// Only cases in these comma-separated statuses, e.g. `new,open`.
    status: Option<String>,
    /// Only cases of this team.
    team_id: Option<i64>,
    /// Only cases opened at or after this RFC 3339 time.
    opened_from: Option<String>,
    /// Only cases opened before this RFC 3339 time.
    opened_before: Option<String>,
}

impl SearchParams {
    fn filter(&self) -> Result<SearchFilter, Invalid> {
        let time =
            |field, raw: &Option<String>| raw.as_deref().map(|t| timestamp(field, t)).transpose();
        Ok(SearchFilter {
            statuses: status_list(self.status.as_deref())?,
            team_id: self.team_id.map(TeamId),
            opened_from: time("opened_from", &self.opened_from)?,
            opened_before: time("opened_before", &self.opened_before)?,
        })
    }
}

/// Ranked search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub data: Vec<SearchHit>,
}

/// Searches case subjects and message bodies (including internal notes),
/// best match first, with highlighted snippets; optionally only among cases
/// of some statuses, of a team, or opened in a time range.
#[utoipa::path(get, path = "/search", tag = "search", params(SearchParams),
    responses((status = 200, description = "Ranked hits", body = SearchResults)))]
pub async fn search(
    Reads(store): Reads,
    me: Principal,
    Params(p): Params<SearchParams>,
) -> ApiResult<axum::Json<SearchResults>> {
    me.require(Action::Read)?;
    let terms = query_terms(&p.q)?;
    let limit = tend_store::cursor::limit(Some(p.limit.unwrap_or(20)))?;
    let filter = p.filter()?;
    Ok(axum::Json(SearchResults {
        data: store.search(&terms, &filter, limit).await?,
    }))
}
