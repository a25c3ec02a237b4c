//! Agent notifications. The case write path calls [`after_event`] for every
//! event it appends: the event's notification (if the domain's
//! [`trigger`](tend_domain::notification::trigger) calls for one) is written
//! in the same transaction, so it exists if and only if the event does.
//! Rules and escalations tell agents (or a team's agents) directly with
//! [`notify`] inside their own transaction, or [`Store::notify`].
//!
//! Nobody is told about their own action: the actor of the causing event
//! is left out, and events dated more than a day back (history loaded in
//! bulk) tell nobody. An agent is told about one event once (a unique index on
//! agent and event). A notification for an agent who wants email queues
//! the `notification_email` job for them: due at once (`immediately`) or
//! at the next full hour (`digest`), one queued job per agent at a time.
//! The job marks what it emailed in the transaction that queues the email,
//! so each notification is emailed at most once.

use crate::cursor::{self, Cursor};
use crate::jobs::{self, JobKind, NewJob};
use crate::model::Page;
use crate::outbound::{OutboundEmail, enqueue_system};
use crate::rows::{get, optional_time, time, word};
use crate::time::micros;
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;
use tend_domain::event::{Actor, ActorKind, EventData};
use tend_domain::ids::{AgentId, CaseId, EventId, MessageId, TeamId};
use tend_domain::notification::{
    self, EmailNotifications, NotificationKind, Recipients, handle, mentions,
};
use tend_domain::state::CaseState;
use utoipa::ToSchema;

/// Unread notifications are counted up to this many; more reads "99+".
pub const UNREAD_CAP: i64 = 99;
/// Most notifications one email lists; the rest go in the next one.
pub const MAX_EMAILED: i64 = 50;
/// How far back an email looks for notifications not yet read or emailed
/// (turning email on does not mail out a backlog); an event recorded as
/// having happened longer ago than this (history being imported) tells
/// nobody.
pub const EMAIL_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// One notification, as the API and the workspace show it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    /// The agent told.
    pub agent_id: AgentId,
    pub kind: NotificationKind,
    /// The case it is about.
    pub case_id: CaseId,
    /// What happened, in one line of at most 300 characters.
    pub text: String,
    /// The case event that caused it, if one did.
    pub event_id: Option<EventId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When the agent read it (opened it or marked it read); null while
    /// unread.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<Timestamp>,
}

/// An agent's unread notifications: how many (up to [`UNREAD_CAP`] + 1)
/// and the newest few, for the bell.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Unread {
    /// Unread notifications; above `cap` means "more than `cap`".
    pub count: i64,
    pub cap: i64,
    /// The newest unread notifications, newest first.
    pub newest: Vec<Notification>,
}

/// Who [`notify`] tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    /// One agent.
    Agent(AgentId),
    /// Every active member of a team.
    Team(TeamId),
}

/// What is waiting to be emailed to an agent.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The agent's email address and name.
    pub email: String,
    pub name: String,
    /// The agent's choice now (the job may have been queued under another).
    pub preference: EmailNotifications,
    /// Unread notifications not emailed yet, oldest first, at most
    /// [`MAX_EMAILED`].
    pub items: Vec<Notification>,
}

const COLUMNS: &str = "id, agent_id, kind, case_id, text, event_id, created_at, read_at";

fn notification(row: &sqlx::any::AnyRow) -> Result<Notification> {
    Ok(Notification {
        id: get(row, "id")?,
        agent_id: AgentId(get(row, "agent_id")?),
        kind: word(row, "kind", NotificationKind::parse)?,
        case_id: CaseId(get(row, "case_id")?),
        text: get(row, "text")?,
        event_id: get::<Option<i64>>(row, "event_id")?.map(EventId),
        created_at: time(row, "created_at")?,
        read_at: optional_time(row, "read_at")?,
    })
}

/// Writes the notifications event `data` (just appended to case `case_id`
/// as `event`, by `actor`, leaving the case at `state`) calls for.
pub(crate) async fn after_event(
    tx: &mut Tx,
    case_id: CaseId,
    event: EventId,
    state: &CaseState,
    actor: Actor,
    data: &EventData,
    at: Timestamp,
) -> Result<()> {
    let Some(trigger) = notification::trigger(data) else {
        return Ok(());
    };
    if crate::now()
        .checked_sub(EMAIL_WINDOW)
        .is_ok_and(|since| at < since)
    {
        // History being loaded (an import, a benchmark's seed) is no news.
        return Ok(());
    }
    let mut quote = None;
    let agents = match trigger.to {
        Recipients::Agent(agent) => vec![agent],
        Recipients::Assignee => state.assignee_id.into_iter().collect(),
        Recipients::MentionedIn(message) => {
            let body = message_text(tx, message).await?;
            let agents = mentioned(tx, &body).await?;
            quote = Some(body);
            agents
        }
    };
    let agents: Vec<AgentId> = agents
        .into_iter()
        .filter(|a| !is_actor(actor, *a))
        .collect();
    if agents.is_empty() {
        return Ok(());
    }
    if quote.is_none()
        && let EventData::MessageReceived { message_id, .. } = data
    {
        quote = Some(message_text(tx, *message_id).await?);
    }
    let who = actor_name(tx, actor).await?;
    let text = notification::text(
        trigger.kind,
        &who,
        case_id,
        &state.subject,
        quote.as_deref(),
    );
    insert(tx, &agents, trigger.kind, case_id, &text, Some(event), at).await?;
    Ok(())
}

