//! Auto-acknowledgement end to end: mail arrives over a real SMTP session,
//! and the acknowledgement leaves through the relay to a real SMTP server
//! (another Tend standing in for the customer's mail server).

use crate::email::{FIRST, cases, eventually, messages, raw_source, send};
use crate::harness::{Backend, Options, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use tend_store::jobs::JobKind;

crate::both_backends!(new_cases_are_acknowledged_but_never_automated_mail_or_replies);

async fn new_cases_are_acknowledged_but_never_automated_mail_or_replies(b: Backend) {
    let customer_side = TestServer::start_with(
        b,
        Options {
            smtp: true,
            ..Options::default()
        },
    )
    .await;
    customer_side
        .post("/api/v1/inboxes", json!({"address": "ann@example.org"}))
        .await;
    let t = TestServer::start_with(
        b,
        Options {
            smtp: true,
            smtp_relay: Some(format!("smtp://{}", customer_side.smtp.unwrap())),
            ..Options::default()
        },
    )
    .await;
    let inbox = t
        .post(
            "/api/v1/inboxes",
            json!({"address": "support@example.com", "name": "Example Support",
                   "auto_acknowledge": true, "first_reply_hours": 8}),
        )
        .await;
    assert_eq!(inbox.status, StatusCode::CREATED, "{}", inbox.body);
    assert_eq!(inbox.body["auto_acknowledge"], true);
    assert_eq!(inbox.body["first_reply_hours"], 8);
    assert!(inbox.body["imap"].is_null());

    send(&t, "ann@example.org", "support@example.com", FIRST)
        .await
        .unwrap();
    let case = cases(&t).await[0]["id"].as_i64().unwrap();
    // The acknowledgement is a job enqueued with the message; it runs soon.
    let msgs = eventually("the message and its acknowledgement", || async {
        let msgs = messages(&t, case).await;
        (msgs.len() == 2).then_some(msgs)
    })
    .await;
    let ack = &msgs[1];
    assert_eq!(ack["author"]["kind"], "system", "{ack}");
    assert_eq!(ack["internal"], false);
    assert_eq!(ack["email"]["automated"], true);
    let subject = ack["email"]["subject"].as_str().unwrap().to_owned();
    assert!(subject.contains(&format!("[#{case}]")), "{subject}");
    assert!(
        ack["body_text"]
            .as_str()
            .unwrap()
            .contains("We will reply within 8 hours."),
        "{ack}"
    );
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    assert!(
        events
            .iter()
            .any(|e| e["data"]["type"] == "reply_sent" && e["data"]["message_id"] == ack["id"]),
        "{events:?}"
    );
    let opened = t.get(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(
        opened.body["status"], "new",
        "an acknowledgement is no answer"
    );
    assert!(
        opened.body["waiting_since"].is_string(),
        "the customer still waits after an acknowledgement: {}",
        opened.body
    );
    assert!(opened.body["first_response_at"].is_null());

    // It reaches the customer, threaded to their message and marked as an
    // automatic reply so their auto-responder stays quiet.
    let received = eventually("the acknowledgement at the customer's server", || async {
        let all = cases(&customer_side).await;
        (!all.is_empty()).then(|| all[0].clone())
    })
    .await;
    assert_eq!(received["subject"], subject.as_str());
    let arrived = messages(&customer_side, received["id"].as_i64().unwrap()).await;
    let raw = raw_source(&customer_side, &arrived[0]).await;
    assert!(raw.contains("In-Reply-To: <first-1@example.org>"), "{raw}");
    assert!(raw.contains("Auto-Submitted: auto-replied"), "{raw}");
    let ack_id = ack["id"].clone();
    eventually("the acknowledgement's delivery", || async {
        let all = messages(&t, case).await;
        let mine = all.iter().find(|m| m["id"] == ack_id).cloned().unwrap();
        (mine["email"]["delivery"]["status"] == "sent").then_some(())
    })
    .await;

    // A reply joining the case is not acknowledged again.
    let answer = "From: ann@example.org\r\nTo: support@example.com\r\nSubject: Re: printer\r\n\
        Message-ID: <answer-2@example.org>\r\nIn-Reply-To: <first-1@example.org>\r\n\r\nMore detail.\r\n";
    send(&t, "ann@example.org", "support@example.com", answer)
        .await
        .unwrap();
    assert_eq!(messages(&t, case).await.len(), 3);

    // An auto-reply opens a case but is never answered automatically.
    let auto = "From: carl@example.net\r\nTo: support@example.com\r\nSubject: Out of office\r\n\
        Auto-Submitted: auto-replied\r\nMessage-ID: <ooo-3@example.net>\r\n\r\nI am away.\r\n";
    send(&t, "carl@example.net", "support@example.com", auto)
        .await
        .unwrap();
    let all = cases(&t).await;
    assert_eq!(all.len(), 2);
    let other = all.iter().find(|c| c["id"] != case).unwrap()["id"]
        .as_i64()
        .unwrap();
    let msgs = messages(&t, other).await;
    assert_eq!(
        msgs.len(),
        1,
        "no acknowledgement of an auto-reply: {msgs:?}"
    );
    assert_eq!(msgs[0]["email"]["automated"], true);
    let pending = t.store.jobs(None).await.unwrap();
    assert!(
        pending.iter().all(|j| j.kind != JobKind::Acknowledge),
        "nor a job to acknowledge it: {pending:?}"
    );
}
