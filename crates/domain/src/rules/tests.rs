use super::*;
use crate::case::Channel;
use crate::event::ActorKind;
use crate::ids::MessageId;
use proptest::prelude::*;
use serde_json::json;

fn rule(value: serde_json::Value) -> Result<RuleDefinition, Invalid> {
    serde_json::from_value::<RuleDefinition>(value)
        .map_err(|e| Invalid::new("json", e.to_string()))?
        .check()
}

fn case(subject: &str, tags: &[&str], status: Status, frustration: u8) -> CaseState {
    let opened = EventData::CaseOpened {
        subject: subject.into(),
        customer_id: CustomerId(7),
        channel: Channel::Email,
        status,
        priority: Priority::Normal,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        agreement_id: None,
        team_id: Some(TeamId(3)),
        assignee_id: None,
    };
    let mut state =
        CaseState::opened(ActorKind::Customer, &opened, jiff::Timestamp::UNIX_EPOCH, 1).unwrap();
    state.effort.frustration = frustration;
    state
}

fn facts<'a>(state: &'a CaseState, text: Option<&'a str>, open: bool) -> RuleFacts<'a> {
    RuleFacts {
        state,
        inbox_id: Some(1),
        organization_id: None,
        latest_text: text,
        in_business_hours: open,
    }
}

#[test]
fn a_definition_is_checked_and_normalised() {
    let checked = rule(json!({
        "name": "  Refunds ",
        "when": {"on": "customer_message"},
        "if": {"subject_contains": " Refund ", "without_tags": ["VIP"]},
        "then": [{"do": "add_tags", "tags": ["Billing", "billing"]}]
    }))
    .unwrap();
    assert_eq!(checked.name, "Refunds");
    assert!(checked.enabled);
    assert_eq!(
        checked.conditions.subject_contains.as_deref(),
        Some("Refund")
    );
    assert_eq!(checked.conditions.without_tags, vec!["vip"]);
    assert_eq!(
        checked.actions,
        vec![RuleAction::AddTags {
            tags: vec!["billing".into()]
        }]
    );
}

#[test]
fn bad_definitions_name_the_field() {
    let base = |then: serde_json::Value| json!({"name": "r", "when": {"on": "case_created"}, "then": then});
    for (value, field) in [
        (base(json!([])), "then"),
        (
            base(json!([{"do": "note", "text": "a\u{7}b"}])),
            "actions[0].text",
        ),
        (
            base(json!([{"do": "notify", "to": "agent", "text": "x"}])),
            "actions[0].agent_id",
        ),
        (
            base(json!([{"do": "promise", "text": "x", "due_in_hours": 0}])),
            "actions[0].due_in_hours",
        ),
        (
            json!({"name": "r", "when": {"on": "case_created", "status": "open"},
                   "then": [{"do": "set_priority", "priority": "high"}]}),
            "when.status",
        ),
        (
            json!({"name": "r", "when": {"on": "case_created", "after_hours": 0},
                   "then": [{"do": "set_priority", "priority": "high"}]}),
            "when.after_hours",
        ),
        (
            json!({"name": "r", "when": {"on": "case_created"},
                   "if": {"frustration_at_least": 101},
                   "then": [{"do": "set_priority", "priority": "high"}]}),
            "conditions.frustration_at_least",
        ),
    ] {
        let error = rule(value.clone()).unwrap_err();
        assert_eq!(error.field, field, "{value}: {error:?}");
    }
    let unknown = serde_json::from_value::<RuleDefinition>(json!({
        "name": "r", "when": {"on": "case_created"}, "then": [{"do": "explode"}]
    }));
    assert!(unknown.is_err());
}

