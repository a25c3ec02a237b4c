//! Routing in the write path: a case that lands on a team with nobody
//! assigned (opened on the team, handed off to it, or unassigned) is given
//! to one of the team's agents by the team's mode
//! ([`tend_domain::routing`]), and an agent who goes away or is deactivated
//! hands their unanswered cases back. Every decision is a `routed` event
//! with its reason, next to the `assigned` event that carries it out, in
//! the transaction of the change that caused it.
//!
//! Routing locks the team row (`FOR NO KEY UPDATE` on PostgreSQL; SQLite
//! has one writer) before it reads the members' turns and loads, so two cases
//! routed at once on one team see each other's pick. An agent in several
//! teams may be routed cases by two teams at once; their maximum then holds
//! per team's decision, not across teams.

use crate::agents::maximum;
use crate::cases::{append, load_state, save_state};
use crate::rows::{parse_json, parse_word};
use crate::tx::{Tx, args};
use crate::{Dialect, Result};
use jiff::Timestamp;
use std::collections::HashMap;
use tend_domain::agent::{Action, Role};
use tend_domain::case::Status;
use tend_domain::event::{Actor, CaseEvent, EventData};
use tend_domain::ids::{AgentId, CaseId, TeamId};
use tend_domain::routing::{Candidate, HandBack, Need, RoutingMode, TeamRouting};
use tend_domain::state::CaseState;

/// The statuses of an open case, as SQL: what counts towards an agent's
/// load and what is handed back.
const OPEN: &str = "('new', 'open', 'pending_customer', 'on_hold')";

/// Whether a case opened with this team and assignee may be routed (and so
/// must take the transactional write path).
pub(crate) fn may_route(team: Option<TeamId>, assignee: Option<AgentId>) -> bool {
    team.is_some() && assignee.is_none()
}

/// Whether a case in this state waits on its team for an agent.
fn waits_for_agent(state: &CaseState) -> bool {
    state.team_id.is_some()
        && state.assignee_id.is_none()
        && state.merged_into.is_none()
        && !matches!(state.status, Status::Resolved | Status::Closed)
}

/// Routes a case just written (row and opening log) when it was opened on
/// a team with nobody assigned; rewrites its row when routing added events.
pub(crate) async fn route_new_case(
    tx: &mut Tx,
    id: CaseId,
    state: &mut CaseState,
    at: Timestamp,
) -> Result<()> {
    if !waits_for_agent(state) {
        return Ok(());
    }
    let before = state.clone();
    if !route(tx, id, state, None, at).await?.is_empty() {
        save_state(tx, id, state, &before).await?;
    }
    Ok(())
}

/// After a change to a case (`before` it, `state` now, row not yet
/// rewritten): routes it when it landed on a team unassigned (handed off
/// without an assignee, or unassigned), preferring anyone but the agent who
/// just gave it up. Answers the events appended.
pub(crate) async fn after_change(
    tx: &mut Tx,
    id: CaseId,
    before: &CaseState,
    state: &mut CaseState,
    at: Timestamp,
) -> Result<Vec<CaseEvent>> {
    let landed = state.team_id != before.team_id || before.assignee_id.is_some();
    if !landed || !waits_for_agent(state) {
        return Ok(Vec::new());
    }
    route(tx, id, state, before.assignee_id, at).await
}

/// Hands back agent `agent`'s unanswered open cases (the customer wrote
/// last: `waiting_since` is set): each is unassigned with a `routed` event
/// saying why, then routed again in its team.
pub(crate) async fn hand_back(
    tx: &mut Tx,
    dialect: Dialect,
    agent: AgentId,
    why: HandBack,
    at: Timestamp,
) -> Result<()> {
    let rows = tx
        .fetch_all(
            &format!(
                "SELECT id FROM cases WHERE assignee_id = $1 AND status IN {OPEN} \
                 AND waiting_since IS NOT NULL ORDER BY waiting_since, id"
            ),
            args![agent.0],
        )
        .await?;
    for row in rows {
        let id = CaseId(row.int("id")?);
        let mut state = load_state(tx, dialect, id).await?;
        if state.assignee_id != Some(agent) {
            continue;
        }
        let before = state.clone();
        let returned = EventData::Routed {
            to: None,
            team_id: state.team_id,
            reason: why.reason(state.team_id.is_some()),
        };
        append(tx, id, &mut state, Actor::system(), returned, at).await?;
        let unassigned = EventData::Assigned {
            from: Some(agent),
            to: None,
        };
        append(tx, id, &mut state, Actor::system(), unassigned, at).await?;
        if waits_for_agent(&state) {
            route(tx, id, &mut state, Some(agent), at).await?;
        }
        save_state(tx, id, &state, &before).await?;
    }
    Ok(())
}