/// Tells `to` (agents, or every active member of a team) `text` about case
/// `case_id`, inside the caller's transaction: for a rule's or an
/// escalation's "notify". With `cause`, the actor of that event is left
/// out and nobody is told twice about it. Answers how many were told.
pub(crate) async fn notify(
    tx: &mut Tx,
    to: &[Recipient],
    kind: NotificationKind,
    case_id: CaseId,
    text: &str,
    cause: Option<EventId>,
) -> Result<usize> {
    let mut agents = Vec::new();
    for recipient in to {
        match recipient {
            Recipient::Agent(agent) => agents.push(*agent),
            Recipient::Team(team) => {
                let members = tx
                    .fetch_all(
                        "SELECT agent_id FROM team_members WHERE team_id = $1 ORDER BY agent_id",
                        args![team.0],
                    )
                    .await?;
                for m in members {
                    agents.push(AgentId(m.int("agent_id")?));
                }
            }
        }
    }
    if let Some(event) = cause {
        let row = tx
            .fetch_optional(
                "SELECT actor_kind, actor_id FROM case_events WHERE id = $1",
                args![event.0],
            )
            .await?
            .ok_or(StoreError::NotFound("event"))?;
        if row.text("actor_kind")? == ActorKind::Agent.as_str() {
            let actor = row.opt_int("actor_id")?;
            agents.retain(|a| Some(a.0) != actor);
        }
    }
    let at = crate::now();
    insert(
        tx,
        &agents,
        kind,
        case_id,
        &notification::cap(text),
        cause,
        at,
    )
    .await
}

/// Whether agent `agent` is who acted.
fn is_actor(actor: Actor, agent: AgentId) -> bool {
    actor.kind == ActorKind::Agent && actor.id == Some(agent.0)
}

/// The text of message `id`.
async fn message_text(tx: &mut Tx, id: MessageId) -> Result<String> {
    let row = tx
        .fetch_optional("SELECT body_text FROM messages WHERE id = $1", args![id.0])
        .await?
        .ok_or(StoreError::NotFound("message"))?;
    row.text("body_text")
}

/// The active agents whose handles `text` mentions.
async fn mentioned(tx: &mut Tx, text: &str) -> Result<Vec<AgentId>> {
    let handles = mentions(text);
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    // Agent counts are small; handles are derived, not stored.
    let rows = tx
        .fetch_all(
            "SELECT id, email FROM agents WHERE active = 1 ORDER BY id",
            Vec::new(),
        )
        .await?;
    let mut found = Vec::new();
    for row in rows {
        if handles.contains(&handle(&row.text("email")?)) {
            found.push(AgentId(row.int("id")?));
        }
    }
    Ok(found)
}

/// The name of whoever acted: an agent's or customer's name, a rule's, or
/// "Tend".
async fn actor_name(tx: &mut Tx, actor: Actor) -> Result<String> {
    let sql = match actor.kind {
        ActorKind::Agent => "SELECT name FROM agents WHERE id = $1",
        ActorKind::Customer => "SELECT name FROM customers WHERE id = $1",
        ActorKind::Rule => {
            "SELECT 'Rule \u{201c}' || name || '\u{201d}' AS name FROM rules WHERE id = $1"
        }
        ActorKind::System => return Ok("Tend".into()),
    };
    let Some(id) = actor.id else {
        return Ok("Someone".into());
    };
    let row = tx.fetch_optional(sql, args![id]).await?;
    match row {
        Some(row) => row.text("name"),
        None => Ok("Someone".into()),
    }
}

