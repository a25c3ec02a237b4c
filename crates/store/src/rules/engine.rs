//! Runs the rules inside the write that triggers them. After a write to a
//! case, the events it appended are matched against every enabled rule's
//! trigger; a rule whose conditions the case meets acts in a savepoint, so
//! a rule that fails leaves the case as it was and records its error on
//! the rule. What rules do can trigger other rules, for at most
//! [`MAX_ROUNDS`] rounds; a rule is never triggered by a write it took
//! part in, so no rule sets itself off. A rule that waits (`after_hours`)
//! queues a timer instead of acting.

use super::cache::{ActiveRule, RuleCache, RuleSet};
use super::facts;
use crate::cases::{append, apply_change, load_state, save_state, write_message};
use crate::jobs::{JobKind, NewJob, enqueue};
use crate::messages::NewMessage;
use crate::notifications::{Recipient, notify};
use crate::promise_upkeep::make_promise;
use crate::time::{from_micros, micros};
use crate::tx::{Tx, args};
use crate::{Result, StoreError};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use std::collections::BTreeSet;
use tend_domain::case::CaseChange;
use tend_domain::event::{Actor, ActorKind, EventData};
use tend_domain::ids::CaseId;
use tend_domain::notification::{NotificationKind, cap};
use tend_domain::promise::NewPromise;
use tend_domain::rules::{NoticeTo, RuleAction};
use tend_domain::state::CaseState;

/// Most rounds of rules one write sets off (rules acting on what rules
/// did); what the last round's actions would trigger is left alone.
pub const MAX_ROUNDS: usize = 3;

/// One appended event, as the engine reads it back.
struct Appended {
    seq: i64,
    actor: Actor,
    data: EventData,
    at: Timestamp,
}

/// Runs the rules on the events case `id` got after `after_seq` in this
/// write. Called at the end of every case write; answers whether a rule
/// acted (so the case changed since the caller's fold).
pub(crate) async fn after_write(tx: &mut Tx, id: CaseId, after_seq: i64) -> Result<bool> {
    if tx.in_rules || !tx.setups.rules.may_apply() {
        return Ok(false);
    }
    let set = RuleCache::get(tx).await?;
    if set.rules.is_empty() {
        return Ok(false);
    }
    tx.in_rules = true;
    let result = follow(tx, &set, id, after_seq).await;
    tx.in_rules = false;
    result
}

/// Rounds of rules over the events after `after_seq`, then over what the
/// rules themselves appended; answers whether a rule acted.
pub(super) async fn follow(
    tx: &mut Tx,
    set: &RuleSet,
    id: CaseId,
    mut after_seq: i64,
) -> Result<bool> {
    let mut took_part = BTreeSet::new();
    let mut acted = false;
    for _ in 0..MAX_ROUNDS {
        let events = appended_after(tx, id, after_seq).await?;
        let Some(last) = events.last() else {
            return Ok(acted);
        };
        after_seq = last.seq;
        took_part.extend(
            events
                .iter()
                .filter(|e| e.actor.kind == ActorKind::Rule)
                .filter_map(|e| e.actor.id),
        );
        // The case as the rules see it, read again only after one acted.
        let mut state = None;
        for rule in &set.rules {
            if took_part.contains(&rule.id) {
                continue;
            }
            let Some(event) = events
                .iter()
                .rev()
                .find(|e| rule.definition.when.fired_by(&e.data))
            else {
                continue;
            };
            match rule.definition.when.after_hours {
                Some(hours) => queue_timer(tx, rule.id, id, event.seq, event.at, hours).await?,
                None => {
                    let seen = match state.take() {
                        Some(seen) => seen,
                        None => load_state(tx, tx.dialect(), id).await?,
                    };
                    if act(tx, rule, id, &seen, event.at).await? {
                        acted = true;
                    } else {
                        state = Some(seen);
                    }
                }
            }
        }
    }
    if !appended_after(tx, id, after_seq).await?.is_empty() {
        tracing::warn!(case = %id, "rules stopped after {MAX_ROUNDS} rounds on one write");
    }
    Ok(acted)
}

/// The events of case `id` after `after_seq`, in order.
async fn appended_after(tx: &mut Tx, id: CaseId, after_seq: i64) -> Result<Vec<Appended>> {
    tx.fetch_all(
        "SELECT seq, actor_kind, actor_id, data, created_at FROM case_events \
         WHERE case_id = $1 AND seq > $2 ORDER BY seq",
        args![id.0, after_seq],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(Appended {
            seq: row.int("seq")?,
            actor: Actor {
                kind: crate::rows::parse_word(
                    "actor_kind",
                    &row.text("actor_kind")?,
                    ActorKind::parse,
                )?,
                id: row.opt_int("actor_id")?,
            },
            data: crate::rows::parse_json("data", &row.text("data")?)?,
            at: from_micros(row.int("created_at")?)?,
        })
    })
    .collect()
}

/// Queues the timer of a rule that waits `hours` after event `seq`.
async fn queue_timer(
    tx: &mut Tx,
    rule_id: i64,
    id: CaseId,
    seq: i64,
    at: Timestamp,
    hours: u32,
) -> Result<()> {
    let run_at = at
        .checked_add(SignedDuration::from_hours(i64::from(hours)))
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    enqueue(
        tx,
        &NewJob::new(
            JobKind::RuleTimer,
            json!({"rule_id": rule_id, "case_id": id.0, "seq": seq}),
            run_at,
        ),
    )
    .await?;
    Ok(())
}