/// Decides who in the case's team gets it and records the decision: a
/// `routed` event, and an `assigned` one when an agent was picked. A
/// manual team decides nothing and records nothing.
async fn route(
    tx: &mut Tx,
    id: CaseId,
    state: &mut CaseState,
    not: Option<AgentId>,
    at: Timestamp,
) -> Result<Vec<CaseEvent>> {
    let Some(team) = state.team_id else {
        return Ok(Vec::new());
    };
    // NO KEY UPDATE: routers of one team queue on the row, while the
    // foreign-key checks of cases being written on the team (which take
    // KEY SHARE on it) do not; FOR UPDATE would deadlock two new cases of
    // the team against each other.
    let lock = match tx.dialect() {
        Dialect::Postgres => " FOR NO KEY UPDATE",
        Dialect::Sqlite => "",
    };
    let Some(settings) = tx
        .fetch_optional(
            &format!(
                "SELECT routing_mode, max_open_cases, match_skills, routing_turn \
                 FROM teams WHERE id = $1{lock}"
            ),
            args![team.0],
        )
        .await?
    else {
        return Ok(Vec::new());
    };
    let routing = TeamRouting {
        mode: parse_word(
            "routing_mode",
            &settings.text("routing_mode")?,
            RoutingMode::parse,
        )?,
        max_open_cases: maximum(settings.opt_int("max_open_cases")?),
        match_skills: settings.int("match_skills")? != 0,
    };
    if routing.mode == RoutingMode::Manual {
        return Ok(Vec::new());
    }
    let candidates = candidates(tx, team).await?;
    let language = match routing.match_skills {
        true => tx
            .fetch_optional(
                "SELECT language FROM customers WHERE id = $1",
                args![state.customer_id.0],
            )
            .await?
            .map(|row| row.opt_text("language"))
            .transpose()?
            .flatten(),
        false => None,
    };
    let need = Need {
        tags: state.tags.clone(),
        language,
        not,
    };
    let Some(decision) = routing.decide(&candidates, &need) else {
        return Ok(Vec::new());
    };
    let routed = EventData::Routed {
        to: decision.to,
        team_id: Some(team),
        reason: decision.reason,
    };
    let mut events = vec![append(tx, id, state, Actor::system(), routed, at).await?];
    if let Some(to) = decision.to {
        let turn = settings.int("routing_turn")? + 1;
        tx.execute(
            "UPDATE teams SET routing_turn = $1 WHERE id = $2",
            args![turn, team.0],
        )
        .await?;
        tx.execute(
            "UPDATE team_members SET routed_turn = $1 WHERE team_id = $2 AND agent_id = $3",
            args![turn, team.0, to.0],
        )
        .await?;
        let assigned = EventData::Assigned {
            from: state.assignee_id,
            to: Some(to),
        };
        events.push(append(tx, id, state, Actor::system(), assigned, at).await?);
    }
    Ok(events)
}

/// The team's members as routing sees them, with their open cases.
async fn candidates(tx: &mut Tx, team: TeamId) -> Result<Vec<Candidate>> {
    let loads: HashMap<i64, i64> = tx
        .fetch_all(
            &format!(
                "SELECT assignee_id, COUNT(*) AS n FROM cases WHERE assignee_id IN \
                 (SELECT agent_id FROM team_members WHERE team_id = $1) \
                 AND status IN {OPEN} GROUP BY assignee_id"
            ),
            args![team.0],
        )
        .await?
        .iter()
        .map(|row| Ok((row.int("assignee_id")?, row.int("n")?)))
        .collect::<Result<_>>()?;
    let members = tx
        .fetch_all(
            "SELECT a.id, a.role, a.active, a.available, a.max_open_cases, a.skills, \
             a.languages, m.routed_turn FROM team_members m JOIN agents a ON a.id = m.agent_id \
             WHERE m.team_id = $1 ORDER BY a.id",
            args![team.0],
        )
        .await?;
    members
        .iter()
        .map(|row| {
            let id = row.int("id")?;
            let role = parse_word("role", &row.text("role")?, Role::parse)?;
            Ok(Candidate {
                agent_id: AgentId(id),
                may_work: row.int("active")? != 0 && role.may(Action::Work),
                available: row.int("available")? != 0,
                open_cases: u32::try_from(loads.get(&id).copied().unwrap_or(0)).unwrap_or(u32::MAX),
                max_open_cases: maximum(row.opt_int("max_open_cases")?),
                last_turn: row.int("routed_turn")?,
                skills: parse_json("skills", &row.text("skills")?)?,
                languages: parse_json("languages", &row.text("languages")?)?,
            })
        })
        .collect()
}
