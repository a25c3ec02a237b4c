//! The availability switch in the workspace header: an agent marks
//! themselves available (routing gives them cases) or away (routing skips
//! them, and their unanswered cases go back to their teams, each routed
//! again with its reason on the case).

use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_store::agents::AgentChange;

/// `available=true` or `available=false`.
#[derive(Deserialize)]
pub struct AvailabilityForm {
    available: String,
}

/// Switches the signed-in agent's availability, then goes back to the page
/// the switch was pressed on.
pub async fn set(
    State(s): State<AppState>,
    headers: HeaderMap,
    Posted { session, form }: Posted<AvailabilityForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let available = match form.available.as_str() {
        "true" => true,
        "false" => false,
        other => {
            return Err(WebError::Invalid(format!(
                "available: `{other}` is not one of: true, false"
            )));
        }
    };
    let change = AgentChange {
        available: Some(available),
        ..AgentChange::default()
    };
    s.store.update_agent(session.agent_id(), change).await?;
    Ok(Redirect::to(&back(&headers)).into_response())
}

/// The path (and query) of the page the form was posted from, never
/// another site: the referring address without its origin, or `/`.
fn back(headers: &HeaderMap) -> String {
    let referer = headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("/");
    let path = match referer.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => referer,
    };
    if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') {
        path.to_owned()
    } else {
        "/".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goes_back_only_to_a_path_of_this_site() {
        let back_from = |referer: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(axum::http::header::REFERER, referer.parse().unwrap());
            back(&headers)
        };
        assert_eq!(
            back_from("http://tend.example/views/mine?sort=x"),
            "/views/mine?sort=x"
        );
        assert_eq!(back_from("https://evil.example"), "/");
        assert_eq!(back_from("//evil.example/x"), "/");
        assert_eq!(back(&HeaderMap::new()), "/");
    }
}
