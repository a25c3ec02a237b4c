//! The email channel end to end: real SMTP sessions (lettre as the client)
//! against Tend's listener, the inbox API and `tend mail import`.

use crate::harness::{Backend, Options, Reply, TestServer};
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::both_backends!(
    smtp_mail_opens_cases_and_replies_thread,
    unreadable_and_automated_mail_is_kept,
    smtp_refuses_unknown_recipients_and_oversized_mail,
    inboxes_are_validated_and_admin_only,
    replies_go_out_by_email_and_thread_back,
);

pub async fn server(b: Backend) -> TestServer {
    server_with_limit(b, 64 * 1024).await
}

/// A server with the SMTP listener (messages up to `max_bytes`) and the
/// inbox `support@example.com`, without a per-sender rate limit.
pub async fn server_with_limit(b: Backend, max_bytes: usize) -> TestServer {
    server_with(
        b,
        Options {
            smtp_max_message_bytes: Some(max_bytes),
            ..Options::default()
        },
    )
    .await
}

/// A server with `options`, the SMTP listener, the inbox
/// `support@example.com` and no per-sender rate limit.
pub async fn server_with(b: Backend, options: Options) -> TestServer {
    let t = TestServer::start_with(
        b,
        Options {
            smtp: true,
            // Corpus runs send more mail from one sender than the default allows.
            mail_rate_limit: Some(0),
            ..options
        },
    )
    .await;
    let inbox = t
        .post(
            "/api/v1/inboxes",
            json!({"address": "support@example.com", "name": "Support"}),
        )
        .await;
    assert_eq!(inbox.status, StatusCode::CREATED, "{}", inbox.body);
    t
}

/// Sends `raw` over SMTP from `from` to `to`; the server's answer to DATA.
pub async fn send(
    t: &TestServer,
    from: &str,
    to: &str,
    raw: impl AsRef<[u8]>,
) -> Result<String, String> {
    send_via(t.smtp.unwrap(), from, to, raw).await
}

/// Sends `raw` over SMTP to the listener at `smtp`; the server's answer to DATA.
pub async fn send_via(
    smtp: std::net::SocketAddr,
    from: &str,
    to: &str,
    raw: impl AsRef<[u8]>,
) -> Result<String, String> {
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.ip().to_string())
        .port(smtp.port())
        .build();
    let envelope = Envelope::new(Some(from.parse().unwrap()), vec![to.parse().unwrap()]).unwrap();
    mailer
        .send_raw(&envelope, raw.as_ref())
        .await
        .map(|r| r.message().collect::<Vec<_>>().join(" "))
        .map_err(|e| e.to_string())
}

pub async fn cases(t: &TestServer) -> Vec<Value> {
    t.all("/api/v1/cases").await
}

pub async fn messages(t: &TestServer, case: i64) -> Vec<Value> {
    t.all(&format!("/api/v1/cases/{case}/messages")).await
}

pub const FIRST: &str = "From: Ann Lee <Ann@Example.org>\r\n\
To: support@example.com\r\n\
Cc: Bob <bob@example.org>\r\n\
Subject: =?utf-8?q?Printer_prints_=E2=82=AC_signs?=\r\n\
Message-ID: <first-1@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: multipart/alternative; boundary=\"b2\"\r\n\
\r\n\
--b2\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
My printer only prints =A4 signs. Caf=E9 menu ruined.\r\n\
--b2\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>My printer only prints signs.<script>alert(1)</script></p>\r\n\
--b2--\r\n\
--b1\r\n\
Content-Type: application/pdf; name=\"scan.pdf\"\r\n\
Content-Disposition: attachment; filename=\"scan.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQKJcfs\r\n\
--b1--\r\n";

