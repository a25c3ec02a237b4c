//! Case vocabulary: status, priority, channel, tags and the change request an
//! agent makes to a case.

use crate::Invalid;
use crate::ids::{AgentId, AgreementId, TeamId};
use serde_json::{Map, Value};
use std::collections::HashSet;

crate::string_enum!(
    /// Where a case stands.
    Status {
        /// Nobody has looked at it yet.
        New = "new",
        /// Being worked by the business.
        Open = "open",
        /// Waiting on something only the customer can give.
        PendingCustomer = "pending_customer",
        /// Parked by the business (waiting on a third party, a part...).
        OnHold = "on_hold",
        /// Answered; reopens if the customer writes again.
        Resolved = "resolved",
        /// Final; a new message starts a follow-up case instead.
        Closed = "closed",
    }
);

crate::string_enum!(
    /// How urgent a case is.
    Priority {
        /// Can wait.
        Low = "low",
        /// The default.
        Normal = "normal",
        /// Soon.
        High = "high",
        /// Now.
        Urgent = "urgent",
    }
);

crate::string_enum!(
    /// How a message reached Tend, or a case began.
    Channel {
        /// Email (SMTP listener, IMAP polling or import).
        Email = "email",
        /// The customer portal.
        Portal = "portal",
        /// The public web form.
        WebForm = "web_form",
        /// The REST API.
        Api = "api",
        /// A phone call, noted by an agent.
        Phone = "phone",
        /// A visit in person, noted by an agent.
        WalkIn = "walk_in",
    }
);

impl Channel {
    /// For people: "email", "phone", "web form"...
    pub fn describe(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Portal => "portal",
            Channel::WebForm => "web form",
            Channel::Api => "API",
            Channel::Phone => "phone",
            Channel::WalkIn => "walk-in",
        }
    }
}

impl Status {
    /// Whether a case in this status may move to `to`. Closed is final.
    pub fn may_become(self, to: Status) -> bool {
        self != Status::Closed || to == Status::Closed
    }
}

/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 50;

/// Normalises a tag to lower case and checks its characters.
pub fn parse_tag(field: &str, raw: &str) -> Result<String, Invalid> {
    let tag = raw.trim().to_lowercase();
    let valid_chars = tag
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
    if tag.is_empty() || tag.chars().count() > MAX_TAG_CHARS || !valid_chars {
        return Err(Invalid::new(
            field,
            format!("`{raw}` is not a tag: use 1-{MAX_TAG_CHARS} letters, digits, - _ : or ."),
        ));
    }
    Ok(tag)
}

/// Longest case subject typed by a person (an agent, a customer in the
/// portal or the request form, an API client), in characters.
pub const MAX_SUBJECT: usize = 250;

/// Longest subject kept from an email, in characters: 16 Ki, far beyond any
/// real subject, so an email's subject is kept whole and only storage is
/// bounded. Pages shorten subjects for display, never the store.
pub const MAX_EMAIL_SUBJECT: usize = 16 * 1024;

/// Most tags one case holds; a change that would pass it is refused.
pub const MAX_TAGS_PER_CASE: usize = 50;

/// Most different tags one request may name in one list (duplicates, which
/// are dropped, do not count).
pub const MAX_TAGS_PER_REQUEST: usize = 50;

/// Parses a list of tags, dropping duplicates and keeping first-seen order;
/// more than [`MAX_TAGS_PER_REQUEST`] different tags are refused. Linear in
/// the list's length.
pub fn parse_tags(field: &str, raw: &[String]) -> Result<Vec<String>, Invalid> {
    let mut seen = HashSet::new();
    let mut tags = Vec::new();
    for t in raw {
        let tag = parse_tag(field, t)?;
        if seen.insert(tag.clone()) {
            if tags.len() == MAX_TAGS_PER_REQUEST {
                return Err(Invalid::new(
                    field,
                    format!("name at most {MAX_TAGS_PER_REQUEST} different tags at once"),
                ));
            }
            tags.push(tag);
        }
    }
    Ok(tags)
}

/// Checks custom fields are a flat object of scalars with sensible keys.
pub fn parse_custom_fields(
    field: &str,
    raw: &Map<String, Value>,
) -> Result<Map<String, Value>, Invalid> {
    for (key, value) in raw {
        let key_ok = !key.is_empty()
            && key.len() <= 64
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !key_ok {
            return Err(Invalid::new(
                format!("{field}.{key}"),
                "keys use 1-64 ASCII letters, digits or _",
            ));
        }
        if value.is_object() || value.is_array() {
            return Err(Invalid::new(
                format!("{field}.{key}"),
                "values are strings, numbers, booleans or null",
            ));
        }
    }
    Ok(raw.clone())
}

/// What an agent asks to change on a case; `None` leaves a field alone and
/// `Some(None)` clears an optional one. Turned into events by
/// [`crate::state::CaseState::plan`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseChange {
    /// New subject.
    pub subject: Option<String>,
    /// New status.
    pub status: Option<Status>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New assignee, or none.
    pub assignee: Option<Option<AgentId>>,
    /// New team, or none (a handoff).
    pub team: Option<Option<TeamId>>,
    /// New linked agreement, or none.
    pub agreement: Option<Option<AgreementId>>,
    /// Tags to add.
    pub add_tags: Vec<String>,
    /// Tags to remove.
    pub remove_tags: Vec<String>,
    /// Custom fields to set; a null value removes the field.
    pub custom_fields: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_tags_drops_duplicates_and_caps_different_tags() {
        let raw: Vec<String> = (0..200_000).map(|i| format!("Tag{}", i % 7)).collect();
        let tags = parse_tags("tags", &raw).unwrap();
        assert_eq!(tags, (0..7).map(|i| format!("tag{i}")).collect::<Vec<_>>());
        let at_most: Vec<String> = (0..MAX_TAGS_PER_REQUEST).map(|i| format!("t{i}")).collect();
        assert_eq!(
            parse_tags("tags", &at_most).unwrap().len(),
            MAX_TAGS_PER_REQUEST
        );
        let too_many = [at_most, vec!["one-more".into()]].concat();
        assert_eq!(
            parse_tags("add_tags", &too_many).unwrap_err().field,
            "add_tags"
        );
    }
}
