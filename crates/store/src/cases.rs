//! Cases and their event log. Every change appends events and rewrites the
//! case row from the folded state in the same transaction, so the row is
//! always the fold of the log.

use crate::cursor::{self, Cursor};
use crate::idempotency::{self, IdempotencyKey};
use crate::messages::{NewMessage, insert_message};
use crate::model::{Case, Message, Page};
use crate::outbound::OutboundEmail;
use crate::rows::{self, CASE_COLUMNS, get, parse_json, parse_word};
use crate::sql::Sql;
use crate::time::{from_micros, micros};
use crate::tx::{Arg, Tx, args};
use crate::{Dialect, Result, Store, StoreError, customers, now, open_case_pg};
use jiff::Timestamp;
use serde_json::{Map, Value};
use sqlx::AssertSqlSafe;
use tend_domain::Invalid;
use tend_domain::case::{CaseChange, Channel, Priority, Status};
use tend_domain::effort::{EffortLevel, EffortWeights};
use tend_domain::event::{Actor, ActorKind, CaseEvent, EventData};
use tend_domain::ids::*;
use tend_domain::state::CaseState;

/// A case to open, with the customer's first message.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub subject: String,
    pub customer_id: CustomerId,
    pub channel: Channel,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<AgentId>,
    pub agreement_id: Option<AgreementId>,
    pub custom_fields: Map<String, Value>,
    /// The customer's request.
    pub message: NewMessage,
    /// The closed case this one follows up (the customer answered it), if
    /// any: the new case repeats it.
    pub follows: Option<CaseId>,
}

/// Who is assigned, for filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Agent(AgentId),
    Nobody,
}

/// Filters for the case list; all given filters must match (an empty list
/// does not filter).
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub statuses: Vec<Status>,
    pub priority: Option<Priority>,
    pub channel: Option<Channel>,
    pub assignee: Option<AssigneeFilter>,
    pub team_id: Option<TeamId>,
    /// Cases of any of these teams.
    pub team_ids: Vec<TeamId>,
    pub tag: Option<String>,
    pub customer_id: Option<CustomerId>,
    /// Cases of customers whose name contains this text or who have this
    /// exact contact point, ignoring (ASCII) case.
    pub customer_match: Option<String>,
    /// Cases whose subject contains this text, ignoring (ASCII) case.
    pub subject_contains: Option<String>,
    pub updated_since: Option<Timestamp>,
    /// Cases whose effort is at this level.
    pub effort_level: Option<EffortLevel>,
    /// Leaves out cases snoozed past this time: the working views pass the
    /// store's clock, so a snoozed case comes back once its time passes.
    pub awake_at: Option<Timestamp>,
    /// Only cases snoozed past this time (the "Snoozed" view).
    pub snoozed_at: Option<Timestamp>,
    /// Only cases this agent follows (the "Following" view).
    pub followed_by: Option<AgentId>,
    /// Cases of any member of this organisation.
    pub organization_id: Option<OrganizationId>,
    /// Leaves out the cases of this customer (an organisation's other cases).
    pub except_customer_id: Option<CustomerId>,
    /// Only cases with a running SLA clock.
    pub sla_running: bool,
    /// Only cases whose running SLA clock was due by this time (breached).
    pub sla_due_by: Option<Timestamp>,
}

/// Sort orders for the case list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseSort {
    /// Most recently changed first (the default).
    #[default]
    UpdatedDesc,
    UpdatedAsc,
    CreatedDesc,
    CreatedAsc,
    /// Highest customer effort first.
    EffortDesc,
    EffortAsc,
    /// The customer who has waited longest first; cases nobody waits on
    /// last.
    WaitingLongest,
    /// The SLA clock due soonest first; cases without one last.
    SlaDueSoonest,
}

/// How a missing time sorts: after every real one.
const NEVER: i64 = i64::MAX;

/// The SLA due time as sorted and filtered: the expression the index
/// `cases_by_sla_due` holds, so a range on it reads the index in order.
const SLA_DUE: &str = "COALESCE(sla_due_at, 9223372036854775807)";