async fn smtp_mail_opens_cases_and_replies_thread(b: Backend) {
    let t = server(b).await;
    let answer = send(&t, "ann@example.org", "support@example.com", FIRST).await;
    assert!(answer.is_ok(), "{answer:?}");
    let all = cases(&t).await;
    assert_eq!(all.len(), 1);
    let case = all[0]["id"].as_i64().unwrap();
    assert_eq!(all[0]["channel"], "email");
    assert_eq!(all[0]["subject"], "Printer prints € signs");
    let msgs = messages(&t, case).await;
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(m["email"]["from"], "ann@example.org");
    assert_eq!(m["email"]["message_id"], "first-1@example.org");
    assert_eq!(m["email"]["cc"], json!(["bob@example.org"]));
    assert!(
        m["body_text"].as_str().unwrap().contains("Café menu"),
        "{m}"
    );
    let html = m["body_html"].as_str().unwrap();
    assert!(
        html.contains("My printer") && !html.contains("<script"),
        "{html}"
    );
    assert_eq!(m["attachments"][0]["filename"], "scan.pdf");
    assert_eq!(m["attachments"][0]["content_type"], "application/pdf");
    assert_eq!(m["attachments"][0]["size"], 12);
    // The sender and the Cc'd person are customers, found by address.
    let ann = t.all("/api/v1/customers?email=ann@example.org").await;
    assert_eq!(ann.len(), 1);
    assert_eq!(ann[0]["name"], "Ann Lee");
    assert_eq!(all[0]["customer_id"], ann[0]["id"]);
    assert_eq!(
        t.all("/api/v1/customers?email=bob@example.org").await.len(),
        1
    );
    // The raw source is kept byte for byte.
    let raw = t
        .http
        .get(format!("{}/api/v1/messages/{}/raw", t.base, m["id"]))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::OK);
    assert_eq!(raw.headers()["content-type"], "message/rfc822");
    // (lettre ends DATA with an extra CRLF of its own before the final dot.)
    let kept = raw.bytes().await.unwrap();
    assert_eq!(kept.trim_ascii_end(), FIRST.as_bytes().trim_ascii_end());

    // Delivered again: stored once.
    send(&t, "ann@example.org", "support@example.com", FIRST)
        .await
        .unwrap();
    assert_eq!(messages(&t, case).await.len(), 1);

    // A reply threads by In-Reply-To, one by the subject, one by plus address.
    let by_header = "From: ann@example.org\r\nTo: support@example.com\r\nSubject: Re: Printer\r\n\
        Message-ID: <second@example.org>\r\nIn-Reply-To: <first-1@example.org>\r\n\r\nStill broken.\r\n";
    let by_subject = format!(
        "From: ann@example.org\r\nTo: support@example.com\r\nSubject: Update [#{case}]\r\n\
         Message-ID: <third@example.org>\r\n\r\nAny news?\r\n"
    );
    let by_address = "From: ann@example.org\r\nTo: support@example.com\r\nSubject: hello\r\n\
        Message-ID: <fourth@example.org>\r\n\r\nThanks\r\n";
    send(&t, "ann@example.org", "support@example.com", by_header)
        .await
        .unwrap();
    send(&t, "ann@example.org", "support@example.com", &by_subject)
        .await
        .unwrap();
    send(
        &t,
        "ann@example.org",
        &format!("support+{case}@example.com"),
        by_address,
    )
    .await
    .unwrap();
    assert_eq!(messages(&t, case).await.len(), 4);
    assert_eq!(cases(&t).await.len(), 1);

    // A reply to a closed case reopens it (the inbox's default).
    let closed = t
        .patch(
            &format!("/api/v1/cases/{case}"),
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    let late = "From: ann@example.org\r\nTo: support@example.com\r\nSubject: Re: again\r\n\
        Message-ID: <fifth@example.org>\r\nReferences: <first-1@example.org> <second@example.org>\r\n\r\nIt broke again.\r\n";
    send(&t, "ann@example.org", "support@example.com", late)
        .await
        .unwrap();
    let reopened = t.get(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(reopened.body["status"], "open");
    assert_eq!(messages(&t, case).await.len(), 5);

    // Unrelated mail opens a new case.
    let other =
        "From: carl@example.net\r\nTo: support@example.com\r\nSubject: New question\r\n\r\nHi\r\n";
    send(&t, "carl@example.net", "support@example.com", other)
        .await
        .unwrap();
    assert_eq!(cases(&t).await.len(), 2);
}

async fn unreadable_and_automated_mail_is_kept(b: Backend) {
    let t = server(b).await;
    // No headers worth the name, binary junk and an empty body.
    let junk = "\u{1}\u{2}garbage without headers\r\n\r\n\u{7f}";
    send(&t, "someone@example.net", "support@example.com", junk)
        .await
        .unwrap();
    let auto = "From: ann@example.org\r\nTo: support@example.com\r\nSubject: Out of office\r\n\
        Auto-Submitted: auto-replied\r\nMessage-ID: <ooo@example.org>\r\n\r\nI am away.\r\n";
    send(&t, "ann@example.org", "support@example.com", auto)
        .await
        .unwrap();
    let all = cases(&t).await;
    assert_eq!(all.len(), 2, "{all:?}");
    let mut automated = Vec::new();
    for case in &all {
        for m in messages(&t, case["id"].as_i64().unwrap()).await {
            assert_eq!(m["email"]["has_raw"], true);
            automated.push(m["email"]["automated"].as_bool().unwrap());
        }
    }
    automated.sort();
    assert_eq!(automated, vec![false, true]);
}

async fn smtp_refuses_unknown_recipients_and_oversized_mail(b: Backend) {
    let t = server(b).await;
    let plain = "From: ann@example.org\r\nSubject: x\r\n\r\nhello\r\n";
    let refused = send(&t, "ann@example.org", "sales@example.com", plain).await;
    assert!(refused.as_ref().unwrap_err().contains("550"), "{refused:?}");
    let big = format!(
        "From: ann@example.org\r\nSubject: big\r\n\r\n{}\r\n",
        "x".repeat(100) + &"\r\nyyyyyyyyyy".repeat(8000)
    );
    let too_big = send(&t, "ann@example.org", "support@example.com", &big).await;
    assert!(too_big.as_ref().unwrap_err().contains("552"), "{too_big:?}");
    assert!(
        cases(&t).await.is_empty(),
        "nothing stored from refused mail"
    );
}

async fn inboxes_are_validated_and_admin_only(b: Backend) {
    let t = server(b).await;
    let dup = t
        .post("/api/v1/inboxes", json!({"address": "Support@Example.com"}))
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
    let bad = t.post("/api/v1/inboxes", json!({"address": "nope"})).await;
    assert_eq!(
        bad.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "address"
    );
    let agent = t
        .agent_token("agent@example.com", tend_domain::agent::Role::Agent)
        .await;
    let forbidden = Reply::from(
        t.http
            .post(format!("{}/api/v1/inboxes", t.base))
            .bearer_auth(&agent)
            .json(&json!({"address": "sales@example.com"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let listed = t.get("/api/v1/inboxes").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["closed_reply"], "reopen");
}

/// Makes `t` stand in for the customers' mail server of [`FIRST`]: it
/// takes mail for Ann and for Bob, whom she copies (so replies to her,
/// which copy Bob too, are delivered), and refuses everyone else (550).
pub async fn take_mail_for_ann_and_bob(t: &TestServer) {
    for address in ["ann@example.org", "bob@example.org"] {
        let inbox = t.post("/api/v1/inboxes", json!({"address": address})).await;
        assert_eq!(inbox.status, StatusCode::CREATED, "{}", inbox.body);
    }
}

/// The raw source of a stored message, as agents download it.
pub async fn raw_source(t: &TestServer, message: &Value) -> String {
    t.http
        .get(format!("{}/api/v1/messages/{}/raw", t.base, message["id"]))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Polls `check` every 100 ms for up to 15 s.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..150 {
        if let Some(found) = check().await {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A Tend that relays its replies to `relay`, trusting `ca_file`, with the
/// case Ann opened by mailing `support@example.com`; answers it and the case.
pub async fn relaying_server(
    b: Backend,
    relay: &str,
    ca_file: Option<std::path::PathBuf>,
) -> (TestServer, i64) {
    let t = TestServer::start_with(
        b,
        Options {
            smtp: true,
            smtp_relay: Some(relay.to_owned()),
            smtp_relay_ca_file: ca_file,
            ..Options::default()
        },
    )
    .await;
    t.post("/api/v1/inboxes", json!({"address": "support@example.com"}))
        .await;
    send(&t, "ann@example.org", "support@example.com", FIRST)
        .await
        .unwrap();
    let case = cases(&t).await[0]["id"].as_i64().unwrap();
    (t, case)
}

async fn replies_go_out_by_email_and_thread_back(b: Backend) {
    // The customer's mail server: another Tend whose inbox is Ann's address.
    let customer_side = TestServer::start_with(
        b,
        Options {
            smtp: true,
            ..Options::default()
        },
    )
    .await;
    take_mail_for_ann_and_bob(&customer_side).await;
    let relay = format!("smtp://{}", customer_side.smtp.unwrap());
    let (t, case) = relaying_server(b, &relay, None).await;

    let note = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": "check toner", "internal": true}),
        )
        .await;
    assert!(
        note.body["email"].is_null(),
        "notes never go out: {}",
        note.body
    );
    let reply = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": "Please try a new cartridge.", "body_html": "<p>Please try a <b>new</b> cartridge.</p>"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let email = &reply.body["email"];
    assert_eq!(email["from"], "support@example.com");
    let subject = email["subject"].as_str().unwrap();
    assert!(subject.ends_with(&format!("[#{case}]")), "{subject}");
    let sent_id = email["message_id"].as_str().unwrap().to_owned();

    // It arrives at the customer's server, threaded and multipart.
    let received = eventually("the reply at the customer's server", || async {
        let all = cases(&customer_side).await;
        (!all.is_empty()).then(|| all[0].clone())
    })
    .await;
    assert_eq!(received["subject"], subject);
    let arrived = messages(&customer_side, received["id"].as_i64().unwrap()).await;
    assert_eq!(arrived[0]["email"]["from"], "support@example.com");
    assert_eq!(arrived[0]["email"]["message_id"], sent_id);
    assert!(
        arrived[0]["body_text"]
            .as_str()
            .unwrap()
            .contains("new cartridge")
    );
    assert!(
        arrived[0]["body_html"]
            .as_str()
            .unwrap()
            .contains("<b>new</b>")
    );
    let raw = raw_source(&customer_side, &arrived[0]).await;
    assert!(raw.contains("In-Reply-To: <first-1@example.org>"), "{raw}");
    assert!(raw.contains("References: <first-1@example.org>"), "{raw}");

    // The queue records the delivery.
    let reply_id = reply.body["id"].as_i64().unwrap();
    eventually("the delivery status", || async {
        let all = messages(&t, case).await;
        let mine = all.iter().find(|x| x["id"] == reply_id).cloned().unwrap();
        (mine["email"]["delivery"]["status"] == "sent").then_some(())
    })
    .await;

    // The customer answers the reply: it threads by our Message-ID.
    let answer = format!(
        "From: ann@example.org\r\nTo: support@example.com\r\nSubject: Re: {subject}\r\n\
         Message-ID: <answer@example.org>\r\nIn-Reply-To: <{sent_id}>\r\n\r\nThat worked.\r\n"
    );
    send(&t, "ann@example.org", "support@example.com", &answer)
        .await
        .unwrap();
    assert_eq!(cases(&t).await.len(), 1);
    assert_eq!(messages(&t, case).await.len(), 4);
}
