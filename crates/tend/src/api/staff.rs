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
use tend_domain::text;
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