impl CaseSort {
    /// Parses `updated_at`, `created_at` or `effort_index`, each with `-`
    /// in front for the largest first, or `waiting_since` (waited longest
    /// first).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "-updated_at" => Ok(CaseSort::UpdatedDesc),
            "updated_at" => Ok(CaseSort::UpdatedAsc),
            "-created_at" => Ok(CaseSort::CreatedDesc),
            "created_at" => Ok(CaseSort::CreatedAsc),
            "-effort_index" => Ok(CaseSort::EffortDesc),
            "effort_index" => Ok(CaseSort::EffortAsc),
            "waiting_since" => Ok(CaseSort::WaitingLongest),
            "sla_due_at" => Ok(CaseSort::SlaDueSoonest),
            other => Err(Invalid::new(
                "sort",
                format!(
                    "`{other}` is not one of: -updated_at, updated_at, -created_at, created_at, \
                     -effort_index, effort_index, waiting_since, sla_due_at"
                ),
            )),
        }
    }

    /// The column (or expression) sorted by, and whether largest first.
    fn column_and_direction(self) -> (&'static str, bool) {
        match self {
            CaseSort::UpdatedDesc => ("updated_at", true),
            CaseSort::UpdatedAsc => ("updated_at", false),
            CaseSort::CreatedDesc => ("created_at", true),
            CaseSort::CreatedAsc => ("created_at", false),
            CaseSort::EffortDesc => ("effort_index", true),
            CaseSort::EffortAsc => ("effort_index", false),
            // A case nobody waits on sorts as i64::MAX. The index
            // `cases_by_assignee_waiting` holds this very expression.
            CaseSort::WaitingLongest => ("COALESCE(waiting_since, 9223372036854775807)", false),
            CaseSort::SlaDueSoonest => (SLA_DUE, false),
        }
    }

    fn key(self, case: &Case) -> i64 {
        match self {
            CaseSort::UpdatedDesc | CaseSort::UpdatedAsc => micros(case.updated_at),
            CaseSort::CreatedDesc | CaseSort::CreatedAsc => micros(case.created_at),
            CaseSort::EffortDesc | CaseSort::EffortAsc => i64::from(case.effort_index),
            CaseSort::WaitingLongest => case.waiting_since.map_or(NEVER, micros),
            CaseSort::SlaDueSoonest => case.sla.due_at.map_or(NEVER, micros),
        }
    }
}

impl Store {
    /// Opens a case with the customer's first message.
    pub async fn create_case(
        &self,
        new: NewCase,
        actor: Actor,
        idem: Option<&IdempotencyKey>,
    ) -> Result<Case> {
        // The customer is checked inside the write (one indexed read on the
        // writer); it is looked up here only to check an agreement's holder.
        self.check_case_refs(
            new.agreement_id.map(|_| new.customer_id),
            new.assignee_id,
            new.team_id,
            new.agreement_id,
        )
        .await?;
        let at = now();
        if let Some(pool) = self.postgres_writer()
            && new.message.attachments.is_empty()
            && !self.setups.sla.may_apply()
            && !self.setups.rules.may_apply()
            && !self.setups.webhooks.may_apply()
            && !crate::routing::may_route(new.team_id, new.assignee_id)
        {
            // The one statement cannot read first: the earlier case this one
            // repeats is looked for just before, on the read pool.
            let repeat = crate::repeat::find_on(&self.reader, &self.effort, &new, at).await?;
            let (id, state) =
                open_case_pg::open_case(pool, &self.effort, &new, repeat, actor, idem, at).await?;
            return Ok(Case::from_state(id, &state, &self.effort));
        }
        let idem = idem.cloned();
        let (id, state) = self
            .write(move |conn| {
                Box::pin(async move {
                    customers::ensure_exists(conn, new.customer_id).await?;
                    // On SQLite a read on the writer's own connection costs
                    // microseconds; a trip to the read pool costs far more.
                    let repeat = crate::repeat::find_in(conn, &new, at).await?;
                    let (id, state, _) = write_new_case(conn, &new, repeat, actor, at).await?;
                    idempotency::record(conn, idem.as_ref(), "case", id.0).await?;
                    Ok((id, state))
                })
            })
            .await?;
        self.with_sla(Case::from_state(id, &state, &self.effort))
            .await
    }

    /// `case` as just written, with its SLA projection read back when
    /// policies may have measured it (the fold does not hold it).
    pub(crate) async fn with_sla(&self, case: Case) -> Result<Case> {
        if !self.setups.sla.may_apply() {
            return Ok(case);
        }
        let row =
            sqlx::query("SELECT sla_policy_id, sla_clock, sla_due_at FROM cases WHERE id = $1")
                .bind(case.id.0)
                .fetch_one(&self.reader)
                .await?;
        Ok(Case {
            sla: crate::model::CaseSlaSummary {
                policy_id: get(&row, "sla_policy_id")?,
                clock: get(&row, "sla_clock")?,
                due_at: rows::optional_time(&row, "sla_due_at")?,
            },
            ..case
        })
    }

    /// Opens many cases in one transaction (bulk loading for benchmarks and
    /// imports), through the same write path as [`Store::create_case`].
    /// References are not re-checked: the caller guarantees them; repeat
    /// contacts are not looked for.
    pub async fn create_cases_unchecked(
        &self,
        cases: Vec<(NewCase, Vec<NewMessage>, Timestamp)>,
    ) -> Result<Vec<CaseId>> {
        let dialect = self.dialect;
        self.write(move |conn| {
            Box::pin(async move {
                let mut ids = Vec::with_capacity(cases.len());
                for (new, follow_ups, at) in &cases {
                    let (id, _, _) = write_new_case(conn, new, None, Actor::system(), *at).await?;
                    for msg in follow_ups {
                        write_message(conn, dialect, id, msg, *at).await?;
                    }
                    ids.push(id);
                }
                Ok(ids)
            })
        })
        .await
    }

