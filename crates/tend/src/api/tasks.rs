//! Tasks on a case ([`tend_domain::task`]): a checklist with owners, due
//! times and status. The customer sees their own tasks in the portal and
//! the others only as progress.

use super::extract::{Id, Json, Principal};
use super::nullable;
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::ids::{AgentId, CaseId, TaskId};
use tend_domain::task::{self, OwnerKind, TaskStatus};
use tend_store::tasks::{NewTask, Owner, Task, TaskChange};
use utoipa::ToSchema;

/// A task to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddTask {
    /// One line, 1 to 200 characters ("Parts ordered"); the customer may
    /// read it.
    title: String,
    /// Who it waits on.
    owner_kind: OwnerKind,
    /// For an agent's task [default: you].
    owner_agent_id: Option<AgentId>,
    /// For a third party's task: who (never shown to the customer).
    owner_name: Option<String>,
    due_at: Option<Timestamp>,
}

/// Changes to a task; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeTask {
    title: Option<String>,
    status: Option<TaskStatus>,
    /// Null removes the due time.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    due_at: Option<Option<Timestamp>>,
    /// A new owner, with `owner_agent_id` or `owner_name` as for a new task.
    owner_kind: Option<OwnerKind>,
    owner_agent_id: Option<AgentId>,
    owner_name: Option<String>,
}

/// Adds a task at the end of case `id`'s checklist (records `task_added`);
/// a case holds at most 100. A task the customer owns is work pushed onto
/// them: it raises the case's customer effort.
#[utoipa::path(post, path = "/cases/{id}/tasks", tag = "tasks", params(("id" = i64, Path)),
    request_body = AddTask,
    responses((status = 201, description = "The task, open", body = Task)))]
pub async fn add(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<AddTask>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let req = &body.value;
    let new = NewTask {
        title: task::title(&req.title)?,
        owner: owner(
            req.owner_kind,
            req.owner_agent_id,
            req.owner_name.as_deref(),
            me.agent_id,
        )?,
        due_at: req.due_at,
    };
    let added = s.store.add_task(CaseId(id), new, me.actor()).await?;
    Ok((StatusCode::CREATED, axum::Json(added)).into_response())
}

/// Case `id`'s tasks, in checklist order.
#[utoipa::path(get, path = "/cases/{id}/tasks", tag = "tasks", params(("id" = i64, Path)),
    responses((status = 200, description = "The case's tasks", body = Vec<Task>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Vec<Task>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.tasks(CaseId(id)).await?))
}

/// Changes task `id`: its status (`open`, `done`, `cancelled`), due time,
/// owner or title (records `task_changed` when anything changed).
#[utoipa::path(patch, path = "/tasks/{id}", tag = "tasks", params(("id" = i64, Path)),
    request_body = ChangeTask,
    responses((status = 200, description = "The task", body = Task)))]
pub async fn change(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<ChangeTask>,
) -> ApiResult<axum::Json<Task>> {
    me.require(Action::Work)?;
    let req = &body.value;
    let owner = match req.owner_kind {
        Some(kind) => Some(owner(
            kind,
            req.owner_agent_id,
            req.owner_name.as_deref(),
            me.agent_id,
        )?),
        None if req.owner_agent_id.is_some() || req.owner_name.is_some() => {
            return Err(Invalid::new("owner_kind", "name the owner's kind with the owner").into());
        }
        None => None,
    };
    let change = TaskChange {
        title: req.title.as_deref().map(task::title).transpose()?,
        owner,
        due_at: req.due_at,
        status: req.status,
    };
    Ok(axum::Json(
        s.store.change_task(TaskId(id), change, me.actor()).await?,
    ))
}

/// A task's owner from the request: an agent (`me` unless named), a third
/// party (with a name, optionally) or the customer (nothing else given).
fn owner(
    kind: OwnerKind,
    agent: Option<AgentId>,
    name: Option<&str>,
    me: AgentId,
) -> Result<Owner, Invalid> {
    let name = task::owner_name(name)?;
    match kind {
        OwnerKind::Agent if name.is_some() => Err(Invalid::new(
            "owner_name",
            "an agent's task names the agent by owner_agent_id",
        )),
        OwnerKind::Agent => Ok(Owner {
            kind,
            agent_id: Some(agent.unwrap_or(me)),
            name: None,
        }),
        _ if agent.is_some() => Err(Invalid::new(
            "owner_agent_id",
            "only an agent's task has an owner_agent_id",
        )),
        OwnerKind::ThirdParty => Ok(Owner {
            kind,
            agent_id: None,
            name,
        }),
        OwnerKind::Customer if name.is_some() => Err(Invalid::new(
            "owner_name",
            "the customer's task is theirs: give no owner_name",
        )),
        OwnerKind::Customer => Ok(Owner {
            kind,
            agent_id: None,
            name: None,
        }),
    }
}
