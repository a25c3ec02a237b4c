//! Automation rules as an admin writes them: *when* something happens to a
//! case (its trigger), *if* the case meets the conditions, *then* the
//! actions run. Checked here once, so the store and the web layer only
//! ever hold valid rules; matching is a pure function of the case's facts.

use crate::Invalid;
use crate::case::{Priority, Status, parse_tags};
use crate::event::EventData;
use crate::ids::{AgentId, CustomerId, TeamId};
use crate::promise::PromiseKeeper;
use crate::sla::definition::{CaseFacts, MAX_CONDITION_VALUES, SlaConditions};
use crate::state::CaseState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest rule name, in characters.
pub const MAX_NAME: usize = 100;
/// Most actions one rule takes.
pub const MAX_ACTIONS: usize = 10;
/// Longest text a condition looks for, or a note, promise or notice holds.
pub const MAX_TEXT: usize = 500;
/// Longest wait of a delayed rule: 90 days.
pub const MAX_AFTER_HOURS: u32 = 24 * 90;
/// Longest promise a rule makes, in hours (as far ahead as any promise).
pub const MAX_PROMISE_HOURS: u32 = 24 * crate::promise::MAX_DAYS_AHEAD as u32;

crate::string_enum!(
    /// What happened to a case that a rule listens for.
    RuleEvent {
        /// A case was opened.
        CaseCreated = "case_created",
        /// The customer wrote (email, portal, web form).
        CustomerMessage = "customer_message",
        /// The case's status changed.
        StatusChanged = "status_changed",
        /// The case was assigned to an agent.
        Assigned = "assigned",
        /// An SLA clock is about to breach.
        SlaWarning = "sla_warning",
        /// An SLA clock breached.
        SlaBreach = "sla_breach",
        /// A promise to the customer was broken.
        PromiseBroken = "promise_broken",
        /// The customer answered a survey.
        SurveyAnswered = "survey_answered",
        /// The customer approved a quote.
        QuoteApproved = "quote_approved",
        /// The customer declined a quote.
        QuoteDeclined = "quote_declined",
    }
);

impl RuleEvent {
    /// The rule event `data` is, if any (a status change to `status`
    /// only when `status` is given).
    pub fn of(data: &EventData) -> Option<RuleEvent> {
        Some(match data {
            EventData::CaseOpened { .. } => RuleEvent::CaseCreated,
            EventData::MessageReceived { .. } => RuleEvent::CustomerMessage,
            EventData::StatusChanged { .. } => RuleEvent::StatusChanged,
            EventData::Assigned { to: Some(_), .. } => RuleEvent::Assigned,
            EventData::SlaWarned { .. } => RuleEvent::SlaWarning,
            EventData::SlaBreached { .. } => RuleEvent::SlaBreach,
            EventData::PromiseBroken { .. } => RuleEvent::PromiseBroken,
            EventData::SurveyAnswered { .. } => RuleEvent::SurveyAnswered,
            EventData::QuoteApproved { .. } => RuleEvent::QuoteApproved,
            EventData::QuoteDeclined { .. } => RuleEvent::QuoteDeclined,
            _ => return None,
        })
    }

    /// The stored event kinds (`case_events.kind`) this rule event is.
    pub fn event_kind(self) -> &'static str {
        match self {
            RuleEvent::CaseCreated => "case_opened",
            RuleEvent::CustomerMessage => "message_received",
            RuleEvent::StatusChanged => "status_changed",
            RuleEvent::Assigned => "assigned",
            RuleEvent::SlaWarning => "sla_warned",
            RuleEvent::SlaBreach => "sla_breached",
            RuleEvent::PromiseBroken => "promise_broken",
            RuleEvent::SurveyAnswered => "survey_answered",
            RuleEvent::QuoteApproved => "quote_approved",
            RuleEvent::QuoteDeclined => "quote_declined",
        }
    }
}