    /// One case.
    pub async fn case(&self, id: CaseId) -> Result<Case> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("case"))?;
        rows::case(&row)
    }

    /// Cases matching `filter`, in `sort` order, a page at a time.
    pub async fn cases(
        &self,
        filter: &CaseFilter,
        sort: CaseSort,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<Case>> {
        let (column, descending) = sort.column_and_direction();
        let sql = match filter.organization_id {
            None => {
                let mut sql = filtered(CASE_COLUMNS, filter);
                sql.after(column, after, descending)
                    .order_limit(column, descending, limit);
                sql
            }
            // An organisation's cases are its members' (several runs of the
            // customer index, which holds the sort key): the page's ids are
            // picked from the index alone, then only their rows are read,
            // not the rows of every member's case before sorting.
            Some(_) => {
                let mut ids = filtered("id", filter);
                ids.after(column, after, descending)
                    .order_limit(column, descending, limit);
                let dir = if descending { "DESC" } else { "ASC" };
                ids.wrapped(
                    &format!("SELECT {CASE_COLUMNS} FROM cases WHERE id IN "),
                    &format!(" ORDER BY {column} {dir}, id {dir}"),
                )
            }
        };
        let rows = sql.query().fetch_all(&self.reader).await?;
        let items = rows.iter().map(rows::case).collect::<Result<Vec<_>>>()?;
        Ok(cursor::page(items, limit, |c| Cursor {
            key: sort.key(c),
            id: c.id.0,
        }))
    }

    /// How many cases match `filter`, counting no further than `cap`: a
    /// count above `cap` answers `cap + 1`, so a list can say "more than".
    pub async fn count_cases(&self, filter: &CaseFilter, cap: i64) -> Result<i64> {
        use sqlx::Row;
        let mut matching = filtered("1 AS one", filter);
        matching.push(" LIMIT ").arg(cap.max(0) + 1);
        let sql = matching.wrapped("SELECT COUNT(*) AS n FROM ", " AS matching");
        Ok(sql.query().fetch_one(&self.reader).await?.try_get("n")?)
    }

    /// When any case last changed (microseconds; 0 with no cases): a list
    /// page compares it with the one it was drawn at to know it is stale.
    pub async fn cases_changed_at(&self) -> Result<i64> {
        use sqlx::Row;
        let row = sqlx::query("SELECT MAX(updated_at) AS at FROM cases")
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get::<Option<i64>, _>("at")?.unwrap_or(0))
    }

    /// Applies an agent's change, appending one event per real change.
    /// Returns the case and the events appended (none if nothing changed).
    pub async fn update_case(
        &self,
        id: CaseId,
        change: &CaseChange,
        actor: Actor,
    ) -> Result<(Case, Vec<CaseEvent>)> {
        let flatten = |o: Option<Option<i64>>| o.flatten();
        self.check_case_refs(
            None,
            flatten(change.assignee.map(|a| a.map(|a| a.0))).map(AgentId),
            flatten(change.team.map(|t| t.map(|t| t.0))).map(TeamId),
            flatten(change.agreement.map(|a| a.map(|a| a.0))).map(AgreementId),
        )
        .await?;
        if let Some(Some(agreement)) = change.agreement {
            self.check_agreement_holder(id, agreement).await?;
        }
        let (dialect, change) = (self.dialect, change.clone());
        let (case, events) = self
            .write(move |conn| {
                Box::pin(async move {
                    let (mut state, events) =
                        apply_change(conn, dialect, id, &change, actor, now()).await?;
                    if !events.is_empty() && conn.setups.rules.may_apply() {
                        // Rules may have acted on the change.
                        state = load_state(conn, dialect, id).await?;
                    }
                    Ok((Case::from_state(id, &state, conn.effort()), events))
                })
            })
            .await?;
        Ok((self.with_sla(case).await?, events))
    }

    /// Adds a message (customer message, agent reply or internal note); a
    /// reply that goes out by email is queued with it, in the same
    /// transaction.
    pub async fn add_message(
        &self,
        case_id: CaseId,
        mut msg: NewMessage,
        outbound: Option<OutboundEmail>,
        idem: Option<&IdempotencyKey>,
    ) -> Result<Message> {
        let (dialect, idem) = (self.dialect, idem.cloned());
        let id = self
            .write(move |conn| {
                Box::pin(async move {
                    if let Some(mail) = &outbound {
                        msg.raw_sha256 = Some(crate::blobs::put(conn, &mail.raw).await?);
                    }
                    let id = write_message(conn, dialect, case_id, &msg, now()).await?;
                    if let Some(mail) = &outbound {
                        crate::outbound::enqueue(conn, dialect, case_id, id, mail).await?;
                    }
                    idempotency::record(conn, idem.as_ref(), "message", id.0).await?;
                    Ok(id)
                })
            })
            .await?;
        self.message(id).await
    }

    /// Appends an event that records something about the case without
    /// changing its fields (identity, promises, customer effort). A verified
    /// identity is also written to the customer, in the same transaction.
    pub async fn record_event(
        &self,
        case_id: CaseId,
        mut data: EventData,
        actor: Actor,
        idem: Option<&IdempotencyKey>,
    ) -> Result<CaseEvent> {
        let (dialect, idem, clock) = (self.dialect, idem.cloned(), self.clock.clone());
        self.write(move |conn| {
            Box::pin(async move {
                let mut state = load_state(conn, dialect, case_id).await?;
                let before = state.clone();
                let at = now();
                state.check_event(&data, clock.now())?;
                if let EventData::IdentityRequested {
                    after_verification, ..
                } = &mut data
                {
                    *after_verification = customers::is_verified(conn, state.customer_id).await?;
                }
                if let EventData::IdentityVerified { level, method } = &data {
                    customers::set_verification(
                        conn,
                        state.customer_id,
                        *level,
                        method,
                        micros(at),
                    )
                    .await?;
                }
                let event = append(conn, case_id, &mut state, actor, data, at).await?;
                save_state(conn, case_id, &state, &before).await?;
                idempotency::record(conn, idem.as_ref(), "event", event.id.0).await?;
                Ok(event)
            })
        })
        .await
    }

    /// One event.
    pub async fn event(&self, id: EventId) -> Result<CaseEvent> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM case_events WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("event"))?;
        event(&row)
    }

    /// A case's events in order, a page at a time (the cursor is the seq).
    pub async fn events(
        &self,
        case_id: CaseId,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<CaseEvent>> {
        self.events_in_order(case_id, after, limit, false).await
    }

    /// A case's events, latest first, a page at a time: each page's cursor
    /// continues with earlier events.
    pub async fn events_newest_first(
        &self,
        case_id: CaseId,
        before: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<CaseEvent>> {
        self.events_in_order(case_id, before, limit, true).await
    }

    async fn events_in_order(
        &self,
        case_id: CaseId,
        after: Option<Cursor>,
        limit: i64,
        descending: bool,
    ) -> Result<Page<CaseEvent>> {
        self.case(case_id).await?;
        let mut sql = Sql::new(format!("SELECT {EVENT_COLUMNS} FROM case_events"));
        sql.eq("case_id", Some(case_id.0));
        if let Some(c) = after {
            let op = if descending { "seq < " } else { "seq > " };
            sql.and().push(op).arg(c.key);
        }
        sql.order_limit("seq", descending, limit);
        let rows = sql.query().fetch_all(&self.reader).await?;
        let items = rows.iter().map(event).collect::<Result<Vec<_>>>()?;
        Ok(cursor::page(items, limit, |e| Cursor {
            key: e.seq,
            id: e.id.0,
        }))
    }

    /// Checks that the ids a case refers to exist and can be used.
    pub(crate) async fn check_case_refs(
        &self,
        customer: Option<CustomerId>,
        assignee: Option<AgentId>,
        team: Option<TeamId>,
        agreement: Option<AgreementId>,
    ) -> Result<()> {
        let missing = |field: &str, what: &str, id: i64| {
            Invalid::new(field, format!("no {what} with id {id}"))
        };
        if let Some(c) = customer {
            self.customer(c)
                .await
                .map_err(|_| missing("customer_id", "customer", c.0))?;
        }
        if let Some(a) = assignee {
            let agent = self
                .agent(a)
                .await
                .map_err(|_| missing("assignee_id", "agent", a.0))?;
            if !agent.active {
                return Err(Invalid::new("assignee_id", "that agent is deactivated").into());
            }
        }
        if let Some(t) = team {
            self.team(t)
                .await
                .map_err(|_| missing("team_id", "team", t.0))?;
        }
        if let Some(a) = agreement {
            let found = self
                .agreement(a)
                .await
                .map_err(|_| missing("agreement_id", "agreement", a.0))?;
            if let Some(c) = customer {
                self.check_holder(&found, c).await?;
            }
        }
        Ok(())
    }

    async fn check_agreement_holder(&self, case_id: CaseId, agreement: AgreementId) -> Result<()> {
        let case = self.case(case_id).await?;
        let found = self.agreement(agreement).await?;
        self.check_holder(&found, case.customer_id).await
    }

    /// An agreement may be linked to a case of its customer, or of a member
    /// of its organisation.
    async fn check_holder(
        &self,
        agreement: &crate::model::Agreement,
        customer: CustomerId,
    ) -> Result<()> {
        let holder_ok = match (agreement.customer_id, agreement.organization_id) {
            (Some(c), _) => c == customer,
            (None, Some(org)) => self.customer(customer).await?.organization_id == Some(org),
            (None, None) => false,
        };
        if holder_ok {
            Ok(())
        } else {
            Err(Invalid::new("agreement_id", "that agreement belongs to another customer").into())
        }
    }
}

/// A LIKE pattern matching values that contain `text` literally.
/// `SELECT {columns} FROM cases` narrowed by `filter`.
fn filtered(columns: &str, filter: &CaseFilter) -> Sql {
    let mut sql = Sql::new(format!("SELECT {columns} FROM cases"));
    if !filter.statuses.is_empty() {
        sql.and().push("status IN (");
        for (i, s) in filter.statuses.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.arg(s.as_str());
        }
        sql.push(")");
    }
    match filter.assignee {
        Some(AssigneeFilter::Agent(a)) => {
            sql.eq("assignee_id", Some(a.0));
        }
        Some(AssigneeFilter::Nobody) => {
            sql.and().push("assignee_id IS NULL");
        }
        None => {}
    }
    sql.eq("team_id", filter.team_id.map(|t| t.0))
        .eq("customer_id", filter.customer_id.map(|c| c.0))
        .eq("priority", filter.priority.map(|p| p.as_str()))
        .eq("channel", filter.channel.map(|c| c.as_str()))
        .eq("effort_level", filter.effort_level.map(|l| l.as_str()));
    if !filter.team_ids.is_empty() {
        let ids: Vec<i64> = filter.team_ids.iter().map(|t| t.0).collect();
        sql.and().push("team_id IN ").id_list(&ids);
    }
    if let Some(org) = filter.organization_id {
        sql.and()
            .push("customer_id IN (SELECT id FROM customers WHERE organization_id = ")
            .arg(org.0)
            .push(")");
    }
    if let Some(except) = filter.except_customer_id {
        sql.and().push("customer_id <> ").arg(except.0);
    }
    if let Some(text) = &filter.customer_match {
        sql.and()
            .push("customer_id IN (SELECT id FROM customers WHERE ")
            .contains("name", text)
            .push(" UNION SELECT customer_id FROM contact_points WHERE LOWER(value) = ")
            .arg(text.to_lowercase())
            .push(")");
    }
    if let Some(text) = &filter.subject_contains {
        sql.and().contains("subject", text);
    }
    if let Some(tag) = &filter.tag {
        sql.and()
            .push("id IN (SELECT case_id FROM case_tags WHERE tag = ")
            .arg(tag.as_str())
            .push(")");
    }
    if let Some(since) = filter.updated_since {
        sql.and().push("updated_at >= ").arg(micros(since));
    }
    if let Some(at) = filter.awake_at {
        sql.and()
            .push("(snoozed_until IS NULL OR snoozed_until <= ")
            .arg(micros(at))
            .push(")");
    }
    if let Some(at) = filter.snoozed_at {
        sql.and().push("snoozed_until > ").arg(micros(at));
    }
    if let Some(agent) = filter.followed_by {
        sql.and()
            .push("id IN (SELECT case_id FROM case_followers WHERE agent_id = ")
            .arg(agent.0)
            .push(")");
    }
    if filter.sla_running {
        sql.and().push(SLA_DUE).push(" < ").arg(NEVER);
    }
    if let Some(by) = filter.sla_due_by {
        sql.and().push(SLA_DUE).push(" <= ").arg(micros(by));
    }
    sql
}

