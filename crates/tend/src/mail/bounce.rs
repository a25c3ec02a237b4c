//! Recognising bounce reports for mail Tend sent: RFC 3464 delivery status
//! notifications (`multipart/report; report-type=delivery-status`) and the
//! older free-form bounces from mailer daemons that quote the returned
//! message's headers in their text. This only reads; the store decides
//! whether a report is about an email of Tend's.

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

/// What a bounce report says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bounce {
    /// Message-IDs of the returned message, without angle brackets.
    pub message_ids: Vec<String>,
    /// The recipients that failed (`Final-Recipient`, `Original-Recipient`).
    pub recipients: Vec<String>,
    /// Why: the diagnostic code, the status, or the report's own words.
    pub reason: String,
}

/// Longest reason kept, in characters.
const MAX_REASON: usize = 500;
/// Most of a message's head looked at before parsing it.
const MAX_HEAD: usize = 64 * 1024;
/// Local parts of the addresses bounces come from.
const DAEMONS: [&str; 3] = ["mailer-daemon", "postmaster", "mail-daemon"];

/// Reads `raw` as a bounce report. `None` when it is none, or when it only
/// reports a delay or a success (that is ordinary automated mail).
pub fn read(raw: &[u8]) -> Option<Bounce> {
    // Most mail is no bounce: look at the head before parsing it all again.
    let head = String::from_utf8_lossy(head(raw)).to_ascii_lowercase();
    if !head.contains("multipart/report") && !DAEMONS.iter().any(|d| head.contains(d)) {
        return None;
    }
    let message = MessageParser::default().parse(raw)?;
    let mut found = Found::default();
    for part in &message.parts {
        match &part.body {
            PartType::Message(returned) => found.ids.extend(returned.message_id().map(clean_id)),
            _ if part.is_content_type("message", "delivery-status")
                || part.is_content_type("message", "global-delivery-status") =>
            {
                found.delivery_status(&String::from_utf8_lossy(part.contents()));
            }
            PartType::Text(text) => found.text(text),
            _ => {}
        }
    }
    let own = message.message_id().map(clean_id);
    found.ids.retain(|id| Some(id) != own.as_ref());
    found.ids.dedup();
    found.into_bounce(&message)
}

/// What the parts of a report said.
#[derive(Default)]
struct Found {
    ids: Vec<String>,
    recipients: Vec<String>,
    /// `Action` fields: `failed`, `delayed`, `delivered`...
    actions: Vec<String>,
    diagnostic: Option<String>,
    status: Option<String>,
    /// The first line of text quoting an SMTP reply code.
    smtp_line: Option<String>,
}

impl Found {
    /// Reads the fields of a `message/delivery-status` part.
    fn delivery_status(&mut self, body: &str) {
        for (name, value) in fields(body) {
            let after_type = || {
                value
                    .split_once(';')
                    .map_or(value.as_str(), |(_, v)| v)
                    .trim()
                    .to_owned()
            };
            match name.as_str() {
                "final-recipient" | "original-recipient" => {
                    let address = after_type().to_lowercase();
                    if !address.is_empty() && !self.recipients.contains(&address) {
                        self.recipients.push(address);
                    }
                }
                "action" => self.actions.push(value.to_ascii_lowercase()),
                "diagnostic-code" => {
                    self.diagnostic.get_or_insert_with(after_type);
                }
                "status" => {
                    self.status.get_or_insert(value);
                }
                _ => {}
            }
        }
    }

    /// Reads a text part: quoted `Message-ID:` headers and an SMTP reply.
    fn text(&mut self, text: &str) {
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            let line = line.trim();
            if let Some(value) = strip_prefix_ci(line, "message-id:") {
                // The value may be folded onto the next line.
                let value = match value.trim() {
                    "" => lines.peek().map_or("", |next| next.trim()),
                    value => value,
                };
                if !value.is_empty() {
                    self.ids.push(clean_id(value));
                }
            } else if self.smtp_line.is_none() && quotes_smtp_reply(line) {
                self.smtp_line = Some(line.to_owned());
            }
        }
    }

    fn into_bounce(self, message: &Message<'_>) -> Option<Bounce> {
        let is_report = message.is_content_type("multipart", "report");
        if !self.actions.is_empty() {
            // A delivery status notification: only failures are bounces.
            if !self.actions.iter().any(|a| a == "failed") {
                return None;
            }
        } else if !(is_report || from_daemon(message)) || self.ids.is_empty() {
            return None;
        }
        if self.ids.is_empty() && self.recipients.is_empty() {
            return None;
        }
        let reason = self
            .diagnostic
            .or_else(|| self.status.map(|s| format!("status {s}")))
            .or(self.smtp_line)
            .or_else(|| message.subject().map(str::to_owned))
            .unwrap_or_else(|| "returned as undeliverable".into());
        Some(Bounce {
            message_ids: self.ids,
            recipients: self.recipients,
            reason: reason.chars().take(MAX_REASON).collect(),
        })
    }
}

