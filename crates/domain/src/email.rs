//! Email addresses, parsed once at the edge.

use crate::Invalid;
use serde::Serialize;

/// A syntactically valid email address, trimmed and lower-cased: mail
/// systems treat local parts case-insensitively in practice, and one person
/// must match one contact point however they type their address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses `raw`, naming `field` in the error when it is not an address.
    pub fn parse(field: &str, raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        let bad = || Invalid::new(field, format!("`{trimmed}` is not an email address"));
        if trimmed.len() > 254 || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(bad());
        }
        Ok(Self(trimmed.to_lowercase()))
    }

    /// Stands in for the sender of a message that names none that can be
    /// read (`.invalid` is reserved: it can never receive mail).
    pub fn unknown_sender() -> Self {
        Self("unknown-sender@unknown.invalid".into())
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Most addresses in one list of copies (Cc or Bcc) or forward recipients.
pub const MAX_COPIES: usize = 20;

/// Parses a list of addresses typed or sent as `field`: each must be an
/// address; repeats are dropped; more than [`MAX_COPIES`] is refused.
pub fn parse_list<S: AsRef<str>>(field: &str, raw: &[S]) -> Result<Vec<EmailAddress>, Invalid> {
    if raw.len() > MAX_COPIES {
        return Err(Invalid::new(
            field,
            format!("at most {MAX_COPIES} addresses, not {}", raw.len()),
        ));
    }
    let mut seen = Vec::with_capacity(raw.len());
    for one in raw {
        let address = EmailAddress::parse(field, one.as_ref())?;
        if !seen.contains(&address) {
            seen.push(address);
        }
    }
    Ok(seen)
}

/// Splits addresses typed in one field, separated by commas, semicolons or
/// line breaks, as people paste them; at most `MAX_COPIES + 1` are read, so
/// a flood costs nothing and is still refused by [`parse_list`].
pub fn split_typed(typed: &str) -> Vec<&str> {
    typed
        .split([',', ';', '\n', '\r'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .take(MAX_COPIES + 1)
        .collect()
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

crate::string_enum! {
    /// What an email answering a closed case does, per inbox.
    ClosedReply {
        /// The case opens again.
        Reopen = "reopen",
        /// A new case is opened that refers to the closed one.
        FollowUp = "follow_up",
    }
}

crate::string_enum! {
    /// Where an outbound email stands.
    DeliveryStatus {
        /// Waiting in the queue for the relay (again, after a failed try).
        Queued = "queued",
        /// Handed to the relay.
        Sent = "sent",
        /// Given up on: a permanent error, or every retry failed.
        Failed = "failed",
        /// Came back: the recipient's server returned a bounce report.
        Bounced = "bounced",
    }
}

crate::string_enum! {
    /// How Tend talks TLS to an IMAP server.
    ImapSecurity {
        /// TLS from the first byte (port 993).
        Imaps = "imaps",
        /// Plain connection upgraded with STARTTLS before login (port 143).
        Starttls = "starttls",
    }
}

crate::string_enum! {
    /// How Tend logs in to an IMAP mailbox.
    ImapAuth {
        /// LOGIN with the stored password.
        Password = "password",
        /// AUTHENTICATE XOAUTH2 with an OAuth 2.0 access token (Microsoft
        /// 365, Google), from the inbox's connected OAuth client.
        Oauth2 = "oauth2",
    }
}

impl ImapSecurity {
    /// The port this security normally uses.
    pub fn default_port(self) -> u16 {
        match self {
            ImapSecurity::Imaps => 993,
            ImapSecurity::Starttls => 143,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_parsed_deduplicated_and_capped() {
        let typed = split_typed("A@x.org, b@x.org;\n a@X.org ,,");
        let list = parse_list("cc", &typed).unwrap();
        assert_eq!(
            list.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            ["a@x.org", "b@x.org"]
        );
        assert_eq!(parse_list("cc", &["nope"]).unwrap_err().field, "cc");
        let flood = vec!["a@x.org"; 10_000].join(",");
        assert_eq!(split_typed(&flood).len(), MAX_COPIES + 1);
        assert!(parse_list("cc", &split_typed(&flood)).is_err());
    }

    #[test]
    fn normalises_case_and_whitespace() {
        let e = EmailAddress::parse("email", "  Ann.Lee+x@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "ann.lee+x@example.com");
    }

    #[test]
    fn rejects_non_addresses_naming_the_field() {
        for raw in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@ex..com",
        ] {
            let err = EmailAddress::parse("email", raw).unwrap_err();
            assert_eq!(err.field, "email", "{raw}");
        }
    }

    #[test]
    fn the_unknown_sender_parses_as_itself() {
        let unknown = EmailAddress::unknown_sender();
        assert_eq!(EmailAddress::parse("from", unknown.as_str()), Ok(unknown));
    }
}
