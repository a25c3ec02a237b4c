//! Reading an email (MIME, any charset, broken headers) into what the store
//! files: sender, Cc, subject, threading hints, text and HTML bodies and
//! attachments. Never fails: a message that cannot be read still becomes a
//! message, with a note saying so; its raw source is kept either way.

use super::{charset, html_body, part_names, quote, uuencode};
use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use std::collections::HashSet;
use tend_domain::case::{Channel, MAX_EMAIL_SUBJECT};
use tend_domain::email::EmailAddress;
use tend_domain::event::Actor;
use tend_domain::html::EmailHtml;
use tend_domain::html_bound;
use tend_store::email::{InboundEmail, Inbox, ThreadHints};
use tend_store::messages::{NewAttachment, NewMessage};
use tend_store::model::EmailDetails;

/// Line width of text derived from HTML.
const TEXT_WIDTH: usize = 100;

/// Reads `raw`, delivered to `inbox` at `recipient` by `envelope_from`
/// (the SMTP `MAIL FROM`, when known).
pub fn inbound(
    raw: Vec<u8>,
    inbox: Inbox,
    recipient: Option<&str>,
    envelope_from: Option<&str>,
) -> InboundEmail {
    let address_case = recipient.and_then(plus_address_case);
    let parser = MessageParser::default();
    let parsed = parser.parse(&raw);
    // Legacy 8-bit headers: parse again a copy with them decoded (rare).
    let decoded = parsed.as_ref().and_then(charset::utf8_copy);
    let mail = match &decoded {
        Some(copy) => parser.parse(copy).or(parsed).map(|m| read(&m)),
        None => parsed.map(|m| read(&m)),
    };
    let mut mail = mail.unwrap_or_else(Read::unreadable);
    if mail.from.is_none() {
        mail.from = envelope_from
            .and_then(|a| EmailAddress::parse("from", a).ok())
            .map(|a| (a, None));
    }
    let (from, from_name) = mail.from.unwrap_or_else(unknown_sender);
    let subject_case = subject_case(&mail.subject);
    let subject = if mail.subject.trim().is_empty() {
        "(no subject)".to_owned()
    } else {
        mail.subject
            .trim()
            .chars()
            .take(MAX_EMAIL_SUBJECT)
            .collect()
    };
    let details = EmailDetails {
        message_id: mail.message_id,
        from: from.as_str().to_owned(),
        subject: subject.clone(),
        to: Vec::new(),
        cc: mail.cc.iter().map(|(a, _)| a.as_str().to_owned()).collect(),
        bcc: Vec::new(),
        automated: mail.automated,
        has_raw: true,
        inbox_id: None,
        delivery: None,
    };
    InboundEmail {
        inbox,
        raw,
        from,
        from_name,
        cc: mail.cc,
        thread: ThreadHints {
            references: mail.references,
            subject_case,
            address_case,
        },
        message: NewMessage {
            // The store sets the author once it knows the customer.
            author: Actor::system(),
            channel: Channel::Email,
            internal: false,
            body_text: mail.body_text,
            body_html: mail.body_html,
            attachments: mail.attachments,
            email: Some(details),
            raw_sha256: None,
            text_quote_start: mail.text_quote_start,
            promise: None,
        },
        subject,
        acknowledge: false,
    }
}

/// What could be read from a message.
struct Read {
    from: Option<(EmailAddress, Option<String>)>,
    cc: Vec<(EmailAddress, Option<String>)>,
    subject: String,
    message_id: Option<String>,
    references: Vec<String>,
    body_text: String,
    body_html: Option<EmailHtml>,
    text_quote_start: Option<usize>,
    attachments: Vec<NewAttachment>,
    automated: bool,
}

impl Read {
    fn unreadable() -> Self {
        Read {
            from: None,
            cc: Vec::new(),
            subject: "(unreadable email)".into(),
            message_id: None,
            references: Vec::new(),
            body_text: "Tend could not read this email. Its raw source is kept with this message."
                .into(),
            body_html: None,
            text_quote_start: None,
            attachments: Vec::new(),
            automated: false,
        }
    }
}

