//! Reading email properly, through real SMTP deliveries: quoted history is
//! collapsed but kept, inline (`cid:`) images show their stored attachments,
//! and HTML-only mail gets a text version.

use crate::email::{messages, send, server_with_limit};
use crate::harness::Backend;
use crate::web::{PASSWORD, WebAgent};
use reqwest::StatusCode;
use tend_domain::agent::Role;

crate::both_backends!(
    quoted_history_is_collapsed_but_kept,
    inline_images_show_their_attachments,
    text_split_around_attachments_is_kept_whole_and_in_order,
);

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