pub(crate) const EVENT_COLUMNS: &str = "id, case_id, seq, actor_kind, actor_id, data, created_at";

pub(crate) fn event(r: &sqlx::any::AnyRow) -> Result<CaseEvent> {
    Ok(CaseEvent {
        id: EventId(get(r, "id")?),
        case_id: CaseId(get(r, "case_id")?),
        seq: get(r, "seq")?,
        at: rows::time(r, "created_at")?,
        actor: rows::actor(r, "actor_kind", "actor_id")?,
        data: rows::json(r, "data")?,
    })
}

/// The columns of a new case row, in the order of [`new_case_values`];
/// `created_at` takes the same value as `updated_at` (`$11`).
macro_rules! new_case_columns {
    () => {
        "subject, status, priority, assignee_id, team_id, agreement_id, tags, custom_fields, \
         message_count, last_seq, updated_at, channel, customer_id, created_at"
    };
}
pub(crate) use new_case_columns;

/// The effort projection's columns, in the order of [`effort_values`]
/// (with the latest frustration score, also folded into the tally).
macro_rules! effort_columns {
    () => {
        "effort, effort_index, effort_level, waiting_since, first_response_at, resolved_at, repeat_of_id, frustration"
    };
}
pub(crate) use effort_columns;

/// The effort projection of `state` scored by `weights`: the eight values of
/// [`effort_columns`].
pub(crate) fn effort_values(weights: &EffortWeights, state: &CaseState) -> Result<Vec<Arg>> {
    let tally = &state.effort;
    let score = weights.score(tally);
    let time = |t: Option<Timestamp>| Arg::Int(t.map(micros));
    Ok(vec![
        json_without_defaults(tally)?.into(),
        i64::from(score.index).into(),
        score.level.as_str().into(),
        time(tally.waiting_since),
        time(tally.first_response_at),
        time(tally.resolved_at),
        Arg::Int(tally.repeat_of.map(|c| c.0)),
        i64::from(tally.frustration).into(),
    ])
}

