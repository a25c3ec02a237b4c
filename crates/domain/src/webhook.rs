//! Webhooks: other systems told of case events as they happen. A
//! subscription names a URL and the event kinds it wants ([`EVENT_KINDS`],
//! or `*` for all); each matching event is one delivery, POSTed as JSON and
//! signed (see `docs/webhooks.md`). A subscription whose deliveries keep
//! failing is switched off after [`DISABLE_AFTER`] in a row.

use crate::Invalid;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The event kinds a webhook may subscribe to.
pub const EVENT_KINDS: &[&str] = &[
    "case_opened",
    "message_received",
    "reply_sent",
    "note_added",
    "status_changed",
    "priority_changed",
    "assigned",
    "handed_off",
    "tags_changed",
    "sla_warned",
    "sla_breached",
    "survey_answered",
    "promise_made",
    "promise_kept",
    "promise_broken",
    "quote_sent",
    "quote_approved",
    "quote_declined",
    "appointment_booked",
    "appointment_rescheduled",
    "appointment_cancelled",
    "appointment_done",
    "appointment_no_show",
    "case_merged",
];
/// Subscribes to every kind in [`EVENT_KINDS`].
pub const ALL_KINDS: &str = "*";
/// Failed deliveries in a row (each after its retries) that switch a
/// webhook off.
pub const DISABLE_AFTER: i64 = 5;
/// Longest URL, in characters.
pub const MAX_URL: usize = 2000;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 200;

/// A webhook as an admin writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookDefinition {
    /// Where deliveries are POSTed: an `http` or `https` URL without
    /// credentials in it.
    pub url: String,
    /// The event kinds it wants (see the `events` list in
    /// `docs/webhooks.md`), or `["*"]` for all.
    pub events: Vec<String>,
    /// What it is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether deliveries are made (switching it on again after it was
    /// switched off for failing starts its count afresh).
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

impl WebhookDefinition {
    /// Checks every field, naming the one at fault; the events come back
    /// sorted without repeats.
    pub fn check(mut self) -> Result<Self, Invalid> {
        self.url = url(&self.url)?;
        let mut events = Vec::new();
        for event in &self.events {
            let event = event.trim();
            if event != ALL_KINDS && !EVENT_KINDS.contains(&event) {
                return Err(Invalid::new(
                    "events",
                    format!(
                        "`{}` is not an event kind; use `*` or some of: {}",
                        event.escape_debug(),
                        EVENT_KINDS.join(", ")
                    ),
                ));
            }
            events.push(event.to_owned());
        }
        events.sort();
        events.dedup();
        if events.is_empty() || events.len() > EVENT_KINDS.len() {
            return Err(Invalid::new(
                "events",
                "name the event kinds to deliver, or `*` for all",
            ));
        }
        self.events = events;
        self.description = self
            .description
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .map(|d| crate::text::one_line("description", d, MAX_DESCRIPTION))
            .transpose()?;
        Ok(self)
    }

    /// Whether it wants events of `kind`.
    pub fn wants(&self, kind: &str) -> bool {
        wants(&self.events, kind)
    }
}

/// Whether a subscription to `events` wants events of `kind`.
pub fn wants(events: &[String], kind: &str) -> bool {
    events.iter().any(|e| e == ALL_KINDS || e == kind)
}

/// A delivery URL: `http` or `https`, with a host, without credentials.
fn url(raw: &str) -> Result<String, Invalid> {
    let raw = raw.trim();
    let bad = |why: &str| Invalid::new("url", why.to_owned());
    if raw.chars().count() > MAX_URL || raw.chars().any(char::is_control) {
        return Err(bad("a URL is one line of at most 2000 characters"));
    }
    let parsed = url::Url::parse(raw).map_err(|e| bad(&format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("use an http or https URL"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("the URL needs a host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(
            "leave credentials out of the URL: deliveries are signed instead",
        ));
    }
    Ok(parsed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str, events: &[&str]) -> WebhookDefinition {
        WebhookDefinition {
            url: url.into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            description: None,
            enabled: true,
        }
    }

    #[test]
    fn definitions_are_checked_field_by_field() {
        let ok = hook(
            " https://example.org/hook ",
            &["status_changed", "case_opened", "case_opened"],
        )
        .check()
        .unwrap();
        assert_eq!(ok.url, "https://example.org/hook");
        assert_eq!(ok.events, vec!["case_opened", "status_changed"]);
        assert!(ok.wants("case_opened") && !ok.wants("reply_sent"));
        assert!(
            hook("http://x.example", &["*"])
                .check()
                .unwrap()
                .wants("reply_sent")
        );
        for (url, events, field) in [
            ("ftp://x.example", &["*"][..], "url"),
            ("https://user:pw@x.example", &["*"][..], "url"),
            ("not a url", &["*"][..], "url"),
            ("https://x.example/a\nb", &["*"][..], "url"),
            ("https://x.example", &[][..], "events"),
            ("https://x.example", &["teleported"][..], "events"),
        ] {
            assert_eq!(
                hook(url, events).check().unwrap_err().field,
                field,
                "{url} {events:?}"
            );
        }
    }
}
