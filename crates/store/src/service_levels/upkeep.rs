//! The SLA projection of a case and its timers. With every write to a
//! case, the first matching policy is found and the case's clocks are
//! folded again from the events that move them; the soonest due time is
//! written on the case row (so views sort and filter by it through an
//! index) and, when it moved, a timer job is queued for the case's next
//! moment: its warning, then its breach. There is no scan of all cases.
//!
//! The timer ([`Store::check_sla`]) measures the case again at its moment
//! and records `sla_warned` / `sla_breached` once per run of a clock, then
//! escalates as the policy says (raise the priority, hand the case to a
//! team) and queues the next moment.

use super::setup::{ActivePolicy, SlaCache, SlaSetup};
use crate::cases::{append, apply_change, load_state, save_state};
use crate::jobs::{JobKind, NewJob, enqueue};
use crate::notifications::{Recipient, notify};
use crate::rules::facts::{case_inbox, customer_organization};
use crate::time::{from_micros, micros};
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use std::sync::Arc;
use tend_domain::calendar::BusinessCalendar;
use tend_domain::case::{CaseChange, Priority};
use tend_domain::event::{Actor, ActorKind, EventData};
use tend_domain::ids::{AgentId, CaseId, TeamId};
use tend_domain::notification::{NotificationKind, cap};
use tend_domain::sla::definition::CaseFacts;
use tend_domain::sla::{ClockKind, ClockState, SlaClocks, SlaStatus};
use tend_domain::state::CaseState;

/// The event kinds the clocks (and their records) are folded from.
const CLOCK_EVENTS: &str = "'case_opened', 'message_received', 'reply_sent', 'contact_logged', \
     'priority_changed', 'status_changed', 'sla_warned', 'sla_breached'";

/// A case measured against its policy.
pub(crate) struct Measured {
    pub(crate) setup: Arc<SlaSetup>,
    pub(crate) index: usize,
    pub(crate) calendar: BusinessCalendar,
    pub(crate) clocks: SlaClocks,
    /// `sla_warned` / `sla_breached` already recorded: (breach?, clock, at).
    recorded: Vec<(bool, ClockKind, Timestamp)>,
}

impl Measured {
    pub(crate) fn policy(&self) -> &ActivePolicy {
        &self.setup.policies[self.index]
    }

    /// The clocks at `now`.
    pub(crate) fn status(&self, now: Timestamp) -> SlaStatus {
        self.clocks
            .status(&self.policy().clocks, &self.calendar, now)
    }

    /// Whether a warning (or a breach, `breach`) of `clock` was recorded
    /// in its current run.
    fn recorded(&self, breach: bool, clock: ClockKind) -> bool {
        let started = self.clocks.started(clock);
        self.recorded
            .iter()
            .any(|(b, c, at)| *b == breach && *c == clock && started.is_none_or(|s| *at >= s))
    }

    /// When a running clock is warned about.
    fn warn_at(&self, due_at: Timestamp) -> Option<Timestamp> {
        let minutes = self.policy().definition.warn_before_minutes;
        (minutes > 0)
            .then(|| {
                due_at
                    .checked_sub(SignedDuration::from_mins(i64::from(minutes)))
                    .ok()
            })
            .flatten()
    }

    /// The next moment a timer must look at the case after `now`: a
    /// warning or breach not yet recorded.
    fn next_moment(&self, now: Timestamp) -> Option<Timestamp> {
        self.status(now)
            .clocks()
            .into_iter()
            .filter_map(|(clock, state)| match state {
                ClockState::Running { due_at, .. } => Some((clock, due_at)),
                _ => None,
            })
            .flat_map(|(clock, due_at)| {
                let warn = self
                    .warn_at(due_at)
                    .filter(|_| !self.recorded(false, clock) && !self.recorded(true, clock));
                let breach = Some(due_at).filter(|_| !self.recorded(true, clock));
                [warn, breach]
            })
            .flatten()
            .min()
            .map(|at| at.max(now))
    }
}

