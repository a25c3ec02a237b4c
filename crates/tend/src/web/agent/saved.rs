//! Saving and deleting named filters. A filter is saved as its view and
//! query parameters, checked before saving (and again when opened).

use super::filters::{Filters, NAMES};
use super::views::View;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use axum::extract::{Path, State};
use axum::response::Redirect;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::ids::SavedFilterId;
use tend_domain::text;
use tend_store::saved_filters::NewSavedFilter;

/// Longest filter name, in characters.
const MAX_NAME: usize = 80;

/// The save form: a name, whether to share, the view and its filters.
struct SaveForm {
    name: String,
    shared: bool,
    view: String,
    filters: Filters,
}

impl SaveForm {
    fn parse(pairs: &[(String, String)]) -> Result<Self, WebError> {
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map_or("", |(_, v)| v.as_str())
        };
        let filters = Filters::from_pairs(
            pairs
                .iter()
                .filter(|(k, _)| NAMES.contains(&k.as_str()))
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )?;
        Ok(SaveForm {
            name: text::required("name", field("name"), MAX_NAME)?,
            shared: !field("shared").is_empty(),
            view: field("view").to_owned(),
            filters,
        })
    }
}

/// Saves the current filters under a name and opens them.
pub async fn create(
    State(s): State<AppState>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Redirect, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Read)?;
    let form = SaveForm::parse(&form)?;
    // Sharing puts the filter in everyone's list: a change only agents who
    // work cases may make.
    if form.shared {
        session.require(Action::Work)?;
    }
    let view = View::parse(&form.view)
        .ok_or_else(|| WebError::Invalid(format!("`{}` is not a case view", form.view)))?;
    form.filters.case_filter(session.agent_id())?;
    let saved = s
        .store
        .create_saved_filter(NewSavedFilter {
            owner: session.agent_id(),
            name: form.name,
            view: view.slug().to_owned(),
            params: form.filters.values().clone(),
            shared: form.shared,
        })
        .await?;
    Ok(Redirect::to(&format!("/views/saved/{}", saved.id)))
}

/// The delete form carries only its token.
#[derive(Deserialize)]
pub struct DeleteForm {}

/// Deletes one of the agent's own saved filters.
pub async fn delete(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<DeleteForm>,
) -> Result<Redirect, WebError> {
    let session = posted.session;
    let id = SavedFilterId(id);
    let saved = s.store.saved_filter(id).await?;
    if !saved.visible_to(session.agent_id()) {
        return Err(WebError::NotFound);
    }
    if saved.owner != session.agent_id()
        || !s.store.delete_saved_filter(id, session.agent_id()).await?
    {
        return Err(WebError::Forbidden);
    }
    Ok(Redirect::to(&format!("/views/{}", saved.view)))
}
