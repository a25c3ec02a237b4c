//! Delivery of replies as case events, and bounce reports: a bounce for an
//! email Tend sent marks it bounced without opening or reopening a case; a
//! bounce that matches nothing is kept as automated mail.

use crate::email::{cases, eventually, messages, relaying_server, send};
use crate::harness::{Backend, Options, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::both_backends!(delivery_changes_are_events_and_bounces_mark_replies);

/// A delivery status notification returning the email `message_id`.
pub fn dsn(message_id: &str) -> String {
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n\
To: support@example.com\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Auto-Submitted: auto-replied\r\n\
Message-ID: <dsn-{message_id}>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\
\r\n\
--r\r\n\
Content-Type: text/plain\r\n\
\r\n\
Your message could not be delivered.\r\n\
--r\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example.org\r\n\
\r\n\
Final-Recipient: rfc822; ann@example.org\r\n\
Action: failed\r\n\
Status: 5.2.2\r\n\
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\
\r\n\
--r\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
From: support@example.com\r\n\
To: ann@example.org\r\n\
Subject: Re: Printer\r\n\
Message-ID: <{message_id}>\r\n\
\r\n\
Please try a new cartridge.\r\n\
--r--\r\n"
    )
}

/// The `email_delivery_changed` events of a case: (status, detail).
async fn deliveries(t: &TestServer, case: i64) -> Vec<(String, Value)> {
    t.all(&format!("/api/v1/cases/{case}/events"))
        .await
        .iter()
        .filter(|e| e["data"]["type"] == "email_delivery_changed")
        .map(|e| {
            (
                e["data"]["status"].as_str().unwrap().to_owned(),
                e["data"]["detail"].clone(),
            )
        })
        .collect()
}

async fn delivery_changes_are_events_and_bounces_mark_replies(b: Backend) {
    // The customers' mail server: a Tend that takes mail for Ann (and Bob).
    let remote = TestServer::start_with(
        b,
        Options {
            smtp: true,
            ..Options::default()
        },
    )
    .await;
    crate::email::take_mail_for_ann_and_bob(&remote).await;
    let relay = format!("smtp://{}", remote.smtp.unwrap());
    let (t, case) = relaying_server(b, &relay, None).await;
    let reply = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": "Please try a new cartridge."}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let (reply_id, sent_id) = (
        reply.id(),
        reply.body["email"]["message_id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    eventually("the reply's sent event", || async {
        (deliveries(&t, case).await.len() == 2).then_some(())
    })
    .await;
    let statuses: Vec<String> = deliveries(&t, case)
        .await
        .into_iter()
        .map(|d| d.0)
        .collect();
    assert_eq!(statuses, ["queued", "sent"]);

    // The case is closed; then Ann's server bounces the reply.
    t.patch(
        &format!("/api/v1/cases/{case}"),
        json!({"status": "closed"}),
    )
    .await;
    let bounce = dsn(&sent_id);
    let filed = send(&t, "postmaster@example.org", "support@example.com", &bounce).await;
    assert!(filed.is_ok(), "{filed:?}");
    assert_eq!(cases(&t).await.len(), 1, "a bounce opens no case");
    let after = t.get(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(after.body["status"], "closed", "nor reopens one");
    let msgs = messages(&t, case).await;
    assert_eq!(msgs.len(), 2, "nor adds a message");
    let mine = msgs.iter().find(|m| m["id"] == reply_id).unwrap();
    assert_eq!(mine["email"]["delivery"]["status"], "bounced");
    assert_eq!(
        mine["email"]["delivery"]["last_error"],
        "552 5.2.2 Mailbox full"
    );
    let events = deliveries(&t, case).await;
    assert_eq!(events.len(), 3);
    assert_eq!(
        events[2],
        ("bounced".into(), json!("552 5.2.2 Mailbox full"))
    );
    // The report, with the returned message, is there for agents to read.
    let report = t
        .http
        .get(format!("{}/api/v1/messages/{reply_id}/bounce", t.base))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), StatusCode::OK);
    let report = report.text().await.unwrap();
    assert!(
        report.contains("552 5.2.2 Mailbox full") && report.contains("Please try a new cartridge.")
    );
    let unbounced = msgs.iter().find(|m| m["id"] != reply_id).unwrap()["id"].clone();
    let none = t.get(&format!("/api/v1/messages/{unbounced}/bounce")).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{}", none.body);
    // The same bounce again changes nothing.
    send(&t, "postmaster@example.org", "support@example.com", &bounce)
        .await
        .unwrap();
    assert_eq!(deliveries(&t, case).await.len(), 3);

    // The events page still matches the OpenAPI document.
    let doc: Value = t
        .http
        .get(format!("{}/api/v1/openapi.json", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let page = t.get(&format!("/api/v1/cases/{case}/events")).await;
    crate::openapi::check(&doc, "/api/v1/cases/{id}/events", "get", 200, &page.body);

    // A reply the relay refuses for good is failed, with the reason.
    send(
        &t,
        "carl@example.net",
        "support@example.com",
        "From: carl@example.net\r\nTo: support@example.com\r\nSubject: Hello\r\n\r\nHi\r\n",
    )
    .await
    .unwrap();
    let newest = |all: Vec<Value>| all.iter().filter_map(|c| c["id"].as_i64()).max().unwrap();
    let carl_case = newest(cases(&t).await);
    assert_ne!(carl_case, case);
    t.post(
        &format!("/api/v1/cases/{carl_case}/messages"),
        json!({"body": "Hello Carl"}),
    )
    .await;
    let failed = eventually("the failed event", || async {
        deliveries(&t, carl_case)
            .await
            .into_iter()
            .find(|d| d.0 == "failed")
    })
    .await;
    assert!(failed.1.as_str().unwrap().contains("550"), "{failed:?}");

    // A bounce about mail Tend never sent is kept, as automated mail.
    let stray = dsn("someone-else@example.org");
    send(&t, "postmaster@example.org", "support@example.com", &stray)
        .await
        .unwrap();
    let all = cases(&t).await;
    assert_eq!(all.len(), 3);
    let noise = messages(&t, newest(all)).await;
    assert_eq!(noise[0]["email"]["automated"], true);
    assert_eq!(
        noise[0]["email"]["message_id"],
        "dsn-someone-else@example.org"
    );
}