#[test]
fn triggers_fire_on_their_event_only() {
    let to_pending = EventData::StatusChanged {
        from: Status::Open,
        to: Status::PendingCustomer,
    };
    let message = EventData::MessageReceived {
        message_id: MessageId(1),
        channel: Channel::Email,
    };
    let on = |on, status| RuleTrigger {
        on,
        status,
        after_hours: None,
    };
    assert!(on(RuleEvent::StatusChanged, None).fired_by(&to_pending));
    assert!(on(RuleEvent::StatusChanged, Some(Status::PendingCustomer)).fired_by(&to_pending));
    assert!(!on(RuleEvent::StatusChanged, Some(Status::Resolved)).fired_by(&to_pending));
    assert!(!on(RuleEvent::StatusChanged, None).fired_by(&message));
    assert!(on(RuleEvent::CustomerMessage, None).fired_by(&message));
    let unassigned = EventData::Assigned {
        from: None,
        to: None,
    };
    assert!(!on(RuleEvent::Assigned, None).fired_by(&unassigned));
    let approved = EventData::QuoteApproved {
        quote_id: crate::ids::QuoteId(1),
        comment: None,
    };
    assert!(on(RuleEvent::QuoteApproved, None).fired_by(&approved));
    assert!(!on(RuleEvent::QuoteDeclined, None).fired_by(&approved));
}

#[test]
fn conditions_read_the_case_and_its_facts() {
    let conditions = |value| serde_json::from_value::<RuleConditions>(value).unwrap();
    let state = case("Refund for order 12", &["billing"], Status::Open, 60);
    let all = conditions(json!({
        "case": {"team_ids": [3], "channels": ["email"], "tags": ["billing"]},
        "statuses": ["open"],
        "priorities": ["normal"],
        "customer_ids": [7],
        "without_tags": ["vip"],
        "assigned": false,
        "subject_contains": "REFUND",
        "text_contains": "broken",
        "within_business_hours": true,
        "frustration_at_least": 50
    }));
    assert!(all.matches(&facts(&state, Some("It is Broken again"), true)));
    assert!(!all.matches(&facts(&state, Some("fine"), true)));
    assert!(!all.matches(&facts(&state, None, true)));
    assert!(!all.matches(&facts(&state, Some("broken"), false)));
    let calm = case("Refund for order 12", &["billing"], Status::Open, 10);
    assert!(!all.matches(&facts(&calm, Some("broken"), true)));
    let vip = case("Refund", &["billing", "vip"], Status::Open, 60);
    assert!(!all.matches(&facts(&vip, Some("broken"), true)));
    assert!(RuleConditions::default().matches(&facts(&vip, None, false)));
}

proptest! {
    /// Conditions are a conjunction: adding one never matches more cases.
    #[test]
    fn a_further_condition_never_matches_more(
        subject in "[a-z ]{0,20}",
        needle in "[a-z]{1,3}",
        frustration in 0u8..=100,
        min in 0u8..=100,
        open in any::<bool>(),
    ) {
        let state = case(&subject, &[], Status::Open, frustration);
        let facts = facts(&state, Some(&subject), open);
        let loose = RuleConditions {
            subject_contains: Some(needle.clone()),
            ..RuleConditions::default()
        };
        let tight = RuleConditions {
            frustration_at_least: Some(min),
            within_business_hours: Some(true),
            ..loose.clone()
        };
        prop_assert!(!tight.matches(&facts) || loose.matches(&facts));
        prop_assert_eq!(loose.matches(&facts), subject.contains(&needle));
    }

    /// Any definition the checker accepts survives a round trip through
    /// its stored form unchanged, and checking it again changes nothing.
    #[test]
    fn checked_definitions_round_trip(
        name in "[A-Za-z ]{1,30}",
        hours in proptest::option::of(1u32..=MAX_AFTER_HOURS),
        tags in proptest::collection::vec("[A-Za-z]{1,8}", 1..5),
    ) {
        let Ok(checked) = rule(json!({
            "name": name,
            "when": {"on": "status_changed", "status": "pending_customer", "after_hours": hours},
            "then": [{"do": "add_tags", "tags": tags}, {"do": "set_status", "status": "closed"}]
        })) else {
            return Ok(());
        };
        let stored = serde_json::to_value(&checked).unwrap();
        let back: RuleDefinition = serde_json::from_value(stored).unwrap();
        prop_assert_eq!(&back, &checked);
        prop_assert_eq!(back.check().unwrap(), checked);
    }
}