/// Measures case `id` (in `state`) against the first matching policy;
/// none when no enabled policy covers it.
pub(crate) async fn measure(
    tx: &mut Tx,
    id: CaseId,
    state: &CaseState,
) -> Result<Option<Measured>> {
    let setup = SlaCache::get(tx).await?;
    if !setup.active() {
        return Ok(None);
    }
    let needs_inbox = setup.has_inbox_calendars()
        || setup
            .policies
            .iter()
            .any(|p| p.definition.conditions.needs_inbox());
    let inbox_id = if needs_inbox {
        case_inbox(tx, id).await?
    } else {
        None
    };
    let organization_id = if setup
        .policies
        .iter()
        .any(|p| p.definition.conditions.needs_organization())
    {
        customer_organization(tx, state).await?
    } else {
        None
    };
    let facts = CaseFacts {
        inbox_id,
        team_id: state.team_id,
        channel: state.channel,
        organization_id,
        agreement_id: state.agreement_id,
        tags: &state.tags,
    };
    let Some(index) = setup
        .policies
        .iter()
        .position(|p| p.definition.conditions.matches(&facts))
    else {
        return Ok(None);
    };
    let (_, calendar) = setup.calendar_for(state.team_id.map(|t| t.0), inbox_id);
    let rows = tx
        .fetch_all(
            &format!(
                "SELECT actor_kind, data, created_at FROM case_events \
                 WHERE case_id = $1 AND kind IN ({CLOCK_EVENTS}) ORDER BY seq"
            ),
            args![id.0],
        )
        .await?;
    let policy = &setup.policies[index].clocks;
    let mut clocks = SlaClocks::default();
    let mut recorded = Vec::new();
    for row in rows {
        let actor =
            crate::rows::parse_word("actor_kind", &row.text("actor_kind")?, ActorKind::parse)?;
        let data: EventData = crate::rows::parse_json("data", &row.text("data")?)?;
        let at = from_micros(row.int("created_at")?)?;
        match data {
            EventData::SlaWarned { clock, .. } => recorded.push((false, clock, at)),
            EventData::SlaBreached { clock, .. } => recorded.push((true, clock, at)),
            data => clocks.apply(policy, &calendar, actor, &data, at),
        }
    }
    Ok(Some(Measured {
        setup,
        index,
        calendar,
        clocks,
        recorded,
    }))
}

/// Writes the SLA projection of case `id` after a change; queues a timer
/// when the due time moved.
pub(crate) async fn refold(tx: &mut Tx, id: CaseId, state: &CaseState) -> Result<()> {
    let measured = measure(tx, id, state).await?;
    let now = state.updated_at;
    let (policy_id, clock, due_at) = match &measured {
        None => (None, None, None),
        Some(m) => {
            let status = m.status(now);
            match status.soonest() {
                Some((clock, due_at)) => (Some(m.policy().id), Some(clock.as_str()), Some(due_at)),
                None if status.paused() => (Some(m.policy().id), Some("paused"), None),
                None => (Some(m.policy().id), None, None),
            }
        }
    };
    let row = tx
        .fetch_one(
            "SELECT sla_policy_id, sla_clock, sla_due_at FROM cases WHERE id = $1",
            args![id.0],
        )
        .await?;
    let old = (
        row.opt_int("sla_policy_id")?,
        row.opt_text("sla_clock")?,
        row.opt_int("sla_due_at")?,
    );
    let new = (policy_id, clock.map(str::to_owned), due_at.map(micros));
    if old == new {
        return Ok(());
    }
    tx.execute(
        "UPDATE cases SET sla_policy_id = $1, sla_clock = $2, sla_due_at = $3 WHERE id = $4",
        args![new.0, new.1, new.2, id.0],
    )
    .await?;
    if old.2 != new.2
        && let Some(at) = measured.as_ref().and_then(|m| m.next_moment(now))
    {
        queue_timer(tx, id, at).await?;
    }
    Ok(())
}

async fn queue_timer(tx: &mut Tx, id: CaseId, at: Timestamp) -> Result<()> {
    enqueue(
        tx,
        &NewJob::new(JobKind::SlaTimer, json!({"case_id": id.0}), at),
    )
    .await?;
    Ok(())
}

/// What a timer found and did, for the notifications it causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaAlert {
    pub case_id: CaseId,
    /// Breached (else warned).
    pub breached: bool,
    pub clock: ClockKind,
    pub due_at: Timestamp,
    /// Whether the policy asks for agents to be told.
    pub notify: bool,
    /// Who to tell: the assignee, else the team's agents.
    pub assignee_id: Option<AgentId>,
    pub team_id: Option<TeamId>,
}