/// When a rule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleTrigger {
    /// The event the rule listens for.
    pub on: RuleEvent,
    /// For `status_changed`: only a change to this status.
    #[serde(default)]
    pub status: Option<Status>,
    /// Run this many hours after the event instead of at once, if no
    /// newer event of the same kind happened meanwhile ("48 hours after
    /// the case went pending").
    #[serde(default)]
    pub after_hours: Option<u32>,
}

impl RuleTrigger {
    /// Whether event `data`, caused by an actor of `actor` kind, fires
    /// this trigger. A rule's own actions never do: the caller checks the
    /// actor's rule id.
    pub fn fired_by(&self, data: &EventData) -> bool {
        RuleEvent::of(data) == Some(self.on)
            && match (self.status, data) {
                (Some(wanted), EventData::StatusChanged { to, .. }) => *to == wanted,
                _ => true,
            }
    }

    /// Whether the rule waits after its event.
    pub fn delayed(&self) -> bool {
        self.after_hours.is_some()
    }
}

/// Which cases a rule acts on: every condition given must hold. Lists
/// that are empty and values that are absent do not restrict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RuleConditions {
    /// Inbox, team, channel, organisation, agreement and tags, as SLA
    /// policies match them.
    pub case: SlaConditions,
    pub statuses: Vec<Status>,
    pub priorities: Vec<Priority>,
    pub customer_ids: Vec<CustomerId>,
    /// The case carries none of these tags.
    pub without_tags: Vec<String>,
    /// Only cases with (true) or without (false) an assignee.
    pub assigned: Option<bool>,
    /// The subject contains this, ignoring case.
    pub subject_contains: Option<String>,
    /// The customer's latest message contains this, ignoring case.
    pub text_contains: Option<String>,
    /// Only inside (true) or outside (false) the case's business hours.
    pub within_business_hours: Option<bool>,
    /// The case's frustration score is at least this (0 to 100).
    pub frustration_at_least: Option<u8>,
}

/// What a case is matched on: its state and what is looked up only when
/// some rule needs it.
#[derive(Debug, Clone, Copy)]
pub struct RuleFacts<'a> {
    pub state: &'a CaseState,
    pub inbox_id: Option<i64>,
    pub organization_id: Option<crate::ids::OrganizationId>,
    /// The customer's latest message, when a rule looks at text.
    pub latest_text: Option<&'a str>,
    /// Whether the moment is within the case's business hours.
    pub in_business_hours: bool,
}

impl RuleConditions {
    /// Whether a case with `facts` meets every condition.
    pub fn matches(&self, facts: &RuleFacts<'_>) -> bool {
        fn within<T: PartialEq>(list: &[T], value: T) -> bool {
            list.is_empty() || list.contains(&value)
        }
        fn contains(haystack: &str, needle: &Option<String>) -> bool {
            needle
                .as_ref()
                .is_none_or(|n| haystack.to_lowercase().contains(&n.to_lowercase()))
        }
        let state = facts.state;
        self.case.matches(&CaseFacts {
            inbox_id: facts.inbox_id,
            team_id: state.team_id,
            channel: state.channel,
            organization_id: facts.organization_id,
            agreement_id: state.agreement_id,
            tags: &state.tags,
        }) && within(&self.statuses, state.status)
            && within(&self.priorities, state.priority)
            && within(&self.customer_ids, state.customer_id)
            && !self.without_tags.iter().any(|t| state.tags.contains(t))
            && self
                .assigned
                .is_none_or(|a| a == state.assignee_id.is_some())
            && contains(&state.subject, &self.subject_contains)
            && (self.text_contains.is_none()
                || contains(facts.latest_text.unwrap_or(""), &self.text_contains))
            && self
                .within_business_hours
                .is_none_or(|b| b == facts.in_business_hours)
            && self
                .frustration_at_least
                .is_none_or(|min| state.effort.frustration >= min)
    }

    /// Whether matching needs the case's inbox.
    pub fn needs_inbox(&self) -> bool {
        self.case.needs_inbox() || self.within_business_hours.is_some()
    }

    /// Whether matching needs the customer's organisation.
    pub fn needs_organization(&self) -> bool {
        self.case.needs_organization()
    }

