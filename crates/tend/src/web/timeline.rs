//! A case's timeline: its messages and its other events, merged in time
//! order. Messages carry their stored, already sanitised HTML; events become
//! one quiet line of text.

use super::layout::{label, when};
use std::collections::HashMap;
use tend_domain::event::{Actor, ActorKind, CaseEvent, EventData};
use tend_domain::ids::AgentId;
use tend_store::model::{Attachment, Message};

/// Names the timeline needs to say who did what.
pub struct Names<'a> {
    pub agents: &'a HashMap<AgentId, String>,
    pub customer: &'a str,
}

impl Names<'_> {
    fn of(&self, actor: &Actor) -> String {
        match (actor.kind, actor.id) {
            (ActorKind::Customer, _) => self.customer.to_owned(),
            (ActorKind::Agent, Some(id)) => self.agent(Some(AgentId(id))),
            _ => "Tend".into(),
        }
    }

    fn agent(&self, id: Option<AgentId>) -> String {
        id.and_then(|id| self.agents.get(&id).cloned())
            .unwrap_or_else(|| "an agent".into())
    }
}

/// One message as shown.
pub struct MessageView {
    /// `customer`, `reply` or `note`: picks the style.
    pub kind: &'static str,
    pub author: String,
    pub at: String,
    /// Sanitised HTML from the store, when the message had HTML.
    pub html: Option<String>,
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// For an emailed reply: queued, sent, failed or bounced.
    pub delivery: Option<String>,
}

/// One entry of the timeline: a message or an event line.
pub struct Entry {
    pub message: Option<MessageView>,
    pub event: Option<String>,
    pub at: String,
}

/// Merges messages and events by time; events about messages are left out
/// because the message itself is shown.
pub fn build(messages: Vec<Message>, events: Vec<CaseEvent>, names: &Names) -> Vec<Entry> {
    let mut timed: Vec<(jiff::Timestamp, u8, Entry)> = Vec::new();
    for m in messages {
        let kind = match (m.author.kind, m.internal) {
            (_, true) => "note",
            (ActorKind::Customer, false) => "customer",
            _ => "reply",
        };
        let at = when(&m.created_at);
        timed.push((
            m.created_at,
            1,
            Entry {
                message: Some(MessageView {
                    kind,
                    author: names.of(&m.author),
                    at: at.clone(),
                    html: m.body_html,
                    text: m.body_text,
                    attachments: m.attachments,
                    delivery: m.email.and_then(|e| e.delivery).map(|d| d.status),
                }),
                event: None,
                at,
            },
        ));
    }
    for e in events {
        if let Some(text) = describe(&e.data, names) {
            timed.push((
                e.at,
                0,
                Entry {
                    message: None,
                    event: Some(format!("{} {text}", names.of(&e.actor))),
                    at: when(&e.at),
                },
            ));
        }
    }
    timed.sort_by_key(|(at, order, _)| (*at, *order));
    timed.into_iter().map(|(_, _, entry)| entry).collect()
}

/// One line for an event, or none for events a message already shows.
fn describe(data: &EventData, names: &Names) -> Option<String> {
    Some(match data {
        EventData::MessageReceived { .. }
        | EventData::ReplySent { .. }
        | EventData::NoteAdded { .. } => return None,
        EventData::CaseOpened { .. } => "opened the case".into(),
        EventData::StatusChanged { from, to } => format!(
            "changed the status from {} to {}",
            label(from.as_str()),
            label(to.as_str())
        ),
        EventData::PriorityChanged { from, to } => format!(
            "changed the priority from {} to {}",
            from.as_str(),
            to.as_str()
        ),
        EventData::Assigned { to: Some(to), .. } => {
            format!("assigned the case to {}", names.agent(Some(*to)))
        }
        EventData::Assigned { to: None, .. } => "unassigned the case".into(),
        EventData::SubjectChanged { to, .. } => format!("renamed the case to “{to}”"),
        EventData::TagsChanged { added, removed } => {
            let mut parts: Vec<String> = added.iter().map(|t| format!("+{t}")).collect();
            parts.extend(removed.iter().map(|t| format!("−{t}")));
            format!("changed the tags: {}", parts.join(", "))
        }
        EventData::EmailDeliveryChanged { status, detail, .. } => match detail {
            Some(detail) => format!("marked a reply's email {}: {detail}", status.as_str()),
            None => format!("marked a reply's email {}", status.as_str()),
        },
        other => label(other.kind()),
    })
}
