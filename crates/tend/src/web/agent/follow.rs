//! Following a case from its page: the case then shows in the agent's
//! "Following" view. Per agent; not a case event.

use super::case_page::back_or_error;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::ids::CaseId;

/// `follow=yes` follows, `follow=no` stops following.
#[derive(Deserialize)]
pub struct FollowForm {
    follow: String,
}

/// Follows or unfollows the case.
pub async fn follow(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<FollowForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    let done = match form.follow.as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        other => Err(WebError::Invalid(format!(
            "follow: `{other}` is not one of: yes, no"
        ))),
    };
    let done = match done {
        Ok(follow) => s
            .store
            .follow_case(id, session.agent_id(), follow)
            .await
            .map_err(WebError::from),
        Err(e) => Err(e),
    };
    back_or_error(&s, &session, id, done).await
}
