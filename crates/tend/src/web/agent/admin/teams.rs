//! Teams: the list with members, creating a team, adding and removing
//! members, and how each team routes cases that land on it unassigned.

use super::{Confirm, layout, respond, settle};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout};
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::ids::{AgentId, TeamId};
use tend_domain::routing::{self, RoutingMode};
use tend_domain::{Invalid, text};
use tend_store::agents::TeamChange;

/// Where these pages live.
const HOME: &str = "/admin/teams";

/// The new-team form, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TeamForm {
    name: String,
}

/// The agent to add to a team.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MemberForm {
    agent_id: String,
}

/// A team's routing settings, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoutingForm {
    routing_mode: String,
    /// Empty for no limit.
    max_open_cases: String,
    /// Present when ticked.
    match_skills: Option<String>,
}

/// Parses the maximum of open cases typed in a form (empty: none).
pub(super) fn parse_max(raw: &str) -> Result<Option<u32>, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let n = raw.parse::<u32>().map_err(|_| {
        Invalid::new(
            "max_open_cases",
            "a maximum of open cases is a whole number, or empty for no limit",
        )
    })?;
    routing::check_max_open_cases("max_open_cases", Some(n))
}

/// A team member.
struct Member {
    id: i64,
    name: String,
}

/// One team, ready to show.
struct Row {
    id: i64,
    name: String,
    members: Vec<Member>,
    /// Active agents not yet in the team.
    candidates: Vec<Choice>,
    /// The routing modes, the team's selected.
    modes: Vec<Choice>,
    max_open_cases: String,
    match_skills: bool,
}

#[derive(Template)]
#[template(path = "admin_teams.html")]
struct TeamsPage {
    layout: Layout,
    section: &'static str,
    rows: Vec<Row>,
    form: TeamForm,
    error: Option<String>,
}

/// The routing modes as offered, selecting `current`.
fn modes(current: RoutingMode) -> Vec<Choice> {
    Choice::list(
        [
            ("manual", "Manual: agents take cases"),
            ("round_robin", "Round robin among available agents"),
            ("least_loaded", "Least loaded: fewest open cases"),
        ],
        current.as_str(),
    )
}

async fn render(
    s: &AppState,
    session: &Session,
    form: TeamForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let layout = layout(session)?;
    let agents = s.store.agents().await?;
    let rows = s
        .store
        .teams()
        .await?
        .into_iter()
        .map(|team| {
            let (members, others): (Vec<_>, Vec<_>) =
                agents.iter().partition(|a| team.member_ids.contains(&a.id));
            let ids: Vec<String> = others.iter().map(|a| a.id.0.to_string()).collect();
            Row {
                id: team.id.0,
                modes: modes(team.routing_mode),
                max_open_cases: team
                    .max_open_cases
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                match_skills: team.match_skills,
                name: team.name,
                members: members
                    .into_iter()
                    .map(|a| Member {
                        id: a.id.0,
                        name: a.name.clone(),
                    })
                    .collect(),
                candidates: Choice::list(
                    ids.iter()
                        .zip(&others)
                        .filter(|(_, a)| a.active)
                        .map(|(id, a)| (id.as_str(), a.name.as_str())),
                    "",
                ),
            }
        })
        .collect();
    let page = TeamsPage {
        layout,
        section: "teams",
        rows,
        form,
        error,
    };
    respond(&page, &page.error)
}

/// Lists teams with the new-team form.
pub async fn list(State(s): State<AppState>, session: Session) -> Result<Response, WebError> {
    render(&s, &session, TeamForm::default(), None).await
}

/// Creates a team.
pub async fn create(
    State(s): State<AppState>,
    posted: Posted<TeamForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let created = async {
        let name = text::required("name", &form.name, 100)?;
        Ok::<_, ApiError>(s.store.create_team(&name).await?)
    }
    .await;
    settle(created, HOME, |m| render(&s, &session, form, Some(m))).await
}

/// Changes how a team routes its cases.
pub async fn routing(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<RoutingForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let changed = async {
        let change = TeamChange {
            routing_mode: Some(RoutingMode::parse("routing_mode", &form.routing_mode)?),
            max_open_cases: Some(parse_max(&form.max_open_cases)?),
            match_skills: Some(form.match_skills.is_some()),
        };
        Ok::<_, ApiError>(s.store.update_team(TeamId(id), change).await?)
    }
    .await;
    settle(changed, HOME, |m| {
        render(&s, &session, TeamForm::default(), Some(m))
    })
    .await
}

/// Adds an agent to a team.
pub async fn add_member(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<MemberForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let added = async {
        let agent = form
            .agent_id
            .parse()
            .map_err(|_| Invalid::new("agent_id", "choose an agent to add"))?;
        Ok::<_, ApiError>(s.store.add_team_member(TeamId(id), AgentId(agent)).await?)
    }
    .await;
    settle(added, HOME, |m| {
        render(&s, &session, TeamForm::default(), Some(m))
    })
    .await
}

/// Removes an agent from a team.
pub async fn remove_member(
    State(s): State<AppState>,
    Path((id, agent)): Path<(i64, i64)>,
    posted: Posted<Confirm>,
) -> Result<Response, WebError> {
    let Posted { session, .. } = posted;
    session.require(Action::Administer)?;
    let removed = s
        .store
        .remove_team_member(TeamId(id), AgentId(agent))
        .await
        .map_err(ApiError::from);
    settle(removed, HOME, |m| {
        render(&s, &session, TeamForm::default(), Some(m))
    })
    .await
}
