//! What agents send, over real SMTP into a relay that keeps every envelope:
//! replies that copy the conversation's Cc ("reply all") or whom the agent
//! chose, Bcc only in the envelope, participants' answers joining the case,
//! a case opened by writing to a customer, forwards, signatures and
//! formatted (HTML) replies with a readable text part.

use crate::email::{FIRST, cases, eventually, messages, send};
use crate::harness::{Backend, Options, TestServer};
use crate::mail_sink::MailSink;
use crate::web::{PASSWORD, WebAgent};
use crate::web_case::{field, post_multipart};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tend_domain::agent::Role;

crate::both_backends!(
    replies_copy_the_conversation_and_copied_people_join_it,
    copies_are_checked_before_anything_is_stored,
    an_agent_opens_a_case_by_email_and_forwards_it,
    the_web_reply_box_copies_and_sends_formatted_html,
);

/// A Tend relaying to `sink`, with the inbox `support@example.com`.
async fn relaying(b: Backend, sink: &MailSink) -> TestServer {
    let relay = Options {
        smtp_relay: Some(sink.url.clone()),
        ..Options::default()
    };
    crate::email::server_with(b, relay).await
}

/// Ann's case, opened by [`FIRST`] (which copies Bob).
async fn anns_case(t: &TestServer) -> i64 {
    send(t, "ann@example.org", "support@example.com", FIRST)
        .await
        .unwrap();
    cases(t).await[0]["id"].as_i64().unwrap()
}