impl Store {
    /// Looks at case `id` at `now` (its timer fired): records the
    /// warnings and breaches due, escalates breaches as the policy says
    /// and queues the next moment. Answers what it recorded.
    pub async fn check_sla(&self, id: CaseId, now: Timestamp) -> Result<Vec<SlaAlert>> {
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let mut state = match load_state(tx, dialect, id).await {
                    Ok(state) => state,
                    Err(StoreError::NotFound(_)) => return Ok(Vec::new()),
                    Err(e) => return Err(e),
                };
                let Some(measured) = measure(tx, id, &state).await? else {
                    return Ok(Vec::new());
                };
                let policy = measured.policy();
                let (policy_id, escalation) = (policy.id, policy.definition.escalation);
                let before = state.clone();
                let mut alerts = Vec::new();
                for (clock, clock_state) in measured.status(now).clocks() {
                    let ClockState::Running { due_at, .. } = clock_state else {
                        continue;
                    };
                    let breached = now >= due_at && !measured.recorded(true, clock);
                    let warned = !breached
                        && measured.warn_at(due_at).is_some_and(|w| now >= w)
                        && !measured.recorded(false, clock)
                        && !measured.recorded(true, clock);
                    if !(breached || warned) {
                        continue;
                    }
                    let data = if breached {
                        EventData::SlaBreached {
                            clock,
                            due_at,
                            policy_id,
                        }
                    } else {
                        EventData::SlaWarned {
                            clock,
                            due_at,
                            policy_id,
                        }
                    };
                    let event = append(tx, id, &mut state, Actor::system(), data, now).await?;
                    if breached && escalation.notify {
                        let to = match (state.assignee_id, state.team_id) {
                            (Some(agent), _) => vec![Recipient::Agent(agent)],
                            (None, Some(team)) => vec![Recipient::Team(team)],
                            (None, None) => Vec::new(),
                        };
                        let text = cap(&format!(
                            "#{id} {}: the {} target passed unmet",
                            state.subject,
                            clock.as_str().replace('_', " ")
                        ));
                        notify(tx, &to, NotificationKind::Notice, id, &text, Some(event.id))
                            .await?;
                    }
                    alerts.push(SlaAlert {
                        case_id: id,
                        breached,
                        clock,
                        due_at,
                        notify: escalation.notify,
                        assignee_id: state.assignee_id,
                        team_id: state.team_id,
                    });
                }
                if alerts.is_empty() {
                    return Ok(alerts);
                }
                save_state(tx, id, &state, &before).await?;
                if alerts.iter().any(|a| a.breached) {
                    let change = CaseChange {
                        priority: escalation
                            .raise_priority
                            .then(|| raised(state.priority))
                            .flatten(),
                        team: escalation
                            .team_id
                            .filter(|t| state.team_id != Some(*t))
                            .map(Some),
                        ..CaseChange::default()
                    };
                    if change.priority.is_some() || change.team.is_some() {
                        apply_change(tx, dialect, id, &change, Actor::system(), now).await?;
                    }
                }
                let state = load_state(tx, dialect, id).await?;
                if let Some(m) = measure(tx, id, &state).await?
                    && let Some(at) = m.next_moment(now)
                {
                    queue_timer(tx, id, at).await?;
                }
                Ok(alerts)
            })
        })
        .await
    }

    /// The SLA status of case `id` at `now` with its policy's id and
    /// name; none when no policy covers it.
    pub async fn case_sla(&self, id: CaseId, now: Timestamp) -> Result<Option<CaseSla>> {
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let state = load_state(tx, dialect, id).await?;
                Ok(measure(tx, id, &state).await?.map(|m| CaseSla {
                    policy_id: m.policy().id,
                    policy_name: m.policy().definition.name.clone(),
                    status: m.status(now),
                }))
            })
        })
        .await
    }
}

/// A case's SLA as the case page shows it.
#[derive(Debug, Clone)]
pub struct CaseSla {
    pub policy_id: i64,
    pub policy_name: String,
    pub status: SlaStatus,
}

/// The priority one step up, if there is one.
fn raised(priority: Priority) -> Option<Priority> {
    match priority {
        Priority::Low => Some(Priority::Normal),
        Priority::Normal => Some(Priority::High),
        Priority::High => Some(Priority::Urgent),
        Priority::Urgent => None,
    }
}
