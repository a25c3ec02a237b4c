//! An SLA policy as an admin writes it: which cases it covers, its targets
//! per priority, when its clocks pause, how long before a breach agents are
//! warned and what happens on a breach. Checked here once, so the store
//! and the web layer only ever hold valid policies.

use super::{SlaPolicy, Targets};
use crate::Invalid;
use crate::case::{Channel, Priority, parse_tags};
use crate::ids::{AgreementId, OrganizationId, TeamId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

/// Longest policy name, in characters.
pub const MAX_NAME: usize = 100;
/// Most values one condition list holds.
pub const MAX_CONDITION_VALUES: usize = 50;
/// Longest target: a year of business minutes.
pub const MAX_TARGET_MINUTES: u32 = 525_600;
/// Longest warning ahead of a breach: a week.
pub const MAX_WARN_MINUTES: u32 = 10_080;

/// Which cases a policy covers: each list that is not empty must hold the
/// case's value (a case without a team never matches a team list). No
/// conditions at all: every case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SlaConditions {
    /// Inboxes the case's email came in on.
    pub inbox_ids: Vec<i64>,
    pub team_ids: Vec<TeamId>,
    pub channels: Vec<Channel>,
    /// The customer's organisation.
    pub organization_ids: Vec<OrganizationId>,
    /// The agreement linked to the case.
    pub agreement_ids: Vec<AgreementId>,
    /// The case carries at least one of these tags.
    pub tags: Vec<String>,
}

/// What a case is matched on.
#[derive(Debug, Clone, Copy)]
pub struct CaseFacts<'a> {
    pub inbox_id: Option<i64>,
    pub team_id: Option<TeamId>,
    pub channel: Channel,
    pub organization_id: Option<OrganizationId>,
    pub agreement_id: Option<AgreementId>,
    pub tags: &'a BTreeSet<String>,
}

impl SlaConditions {
    /// Whether a case with `facts` is covered.
    pub fn matches(&self, facts: &CaseFacts<'_>) -> bool {
        fn within<T: PartialEq>(list: &[T], value: Option<T>) -> bool {
            list.is_empty() || value.is_some_and(|v| list.contains(&v))
        }
        within(&self.inbox_ids, facts.inbox_id)
            && within(&self.team_ids, facts.team_id)
            && within(&self.channels, Some(facts.channel))
            && within(&self.organization_ids, facts.organization_id)
            && within(&self.agreement_ids, facts.agreement_id)
            && (self.tags.is_empty() || self.tags.iter().any(|t| facts.tags.contains(t)))
    }

    /// Whether matching needs the case's inbox (looked up only then).
    pub fn needs_inbox(&self) -> bool {
        !self.inbox_ids.is_empty()
    }

    /// Whether matching needs the customer's organisation.
    pub fn needs_organization(&self) -> bool {
        !self.organization_ids.is_empty()
    }

    pub(crate) fn check(mut self) -> Result<Self, Invalid> {
        fn dedupe<T: PartialEq + Clone>(field: &str, list: &mut Vec<T>) -> Result<(), Invalid> {
            if list.len() > MAX_CONDITION_VALUES {
                return Err(Invalid::new(
                    field,
                    format!("name at most {MAX_CONDITION_VALUES} values"),
                ));
            }
            let mut seen: Vec<T> = Vec::with_capacity(list.len());
            list.retain(|v| {
                let new = !seen.contains(v);
                if new {
                    seen.push(v.clone());
                }
                new
            });
            Ok(())
        }
        dedupe("conditions.inbox_ids", &mut self.inbox_ids)?;
        dedupe("conditions.team_ids", &mut self.team_ids)?;
        dedupe("conditions.channels", &mut self.channels)?;
        dedupe("conditions.organization_ids", &mut self.organization_ids)?;
        dedupe("conditions.agreement_ids", &mut self.agreement_ids)?;
        if self.tags.len() > MAX_CONDITION_VALUES {
            return Err(Invalid::new(
                "conditions.tags",
                format!("name at most {MAX_CONDITION_VALUES} values"),
            ));
        }
        self.tags = parse_tags("conditions.tags", &self.tags)?;
        Ok(self)
    }
}

/// The targets for one priority, in business minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityTargets {
    pub priority: Priority,
    #[serde(default)]
    pub first_response: Option<u32>,
    #[serde(default)]
    pub next_response: Option<u32>,
    #[serde(default)]
    pub resolution: Option<u32>,
}

/// What happens when a clock breaches (once per run of the clock).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SlaEscalation {
    /// Notify the assignee (or, with none, the case's team).
    pub notify: bool,
    /// Raise the case's priority one step.
    pub raise_priority: bool,
    /// Hand the case to this team.
    pub team_id: Option<TeamId>,
}