/// The values of a new case row, `$1` to `$13` of [`new_case_columns`].
pub(crate) fn new_case_values(state: &CaseState) -> Result<Vec<Arg>> {
    folded_columns(
        state,
        [state.channel.as_str().into(), state.customer_id.0.into()],
    )
}

/// Writes a new case, its opening events (with the earlier case it
/// `repeat`s, if any) and first message; returns the case's id and folded
/// state.
pub(crate) async fn write_new_case(
    tx: &mut Tx,
    new: &NewCase,
    repeat: crate::repeat::Found,
    actor: Actor,
    at: Timestamp,
) -> Result<(CaseId, CaseState, MessageId)> {
    let (mut state, mut log) = fold_new_case(new, repeat, actor, at)?;
    let id = insert_case_row(tx, &state).await?;
    let message_id = insert_message(tx, id, &new.message, at).await?;
    crate::frustration::name_message(&mut log, message_id);
    for (seq, (who, data)) in (1..).zip(&log) {
        insert_event(tx, id, seq, *who, data, at).await?;
    }
    crate::routing::route_new_case(tx, id, &mut state, at).await?;
    crate::service_levels::upkeep::refold(tx, id, &state).await?;
    if crate::rules::engine::after_write(tx, id, 0).await? {
        let dialect = tx.dialect();
        state = load_state(tx, dialect, id).await?;
    }
    Ok((id, state, message_id))
}

