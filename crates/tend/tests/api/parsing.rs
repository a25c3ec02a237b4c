//! Reading email properly, through real SMTP deliveries: quoted history is
//! collapsed but kept, inline (`cid:`) images show their stored attachments,
//! images between text parts show where they were, HTML-only mail gets a
//! text version with its title, raw 8-bit headers in legacy charsets are
//! decoded, parts without file names are named as mail clients name them
//! (uuencoded files included), delivery reports keep what bounced, and
//! long subjects are kept whole.

use crate::bounces::dsn;
use crate::email::{messages, send, server_with_limit};
use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, WebAgent};
use reqwest::StatusCode;
use serde_json::Value;
use tend_domain::agent::Role;
use tend_domain::case::MAX_EMAIL_SUBJECT;

crate::both_backends!(
    quoted_history_is_collapsed_but_kept,
    inline_images_show_their_attachments,
    text_split_around_attachments_is_kept_whole_and_in_order,
    images_between_text_parts_show_where_they_were,
    legacy_8bit_headers_are_decoded,
    parts_are_named_as_mail_clients_name_them,
    delivery_reports_keep_what_bounced,
    long_subjects_are_kept_whole_and_shortened_for_display,
    both_alternatives_are_kept_and_html_only_mail_keeps_its_title,
);

/// The only message of the only case.
async fn only_message(t: &TestServer) -> Value {
    let cases = t.all("/api/v1/cases").await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    messages(t, cases[0]["id"].as_i64().unwrap())
        .await
        .remove(0)
}