async fn reply(t: &TestServer, case: i64, body: Value) -> Value {
    let r = t
        .post(&format!("/api/v1/cases/{case}/messages"), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

/// The headers of a received message (up to the first blank line).
fn headers(data: &str) -> &str {
    data.split("\r\n\r\n").next().unwrap()
}

async fn replies_copy_the_conversation_and_copied_people_join_it(b: Backend) {
    let sink = MailSink::start().await;
    let t = relaying(b, &sink).await;
    let case = anns_case(&t).await;

    // No Cc given: the reply copies whoever Ann copied.
    let first = reply(&t, case, json!({"body": "Reply all: marker-one"})).await;
    assert_eq!(first["email"]["to"], json!(["ann@example.org"]));
    assert_eq!(first["email"]["cc"], json!(["bob@example.org"]));
    let got = sink.wait_for("marker-one").await;
    assert_eq!(got.recipients, ["ann@example.org", "bob@example.org"]);
    assert!(
        headers(&got.data).contains("Cc: bob@example.org"),
        "{}",
        got.data
    );

    // The agent takes Bob off and blind-copies Carol: she is only in the envelope.
    let second = reply(
        &t,
        case,
        json!({"body": "Just you: marker-two", "cc": [], "bcc": ["Carol@Example.net"]}),
    )
    .await;
    assert_eq!(second["email"]["cc"], json!([]));
    assert_eq!(second["email"]["bcc"], json!(["carol@example.net"]));
    let got = sink.wait_for("marker-two").await;
    assert_eq!(got.recipients, ["ann@example.org", "carol@example.net"]);
    assert!(
        !got.data.contains("carol@example.net"),
        "Bcc must not show: {}",
        got.data
    );
    assert!(!headers(&got.data).contains("\r\nCc:"), "{}", got.data);

    // Bob (copied by Ann) and Carol (blind-copied by Tend) answer: both join the case.
    let answer = |from: &str, id: &str, in_reply_to: &Value| {
        format!(
            "From: {from}\r\nTo: support@example.com\r\nSubject: Re: printer\r\n\
             Message-ID: <{id}>\r\nIn-Reply-To: <{}>\r\n\r\nAnswer from {from}.\r\n",
            in_reply_to.as_str().unwrap()
        )
    };
    send(
        &t,
        "bob@example.org",
        "support@example.com",
        answer(
            "bob@example.org",
            "bob-1@example.org",
            &first["email"]["message_id"],
        ),
    )
    .await
    .unwrap();
    send(
        &t,
        "carol@example.net",
        "support@example.com",
        answer(
            "carol@example.net",
            "carol-1@example.net",
            &second["email"]["message_id"],
        ),
    )
    .await
    .unwrap();
    assert_eq!(cases(&t).await.len(), 1, "answers join the case");
    let all = messages(&t, case).await;
    assert_eq!(all.len(), 5, "{all:?}");

    // Carol wrote last: the next reply goes to Ann and copies Carol.
    let third = reply(&t, case, json!({"body": "Thanks both: marker-three"})).await;
    assert_eq!(third["email"]["cc"], json!(["carol@example.net"]));
    let got = sink.wait_for("marker-three").await;
    assert_eq!(got.recipients, ["ann@example.org", "carol@example.net"]);
}

async fn copies_are_checked_before_anything_is_stored(b: Backend) {
    let sink = MailSink::start().await;
    let t = relaying(b, &sink).await;
    let case = anns_case(&t).await;
    let path = format!("/api/v1/cases/{case}/messages");
    let flood: Vec<String> = (0..21).map(|i| format!("p{i}@example.org")).collect();
    let refused = [
        (json!({"body": "x", "cc": ["not an address"]}), "cc"),
        (json!({"body": "x", "bcc": flood}), "bcc"),
        (
            json!({"body": "x", "cc": ["a@example.org\r\nBcc: evil@example.org"]}),
            "cc",
        ),
        (
            json!({"body": "x", "internal": true, "cc": ["bob@example.org"]}),
            "cc",
        ),
        (json!({"body": "x", "cc": "bob@example.org"}), "body"),
    ];
    for (body, field) in refused {
        let r = t.post(&path, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        if field != "body" {
            assert_eq!(
                r.body["error"]["details"]["field"], field,
                "{body}: {}",
                r.body
            );
        }
    }
    assert_eq!(messages(&t, case).await.len(), 1, "nothing was stored");

    // A case with no email conversation has nobody to copy.
    let customer = t.customer("Phone Only", "phone.only@example.org").await;
    let quiet = t.case(customer, "Called in", "By phone").await;
    let r = t
        .post(
            &format!("/api/v1/cases/{quiet}/messages"),
            json!({"body": "x", "cc": ["bob@example.org"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no email conversation"),
        "{}",
        r.body
    );
}

async fn an_agent_opens_a_case_by_email_and_forwards_it(b: Backend) {
    let sink = MailSink::start().await;
    let t = relaying(b, &sink).await;
    let me = t.get("/api/v1/me").await.body;
    let inbox = t.get("/api/v1/inboxes").await.body[0]["id"]
        .as_i64()
        .unwrap();
    let signed = t
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/signature",
            Some(&t.admin),
            Some(json!({"signature": "Best, {{agent.name}}"})),
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let inbox_signed = t
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/inboxes/{inbox}/signature"),
            Some(&t.admin),
            Some(json!({"signature": "{{inbox.name}} · case {{case.reference}}"})),
        )
        .await;
    assert_eq!(inbox_signed.status, StatusCode::OK, "{}", inbox_signed.body);
    let bad = t
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/signature",
            Some(&t.admin),
            Some(json!({"signature": "bell\u{7}"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);

    let opened = t
        .post(
            "/api/v1/cases/outbound",
            json!({
                "inbox_id": inbox, "to": "Dora@Example.net", "name": "Dora Diaz",
                "subject": "Your boiler service", "cc": ["partner@example.net"],
                "body": "We can come on Tuesday. marker-open",
                "body_html": "<p>We can come on <b>Tuesday</b>. marker-open</p>"
            }),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    let case = opened.body["id"].as_i64().unwrap();
    assert_eq!(opened.body["channel"], "email");
    assert_eq!(opened.body["assignee_id"], me["id"]);
    let dora = t.all("/api/v1/customers?email=dora@example.net").await;
    assert_eq!(dora[0]["name"], "Dora Diaz");
    assert_eq!(opened.body["customer_id"], dora[0]["id"]);
    let first = &messages(&t, case).await[0];
    assert_eq!(first["author"]["kind"], "agent");
    let subject = first["email"]["subject"].as_str().unwrap();
    assert_eq!(subject, format!("Your boiler service [#{case}]"));
    let got = sink.wait_for("marker-open").await;
    assert_eq!(got.recipients, ["dora@example.net", "partner@example.net"]);
    let name = me["name"].as_str().unwrap();
    // Signed in both parts, placeholders filled in, the agent's first.
    let text = first["body_text"].as_str().unwrap();
    assert!(
        text.ends_with(&format!("-- \nBest, {name}\nSupport · case #{case}")),
        "{text}"
    );
    let html = first["body_html"].as_str().unwrap();
    assert!(
        html.contains(&format!("Best, {name}")) && html.contains("<b>Tuesday</b>"),
        "{html}"
    );
    assert!(got.data.contains("multipart/alternative"), "{}", got.data);

    // Dora answers with a photo: the answer threads into the case.
    let answer = format!(
        "From: Dora Diaz <dora@example.net>\r\nTo: support@example.com\r\nSubject: Re: {subject}\r\n\
         Message-ID: <dora-1@example.net>\r\nIn-Reply-To: <{}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
         Tuesday is fine, the boiler is in the cellar.\r\n--b\r\nContent-Type: image/jpeg\r\n\
         Content-Disposition: attachment; filename=\"boiler.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         /9j/4AAQSkZJRg==\r\n--b--\r\n",
        first["email"]["message_id"].as_str().unwrap()
    );
    send(&t, "dora@example.net", "support@example.com", &answer)
        .await
        .unwrap();
    assert_eq!(cases(&t).await.len(), 1);
    assert_eq!(messages(&t, case).await.len(), 2);

    // Forward the whole case to the plumber: text, attachment, kept as internal.
    let fwd = t
        .post(
            &format!("/api/v1/cases/{case}/forward"),
            json!({"to": ["plumber@trade.example"], "note": "Please fit this in. marker-forward"}),
        )
        .await;
    assert_eq!(fwd.status, StatusCode::CREATED, "{}", fwd.body);
    assert_eq!(fwd.body["internal"], true);
    assert_eq!(fwd.body["email"]["to"], json!(["plumber@trade.example"]));
    assert_eq!(fwd.body["attachments"][0]["filename"], "boiler.jpg");
    let got = sink.wait_for("marker-forward").await;
    assert_eq!(got.recipients, ["plumber@trade.example"]);
    for words in [
        "Fwd: Your boiler service",
        "Forwarded message",
        "We can come on Tuesday",
        "boiler is in the cellar",
        "boiler.jpg",
    ] {
        assert!(got.data.contains(words), "{words} missing: {}", got.data);
    }
    // The plumber's answer joins the case, between agents only.
    let plumber = format!(
        "From: plumber@trade.example\r\nTo: support@example.com\r\nSubject: Re: Fwd\r\n\
         Message-ID: <plumber-1@trade.example>\r\nIn-Reply-To: <{}>\r\n\r\nBooked for 10:00.\r\n",
        fwd.body["email"]["message_id"].as_str().unwrap()
    );
    send(&t, "plumber@trade.example", "support@example.com", &plumber)
        .await
        .unwrap();
    assert_eq!(cases(&t).await.len(), 1);
    let all = messages(&t, case).await;
    assert_eq!(all.len(), 4);
    assert_eq!(
        all[3]["body_text"].as_str().unwrap().trim(),
        "Booked for 10:00."
    );
    assert_eq!(all[3]["internal"], true, "the customer never sees it");

    // Forwards are checked: nobody to send to, another case's message.
    let other = t.customer("Other", "other@example.org").await;
    let other_case = t.case(other, "Other", "Other text").await;
    let foreign = messages(&t, other_case).await[0]["id"].clone();
    for body in [
        json!({"to": []}),
        json!({"to": ["x@example.org"], "message_id": foreign}),
        json!({"to": ["not-an-address"]}),
    ] {
        let r = t
            .post(&format!("/api/v1/cases/{case}/forward"), body.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
    }
    assert_eq!(messages(&t, case).await.len(), 4);
    // An unknown inbox is named.
    let r = t
        .post(
            "/api/v1/cases/outbound",
            json!({"inbox_id": 999, "to": "x@example.org", "subject": "s", "body": "b"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["error"]["details"]["field"], "inbox_id");
}

async fn the_web_reply_box_copies_and_sends_formatted_html(b: Backend) {
    let sink = MailSink::start().await;
    let t = relaying(b, &sink).await;
    t.agent_with_password("ann.agent@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    let case = anns_case(&t).await;
    let mut web = WebAgent::signed_in(&t, "ann.agent@example.com").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(
        page.html.contains("id=\"reply-to\">ann@example.org<"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("name=\"cc\" value=\"bob@example.org\""),
        "the Cc is Ann's"
    );
    let csrf = page.csrf();
    let sent = post_multipart(
        &t,
        &web,
        &format!("/cases/{case}/reply"),
        &[
            field("csrf", &csrf),
            field(
                "body",
                "Hello **Ann**, marker-web\n\n- one\n- two\n\n[guide](https://example.com/g)",
            ),
            field("formatted", "on"),
            field("cc", "dan@example.org, bob@example.org"),
            field("bcc", ""),
        ],
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let got = sink.wait_for("marker-web").await;
    assert_eq!(
        got.recipients,
        ["ann@example.org", "dan@example.org", "bob@example.org"]
    );
    let all = messages(&t, case).await;
    let mine = all.last().unwrap();
    let html = mine["body_html"].as_str().unwrap();
    assert!(
        html.contains("<strong>Ann</strong>") && html.contains("<li>one</li>"),
        "{html}"
    );
    assert!(html.contains("href=\"https://example.com/g\""), "{html}");
    let text = mine["body_text"].as_str().unwrap();
    for words in ["Ann", "one", "two", "https://example.com/g"] {
        assert!(
            text.contains(words),
            "{words} missing from the text part: {text}"
        );
    }
    assert!(!text.contains("<strong>"), "{text}");

    // A bad Cc shows the form again with what was typed, and sends nothing.
    let before = sink.received().len();
    let refused = post_multipart(
        &t,
        &web,
        &format!("/cases/{case}/reply"),
        &[
            field("csrf", &csrf),
            field("body", "marker-refused"),
            field("cc", "nobody"),
        ],
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("value=\"nobody\""),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("marker-refused"));
    assert_eq!(messages(&t, case).await.len(), 2);
    assert_eq!(sink.received().len(), before);

    // Writing to a new customer from the web opens the case.
    let form = web.get("/cases/new/email").await;
    assert_eq!(form.status, StatusCode::OK);
    let inbox = t.get("/api/v1/inboxes").await.body[0]["id"].to_string();
    let opened = post_multipart(
        &t,
        &web,
        "/cases/new/email",
        &[
            field("csrf", &form.csrf()),
            field("inbox", &inbox),
            field("to", "eve@example.org"),
            field("name", "Eve"),
            field("subject", "Your warranty"),
            field("body", "marker-web-open"),
        ],
    )
    .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.html);
    let got = sink.wait_for("marker-web-open").await;
    assert_eq!(got.recipients, ["eve@example.org"]);
    eventually("the case", || async {
        (cases(&t).await.len() == 2).then_some(())
    })
    .await;
}

/// In Chromium: the toolbar marks up the selected words, the Cc shows whom
/// Ann copied, and the reply goes out as HTML with a readable text part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_formatting_toolbar_sends_html_in_chromium() {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let sink = MailSink::start().await;
    let t = relaying(Backend::Sqlite, &sink).await;
    t.agent_with_password("ann.agent@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    let case = anns_case(&t).await;
    let b = &browser;
    b.sign_in(&t, "ann.agent@example.com").await;
    b.client
        .goto(&format!("{}/cases/{case}", t.base))
        .await
        .unwrap();
    let cc = b.wait_for("#reply-cc").await;
    assert_eq!(
        cc.prop("value").await.unwrap().as_deref(),
        Some("bob@example.org")
    );
    b.type_into("#reply", "Your toner is ").await;
    b.click("#format-toolbar button[data-format=bold]").await;
    // The cursor sits inside the marks, over the placeholder word.
    b.type_into("#reply", "on its way").await;
    let typed = b.wait_for("#reply").await.prop("value").await.unwrap();
    assert_eq!(typed.as_deref(), Some("Your toner is **on its way**"));
    let ticked = b
        .wait_for("#reply-formatted")
        .await
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(ticked.as_deref(), Some("true"));
    b.screenshot("reply-toolbar.png").await;
    b.click("#reply-form .send button[type=submit]").await;
    let got = sink.wait_for("on its way").await;
    assert_eq!(got.recipients, ["ann@example.org", "bob@example.org"]);
    assert!(
        got.data.contains("<strong>on its way</strong>"),
        "{}",
        got.data
    );
    assert!(got.data.contains("multipart/alternative"), "{}", got.data);
}