/// Inserts the row of a new case folded to `state`, with its tags; answers
/// its id. The caller writes its log.
pub(crate) async fn insert_case_row(tx: &mut Tx, state: &CaseState) -> Result<CaseId> {
    let mut values = new_case_values(state)?;
    values.extend(effort_values(tx.effort(), state)?);
    let row = tx
        .fetch_one(
            concat!(
                "INSERT INTO cases (",
                new_case_columns!(),
                ", ",
                effort_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $11, \
                 $14, $15, $16, $17, $18, $19, $20, $21) RETURNING id"
            ),
            values,
        )
        .await?;
    let id = CaseId(row.int("id")?);
    for tag in &state.tags {
        insert_tag(tx, id, tag).await?;
    }
    Ok(id)
}

/// The state and opening events of a new case: `case_opened`, any custom
/// fields, the earlier case it repeats (`repeat`, unless it follows up a
/// closed one, which it then repeats), and `message_received` for the first
/// message, whose `message_id` is a placeholder (0) until the message row
/// exists.
pub(crate) fn fold_new_case(
    new: &NewCase,
    repeat: crate::repeat::Found,
    actor: Actor,
    at: Timestamp,
) -> Result<(CaseState, Vec<(Actor, EventData)>)> {
    let opened = EventData::CaseOpened {
        subject: new.subject.clone(),
        customer_id: new.customer_id,
        channel: new.channel,
        status: Status::New,
        priority: new.priority,
        tags: new.tags.clone(),
        agreement_id: new.agreement_id,
        team_id: new.team_id,
        assignee_id: new.assignee_id,
    };
    let mut state = CaseState::opened(actor.kind, &opened, at, 1)
        .ok_or(StoreError::Corrupt("case_opened expected".into()))?;
    let mut log = vec![(actor, opened)];
    if !new.custom_fields.is_empty() {
        log.push((
            actor,
            EventData::CustomFieldsChanged {
                changes: new.custom_fields.clone(),
            },
        ));
    }
    let repeat = match new.follows {
        Some(of) => Some((of, format!("reply to closed case #{of}"))),
        None => repeat,
    };
    if let Some((of, reason)) = repeat {
        log.push((Actor::system(), EventData::RepeatLinked { of, reason }));
    }
    // The fold does not depend on the message id, which only exists once the
    // case row does: fold first, write the case row once, then the log.
    log.push((
        new.message.author,
        EventData::MessageReceived {
            message_id: MessageId(0),
            channel: new.message.channel,
        },
    ));
    log.extend(crate::frustration::opening(&new.message, &log));
    for (who, data) in &log[1..] {
        state.apply(who.kind, data, at);
    }
    Ok((state, log))
}

/// Applies an agent's (or the system's) change to a case, appending one event
/// per real change; returns the new state and the events.
pub(crate) async fn apply_change(
    tx: &mut Tx,
    dialect: Dialect,
    id: CaseId,
    change: &CaseChange,
    actor: Actor,
    at: Timestamp,
) -> Result<(CaseState, Vec<CaseEvent>)> {
    let mut state = load_state(tx, dialect, id).await?;
    let before = state.clone();
    let mut events = Vec::new();
    for data in state.plan(change)? {
        events.push(append(tx, id, &mut state, actor, data, at).await?);
    }
    events.extend(crate::routing::after_change(tx, id, &before, &mut state, at).await?);
    if !events.is_empty() {
        save_state(tx, id, &state, &before).await?;
    }
    Ok((state, events))
}

/// Reopens a closed case because its customer wrote again.
pub(crate) async fn reopen_on_reply(
    tx: &mut Tx,
    dialect: Dialect,
    id: CaseId,
    at: Timestamp,
) -> Result<()> {
    let mut state = load_state(tx, dialect, id).await?;
    let before = state.clone();
    if let Some(data) = state.reopen_on_reply() {
        append(tx, id, &mut state, Actor::system(), data, at).await?;
        save_state(tx, id, &state, &before).await?;
    }
    Ok(())
}

/// Appends an event that only records something about the case (such as an
/// email's delivery), by Tend itself; works on closed cases too.
pub(crate) async fn append_system_event(
    tx: &mut Tx,
    dialect: Dialect,
    id: CaseId,
    data: EventData,
    at: Timestamp,
) -> Result<CaseEvent> {
    let mut state = load_state(tx, dialect, id).await?;
    let before = state.clone();
    let event = append(tx, id, &mut state, Actor::system(), data, at).await?;
    save_state(tx, id, &state, &before).await?;
    Ok(event)
}