/// Lets `rule` act on case `id` (now in `state`) at `at` if the case
/// meets its conditions: all its actions, or (when one fails) none, with
/// the error recorded on the rule. Answers whether it acted (and so
/// changed the case).
pub(super) async fn act(
    tx: &mut Tx,
    rule: &ActiveRule,
    id: CaseId,
    state: &CaseState,
    at: Timestamp,
) -> Result<bool> {
    let conditions = &rule.definition.conditions;
    let looked = facts::look_in(tx, conditions, id, state, at).await?;
    if !conditions.matches(&looked.facts(state)) {
        return Ok(false);
    }
    tx.execute("SAVEPOINT rule_action", args![]).await?;
    match take_actions(tx, rule, id, at).await {
        Ok(()) => {
            tx.execute("RELEASE SAVEPOINT rule_action", args![]).await?;
            tx.execute(
                "UPDATE rules SET fired = fired + 1, last_fired_at = $1 WHERE id = $2",
                args![micros(at), rule.id],
            )
            .await?;
            Ok(true)
        }
        Err(error) => {
            tx.execute("ROLLBACK TO SAVEPOINT rule_action", args![])
                .await?;
            tx.execute("RELEASE SAVEPOINT rule_action", args![]).await?;
            record_failure(tx, rule.id, id, &error.to_string(), at).await?;
            // Rolled back: the case is as it was.
            Ok(false)
        }
    }
}

/// Records that rule `rule_id` failed on case `id`.
pub(super) async fn record_failure(
    tx: &mut Tx,
    rule_id: i64,
    id: CaseId,
    error: &str,
    at: Timestamp,
) -> Result<()> {
    tracing::warn!(rule = rule_id, case = %id, "rule failed: {error}");
    tx.execute(
        "UPDATE rules SET failures = failures + 1, last_error = $1, last_error_case_id = $2, \
         last_error_at = $3 WHERE id = $4",
        args![
            tend_domain::text::preview(error, 500),
            id.0,
            micros(at),
            rule_id
        ],
    )
    .await?;
    Ok(())
}

/// Every action of `rule` on case `id`, as the rule.
async fn take_actions(tx: &mut Tx, rule: &ActiveRule, id: CaseId, at: Timestamp) -> Result<()> {
    let actor = Actor::rule(rule.id);
    let dialect = tx.dialect();
    let mut state = load_state(tx, dialect, id).await?;
    let before = state.clone();
    let applied = EventData::RuleApplied {
        rule_id: rule.id,
        rule: rule.definition.name.clone(),
        actions: rule
            .definition
            .actions
            .iter()
            .map(|a| a.name().to_owned())
            .collect(),
    };
    append(tx, id, &mut state, actor, applied, at).await?;
    save_state(tx, id, &state, &before).await?;
    let change = rule.definition.change();
    if change != CaseChange::default() {
        check_refs(tx, &change).await?;
        apply_change(tx, dialect, id, &change, actor, at).await?;
    }
    for action in &rule.definition.actions {
        match action {
            RuleAction::Note { text } => {
                let state = load_state(tx, dialect, id).await?;
                let note = NewMessage::text(actor, state.channel, true, text.clone());
                write_message(tx, dialect, id, &note, at).await?;
            }
            RuleAction::Promise {
                text,
                due_in_hours,
                visible_to_customer,
                kept_by,
            } => {
                let due_at = at
                    .checked_add(SignedDuration::from_hours(i64::from(*due_in_hours)))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let promise =
                    NewPromise::checked(text, due_at, None, *visible_to_customer, *kept_by, at)?;
                let mut state = load_state(tx, dialect, id).await?;
                let before = state.clone();
                make_promise(tx, id, &mut state, actor, &promise, at).await?;
                save_state(tx, id, &state, &before).await?;
            }
            RuleAction::Notify { to, agent_id, text } => {
                let state = load_state(tx, dialect, id).await?;
                let to = match (to, agent_id, state.assignee_id, state.team_id) {
                    (NoticeTo::Agent, Some(agent), _, _) => vec![Recipient::Agent(*agent)],
                    (NoticeTo::Assignee, _, Some(agent), _) => vec![Recipient::Agent(agent)],
                    (NoticeTo::Assignee | NoticeTo::Team, _, _, Some(team)) => {
                        vec![Recipient::Team(team)]
                    }
                    _ => Vec::new(),
                };
                let text = cap(&format!("#{id} {}: {text}", state.subject));
                notify(tx, &to, NotificationKind::Notice, id, &text, None).await?;
            }
            RuleAction::CannedReply { canned_reply_id } => {
                let exists = tx
                    .fetch_optional(
                        "SELECT id FROM canned_replies WHERE id = $1",
                        args![*canned_reply_id],
                    )
                    .await?;
                if exists.is_none() {
                    return Err(StoreError::NotFound("canned reply"));
                }
                enqueue(
                    tx,
                    &NewJob::new(
                        JobKind::RuleReply,
                        json!({"rule_id": rule.id, "case_id": id.0, "canned_reply_id": canned_reply_id}),
                        at,
                    ),
                )
                .await?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks the agent and team a rule's change names exist (and the agent
/// is active).
async fn check_refs(tx: &mut Tx, change: &CaseChange) -> Result<()> {
    if let Some(Some(agent)) = change.assignee {
        let active = tx
            .fetch_optional("SELECT active FROM agents WHERE id = $1", args![agent.0])
            .await?
            .map(|r| r.int("active"))
            .transpose()?;
        match active {
            None => return Err(StoreError::State(format!("no agent with id {agent}"))),
            Some(0) => return Err(StoreError::State(format!("agent {agent} is deactivated"))),
            Some(_) => {}
        }
    }
    if let Some(Some(team)) = change.team
        && tx
            .fetch_optional("SELECT id FROM teams WHERE id = $1", args![team.0])
            .await?
            .is_none()
    {
        return Err(StoreError::State(format!("no team with id {team}")));
    }
    Ok(())
}
