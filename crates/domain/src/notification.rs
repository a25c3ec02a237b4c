//! Agent notifications: which case events tell which agent something
//! ([`trigger`], one match over the event kinds), what a notification says
//! ([`text`]), how agents are @mentioned in internal notes ([`handle`],
//! [`mentions`]) and how an agent wants them by email
//! ([`EmailNotifications`]). The store derives notifications from events
//! as it appends them; nothing here does I/O.
//!
//! **Handles.** An agent's handle is the part of their email address before
//! the `@`, lower-cased: `Ann.Lee@example.com` is `@ann.lee`. A handle is
//! made of letters, digits, `.`, `_` and `-`; a mention is `@` then a handle,
//! at the start of the text or after a character that cannot be part of a
//! handle (so an email address written in a note, `bob@example.com`, is no
//! mention of `@example.com`). A trailing `.`, as at the end of a sentence,
//! is not part of the mention. Two agents whose addresses share the part
//! before the `@` share a handle, and a mention tells both.

use crate::event::EventData;
use crate::ids::{AgentId, CaseId, MessageId};

crate::string_enum!(
    /// What a notification is about.
    NotificationKind {
        /// Someone else assigned a case to the agent.
        Assigned = "assigned",
        /// The customer wrote on a case assigned to the agent.
        CustomerReplied = "customer_replied",
        /// Someone @mentioned the agent in an internal note.
        Mentioned = "mentioned",
        /// An SLA clock of a case assigned to the agent is about to breach.
        SlaWarning = "sla_warning",
        /// A promise made on a case assigned to the agent is due.
        PromiseDue = "promise_due",
        /// Sent on purpose by a rule or an escalation ("notify").
        Notice = "notice",
    }
);

crate::string_enum!(
    /// Whether, and how, an agent gets notifications by email.
    EmailNotifications {
        /// Only in the workspace.
        Off = "off",
        /// One email per notification, as soon as it is made.
        Immediately = "immediately",
        /// One email an hour listing the notifications not yet read.
        Digest = "digest",
    }
);

/// Longest notification text, in characters; longer text is cut with `…`.
pub const MAX_TEXT: usize = 300;
/// Longest excerpt of a message a notification quotes, in characters.
pub const EXCERPT: usize = 120;
/// Most handles one note mentions that are looked up; more are ignored.
pub const MAX_MENTIONS: usize = 20;

/// Who an event's notification goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipients {
    /// This agent.
    Agent(AgentId),
    /// Whoever the case is assigned to after the event, if anyone.
    Assignee,
    /// The agents whose handles the text of this (internal) message mentions.
    MentionedIn(MessageId),
}

/// A notification an event calls for: its kind and who gets it. The actor
/// of the event is never told about their own action, whoever the
/// recipients are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    pub kind: NotificationKind,
    pub to: Recipients,
}

/// The notification event `data` calls for, if any. This is the one place
/// that maps case events to notifications: a new kind of event that should
/// notify someone gets its arm here.
pub fn trigger(data: &EventData) -> Option<Trigger> {
    let (kind, to) = match data {
        EventData::Assigned { to: Some(to), .. } => {
            (NotificationKind::Assigned, Recipients::Agent(*to))
        }
        EventData::MessageReceived { .. } => {
            (NotificationKind::CustomerReplied, Recipients::Assignee)
        }
        EventData::NoteAdded { message_id } => (
            NotificationKind::Mentioned,
            Recipients::MentionedIn(*message_id),
        ),
        EventData::SlaWarned { .. } => (NotificationKind::SlaWarning, Recipients::Assignee),
        _ => return None,
    };
    Some(Trigger { kind, to })
}

/// What a notification of `kind` says: `who` did it on case `case`
/// (`subject`), quoting `excerpt` when there is one; at most [`MAX_TEXT`]
/// characters.
pub fn text(
    kind: NotificationKind,
    who: &str,
    case: CaseId,
    subject: &str,
    excerpt: Option<&str>,
) -> String {
    let case = format!("#{case} {}", crate::text::preview(subject, 80));
    let said = match kind {
        NotificationKind::Assigned => format!("{who} assigned {case} to you"),
        NotificationKind::CustomerReplied => format!("{who} wrote on {case}"),
        NotificationKind::Mentioned => format!("{who} mentioned you on {case}"),
        NotificationKind::SlaWarning => format!("{case} is about to breach its SLA"),
        NotificationKind::PromiseDue => format!("A promise on {case} is due"),
        NotificationKind::Notice => format!("{who} asks you to look at {case}"),
    };
    let full = match excerpt.map(|e| crate::text::preview(e, EXCERPT)) {
        Some(quote) if !quote.is_empty() => format!("{said}: “{quote}”"),
        _ => said,
    };
    cap(&full)
}