/// Writes one notification per active agent of `agents` (each once; an
/// agent already told about `cause` is skipped) and queues their email.
/// Answers how many were written.
async fn insert(
    tx: &mut Tx,
    agents: &[AgentId],
    kind: NotificationKind,
    case_id: CaseId,
    text: &str,
    cause: Option<EventId>,
    at: Timestamp,
) -> Result<usize> {
    let mut told: Vec<AgentId> = Vec::new();
    for agent in agents {
        if told.contains(agent) {
            continue;
        }
        let Some(row) = tx
            .fetch_optional(
                "SELECT notify_email FROM agents WHERE id = $1 AND active = 1",
                args![agent.0],
            )
            .await?
        else {
            continue;
        };
        let inserted = tx
            .fetch_optional(
                "INSERT INTO notifications (agent_id, kind, case_id, text, event_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
                args![
                    agent.0,
                    kind.as_str(),
                    case_id.0,
                    text,
                    cause.map(|e| e.0),
                    micros(at)
                ],
            )
            .await?;
        if inserted.is_none() {
            continue;
        }
        told.push(*agent);
        let preference = crate::rows::parse_word(
            "notify_email",
            &row.text("notify_email")?,
            EmailNotifications::parse,
        )?;
        email_later(tx, *agent, preference, at).await?;
    }
    Ok(told.len())
}

/// Queues the `notification_email` job of `agent` for when their
/// `preference` says, unless one is queued for then or sooner already.
async fn email_later(
    tx: &mut Tx,
    agent: AgentId,
    preference: EmailNotifications,
    at: Timestamp,
) -> Result<()> {
    let due = match preference {
        EmailNotifications::Off => return Ok(()),
        EmailNotifications::Immediately => at,
        EmailNotifications::Digest => next_hour(at),
    };
    let payload = json!({ "agent_id": agent.0 });
    let queued = tx
        .fetch_optional(
            "SELECT id FROM jobs WHERE kind = $1 AND state = 'queued' AND payload = $2 \
             AND run_at <= $3 LIMIT 1",
            args![
                JobKind::NotificationEmail.as_str(),
                payload.to_string(),
                micros(due)
            ],
        )
        .await?;
    if queued.is_none() {
        jobs::enqueue(tx, &NewJob::new(JobKind::NotificationEmail, payload, due)).await?;
    }
    Ok(())
}

/// The first full hour (UTC) after `at`: when a digest goes out.
pub fn next_hour(at: Timestamp) -> Timestamp {
    let hour = 3600;
    let next = (at.as_second().div_euclid(hour) + 1) * hour;
    Timestamp::from_second(next).unwrap_or(at)
}

impl Store {
    /// Tells `to` (agents, or every active member of a team) `text` about
    /// case `case_id`, in a transaction of its own (see [`notify`]).
    pub async fn notify(
        &self,
        to: Vec<Recipient>,
        kind: NotificationKind,
        case_id: CaseId,
        text: String,
        cause: Option<EventId>,
    ) -> Result<usize> {
        self.case(case_id).await?;
        self.write(move |tx| {
            Box::pin(async move { notify(tx, &to, kind, case_id, &text, cause).await })
        })
        .await
    }

