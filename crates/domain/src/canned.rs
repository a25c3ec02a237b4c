//! Canned replies: the checks on their title and body, and the expansion of
//! their placeholders for one case. Unknown placeholders are left as typed,
//! so a mistake shows in the reply box instead of silently vanishing.

use crate::{Invalid, text};

/// Longest title accepted.
pub const MAX_TITLE: usize = 200;
/// Longest body accepted.
pub const MAX_BODY: usize = 20_000;

/// A canned reply's title: trimmed, not empty, at most [`MAX_TITLE`].
pub fn title(raw: &str) -> Result<String, Invalid> {
    text::required("title", raw, MAX_TITLE)
}

/// A canned reply's body: plain text, not blank, at most [`MAX_BODY`].
pub fn body(raw: &str) -> Result<String, Invalid> {
    if raw.trim().is_empty() {
        return Err(Invalid::new("body", "must not be empty"));
    }
    text::bounded("body", raw, MAX_BODY)
}

/// Longest email signature accepted.
pub const MAX_SIGNATURE: usize = 2_000;

/// An agent's or inbox's email signature: plain text with the same
/// placeholders as canned replies, line breaks but no other control
/// characters, at most [`MAX_SIGNATURE`]; blank means none.
pub fn signature(raw: &str) -> Result<String, Invalid> {
    let trimmed = raw.trim_end();
    if trimmed.trim().is_empty() {
        return Ok(String::new());
    }
    text::required_clean("signature", trimmed, MAX_SIGNATURE).map(|_| trimmed.to_owned())
}

/// What the placeholders of a canned reply stand for on one case.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub customer_name: &'a str,
    pub case_reference: &'a str,
    pub case_subject: &'a str,
    pub agent_name: &'a str,
    /// The inbox the email goes out from, where there is one.
    pub inbox_name: Option<&'a str>,
}

impl Context<'_> {
    /// The value of placeholder `key`, if it is one Tend knows.
    fn value(&self, key: &str) -> Option<&str> {
        match key {
            "customer.name" => Some(self.customer_name),
            "customer.first_name" => Some(
                self.customer_name
                    .split_whitespace()
                    .next()
                    .unwrap_or(self.customer_name),
            ),
            "case.reference" => Some(self.case_reference),
            "case.subject" => Some(self.case_subject),
            "agent.name" => Some(self.agent_name),
            "inbox.name" => self.inbox_name,
            _ => None,
        }
    }
}

/// Replaces each `{{placeholder}}` in `body` (spaces inside the braces are
/// allowed) with its value; anything else is copied as written.
pub fn expand(body: &str, context: &Context<'_>) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = &rest[start..];
            break;
        };
        match context.value(after[..end].trim()) {
            Some(value) => {
                out.push_str(value);
                rest = &after[end + 2..];
            }
            None => {
                // Keep the braces and look for the next placeholder after them.
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: Context<'static> = Context {
        customer_name: "Cora Mae Customer",
        case_reference: "#42",
        case_subject: "Printer jam",
        agent_name: "Ann Agent",
        inbox_name: Some("Support"),
    };

    #[test]
    fn every_placeholder_expands() {
        let body = "Hi {{customer.first_name}} ({{customer.name}}), about {{case.reference}} \
                    \"{{ case.subject }}\": fixed. {{agent.name}}, {{inbox.name}}";
        assert_eq!(
            expand(body, &CASE),
            "Hi Cora (Cora Mae Customer), about #42 \"Printer jam\": fixed. Ann Agent, Support"
        );
        let no_inbox = Context {
            inbox_name: None,
            ..CASE
        };
        assert_eq!(expand("{{inbox.name}}", &no_inbox), "{{inbox.name}}");
    }

    #[test]
    fn unknown_and_unclosed_placeholders_stay_visible() {
        assert_eq!(
            expand("{{customer.email}} {{case.reference}}", &CASE),
            "{{customer.email}} #42"
        );
        assert_eq!(expand("a {{ b", &CASE), "a {{ b");
        assert_eq!(expand("{{{{agent.name}}}}", &CASE), "{{Ann Agent}}");
        assert_eq!(expand("no placeholders", &CASE), "no placeholders");
        assert_eq!(expand("", &CASE), "");
    }

    #[test]
    fn values_are_not_expanded_again() {
        let sneaky = Context {
            customer_name: "{{agent.name}}",
            ..CASE
        };
        assert_eq!(expand("{{customer.name}}", &sneaky), "{{agent.name}}");
    }

    #[test]
    fn first_name_of_a_blank_name_is_blank() {
        let blank = Context {
            customer_name: "",
            ..CASE
        };
        assert_eq!(expand("[{{customer.first_name}}]", &blank), "[]");
    }

    #[test]
    fn signatures_keep_their_lines_and_refuse_control_characters() {
        assert_eq!(signature("  \n ").unwrap(), "");
        assert_eq!(
            signature("  Ann\n  Support  \n").unwrap(),
            "  Ann\n  Support"
        );
        assert_eq!(signature("a\u{7}b").unwrap_err().field, "signature");
        assert!(signature(&"x".repeat(MAX_SIGNATURE + 1)).is_err());
    }

    #[test]
    fn title_and_body_are_checked() {
        assert_eq!(title("  Thanks ").unwrap(), "Thanks");
        assert_eq!(title(" ").unwrap_err().field, "title");
        assert_eq!(body("\n").unwrap_err().field, "body");
        assert_eq!(body(" keep\n").unwrap(), " keep\n");
        assert!(body(&"x".repeat(MAX_BODY + 1)).is_err());
    }
}