fn read(m: &Message<'_>) -> Read {
    let from = m
        .from()
        .or_else(|| m.sender())
        .or_else(|| m.reply_to())
        .and_then(|a| addresses(a).into_iter().next());
    let mut references = header_ids(m.in_reply_to());
    let mut older = header_ids(m.references());
    older.reverse();
    references.extend(older);
    references.dedup();
    // Bounded before any HTML parser reads it: see `html_bound`.
    let html = html_body::compose(m)
        .filter(|h| !h.trim().is_empty())
        .map(|h| html_bound::bounded(&h).into_owned());
    let (mut body_text, uuencoded) = inline_text(m);
    if body_text.trim().is_empty() && html.is_none() {
        body_text = unnamed_text_part(m).unwrap_or_else(|| "(this email has no text)".into());
    }
    let mut attachments = attachments(m);
    attachments.extend(uuencoded);
    let inline = attachments
        .iter()
        .filter_map(|a| a.content_id.clone())
        .collect();
    let body_html = html.map(|html| {
        let quote_start = quote::html_quote_start(&html);
        EmailHtml::sanitize(&html, quote_start, &inline)
    });
    Read {
        from,
        cc: m.cc().map(addresses).unwrap_or_default(),
        subject: m.subject().unwrap_or_default().to_owned(),
        message_id: m.message_id().map(str::to_owned),
        references,
        text_quote_start: quote::text_quote_start(&body_text),
        body_text,
        body_html,
        attachments,
        automated: is_automated(m),
    }
}

/// Every inline text part of the message in order, joined by blank lines:
/// the parser's text body list, which holds the text parts around any
/// attachments and images (text, image, text, PDF, text) and, where a part
/// has no text alternative, its HTML, read here as text with its title.
/// Files uuencoded in the text come out as attachments.
fn inline_text(m: &Message<'_>) -> (String, Vec<NewAttachment>) {
    let mut files = Vec::new();
    let texts: Vec<String> = m
        .text_body
        .iter()
        .filter_map(|&id| {
            let part = m.part(id)?;
            let text = part.text_contents()?;
            if part.is_content_type("text", "html") {
                return html_text(&html_bound::bounded(text));
            }
            let (text, found) = uuencode::extract(text);
            files.extend(found.into_iter().map(|f| NewAttachment {
                content_type: "application/octet-stream".into(),
                filename: f.name,
                data: f.data,
                content_id: None,
            }));
            Some(text)
        })
        .filter(|text| !text.trim().is_empty())
        .collect();
    (texts.join("\n\n"), files)
}

/// The visible text of an HTML part, its title first when the text does
/// not begin with it.
fn html_text(html: &str) -> Option<String> {
    let text = html_to_text(html)?;
    let title = title(html)
        .and_then(html_to_text)
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty() && !text.trim_start().starts_with(t.as_str()));
    Some(match title {
        Some(title) => format!("{title}\n\n{text}"),
        None => text,
    })
}

/// The markup inside an HTML document's `<title>`.
fn title(html: &str) -> Option<&str> {
    // ASCII lower-casing keeps byte offsets.
    let lower = html.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    html.get(start..end)
}

/// The text of an unnamed text/plain part that mail-parser filed as an
/// attachment (as it does in a multipart that never closes), to show as the
/// body; it stays an attachment too.
fn unnamed_text_part(m: &Message<'_>) -> Option<String> {
    m.attachments()
        .filter(|p| p.is_content_type("text", "plain") && p.attachment_name().is_none())
        .find_map(|p| p.text_contents())
        .filter(|t| !t.trim().is_empty())
        .map(str::to_owned)
}

/// Every readable address in a header, with its display name.
fn addresses(a: &Address<'_>) -> Vec<(EmailAddress, Option<String>)> {
    a.iter()
        .filter_map(|addr| {
            let parsed = EmailAddress::parse("address", addr.address()?).ok()?;
            Some((parsed, addr.name().map(str::to_owned)))
        })
        .collect()
}