    /// Agent `agent`'s notifications, newest first, a page at a time; only
    /// the unread ones when `unread_only`.
    pub async fn notifications(
        &self,
        agent: AgentId,
        unread_only: bool,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<Notification>> {
        let mut sql = crate::sql::Sql::new(format!("SELECT {COLUMNS} FROM notifications"));
        sql.eq("agent_id", Some(agent.0));
        if unread_only {
            sql.and().push("read_at IS NULL");
        }
        sql.after("id", after, true).order_limit("id", true, limit);
        let rows = sql.query().fetch_all(&self.reader).await?;
        let items = rows.iter().map(notification).collect::<Result<Vec<_>>>()?;
        Ok(cursor::page(items, limit, |n| Cursor {
            key: n.id,
            id: n.id,
        }))
    }

    /// How many notifications agent `agent` has not read (counted up to
    /// [`UNREAD_CAP`] + 1) and the newest `newest` of them.
    pub async fn unread_notifications(&self, agent: AgentId, newest: i64) -> Result<Unread> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM notifications \
             WHERE agent_id = $1 AND read_at IS NULL LIMIT $2) AS unread",
        )
        .bind(agent.0)
        .bind(UNREAD_CAP + 1)
        .fetch_one(&self.reader)
        .await?;
        let count: i64 = get(&row, "n")?;
        let newest = if count == 0 {
            Vec::new()
        } else {
            self.notifications(agent, true, None, newest.max(1))
                .await?
                .data
        };
        Ok(Unread {
            count,
            cap: UNREAD_CAP,
            newest,
        })
    }

    /// Agent `agent`'s notification `id`; another agent's is not found.
    pub async fn notification(&self, agent: AgentId, id: i64) -> Result<Notification> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM notifications WHERE id = $1 AND agent_id = $2"
        )))
        .bind(id)
        .bind(agent.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("notification"))?;
        notification(&row)
    }

    /// Marks agent `agent`'s notification `id` read (it stays read if it
    /// was); another agent's is not found.
    pub async fn mark_notification_read(&self, agent: AgentId, id: i64) -> Result<Notification> {
        self.notification(agent, id).await?;
        let at = micros(self.clock().now());
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "UPDATE notifications SET read_at = $1 WHERE id = $2 AND agent_id = $3 \
                     AND read_at IS NULL",
                    args![at, id, agent.0],
                )
                .await
            })
        })
        .await?;
        self.notification(agent, id).await
    }

    /// Marks every unread notification of agent `agent` read; answers how
    /// many were unread.
    pub async fn mark_all_notifications_read(&self, agent: AgentId) -> Result<u64> {
        let at = micros(self.clock().now());
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "UPDATE notifications SET read_at = $1 WHERE agent_id = $2 AND read_at IS NULL",
                    args![at, agent.0],
                )
                .await
            })
        })
        .await
    }

    /// How agent `agent` wants notifications by email.
    pub async fn notification_email(&self, agent: AgentId) -> Result<EmailNotifications> {
        let row = sqlx::query("SELECT notify_email FROM agents WHERE id = $1")
            .bind(agent.0)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("agent"))?;
        word(&row, "notify_email", EmailNotifications::parse)
    }

    /// Stores how agent `agent` wants notifications by email.
    pub async fn set_notification_email(
        &self,
        agent: AgentId,
        preference: EmailNotifications,
    ) -> Result<()> {
        self.execute_write(
            "UPDATE agents SET notify_email = $1 WHERE id = $2",
            args![preference.as_str(), agent.0],
        )
        .await
        .map(drop)
    }

    /// What is waiting to be emailed to agent `agent` at `at`: unread
    /// notifications not emailed yet, made in the [`EMAIL_WINDOW`] before.
    pub async fn notifications_to_email(&self, agent: AgentId, at: Timestamp) -> Result<Outgoing> {
        let row = sqlx::query("SELECT email, name, notify_email FROM agents WHERE id = $1")
            .bind(agent.0)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("agent"))?;
        let since = at.checked_sub(EMAIL_WINDOW).unwrap_or(at);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM notifications WHERE agent_id = $1 AND read_at IS NULL \
             AND emailed_at IS NULL AND created_at >= $2 ORDER BY id LIMIT $3"
        )))
        .bind(agent.0)
        .bind(micros(since))
        .bind(MAX_EMAILED)
        .fetch_all(&self.reader)
        .await?;
        Ok(Outgoing {
            email: get(&row, "email")?,
            name: get(&row, "name")?,
            preference: word(&row, "notify_email", EmailNotifications::parse)?,
            items: rows.iter().map(notification).collect::<Result<_>>()?,
        })
    }

    /// Queues `mail`, which tells agent `agent` about notifications `ids`,
    /// and marks them emailed, in one transaction; when another run emailed
    /// any of them meanwhile, nothing is queued and this answers false.
    pub async fn record_notifications_emailed(
        &self,
        agent: AgentId,
        ids: Vec<i64>,
        mail: OutboundEmail,
    ) -> Result<bool> {
        if ids.is_empty() {
            return Ok(false);
        }
        let at = micros(crate::now());
        let sent = self
            .write(move |tx| {
                Box::pin(async move {
                    let mut sql = String::from(
                        "UPDATE notifications SET emailed_at = $1 WHERE agent_id = $2 \
                         AND emailed_at IS NULL AND id IN (",
                    );
                    let mut values = args![at, agent.0];
                    for (n, id) in ids.iter().enumerate() {
                        if n > 0 {
                            sql.push_str(", ");
                        }
                        values.push((*id).into());
                        sql.push_str(&format!("${}", values.len()));
                    }
                    sql.push(')');
                    let marked = tx.execute(&sql, values).await?;
                    if marked != ids.len() as u64 {
                        // Undo the marks: another run told the agent.
                        return Err(StoreError::State("already emailed".into()));
                    }
                    enqueue_system(tx, &mail).await?;
                    Ok(())
                })
            })
            .await;
        match sent {
            Ok(()) => Ok(true),
            Err(StoreError::State(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_go_out_on_the_next_full_hour() {
        let at: Timestamp = "2026-12-03T10:20:30Z".parse().unwrap();
        assert_eq!(next_hour(at).to_string(), "2026-12-03T11:00:00Z");
        let on: Timestamp = "2026-12-03T11:00:00Z".parse().unwrap();
        assert_eq!(next_hour(on).to_string(), "2026-12-03T12:00:00Z");
    }
}
