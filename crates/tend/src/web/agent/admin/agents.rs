//! Agents: the list with roles, activity and teams; creating an agent with a
//! password; changing a role; deactivating and reactivating. An admin may
//! not demote or deactivate themselves, so there is always someone left who
//! can undo a mistake.

use super::{layout, respond, settle};
use crate::accounts::new_agent;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout, label};
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use std::collections::HashMap;
use tend_domain::Invalid;
use tend_domain::agent::{Action, Role};
use tend_domain::ids::AgentId;
use tend_domain::routing;
use tend_store::agents::AgentChange;

/// Where these pages live.
const HOME: &str = "/admin/agents";

/// The new-agent form, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AgentForm {
    name: String,
    email: String,
    role: String,
    password: String,
}

/// A role change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

/// Deactivation (`false`) or reactivation (`true`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActiveForm {
    active: String,
}

/// What routing knows of an agent, as typed: comma-separated lists.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoutingForm {
    skills: String,
    languages: String,
    /// Empty: the team's maximum.
    max_open_cases: String,
}

/// A comma- or space-separated list as typed.
fn words(raw: &str) -> Vec<String> {
    raw.split([',', ' '])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One agent, ready to show.
struct Row {
    id: i64,
    name: String,
    email: String,
    roles: Vec<Choice>,
    active: bool,
    teams: String,
    is_me: bool,
    available: bool,
    skills: String,
    languages: String,
    max_open_cases: String,
}

#[derive(Template)]
#[template(path = "admin_agents.html")]
struct AgentsPage {
    layout: Layout,
    section: &'static str,
    rows: Vec<Row>,
    roles: Vec<Choice>,
    form: AgentForm,
    error: Option<String>,
}

/// The roles offered, selecting `current`.
fn roles(current: &str) -> Vec<Choice> {
    let labels: Vec<String> = Role::ALL
        .iter()
        .map(|r| match r {
            Role::LightAgent => "light agent (read only)".to_owned(),
            Role::Lead => "lead (agent who reads reports)".to_owned(),
            other => label(other.as_str()),
        })
        .collect();
    Choice::list(
        Role::ALL
            .iter()
            .zip(&labels)
            .map(|(r, l)| (r.as_str(), l.as_str())),
        current,
    )
}

async fn render(
    s: &AppState,
    session: &Session,
    form: AgentForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let layout = layout(session)?;
    let teams: HashMap<_, _> = s
        .store
        .teams()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let rows = s
        .store
        .agents()
        .await?
        .into_iter()
        .map(|a| Row {
            id: a.id.0,
            roles: roles(a.role.as_str()),
            teams: a
                .team_ids
                .iter()
                .filter_map(|t| teams.get(t).cloned())
                .collect::<Vec<_>>()
                .join(", "),
            is_me: a.id == session.agent_id(),
            available: a.available,
            skills: a.skills.join(", "),
            languages: a.languages.join(", "),
            max_open_cases: a.max_open_cases.map(|n| n.to_string()).unwrap_or_default(),
            name: a.name,
            email: a.email,
            active: a.active,
        })
        .collect();
    let role = if form.role.is_empty() {
        Role::Agent.as_str()
    } else {
        &form.role
    };
    let page = AgentsPage {
        layout,
        section: "agents",
        rows,
        roles: roles(role),
        form,
        error,
    };
    respond(&page, &page.error)
}

/// Lists agents with the new-agent form.
pub async fn list(State(s): State<AppState>, session: Session) -> Result<Response, WebError> {
    render(&s, &session, AgentForm::default(), None).await
}

/// Creates an agent who signs in with the given password.
pub async fn create(
    State(s): State<AppState>,
    posted: Posted<AgentForm>,
) -> Result<Response, WebError> {
    let Posted { session, mut form } = posted;
    session.require(Action::Administer)?;
    let created = async {
        let role = Role::parse("role", &form.role)?;
        let new = new_agent(&form.email, &form.name, role, Some(&form.password))?;
        Ok::<_, ApiError>(s.store.create_agent(&new).await?)
    }
    .await;
    settle(created, HOME, |message| {
        // Never send a password back, even the user's own.
        form.password.clear();
        render(&s, &session, form, Some(message))
    })
    .await
}

/// Changes an agent's role.
pub async fn role(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<RoleForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let changed = async {
        let role = Role::parse("role", &form.role)?;
        let change = AgentChange {
            role: Some(role),
            ..AgentChange::default()
        };
        if role != Role::Admin {
            not_me(
                &session,
                id,
                "role",
                "you cannot demote yourself; ask another admin",
            )?;
        }
        Ok::<_, ApiError>(s.store.update_agent(AgentId(id), change).await?)
    }
    .await;
    settle(changed, HOME, |m| {
        render(&s, &session, AgentForm::default(), Some(m))
    })
    .await
}

/// Deactivates or reactivates an agent. Deactivated agents cannot sign in,
/// their sessions end and their API tokens stop working.
pub async fn active(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<ActiveForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let changed = async {
        let active = match form.active.as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(Invalid::new("active", "must be true or false").into()),
        };
        if !active {
            not_me(
                &session,
                id,
                "active",
                "you cannot deactivate yourself; ask another admin",
            )?;
        }
        let change = AgentChange {
            active: Some(active),
            ..AgentChange::default()
        };
        Ok::<_, ApiError>(s.store.update_agent(AgentId(id), change).await?)
    }
    .await;
    settle(changed, HOME, |m| {
        render(&s, &session, AgentForm::default(), Some(m))
    })
    .await
}

/// Sets an agent's skills, languages and own maximum of open cases.
pub async fn routing(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<RoutingForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let changed = async {
        let change = AgentChange {
            skills: Some(routing::parse_skills("skills", &words(&form.skills))?),
            languages: Some(routing::parse_languages(
                "languages",
                &words(&form.languages),
            )?),
            max_open_cases: Some(super::teams::parse_max(&form.max_open_cases)?),
            ..AgentChange::default()
        };
        Ok::<_, ApiError>(s.store.update_agent(AgentId(id), change).await?)
    }
    .await;
    settle(changed, HOME, |m| {
        render(&s, &session, AgentForm::default(), Some(m))
    })
    .await
}

/// Refuses a change to the signed-in admin's own account.
fn not_me(session: &Session, id: i64, field: &str, why: &str) -> Result<(), Invalid> {
    if session.agent_id() == AgentId(id) {
        Err(Invalid::new(field, why))
    } else {
        Ok(())
    }
}