/// Message-IDs in In-Reply-To or References, in header order.
fn header_ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![id.to_string()],
        HeaderValue::TextList(ids) => ids.iter().map(|id| id.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// The message's attachments, named as mail clients name them; images shown
/// in the body carry the Content-ID the HTML body shows them by.
fn attachments(m: &Message<'_>) -> Vec<NewAttachment> {
    let shown: HashSet<u32> = m.html_body.iter().copied().collect();
    m.attachments
        .iter()
        .filter_map(|&id| Some((id, m.part(id)?)))
        .enumerate()
        .map(|(i, (id, part))| {
            let content_type = part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_owned(),
                })
                .unwrap_or_else(|| match part.body {
                    // A digest's parts are messages unless they say otherwise.
                    PartType::Message(_) => "message/rfc822".into(),
                    _ => "application/octet-stream".into(),
                })
                .to_lowercase();
            let content_id = if shown.contains(&id) && html_body::is_image(part) {
                Some(html_body::content_id(id, part))
            } else {
                part.content_id()
                    .map(|id| id.trim().trim_matches(['<', '>']).to_owned())
                    .filter(|id| !id.is_empty())
            };
            NewAttachment {
                filename: part_names::name(part, i + 1, &content_type),
                content_type,
                data: part.contents().to_vec(),
                content_id,
            }
        })
        .collect()
}

/// A text version of an HTML-only message, for search and plain-text
/// replies; quoted blocks keep their `> ` marks.
fn html_to_text(html: &str) -> Option<String> {
    html2text::config::plain_no_decorate()
        .raw_mode(true)
        .allow_width_overflow()
        .string_from_read(html.as_bytes(), TEXT_WIDTH)
        .ok()
}

/// Auto-replies, bounces and bulk mail, which Tend must never answer
/// automatically (that is how mail loops start).
fn is_automated(m: &Message<'_>) -> bool {
    let header = |name: &str| m.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let auto_submitted = header("Auto-Submitted").is_some_and(|v| v != "no");
    let bulk = header("Precedence")
        .is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list" | "auto_reply"));
    let autoreply_headers = ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"]
        .iter()
        .any(|h| m.header_raw(*h).is_some());
    let daemon = m
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.to_ascii_lowercase())
        .is_some_and(|a| a.starts_with("mailer-daemon@") || a.starts_with("postmaster@"));
    let report = m.is_content_type("multipart", "report");
    auto_submitted || bulk || autoreply_headers || daemon || report
}

fn unknown_sender() -> (EmailAddress, Option<String>) {
    (
        EmailAddress::unknown_sender(),
        Some("Unknown sender".into()),
    )
}

/// A case number written as `[#1234]` in a subject; the last one wins, as
/// Tend appends its own reference after anything the subject already held.
pub fn subject_case(subject: &str) -> Option<i64> {
    subject.rmatch_indices("[#").find_map(|(at, _)| {
        let rest = &subject[at + 2..];
        let end = rest.find(']')?;
        rest[..end].parse().ok().filter(|n| *n > 0)
    })
}

/// A case number in a plus address: `support+1234@example.com`.
pub fn plus_address_case(address: &str) -> Option<i64> {
    let (local, _) = address.rsplit_once('@')?;
    let (_, tag) = local.rsplit_once('+')?;
    tag.parse().ok().filter(|n| *n > 0)
}

/// The inbox address a recipient stands for (`support+1234@` is `support@`).
pub fn inbox_address(recipient: &str) -> Option<EmailAddress> {
    let (local, domain) = recipient.rsplit_once('@')?;
    let base = local.split_once('+').map_or(local, |(base, _)| base);
    EmailAddress::parse("recipient", &format!("{base}@{domain}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_case_numbers_in_subjects_and_addresses() {
        assert_eq!(subject_case("Re: Printer [#1234] broken"), Some(1234));
        assert_eq!(subject_case("[#x] then [#77]"), Some(77));
        assert_eq!(subject_case("Re: Re: Bill [#5] [#9]"), Some(9));
        assert_eq!(subject_case("no reference"), None);
        assert_eq!(plus_address_case("support+42@example.com"), Some(42));
        assert_eq!(plus_address_case("support+abc@example.com"), None);
        assert_eq!(
            inbox_address("Support+42@Example.com").unwrap().as_str(),
            "support@example.com"
        );
    }
}