/// Writes a message on an existing case with its event and any status change.
pub(crate) async fn write_message(
    tx: &mut Tx,
    dialect: Dialect,
    case_id: CaseId,
    msg: &NewMessage,
    at: Timestamp,
) -> Result<MessageId> {
    let mut state = load_state(tx, dialect, case_id).await?;
    if state.status == Status::Closed {
        return Err(StoreError::State(format!(
            "case #{case_id} is closed; open a follow-up case instead"
        )));
    }
    let before = state.clone();
    let id = insert_message(tx, case_id, msg, at).await?;
    let data = match (msg.author.kind, msg.internal) {
        (_, true) => EventData::NoteAdded { message_id: id },
        (ActorKind::Customer, false) => EventData::MessageReceived {
            message_id: id,
            channel: msg.channel,
        },
        _ => EventData::ReplySent {
            message_id: id,
            channel: msg.channel,
        },
    };
    append(tx, case_id, &mut state, msg.author, data, at).await?;
    if let Some(promise) = &msg.promise {
        crate::promise_upkeep::make_promise(tx, case_id, &mut state, msg.author, promise, at)
            .await?;
    }
    crate::frustration::after_message(tx, case_id, &mut state, msg, id, at).await?;
    if msg.author.kind == ActorKind::Customer && !msg.internal && state.is_snoozed(at) {
        let woken = EventData::Unsnoozed { by_customer: true };
        append(tx, case_id, &mut state, Actor::system(), woken, at).await?;
    }
    if let Some(to) = state.status_after_message(msg.author.kind, msg.internal) {
        let from = state.status;
        append(
            tx,
            case_id,
            &mut state,
            Actor::system(),
            EventData::StatusChanged { from, to },
            at,
        )
        .await?;
    }
    save_state(tx, case_id, &state, &before).await?;
    Ok(id)
}

/// Loads the case row as domain state, locking it on PostgreSQL.
pub(crate) async fn load_state(tx: &mut Tx, dialect: Dialect, id: CaseId) -> Result<CaseState> {
    let row = tx
        .fetch_optional(
            &format!(
                "SELECT {CASE_COLUMNS} FROM cases WHERE id = $1{}",
                dialect.for_update()
            ),
            args![id.0],
        )
        .await?
        .ok_or(StoreError::NotFound("case"))?;
    let tags: Vec<String> = parse_json("tags", &row.text("tags")?)?;
    Ok(CaseState {
        subject: row.text("subject")?,
        status: parse_word("status", &row.text("status")?, Status::parse)?,
        priority: parse_word("priority", &row.text("priority")?, Priority::parse)?,
        customer_id: CustomerId(row.int("customer_id")?),
        assignee_id: row.opt_int("assignee_id")?.map(AgentId),
        team_id: row.opt_int("team_id")?.map(TeamId),
        agreement_id: row.opt_int("agreement_id")?.map(AgreementId),
        channel: parse_word("channel", &row.text("channel")?, Channel::parse)?,
        tags: tags.into_iter().collect(),
        custom_fields: parse_json("custom_fields", &row.text("custom_fields")?)?,
        message_count: row.int("message_count")?,
        merged_into: row.opt_int("merged_into_id")?.map(CaseId),
        snoozed_until: row.opt_int("snoozed_until")?.map(from_micros).transpose()?,
        created_at: from_micros(row.int("created_at")?)?,
        updated_at: from_micros(row.int("updated_at")?)?,
        last_seq: row.int("last_seq")?,
        effort: parse_json("effort", &row.text("effort")?)?,
    })
}

/// Appends one event after the state's last and applies it to the state;
/// then the promises it keeps are recorded kept, by Tend, after it
/// ([`crate::promise_upkeep`]). Answers the event itself.
pub(crate) async fn append(
    tx: &mut Tx,
    case_id: CaseId,
    state: &mut CaseState,
    actor: Actor,
    data: EventData,
    at: Timestamp,
) -> Result<CaseEvent> {
    let event = append_one(tx, case_id, state, actor, data, at).await?;
    for kept in crate::promise_upkeep::after_event(tx, case_id, state, &event).await? {
        append_one(tx, case_id, state, Actor::system(), kept, at).await?;
    }
    Ok(event)
}

/// Appends one event after the state's last and applies it to the state.
async fn append_one(
    tx: &mut Tx,
    case_id: CaseId,
    state: &mut CaseState,
    actor: Actor,
    data: EventData,
    at: Timestamp,
) -> Result<CaseEvent> {
    let seq = state.last_seq + 1;
    let id = insert_event(tx, case_id, seq, actor, &data, at).await?;
    crate::surveys::after_event(tx, case_id, &data, at).await?;
    state.apply(actor.kind, &data, at);
    crate::notifications::after_event(tx, case_id, id, state, actor, &data, at).await?;
    Ok(CaseEvent {
        id,
        case_id,
        seq,
        at,
        actor,
        data,
    })
}

pub(crate) async fn insert_event(
    tx: &mut Tx,
    case_id: CaseId,
    seq: i64,
    actor: Actor,
    data: &EventData,
    at: Timestamp,
) -> Result<EventId> {
    let row = tx
        .fetch_one(
            "INSERT INTO case_events (case_id, seq, kind, actor_kind, actor_id, data, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            args![
                case_id.0,
                seq,
                data.kind(),
                actor.kind.as_str(),
                actor.id,
                json(data)?,
                micros(at),
            ],
        )
        .await?;
    let id = EventId(row.int("id")?);
    crate::webhooks::dispatch::after_event(tx, (id, case_id, seq), actor, data, at).await?;
    Ok(id)
}