    /// Whether matching needs the customer's latest message.
    pub fn needs_text(&self) -> bool {
        self.text_contains.is_some()
    }

    fn check(mut self) -> Result<Self, Invalid> {
        self.case = self.case.check()?;
        for (field, len) in [
            ("conditions.statuses", self.statuses.len()),
            ("conditions.priorities", self.priorities.len()),
            ("conditions.customer_ids", self.customer_ids.len()),
            ("conditions.without_tags", self.without_tags.len()),
        ] {
            if len > MAX_CONDITION_VALUES {
                return Err(Invalid::new(
                    field,
                    format!("name at most {MAX_CONDITION_VALUES} values"),
                ));
            }
        }
        self.without_tags = parse_tags("conditions.without_tags", &self.without_tags)?;
        for (field, text) in [
            ("conditions.subject_contains", &mut self.subject_contains),
            ("conditions.text_contains", &mut self.text_contains),
        ] {
            *text = match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                Some(t) => Some(crate::text::required_clean(field, t, MAX_TEXT)?),
                None => None,
            };
        }
        if self.frustration_at_least.is_some_and(|f| f > 100) {
            return Err(Invalid::new(
                "conditions.frustration_at_least",
                "a frustration score is 0 to 100",
            ));
        }
        Ok(self)
    }
}

crate::string_enum!(
    /// Who a rule's notice goes to.
    NoticeTo {
        /// The case's assignee (else its team).
        Assignee = "assignee",
        /// Every agent of the case's team.
        Team = "team",
        /// One agent, named by `agent_id`.
        Agent = "agent",
    }
);

/// One thing a rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleAction {
    /// Assign the case to an agent, or leave it unassigned (no agent).
    Assign {
        agent_id: Option<AgentId>,
    },
    /// Hand the case to a team, or to none.
    SetTeam {
        team_id: Option<TeamId>,
    },
    AddTags {
        tags: Vec<String>,
    },
    RemoveTags {
        tags: Vec<String>,
    },
    SetPriority {
        priority: Priority,
    },
    SetStatus {
        status: Status,
    },
    /// Reply to the customer with a canned reply (by email when the case
    /// has an email conversation).
    CannedReply {
        canned_reply_id: i64,
    },
    /// Add an internal note.
    Note {
        text: String,
    },
    /// Promise the customer something, due so many hours from now (see
    /// [`crate::promise`]; an agent's reply keeps it unless `kept_by`
    /// says otherwise).
    Promise {
        text: String,
        due_in_hours: u32,
        #[serde(default)]
        visible_to_customer: bool,
        #[serde(default = "kept_by_reply")]
        kept_by: PromiseKeeper,
    },
    /// Notify agents.
    Notify {
        to: NoticeTo,
        #[serde(default)]
        agent_id: Option<AgentId>,
        text: String,
    },
}

impl RuleAction {
    fn check(self, index: usize) -> Result<Self, Invalid> {
        let field = |name: &str| format!("actions[{index}].{name}");
        let text = |name: &str, raw: &str| crate::text::required_clean(&field(name), raw, MAX_TEXT);
        Ok(match self {
            RuleAction::AddTags { tags } => RuleAction::AddTags {
                tags: checked_tags(&field("tags"), &tags)?,
            },
            RuleAction::RemoveTags { tags } => RuleAction::RemoveTags {
                tags: checked_tags(&field("tags"), &tags)?,
            },
            RuleAction::Note { text: raw } => RuleAction::Note {
                text: text("text", &raw)?,
            },
            RuleAction::Promise {
                text: raw,
                due_in_hours,
                visible_to_customer,
                kept_by,
            } => {
                if due_in_hours == 0 || due_in_hours > MAX_PROMISE_HOURS {
                    return Err(Invalid::new(
                        field("due_in_hours"),
                        format!("a promise is due 1 to {MAX_PROMISE_HOURS} hours ahead"),
                    ));
                }
                if raw.chars().any(char::is_control) {
                    return Err(Invalid::new(
                        field("text"),
                        "a promise is one line without control characters",
                    ));
                }
                RuleAction::Promise {
                    text: crate::text::required(
                        &field("text"),
                        &raw,
                        crate::promise::MAX_PROMISE_CHARS,
                    )?,
                    due_in_hours,
                    visible_to_customer,
                    kept_by,
                }
            }
            RuleAction::Notify {
                to,
                agent_id,
                text: raw,
            } => {
                if (to == NoticeTo::Agent) != agent_id.is_some() {
                    return Err(Invalid::new(
                        field("agent_id"),
                        "name an agent exactly when the notice goes to one agent",
                    ));
                }
                RuleAction::Notify {
                    to,
                    agent_id,
                    text: text("text", &raw)?,
                }
            }
            other => other,
        })
    }

