//! Agents and teams. Reading is for every role; changes are for admins.

use super::extract::{Id, Json, Principal};
use crate::accounts::new_agent;
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tend_domain::agent::{Action, Role};
use tend_domain::ids::{AgentId, TeamId};
use tend_domain::routing::{self, RoutingMode};
use tend_domain::{Invalid, text};
use tend_store::agents::{AgentChange, TeamChange};
use tend_store::model::{Agent, Team};
use utoipa::ToSchema;

/// A new agent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    email: String,
    name: String,
    role: Role,
    /// Optional password for signing in to the web UI (at least 12 characters).
    password: Option<String>,
}

/// A new team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    name: String,
}

/// Changes to an agent (admins only); absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgent {
    role: Option<Role>,
    /// False deactivates the agent: they cannot sign in, their tokens stop
    /// working, and their unanswered cases go back to their teams.
    active: Option<bool>,
    /// The availability switch; turning it off hands the agent's unanswered
    /// cases back to their teams, each routed again.
    available: Option<bool>,
    /// The most open cases routing gives the agent, 1 to 10,000, over their
    /// teams' maximum; null: the team's.
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<u32>)]
    max_open_cases: Option<Option<u32>>,
    /// Tags the agent is skilled in (replaces the list), at most 50.
    skills: Option<Vec<String>>,
    /// Languages the agent answers in, two or three letters each (`en`,
    /// `de`; replaces the list), at most 50.
    languages: Option<Vec<String>>,
}

/// Your own availability.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// Whether routing may give you cases; turning it off hands your
    /// unanswered cases back to your teams.
    available: bool,
}

/// Changes to a team's routing (admins only); absent fields stay as they
/// are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeam {
    /// How cases landing on the team unassigned are handed out: `manual`
    /// (agents take them), `round_robin` (in turn among available agents)
    /// or `least_loaded` (the available agent with the fewest open cases).
    routing_mode: Option<RoutingMode>,
    /// The most open cases routing gives one member, 1 to 10,000 (an
    /// agent's own maximum wins); null: no limit.
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<u32>)]
    max_open_cases: Option<Option<u32>>,
    /// Whether routing gives a case only to an agent covering its skills:
    /// each of its tags some member lists as a skill, and its customer's
    /// language when some member lists it.
    match_skills: Option<bool>,
}

/// An agent to add to a team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    agent_id: AgentId,
}

/// The agent the token belongs to.
#[utoipa::path(get, path = "/me", tag = "staff", responses((status = 200, description = "You", body = Agent)))]
pub async fn me(State(s): State<AppState>, me: Principal) -> ApiResult<axum::Json<Agent>> {
    Ok(axum::Json(s.store.agent(me.agent_id).await?))
}

/// Switches your availability: routing gives cases only to available
/// agents, and going away hands your unanswered cases (the customer wrote
/// last) back to your teams, each routed again with a `routed` event.
#[utoipa::path(patch, path = "/me", tag = "staff", request_body = UpdateMe,
    responses((status = 200, description = "You", body = Agent)))]
pub async fn update_me(
    State(s): State<AppState>,
    me: Principal,
    body: Json<UpdateMe>,
) -> ApiResult<axum::Json<Agent>> {
    let change = AgentChange {
        available: Some(body.value.available),
        ..AgentChange::default()
    };
    Ok(axum::Json(s.store.update_agent(me.agent_id, change).await?))
}

/// Every agent.
#[utoipa::path(get, path = "/agents", tag = "staff", responses((status = 200, description = "All agents", body = Vec<Agent>)))]
pub async fn agents(State(s): State<AppState>, me: Principal) -> ApiResult<axum::Json<Vec<Agent>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.agents().await?))
}

/// Creates an agent (admins only).
#[utoipa::path(post, path = "/agents", tag = "staff", request_body = CreateAgent,
    responses((status = 201, description = "The new agent", body = Agent)))]
pub async fn create_agent(
    State(s): State<AppState>,
    me: Principal,
    body: Json<CreateAgent>,
) -> ApiResult<Response> {
    me.require(Action::Administer)?;
    let req = &body.value;
    let new = new_agent(&req.email, &req.name, req.role, req.password.as_deref())?;
    let agent = s.store.create_agent(&new).await?;
    Ok(super::created(
        format!("/api/v1/agents/{}", agent.id),
        false,
        agent,
    ))
}

/// One agent.
#[utoipa::path(get, path = "/agents/{id}", tag = "staff", params(("id" = i64, Path)),
    responses((status = 200, description = "The agent", body = Agent)))]
pub async fn agent(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Agent>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.agent(AgentId(id)).await?))
}

