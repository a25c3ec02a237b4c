//! Tasks on cases: each added or changed in one write with its event
//! (`TaskAdded`, `TaskChanged`), so the customer-effort fold sees the tasks
//! the customer owns.

use crate::cases::{append, load_state, save_state};
use crate::rows::{get, optional_id, optional_time, parse_word, time, word};
use crate::time::micros;
use crate::tx::{Tx, TxRow, args};
use crate::{Dialect, Result, Store, StoreError, now};
use jiff::Timestamp;
use serde::Serialize;
use tend_domain::Invalid;
use tend_domain::event::{Actor, EventData};
use tend_domain::ids::{AgentId, CaseId, TaskId};
use tend_domain::task::{MAX_TASKS, OwnerKind, TaskStatus};
use utoipa::ToSchema;

/// A task on a case's checklist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Task {
    pub id: TaskId,
    pub case_id: CaseId,
    pub title: String,
    pub owner: Owner,
    pub due_at: Option<Timestamp>,
    pub status: TaskStatus,
    /// Its place in the checklist, from 1.
    pub position: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Who a task waits on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Owner {
    pub kind: OwnerKind,
    /// The agent, for an agent's task.
    pub agent_id: Option<AgentId>,
    /// The third party's name (a supplier's), never shown to the customer.
    pub name: Option<String>,
}

/// A task to add; its fields already checked.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub title: String,
    pub owner: Owner,
    pub due_at: Option<Timestamp>,
}

/// What changes on a task; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TaskChange {
    pub title: Option<String>,
    pub owner: Option<Owner>,
    /// `Some(None)` removes the due time.
    pub due_at: Option<Option<Timestamp>>,
    pub status: Option<TaskStatus>,
}

const COLUMNS: &str = "id, case_id, title, owner_kind, owner_agent_id, owner_name, due_at, status, \
     position, created_at, updated_at";

impl Store {
    /// Adds a task at the end of case `case`'s checklist, as `actor`.
    pub async fn add_task(&self, case: CaseId, new: NewTask, actor: Actor) -> Result<Task> {
        self.check_owner(&new.owner).await?;
        let dialect = self.dialect;
        let id = self
            .write(move |tx| Box::pin(add(tx, dialect, case, new, actor)))
            .await?;
        self.task(id).await
    }

    /// Changes task `id` as `change` says, as `actor`; a change that
    /// changes nothing records nothing.
    pub async fn change_task(&self, id: TaskId, change: TaskChange, actor: Actor) -> Result<Task> {
        if let Some(owner) = &change.owner {
            self.check_owner(owner).await?;
        }
        let dialect = self.dialect;
        self.write(move |tx| Box::pin(update(tx, dialect, id, change, actor)))
            .await?;
        self.task(id).await
    }