/// A whole policy as stored and sent, without its id and place in the
/// order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyDefinition {
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub conditions: SlaConditions,
    /// Targets per priority; a priority not listed has none.
    #[serde(default)]
    pub targets: Vec<PriorityTargets>,
    /// Whether the clocks pause while the case is pending the customer.
    #[serde(default = "yes")]
    pub pause_when_pending: bool,
    /// Whether the clocks pause while the case is on hold.
    #[serde(default = "yes")]
    pub pause_when_on_hold: bool,
    /// Minutes (of plain time) before a due time when agents are warned;
    /// 0: no warning.
    #[serde(default)]
    pub warn_before_minutes: u32,
    #[serde(default)]
    pub escalation: SlaEscalation,
}

fn yes() -> bool {
    true
}

impl SlaPolicyDefinition {
    /// Checks and normalises a definition: a name, targets within a year
    /// and at most one per priority, bounded condition lists.
    pub fn check(mut self) -> Result<Self, Invalid> {
        self.name = crate::text::required_clean("name", &self.name, MAX_NAME)?;
        self.conditions = self.conditions.check()?;
        let mut seen = Vec::new();
        for t in &self.targets {
            if seen.contains(&t.priority) {
                return Err(Invalid::new(
                    "targets",
                    format!("priority `{}` has two sets of targets", t.priority),
                ));
            }
            seen.push(t.priority);
            for (field, minutes) in [
                ("first_response", t.first_response),
                ("next_response", t.next_response),
                ("resolution", t.resolution),
            ] {
                if minutes.is_some_and(|m| m == 0 || m > MAX_TARGET_MINUTES) {
                    return Err(Invalid::new(
                        format!("targets.{field}"),
                        format!("a target is 1 to {MAX_TARGET_MINUTES} business minutes"),
                    ));
                }
            }
        }
        if self.warn_before_minutes > MAX_WARN_MINUTES {
            return Err(Invalid::new(
                "warn_before_minutes",
                format!("warn at most {MAX_WARN_MINUTES} minutes ahead"),
            ));
        }
        Ok(self)
    }

    /// The clock rules of this definition.
    pub fn policy(&self) -> SlaPolicy {
        SlaPolicy {
            targets: self
                .targets
                .iter()
                .map(|t| {
                    (
                        t.priority,
                        Targets {
                            first_response: t.first_response,
                            next_response: t.next_response,
                            resolution: t.resolution,
                        },
                    )
                })
                .collect(),
            pause_when_pending: self.pause_when_pending,
            pause_when_on_hold: self.pause_when_on_hold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition() -> SlaPolicyDefinition {
        serde_json::from_value(serde_json::json!({
            "name": " Gold ",
            "conditions": {"tags": ["VIP", "vip"], "channels": ["email"]},
            "targets": [{"priority": "normal", "first_response": 60}]
        }))
        .unwrap()
    }

    #[test]
    fn a_definition_is_normalised_and_defaults_to_pausing() {
        let d = definition().check().unwrap();
        assert_eq!(d.name, "Gold");
        assert_eq!(d.conditions.tags, vec!["vip"]);
        assert!(d.enabled && d.pause_when_pending && d.pause_when_on_hold);
        let policy = d.policy();
        assert_eq!(policy.targets(Priority::Normal).first_response, Some(60));
        assert_eq!(policy.targets(Priority::High), Targets::default());
    }

    #[test]
    fn bad_definitions_name_their_field() {
        let mut d = definition();
        d.targets.push(d.targets[0]);
        assert_eq!(d.check().unwrap_err().field, "targets");
        let mut d = definition();
        d.targets[0].resolution = Some(0);
        assert_eq!(d.check().unwrap_err().field, "targets.resolution");
        let mut d = definition();
        d.conditions.team_ids = (0..51).map(TeamId).collect();
        assert_eq!(d.check().unwrap_err().field, "conditions.team_ids");
        let mut d = definition();
        d.name = "\u{7}".into();
        assert_eq!(d.check().unwrap_err().field, "name");
    }

    #[test]
    fn conditions_match_every_list_given() {
        let d = definition().check().unwrap();
        let tags: BTreeSet<String> = ["vip".to_string()].into();
        let none = BTreeSet::new();
        let facts = |channel, tags| CaseFacts {
            inbox_id: None,
            team_id: None,
            channel,
            organization_id: None,
            agreement_id: None,
            tags,
        };
        assert!(d.conditions.matches(&facts(Channel::Email, &tags)));
        assert!(!d.conditions.matches(&facts(Channel::WebForm, &tags)));
        assert!(!d.conditions.matches(&facts(Channel::Email, &none)));
        assert!(SlaConditions::default().matches(&facts(Channel::WebForm, &none)));
        let by_team = SlaConditions {
            team_ids: vec![TeamId(1)],
            ..SlaConditions::default()
        };
        assert!(!by_team.matches(&facts(Channel::WebForm, &none)));
    }
}