/// The header block of a raw message (up to its first empty line).
fn head(raw: &[u8]) -> &[u8] {
    let raw = &raw[..raw.len().min(MAX_HEAD)];
    let end = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .into_iter()
        .chain(raw.windows(4).position(|w| w == b"\r\n\r\n"))
        .min()
        .unwrap_or(raw.len());
    &raw[..end]
}

/// `Name: value` fields, lower-case names, folded lines joined.
fn fields(body: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    fields
}

fn from_daemon(message: &Message<'_>) -> bool {
    message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .and_then(|a| a.split_once('@'))
        .is_some_and(|(local, _)| DAEMONS.iter().any(|d| local.eq_ignore_ascii_case(d)))
}

/// Whether a line quotes an SMTP error: `550`, `5.1.1`, `4.2.2`...
fn quotes_smtp_reply(line: &str) -> bool {
    line.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .any(|word| {
            let word = word.trim_end_matches('.');
            let basic =
                word.len() == 3 && word.starts_with(['4', '5']) && word.parse::<u16>().is_ok();
            let enhanced = word.starts_with(['4', '5'])
                && word.split('.').count() == 3
                && word.split('.').all(|n| !n.is_empty() && n.len() <= 3);
            basic || enhanced
        })
}

/// A Message-ID without angle brackets or surrounding space.
fn clean_id(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_owned()
}

fn strip_prefix_ci<'a>(raw: &'a str, prefix: &str) -> Option<&'a str> {
    let head = raw.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &raw[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSN: &str = "From: MAILER-DAEMON@mx.example.net\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Message-ID: <dsn-1@mx.example.net>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\
\r\n\
--r\r\n\
Content-Type: text/plain\r\n\
\r\n\
I'm sorry to have to inform you that your message could not be delivered.\r\n\
--r\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example.net\r\n\
\r\n\
Final-Recipient: rfc822; Nobody@Example.org\r\n\
Original-Recipient: rfc822;nobody@example.org\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>:\r\n\
\tRecipient address rejected: User unknown\r\n\
\r\n\
--r\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
From: support@example.com\r\n\
To: nobody@example.org\r\n\
Message-ID: <tend.1.abc@example.com>\r\n\
Subject: Re: help [#1]\r\n\
--r--\r\n";

    #[test]
    fn reads_a_delivery_status_notification() {
        let bounce = read(DSN.as_bytes()).unwrap();
        assert_eq!(bounce.message_ids, vec!["tend.1.abc@example.com"]);
        assert_eq!(bounce.recipients, vec!["nobody@example.org"]);
        assert_eq!(
            bounce.reason,
            "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"
        );
    }

    #[test]
    fn a_delay_notice_is_no_bounce() {
        let delayed = DSN.replace("Action: failed", "Action: delayed");
        assert_eq!(read(delayed.as_bytes()), None);
    }

    #[test]
    fn reads_a_free_form_bounce_quoting_headers() {
        let qmail = "From: MAILER-DAEMON@mail.example.net\r\n\
Subject: failure notice\r\n\
\r\n\
Hi. This is the qmail-send program at mail.example.net.\r\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\
\r\n\
<gone@example.net>:\r\n\
Remote host said: 550 No such user here\r\n\
\r\n\
--- Below this line is a copy of the message.\r\n\
\r\n\
From: support@example.com\r\n\
Message-ID:\r\n\
\t<tend.7.ff@example.com>\r\n\
Subject: Re: hi\r\n";
        let bounce = read(qmail.as_bytes()).unwrap();
        assert_eq!(bounce.message_ids, vec!["tend.7.ff@example.com"]);
        assert_eq!(bounce.reason, "Remote host said: 550 No such user here");
    }

    #[test]
    fn ordinary_mail_is_no_bounce() {
        let customer = "From: ann@example.org\r\nSubject: Returned mail?\r\n\r\n\
Message-ID: <tend.1.abc@example.com>\r\n550 what does this mean\r\n";
        assert_eq!(read(customer.as_bytes()), None);
        assert_eq!(read(b"\x01\x02 junk"), None);
        assert!(!quotes_smtp_reply("call me on 5550 123"));
        assert!(quotes_smtp_reply("said: 4.2.2 mailbox full"));
    }
}