/// `text` on one line (runs of white space as one space), cut to
/// [`MAX_TEXT`] characters with `…`.
pub fn cap(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(MAX_TEXT) {
        Some((cut, _)) => format!("{}…", joined[..cut].trim_end()),
        None => joined,
    }
}

/// The handle of the agent with this email address (see the module
/// documentation): the part before the `@`, lower-cased.
pub fn handle(email: &str) -> String {
    let local = email.rsplit_once('@').map_or(email, |(local, _)| local);
    local.to_lowercase()
}

/// Whether `c` may be part of a handle.
fn handle_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The handles `text` mentions, lower-cased, each once, in the order they
/// first appear; at most [`MAX_MENTIONS`].
pub fn mentions(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut before: Option<char> = None;
    for (i, c) in text.char_indices() {
        let starts = c == '@' && !before.is_some_and(|b| handle_char(b) || b == '@');
        before = Some(c);
        if !starts {
            continue;
        }
        let rest = &text[i + 1..];
        let end = rest.find(|c: char| !handle_char(c)).unwrap_or(rest.len());
        let name = rest[..end].trim_end_matches('.').to_lowercase();
        if !name.is_empty() && !found.contains(&name) {
            found.push(name);
            if found.len() == MAX_MENTIONS {
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Channel;
    use proptest::prelude::*;

    #[test]
    fn handles_are_the_lowercased_local_part() {
        assert_eq!(handle("Ann.Lee@Example.com"), "ann.lee");
        assert_eq!(handle("bob"), "bob");
    }

    #[test]
    fn mentions_are_found_once_and_addresses_are_not_mentions() {
        assert_eq!(
            mentions("@ann.lee please ask @Bob, and @ann.lee again. Mail cy@example.com."),
            vec!["ann.lee", "bob"]
        );
        assert_eq!(mentions("(@cy) @dee."), vec!["cy", "dee"]);
        assert!(mentions("cy@example.com @ @@x").is_empty());
        let many: String = (0..50).map(|n| format!("@a{n} ")).collect();
        assert_eq!(mentions(&many).len(), MAX_MENTIONS);
    }

    #[test]
    fn events_map_to_their_notifications() {
        let assigned = EventData::Assigned {
            from: None,
            to: Some(AgentId(2)),
        };
        assert_eq!(
            trigger(&assigned),
            Some(Trigger {
                kind: NotificationKind::Assigned,
                to: Recipients::Agent(AgentId(2))
            })
        );
        let unassigned = EventData::Assigned {
            from: Some(AgentId(2)),
            to: None,
        };
        assert_eq!(trigger(&unassigned), None);
        let received = EventData::MessageReceived {
            message_id: MessageId(5),
            channel: Channel::Email,
        };
        assert_eq!(trigger(&received).map(|t| t.to), Some(Recipients::Assignee));
        let note = EventData::NoteAdded {
            message_id: MessageId(6),
        };
        assert_eq!(
            trigger(&note).map(|t| t.to),
            Some(Recipients::MentionedIn(MessageId(6)))
        );
        let reply = EventData::ReplySent {
            message_id: MessageId(7),
            channel: Channel::Email,
        };
        assert_eq!(trigger(&reply), None);
    }

    #[test]
    fn texts_name_the_case_and_are_capped() {
        let t = text(
            NotificationKind::Mentioned,
            "Bob",
            CaseId(12),
            "Printer jams",
            Some("@ann can you\ncall them?"),
        );
        assert_eq!(
            t,
            "Bob mentioned you on #12 Printer jams: “@ann can you call them?”"
        );
        let long = text(
            NotificationKind::CustomerReplied,
            &"A".repeat(400),
            CaseId(1),
            "s",
            None,
        );
        assert_eq!(long.chars().count(), MAX_TEXT + 1, "cut with an ellipsis");
    }

    proptest! {
        /// Any text: mentions never panic, are lower-case handles, and are
        /// bounded.
        #[test]
        fn mentions_are_total(text in "\\PC{0,200}") {
            let found = mentions(&text);
            prop_assert!(found.len() <= MAX_MENTIONS);
            for m in found {
                prop_assert!(!m.is_empty() && !m.contains('@'));
                prop_assert!(!m.contains(char::is_whitespace));
            }
        }
    }
}