    /// One task.
    pub async fn task(&self, id: TaskId) -> Result<Task> {
        let sql = format!("SELECT {COLUMNS} FROM case_tasks WHERE id = $1");
        let row = crate::tx::bind(&sql, args![id.0])
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("task"))?;
        task(&row)
    }

    /// A case's tasks, in checklist order.
    pub async fn tasks(&self, case: CaseId) -> Result<Vec<Task>> {
        self.case(case).await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM case_tasks WHERE case_id = $1 ORDER BY position, id LIMIT $2"
        );
        crate::tx::bind(&sql, args![case.0, MAX_TASKS as i64])
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(task)
            .collect()
    }

    /// Checks an agent owner exists.
    async fn check_owner(&self, owner: &Owner) -> Result<()> {
        if let Some(agent) = owner.agent_id {
            match self.agent(agent).await {
                Err(StoreError::NotFound(_)) => {
                    return Err(Invalid::new(
                        "owner_agent_id",
                        format!("no agent with id {agent}"),
                    )
                    .into());
                }
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }
}

fn task(row: &sqlx::any::AnyRow) -> Result<Task> {
    Ok(Task {
        id: TaskId(get(row, "id")?),
        case_id: CaseId(get(row, "case_id")?),
        title: get(row, "title")?,
        owner: Owner {
            kind: word(row, "owner_kind", OwnerKind::parse)?,
            agent_id: optional_id(row, "owner_agent_id", AgentId)?,
            name: get(row, "owner_name")?,
        },
        due_at: optional_time(row, "due_at")?,
        status: word(row, "status", TaskStatus::parse)?,
        position: get(row, "position")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

async fn add(
    tx: &mut Tx,
    dialect: Dialect,
    case: CaseId,
    new: NewTask,
    actor: Actor,
) -> Result<TaskId> {
    let mut state = load_state(tx, dialect, case).await?;
    let before = state.clone();
    let row = tx
        .fetch_one(
            "SELECT COUNT(*) AS n, MAX(position) AS last FROM case_tasks WHERE case_id = $1",
            args![case.0],
        )
        .await?;
    if row.int("n")? >= MAX_TASKS as i64 {
        return Err(
            Invalid::new("title", format!("a case holds at most {MAX_TASKS} tasks")).into(),
        );
    }
    let position = row.opt_int("last")?.unwrap_or(0) + 1;
    let at = now();
    let id = TaskId(
        tx.fetch_one(
            "INSERT INTO case_tasks (case_id, title, owner_kind, owner_agent_id, owner_name, due_at, \
             status, position, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            args![
                case.0,
                &new.title,
                new.owner.kind.as_str(),
                new.owner.agent_id.map(|a| a.0),
                new.owner.name.clone(),
                new.due_at.map(micros),
                TaskStatus::Open.as_str(),
                position,
                micros(at)
            ],
        )
        .await?
        .int("id")?,
    );
    let added = EventData::TaskAdded {
        task_id: id,
        title: new.title,
        owner_kind: new.owner.kind,
        due_at: new.due_at,
    };
    append(tx, case, &mut state, actor, added, at).await?;
    save_state(tx, case, &state, &before).await?;
    Ok(id)
}

async fn update(
    tx: &mut Tx,
    dialect: Dialect,
    id: TaskId,
    change: TaskChange,
    actor: Actor,
) -> Result<()> {
    let row = tx
        .fetch_optional(
            &format!("SELECT {COLUMNS} FROM case_tasks WHERE id = $1"),
            args![id.0],
        )
        .await?
        .ok_or(StoreError::NotFound("task"))?;
    let case = CaseId(row.int("case_id")?);
    let old = Stored::read(&row)?;
    let new = Stored {
        title: change.title.unwrap_or_else(|| old.title.clone()),
        owner: change.owner.unwrap_or_else(|| old.owner.clone()),
        due_at: change.due_at.unwrap_or(old.due_at),
        status: change.status.unwrap_or(old.status),
    };
    if new == old {
        return Ok(());
    }
    let mut state = load_state(tx, dialect, case).await?;
    let before = state.clone();
    let at = now();
    tx.execute(
        "UPDATE case_tasks SET title = $1, owner_kind = $2, owner_agent_id = $3, owner_name = $4, \
         due_at = $5, status = $6, updated_at = $7 WHERE id = $8",
        args![
            &new.title,
            new.owner.kind.as_str(),
            new.owner.agent_id.map(|a| a.0),
            new.owner.name.clone(),
            new.due_at.map(micros),
            new.status.as_str(),
            micros(at),
            id.0
        ],
    )
    .await?;
    let changed = EventData::TaskChanged {
        task_id: id,
        status: new.status,
        due_at: new.due_at,
        owner_kind: new.owner.kind,
    };
    append(tx, case, &mut state, actor, changed, at).await?;
    save_state(tx, case, &state, &before).await?;
    Ok(())
}

/// The changeable fields of a stored task.
#[derive(PartialEq)]
struct Stored {
    title: String,
    owner: Owner,
    due_at: Option<Timestamp>,
    status: TaskStatus,
}

impl Stored {
    fn read(row: &TxRow) -> Result<Self> {
        Ok(Stored {
            title: row.text("title")?,
            owner: Owner {
                kind: parse_word("owner_kind", &row.text("owner_kind")?, OwnerKind::parse)?,
                agent_id: row.opt_int("owner_agent_id")?.map(AgentId),
                name: row.opt_text("owner_name")?,
            },
            due_at: row
                .opt_int("due_at")?
                .map(crate::time::from_micros)
                .transpose()?,
            status: parse_word("status", &row.text("status")?, TaskStatus::parse)?,
        })
    }
}