/// The case row's columns a fold rewrites, in the order of
/// [`folded_columns`] (with `merged_into_id`, `snoozed_until` and
/// `customer_id` as its extra
/// values) followed by
/// [`effort_columns`].
const SAVED_COLUMNS: [&str; 22] = [
    "subject",
    "status",
    "priority",
    "assignee_id",
    "team_id",
    "agreement_id",
    "tags",
    "custom_fields",
    "message_count",
    "last_seq",
    "updated_at",
    "merged_into_id",
    "snoozed_until",
    "customer_id",
    "effort",
    "effort_index",
    "effort_level",
    "waiting_since",
    "first_response_at",
    "resolved_at",
    "repeat_of_id",
    "frustration",
];

/// The values of [`SAVED_COLUMNS`] for `state`.
fn saved_values(weights: &EffortWeights, state: &CaseState) -> Result<Vec<Arg>> {
    let mut values = folded_columns(
        state,
        [
            state.merged_into.map(|c| c.0).into(),
            Arg::Int(state.snoozed_until.map(micros)),
            state.customer_id.0.into(),
        ],
    )?;
    values.extend(effort_values(weights, state)?);
    Ok(values)
}

/// Rewrites the case row from the folded state: only the columns whose
/// value differs from `before`, since SQLite rewrites every index on a
/// column an UPDATE sets, changed or not. `before` also lets the tag index
/// change only what moved.
pub(crate) async fn save_state(
    tx: &mut Tx,
    id: CaseId,
    state: &CaseState,
    before: &CaseState,
) -> Result<()> {
    let old = saved_values(tx.effort(), before)?;
    let mut sql = String::from("UPDATE cases SET effort_folded = 1");
    let mut values = Vec::with_capacity(SAVED_COLUMNS.len() + 1);
    for ((column, new), old) in SAVED_COLUMNS
        .iter()
        .zip(saved_values(tx.effort(), state)?)
        .zip(old)
    {
        if new != old {
            values.push(new);
            sql.push_str(&format!(", {column} = ${}", values.len()));
        }
    }
    values.push(id.0.into());
    sql.push_str(&format!(" WHERE id = ${}", values.len()));
    tx.execute(&sql, values).await?;
    for tag in state.tags.difference(&before.tags) {
        insert_tag(tx, id, tag).await?;
    }
    for tag in before.tags.difference(&state.tags) {
        tx.execute(
            "DELETE FROM case_tags WHERE tag = $1 AND case_id = $2",
            args![tag.as_str(), id.0],
        )
        .await?;
    }
    crate::service_levels::upkeep::refold(tx, id, state).await?;
    // Boxed: rules write cases in turn (they stop themselves, see the engine).
    Box::pin(crate::rules::engine::after_write(tx, id, before.last_seq)).await?;
    Ok(())
}

/// The case row's columns that follow the fold, as `$1`...`$11`, then `more`.
fn folded_columns<const N: usize>(state: &CaseState, more: [Arg; N]) -> Result<Vec<Arg>> {
    let mut columns = args![
        &state.subject,
        state.status.as_str(),
        state.priority.as_str(),
        state.assignee_id.map(|a| a.0),
        state.team_id.map(|t| t.0),
        state.agreement_id.map(|a| a.0),
        json(&state.tags)?,
        json(&state.custom_fields)?,
        state.message_count,
        state.last_seq,
        micros(state.updated_at),
    ];
    columns.extend(more);
    Ok(columns)
}

async fn insert_tag(tx: &mut Tx, id: CaseId, tag: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO case_tags (tag, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        args![tag, id.0],
    )
    .await?;
    Ok(())
}

pub(crate) fn json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// `value` as a JSON object without the fields at their zero value (0,
/// false, null, an empty list): for types read back with `#[serde(default)]`
/// whose defaults are those zeros, such as the effort tally, which is
/// rewritten with every event and mostly zeros.
fn json_without_defaults(value: &impl serde::Serialize) -> Result<String> {
    use serde_json::Value;
    let mut value = serde_json::to_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if let Value::Object(fields) = &mut value {
        fields.retain(|_, field| match field {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_f64() != Some(0.0),
            Value::Array(items) => !items.is_empty(),
            Value::String(_) | Value::Object(_) => true,
        });
    }
    json(&value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tend_domain::effort::EffortTally;

    #[test]
    fn a_tally_without_its_zeros_reads_back_the_same() {
        assert_eq!(
            json_without_defaults(&EffortTally::default()).unwrap(),
            "{}"
        );
        let tally = EffortTally {
            contacts: 2,
            chasers: 1,
            last_channel: Some(tend_domain::case::Channel::Email),
            waiting_since: Some("2026-12-03T10:00:00Z".parse().unwrap()),
            reopened: 1,
            ..EffortTally::default()
        };
        let stored = json_without_defaults(&tally).unwrap();
        assert!(!stored.contains("transfers"), "{stored}");
        assert_eq!(serde_json::from_str::<EffortTally>(&stored).unwrap(), tally);
    }
}