    /// What the action is called (its `do`).
    pub fn name(&self) -> &'static str {
        match self {
            RuleAction::Assign { .. } => "assign",
            RuleAction::SetTeam { .. } => "set_team",
            RuleAction::AddTags { .. } => "add_tags",
            RuleAction::RemoveTags { .. } => "remove_tags",
            RuleAction::SetPriority { .. } => "set_priority",
            RuleAction::SetStatus { .. } => "set_status",
            RuleAction::CannedReply { .. } => "canned_reply",
            RuleAction::Note { .. } => "note",
            RuleAction::Promise { .. } => "promise",
            RuleAction::Notify { .. } => "notify",
        }
    }
}

fn checked_tags(field: &str, tags: &[String]) -> Result<Vec<String>, Invalid> {
    let tags = parse_tags(field, tags)?;
    if tags.is_empty() {
        return Err(Invalid::new(field, "name at least one tag"));
    }
    Ok(tags)
}

/// A whole rule as stored and sent, without its id and place in the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDefinition {
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub when: RuleTrigger,
    #[serde(default, rename = "if")]
    pub conditions: RuleConditions,
    #[serde(rename = "then")]
    pub actions: Vec<RuleAction>,
}

fn yes() -> bool {
    true
}

/// What keeps a rule's promise unless it says: the business's answer.
fn kept_by_reply() -> PromiseKeeper {
    PromiseKeeper::Reply
}

impl RuleDefinition {
    /// Checks and normalises a definition: a name, bounded conditions,
    /// 1 to [`MAX_ACTIONS`] valid actions.
    pub fn check(mut self) -> Result<Self, Invalid> {
        self.name = crate::text::required_clean("name", &self.name, MAX_NAME)?;
        if self
            .when
            .after_hours
            .is_some_and(|h| h == 0 || h > MAX_AFTER_HOURS)
        {
            return Err(Invalid::new(
                "when.after_hours",
                format!("wait 1 to {MAX_AFTER_HOURS} hours"),
            ));
        }
        if self.when.status.is_some() && self.when.on != RuleEvent::StatusChanged {
            return Err(Invalid::new(
                "when.status",
                "a status is named only for `status_changed`",
            ));
        }
        self.conditions = self.conditions.check()?;
        if self.actions.is_empty() || self.actions.len() > MAX_ACTIONS {
            return Err(Invalid::new(
                "then",
                format!("a rule takes 1 to {MAX_ACTIONS} actions"),
            ));
        }
        self.actions = std::mem::take(&mut self.actions)
            .into_iter()
            .enumerate()
            .map(|(i, a)| a.check(i))
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// The field changes among the actions, as one change.
    pub fn change(&self) -> crate::case::CaseChange {
        let mut change = crate::case::CaseChange::default();
        for action in &self.actions {
            match action {
                RuleAction::Assign { agent_id } => change.assignee = Some(*agent_id),
                RuleAction::SetTeam { team_id } => change.team = Some(*team_id),
                RuleAction::AddTags { tags } => change.add_tags.extend(tags.iter().cloned()),
                RuleAction::RemoveTags { tags } => change.remove_tags.extend(tags.iter().cloned()),
                RuleAction::SetPriority { priority } => change.priority = Some(*priority),
                RuleAction::SetStatus { status } => change.status = Some(*status),
                _ => {}
            }
        }
        change
    }
}

#[cfg(test)]
mod tests;