/// `(filename, content type, size)` of each attachment of `m`.
fn attachments(m: &Value) -> Vec<(String, String, i64)> {
    m["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["filename"].as_str().unwrap().to_owned(),
                a["content_type"].as_str().unwrap().to_owned(),
                a["size"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The stored bytes of attachment `id`, as an agent downloads them.
async fn attachment(t: &TestServer, id: &Value) -> Vec<u8> {
    let url = format!("{}/api/v1/attachments/{id}", t.base);
    let r = t.http.get(url).bearer_auth(&t.admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.bytes().await.unwrap().to_vec()
}

/// Text, a photo without a Content-ID, more text: as iPhone Mail sends a
/// message written around a pasted picture.
const TEXT_IMAGE_TEXT: &str = "From: Mia <mia@example.org>\r\n\
To: support@example.com\r\n\
Subject: Leaking tap\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"m\"\r\n\
\r\n\
--m\r\n\
Content-Type: text/plain\r\n\
\r\n\
Before <the> repair:\r\n\
--m\r\n\
Content-Type: image/png; name=tap.png\r\n\
Content-Disposition: inline; filename=tap.png\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
iVBORw0KGgo=\r\n\
--m\r\n\
Content-Type: text/plain\r\n\
\r\n\
It still drips.\r\n\
--m--\r\n";

async fn images_between_text_parts_show_where_they_were(b: Backend) {
    let t = server_with_limit(b, 64 * 1024).await;
    send(
        &t,
        "mia@example.org",
        "support@example.com",
        TEXT_IMAGE_TEXT,
    )
    .await
    .unwrap();
    let m = only_message(&t).await;
    let image = &m["attachments"][0];
    assert_eq!(image["filename"], "tap.png", "{m}");
    assert!(
        image["content_id"].is_string(),
        "shown by a Content-ID: {m}"
    );
    let html = m["body_html"].as_str().unwrap();
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s:?} in {html}"));
    let img = format!("<img src=\"/api/v1/attachments/{}\">", image["id"]);
    assert!(at("Before &lt;the&gt; repair:") < at(&img) && at(&img) < at("It still drips."));
    let text = m["body_text"].as_str().unwrap();
    assert!(text.contains("Before <the> repair:") && text.contains("It still drips."));
}

async fn legacy_8bit_headers_are_decoded(b: Backend) {
    let t = server_with_limit(b, 64 * 1024).await;
    // GB2312 bytes, sent raw: no encoded words, no charset anywhere.
    let gb = |s: &[u8]| s.to_vec();
    let mut raw = b"From: ".to_vec();
    raw.extend(gb(b"\xd5\xc5\xce\xb0")); // 张伟
    raw.extend(b" <zhang@example.cn>\r\nTo: support@example.com\r\nSubject: ");
    raw.extend(gb(
        b"\xb9\xd8\xd3\xda\xb7\xa2\xc6\xb1\xb5\xc4\xce\xca\xcc\xe2",
    )); // 关于发票的问题
    raw.extend(b"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
    raw.extend(b"--b\r\nContent-Type: text/plain\r\n\r\n");
    raw.extend(gb(b"\xc7\xeb\xba\xcb\xca\xb5\xa1\xa3")); // 请核实。
    raw.extend(b"\r\n--b\r\nContent-Type: application/pdf\r\n");
    raw.extend(b"Content-Disposition: attachment; filename=\"");
    raw.extend(gb(b"\xb7\xa2\xc6\xb1.pdf")); // 发票.pdf
    raw.extend(b"\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n");
    send(&t, "zhang@example.cn", "support@example.com", &raw)
        .await
        .unwrap();
    let m = only_message(&t).await;
    assert_eq!(m["email"]["subject"], "关于发票的问题", "{m}");
    assert!(m["body_text"].as_str().unwrap().contains("请核实。"), "{m}");
    assert_eq!(attachments(&m)[0].0, "发票.pdf");
    let customers = t.all("/api/v1/customers").await;
    assert_eq!(customers[0]["name"], "张伟", "{customers:?}");
    for text in [m.to_string(), customers[0].to_string()] {
        assert!(!text.contains('\u{FFFD}'), "{text}");
    }
}

async fn parts_are_named_as_mail_clients_name_them(b: Backend) {
    let t = server_with_limit(b, 64 * 1024).await;
    let raw = "From: ann@example.org\r\nTo: support@example.com\r\nSubject: Files\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nThree files.\r\n\
begin 644 notes.txt\r\n,:&5L;&\\@=V]R;&0*\r\n`\r\nend\r\nThat is all.\r\n\
--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: shop@example.net\r\nSubject: Order 12/3 shipped\r\n\r\nShipped.\r\n\
--b\r\nContent-Type: image/jpeg\r\nContent-ID: <image001.jpg@01D1>\r\nContent-Disposition: attachment\r\n\
Content-Transfer-Encoding: base64\r\n\r\n/9j/\r\n\
--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n\
--b--\r\n";
    send(&t, "ann@example.org", "support@example.com", raw)
        .await
        .unwrap();
    let m = only_message(&t).await;
    let names: Vec<String> = attachments(&m).into_iter().map(|a| a.0).collect();
    assert_eq!(
        names,
        [
            "Order 12_3 shipped.eml",
            "image001.jpg",
            "attachment-3.bin",
            "notes.txt"
        ],
        "{m}"
    );
    let text = m["body_text"].as_str().unwrap();
    assert!(text.contains("Three files.") && text.contains("That is all."));
    assert!(
        !text.contains("begin 644"),
        "the file left the text: {text:?}"
    );
    let notes = attachment(&t, &m["attachments"][3]["id"]).await;
    assert_eq!(notes, b"hello world\n");
}

async fn delivery_reports_keep_what_bounced(b: Backend) {
    let t = server_with_limit(b, 64 * 1024).await;
    // A bounce of mail Tend never sent: filed as automated mail.
    let report = dsn("never-sent-by-tend@example.com");
    send(
        &t,
        "mailer-daemon@mx.example.org",
        "support@example.com",
        report,
    )
    .await
    .unwrap();
    let m = only_message(&t).await;
    assert_eq!(m["email"]["automated"], true, "{m}");
    let found = attachments(&m);
    assert_eq!(found[0].0, "delivery-status.txt", "{m}");
    assert_eq!(found[0].1, "message/delivery-status");
    assert_eq!(found[1].0, "Re: Printer.eml");
    assert_eq!(found[1].1, "message/rfc822");
    // The returned message is there whole, for the agent to see what bounced.
    let returned = attachment(&t, &m["attachments"][1]["id"]).await;
    let returned = String::from_utf8_lossy(&returned);
    assert!(
        returned.contains("Please try a new cartridge."),
        "{returned}"
    );
}

async fn long_subjects_are_kept_whole_and_shortened_for_display(b: Backend) {
    let t = server_with_limit(b, 1024 * 1024).await;
    // Words that do not compress, longer than the 16 Ki cap.
    let words: Vec<String> = (0..3000u64)
        .map(|i| format!("{:x}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40))
        .collect();
    let subject = words.join(" ");
    assert!(subject.chars().count() > MAX_EMAIL_SUBJECT);
    let raw = format!(
        "From: ann@example.org\r\nTo: support@example.com\r\nSubject: {subject}\r\n\r\nSee the subject.\r\n"
    );
    send(&t, "ann@example.org", "support@example.com", raw)
        .await
        .unwrap();
    let m = only_message(&t).await;
    let kept: String = subject.chars().take(MAX_EMAIL_SUBJECT).collect();
    assert_eq!(m["email"]["subject"], kept.trim_end());
    let case = &t.all("/api/v1/cases").await[0];
    assert_eq!(case["subject"], kept.trim_end());
    // A shorter long subject is kept whole, to the last word.
    let long = subject.chars().take(5000).collect::<String>();
    let long = long.trim_end();
    let raw = format!(
        "From: bo@example.org\r\nTo: support@example.com\r\nSubject: {long}\r\n\r\nAgain.\r\n"
    );
    send(&t, "bo@example.org", "support@example.com", raw)
        .await
        .unwrap();
    let cases = t.all("/api/v1/cases").await;
    assert!(cases.iter().any(|c| c["subject"] == long), "{cases:?}");
    // Lists shorten them for display (two lines, by CSS) and still render.
    t.agent_with_password("ann@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    let mut agent = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = agent.get("/views/unassigned").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains(&format!(">{long}</a>")), "listed whole");
    let css = t
        .http
        .get(format!("{}/assets/tend.css", t.base))
        .send()
        .await
        .unwrap();
    let css = css.text().await.unwrap();
    assert!(css.contains(".cases td > a:first-child"), "{css}");
}

async fn both_alternatives_are_kept_and_html_only_mail_keeps_its_title(b: Backend) {
    let t = server_with_limit(b, 64 * 1024).await;
    let raw = "From: lee@example.org\r\nTo: support@example.com\r\nSubject: Router\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n\
--a\r\nContent-Type: text/plain\r\n\r\nIt reboots *hourly*.\r\n\
--a\r\nContent-Type: text/html\r\n\r\n<p>It reboots <b>hourly</b>.</p>\r\n--a--\r\n";
    send(&t, "lee@example.org", "support@example.com", raw)
        .await
        .unwrap();
    let m = only_message(&t).await;
    assert!(
        m["body_text"]
            .as_str()
            .unwrap()
            .contains("It reboots *hourly*.")
    );
    assert!(m["body_html"].as_str().unwrap().contains("<b>hourly</b>"));
    let html_only = "From: kim@example.org\r\nTo: support@example.com\r\nSubject: Order\r\n\
MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n\
<html><head><title>Order 5531 confirmed</title></head><body>\
<table><tr><td>Blue kettle</td><td>49.00</td></tr></table></body></html>\r\n";
    send(&t, "kim@example.org", "support@example.com", html_only)
        .await
        .unwrap();
    let cases = t.all("/api/v1/cases").await;
    let other = cases.iter().find(|c| c["subject"] == "Order").unwrap();
    let m = &messages(&t, other["id"].as_i64().unwrap()).await[0];
    let text = m["body_text"].as_str().unwrap();
    for part in ["Order 5531 confirmed", "Blue kettle", "49.00"] {
        assert!(text.contains(part), "{part:?} in {text:?}");
    }
}

/// Text, an image, text, a PDF, text: as some mail clients send a message
/// written around pasted pictures and attached files.
const SPLIT: &str = "From: Ann Lee <ann@example.org>\r\n\
To: support@example.com\r\n\
Subject: Meter photos\r\n\
Message-ID: <split-1@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"s\"\r\n\
\r\n\
--s\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Here is the meter before the repair.\r\n\
--s\r\n\
Content-Type: image/png; name=\"before.png\"\r\n\
Content-Disposition: inline; filename=\"before.png\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
iVBORw0KGgo=\r\n\
--s\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
And the invoice the plumber left.\r\n\
--s\r\n\
Content-Type: application/pdf; name=\"invoice.pdf\"\r\n\
Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQK\r\n\
--s\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Please refund the second visit.\r\n\
--s--\r\n";

async fn text_split_around_attachments_is_kept_whole_and_in_order(b: Backend) {
    let t = server_with_limit(b, 64 * 1024).await;
    send(&t, "ann@example.org", "support@example.com", SPLIT)
        .await
        .unwrap();
    let case = t.all("/api/v1/cases").await[0]["id"].as_i64().unwrap();
    let m = &messages(&t, case).await[0];
    let text = m["body_text"].as_str().unwrap();
    let parts = [
        "Here is the meter before the repair.",
        "And the invoice the plumber left.",
        "Please refund the second visit.",
    ];
    let at: Vec<usize> = parts
        .iter()
        .map(|p| text.find(p).unwrap_or_else(|| panic!("{p:?} in {text:?}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "in order: {text:?}");
    let names: Vec<&str> = m["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"invoice.pdf"), "{m}");
}

const REPLY: &str = "From: Ann Lee <ann@example.org>\r\n\
To: support@example.com\r\n\
Subject: Re: Printer\r\n\
Message-ID: <reply-quoted@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"q\"\r\n\
\r\n\
--q\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
The toner light keeps blinking.\r\n\
\r\n\
On Mon, 2 Mar 2026 at 10:00, Support <support@example.com> wrote:\r\n\
> Please replace the zebracartridge.\r\n\
>\r\n\
--q\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<div>The toner light keeps blinking.</div><div class=\"gmail_quote\"><div>On Mon wrote:</div>\
<blockquote class=\"gmail_quote\">Please replace the zebracartridge.<script>x()</script></blockquote></div>\r\n\
--q--\r\n";

async fn quoted_history_is_collapsed_but_kept(b: Backend) {
    let t = server_with_limit(b, 64 * 1024).await;
    send(&t, "ann@example.org", "support@example.com", REPLY)
        .await
        .unwrap();
    let case = t.all("/api/v1/cases").await[0]["id"].as_i64().unwrap();
    let m = &messages(&t, case).await[0];
    let text = m["body_text"].as_str().unwrap();
    let quoted = m["quoted_text"].as_str().unwrap();
    assert!(text.ends_with(quoted), "{m}");
    assert!(quoted.starts_with("On Mon, 2 Mar 2026"), "{quoted:?}");
    assert!(quoted.contains("zebracartridge"));
    assert_eq!(
        text[..text.len() - quoted.len()].trim(),
        "The toner light keeps blinking."
    );
    let html = m["body_html"].as_str().unwrap();
    let quoted_html = m["quoted_html"].as_str().unwrap();
    assert!(html.ends_with(quoted_html), "{m}");
    assert!(html[..html.len() - quoted_html.len()].contains("toner light"));
    assert!(!html[..html.len() - quoted_html.len()].contains("zebracartridge"));
    assert!(quoted_html.contains("zebracartridge") && !quoted_html.contains("script"));
    // Search finds the new text, and the history is not lost to it either.
    for word in ["blinking", "zebracartridge"] {
        let hits = t.get(&format!("/api/v1/search?q={word}")).await;
        assert_eq!(hits.status, StatusCode::OK);
        assert_eq!(hits.body["data"][0]["message_id"], m["id"], "{word}");
    }
    // A message without history says so.
    let plain = "From: ann@example.org\r\nTo: support@example.com\r\nSubject: New\r\n\r\nJust new text.\r\n";
    send(&t, "ann@example.org", "support@example.com", plain)
        .await
        .unwrap();
    let cases = t.all("/api/v1/cases").await;
    let other = cases.iter().find(|c| c["id"] != case).unwrap();
    let m = &messages(&t, other["id"].as_i64().unwrap()).await[0];
    assert!(
        m["quoted_text"].is_null() && m["quoted_html"].is_null(),
        "{m}"
    );
}

/// A 1x1 PNG.
const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4z8DwHwAFAAIBpfSh4AAAAABJRU5ErkJggg==";

async fn inline_images_show_their_attachments(b: Backend) {
    let t = server_with_limit(b, 64 * 1024).await;
    let raw = format!(
        "From: Carl <carl@example.org>\r\nTo: support@example.com\r\nSubject: Screenshot\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"r\"\r\n\r\n\
         --r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p>See:</p><img src=\"cid:shot@x\" onerror=\"a()\"><img src=\"cid:unknown@x\">\r\n\
         --r\r\nContent-Type: image/png\r\nContent-ID: <shot@x>\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{PNG_BASE64}\r\n--r--\r\n"
    );
    send(&t, "carl@example.org", "support@example.com", raw)
        .await
        .unwrap();
    let case = t.all("/api/v1/cases").await[0]["id"].as_i64().unwrap();
    let m = &messages(&t, case).await[0];
    // The inline part stays listed as an attachment, marked by its Content-ID.
    let attachment = &m["attachments"][0];
    assert_eq!(attachment["content_id"], "shot@x", "{m}");
    assert_eq!(attachment["content_type"], "image/png");
    let url = format!("/api/v1/attachments/{}", attachment["id"]);
    let html = m["body_html"].as_str().unwrap();
    assert!(html.contains(&format!("<img src=\"{url}\">")), "{html}");
    assert!(
        !html.contains("cid:") && !html.contains("onerror"),
        "{html}"
    );
    // HTML-only mail gets a text version.
    assert!(m["body_text"].as_str().unwrap().contains("See:"), "{m}");
    // The URL serves the image to agents, and to nobody else.
    let image = t
        .http
        .get(format!("{}{url}", t.base))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), StatusCode::OK);
    assert_eq!(&image.bytes().await.unwrap()[..4], b"\x89PNG");
    let anonymous = t.http.get(format!("{}{url}", t.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // The web pages show it from a URL their own sessions may open: the
    // agent's case page and the customer's portal.
    let id = &attachment["id"];
    t.agent_with_password("ann@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    let mut agent = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = agent.get(&format!("/cases/{case}")).await;
    assert!(
        page.html
            .contains(&format!("<img src=\"/attachments/{id}\">")),
        "{}",
        page.html
    );
    let shown = agent.get(&format!("/attachments/{id}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    let mut carl = crate::portal::signed_in(&t, "carl@example.org").await;
    let page = carl.get(&format!("/portal/cases/{case}")).await;
    let portal_url = format!("/portal/attachments/{id}");
    assert!(
        page.html.contains(&format!("<img src=\"{portal_url}\">")),
        "{}",
        page.html
    );
    assert_eq!(carl.get(&portal_url).await.status, StatusCode::OK);
}