/// Changes an agent (admins only): role, active, availability and what
/// routing knows of them (maximum of open cases, skills, languages).
/// Deactivating an agent or turning their availability off hands their
/// unanswered cases back to their teams. Admins cannot demote or
/// deactivate themselves here.
#[utoipa::path(patch, path = "/agents/{id}", tag = "staff", params(("id" = i64, Path)), request_body = UpdateAgent,
    responses((status = 200, description = "The changed agent", body = Agent)))]
pub async fn update_agent(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<UpdateAgent>,
) -> ApiResult<axum::Json<Agent>> {
    me.require(Action::Administer)?;
    let req = &body.value;
    let id = AgentId(id);
    if id == me.agent_id {
        if req.role.is_some_and(|r| r != Role::Admin) {
            return Err(
                Invalid::new("role", "you cannot demote yourself; ask another admin").into(),
            );
        }
        if req.active == Some(false) {
            return Err(Invalid::new(
                "active",
                "you cannot deactivate yourself; ask another admin",
            )
            .into());
        }
    }
    let change = AgentChange {
        role: req.role,
        active: req.active,
        available: req.available,
        max_open_cases: req
            .max_open_cases
            .map(|m| routing::check_max_open_cases("max_open_cases", m))
            .transpose()?,
        skills: req
            .skills
            .as_deref()
            .map(|s| routing::parse_skills("skills", s))
            .transpose()?,
        languages: req
            .languages
            .as_deref()
            .map(|l| routing::parse_languages("languages", l))
            .transpose()?,
    };
    Ok(axum::Json(s.store.update_agent(id, change).await?))
}

/// Turns off an agent's two-factor sign-in (admins only), e.g. after a lost
/// phone: the agent then signs in with the password alone and may set up
/// two-factor again. Sign-ins waiting for a code end.
#[utoipa::path(delete, path = "/agents/{id}/totp", tag = "staff", params(("id" = i64, Path)),
    responses((status = 204, description = "Two-factor sign-in is off for the agent (also when it was not on)")))]
pub async fn reset_totp(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    me.require(Action::Administer)?;
    s.store.disable_totp(AgentId(id)).await?;
    tracing::info!(agent = id, by = %me.agent_id, "an admin turned off two-factor sign-in");
    Ok(StatusCode::NO_CONTENT)
}

/// Every team.
#[utoipa::path(get, path = "/teams", tag = "staff", responses((status = 200, description = "All teams", body = Vec<Team>)))]
pub async fn teams(State(s): State<AppState>, me: Principal) -> ApiResult<axum::Json<Vec<Team>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.teams().await?))
}

/// Creates a team (admins only).
#[utoipa::path(post, path = "/teams", tag = "staff", request_body = CreateTeam,
    responses((status = 201, description = "The new team", body = Team)))]
pub async fn create_team(
    State(s): State<AppState>,
    me: Principal,
    body: Json<CreateTeam>,
) -> ApiResult<Response> {
    me.require(Action::Administer)?;
    let team = s
        .store
        .create_team(&text::required("name", &body.value.name, 100)?)
        .await?;
    Ok(super::created(
        format!("/api/v1/teams/{}", team.id),
        false,
        team,
    ))
}

/// One team.
#[utoipa::path(get, path = "/teams/{id}", tag = "staff", params(("id" = i64, Path)),
    responses((status = 200, description = "The team", body = Team)))]
pub async fn team(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Team>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.team(TeamId(id)).await?))
}

/// Changes how a team routes cases that land on it unassigned (admins
/// only). Every routing decision is recorded on the case as a `routed`
/// event with its reason.
#[utoipa::path(patch, path = "/teams/{id}", tag = "staff", params(("id" = i64, Path)), request_body = UpdateTeam,
    responses((status = 200, description = "The changed team", body = Team)))]
pub async fn update_team(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<UpdateTeam>,
) -> ApiResult<axum::Json<Team>> {
    me.require(Action::Administer)?;
    let req = &body.value;
    let change = TeamChange {
        routing_mode: req.routing_mode,
        max_open_cases: req
            .max_open_cases
            .map(|m| routing::check_max_open_cases("max_open_cases", m))
            .transpose()?,
        match_skills: req.match_skills,
    };
    Ok(axum::Json(s.store.update_team(TeamId(id), change).await?))
}

/// Adds an agent to a team (admins only).
#[utoipa::path(post, path = "/teams/{id}/members", tag = "staff", params(("id" = i64, Path)), request_body = AddMember,
    responses((status = 200, description = "The team", body = Team)))]
pub async fn add_member(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<AddMember>,
) -> ApiResult<axum::Json<Team>> {
    me.require(Action::Administer)?;
    Ok(axum::Json(
        s.store
            .add_team_member(TeamId(id), body.value.agent_id)
            .await?,
    ))
}
