//! Runs the ingest parse path on arbitrary bytes: what the SMTP listener,
//! IMAP polling and `tend mail import` do with a raw message before it is
//! stored, including HTML sanitising with inline parts and quoted history.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use tend_domain::email::ClosedReply;
use tend_domain::ids::AttachmentId;
use tend_store::email::Inbox;

fuzz_target!(|raw: &[u8]| {
    let inbox = Inbox {
        id: 1,
        address: "support@example.com".into(),
        name: "Support".into(),
        closed_reply: ClosedReply::Reopen,
        created_at: jiff::Timestamp::UNIX_EPOCH,
    };
    let mail = tend::mail::parse::inbound(
        raw.to_vec(),
        inbox,
        Some("support+12@example.com"),
        Some("sender@example.org"),
    );
    let message = &mail.message;
    let inline: HashMap<String, AttachmentId> = message
        .attachments
        .iter()
        .enumerate()
        .filter_map(|(i, a)| Some((a.content_id.clone()?, AttachmentId(i as i64))))
        .collect();
    if let Some(html) = &message.body_html {
        let (clean, start) = html.resolve(&inline);
        if let Some(start) = start {
            assert!(clean.is_char_boundary(start) && start <= clean.len());
        }
    }
    if let Some(start) = message.text_quote_start {
        assert!(message.body_text.is_char_boundary(start));
    }
    // The bound is idempotent in shape: bounding twice nests no deeper.
    let text = String::from_utf8_lossy(raw);
    let once = tend_domain::html_bound::bounded(&text);
    let _ = tend_domain::html_bound::bounded(&once);
});
