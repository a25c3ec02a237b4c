//! Mail from strangers and mail built to hurt: a reference to a case (subject
//! tag, In-Reply-To, References, plus address) never lets a stranger into
//! another customer's case or makes them the target of its replies; deeply
//! nested HTML costs linear time and never stalls other requests; a flood of
//! Cc addresses does not become a flood of customers.

use crate::email::{cases, messages, raw_source, send, send_via, server_with_limit};
use crate::harness::{Backend, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

crate::both_backends!(
    strangers_never_join_a_customers_case,
    participants_still_thread_and_replies_go_to_the_customer,
    deeply_nested_html_is_stored_without_stalling_others,
    a_cc_flood_creates_few_customers,
);

const MB: usize = 1024 * 1024;

fn mail(from: &str, subject: &str, id: &str, headers: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: support@example.com\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         {headers}\r\n{body}\r\n"
    )
}

/// Alice's case, opened by her email and answered by an agent; answers the
/// case id and the Message-ID of the agent's reply.
async fn alices_case(t: &TestServer, headers: &str) -> (i64, String) {
    let first = mail(
        "Alice <alice@example.org>",
        "Invoice is wrong",
        "alice-1@example.org",
        headers,
        "My invoice charges me twice.",
    );
    send(t, "alice@example.org", "support@example.com", &first)
        .await
        .unwrap();
    let case = cases(t).await[0]["id"].as_i64().unwrap();
    let reply = reply(t, case, "Account 4711: the second charge is refunded.").await;
    (
        case,
        reply["email"]["message_id"].as_str().unwrap().to_owned(),
    )
}

async fn reply(t: &TestServer, case: i64, body: &str) -> Value {
    let reply = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({ "body": body }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body
}

/// The `To:` header of the email carrying an agent's reply.
async fn sent_to(t: &TestServer, reply: &Value) -> String {
    let raw = raw_source(t, reply).await;
    raw.lines()
        .find_map(|l| l.strip_prefix("To: "))
        .unwrap_or_else(|| panic!("no To: in {raw}"))
        .to_owned()
}

async fn events(t: &TestServer, case: i64) -> Vec<Value> {
    t.all(&format!("/api/v1/cases/{case}/events")).await
}

async fn strangers_never_join_a_customers_case(b: Backend) {
    let t = server_with_limit(b, MB).await;
    let (case, tends_reply) = alices_case(&t, "").await;
    let api_customer = t.customer("Dora", "dora@example.net").await;
    let api_case = t
        .case(api_customer, "Contract", "Please send the contract")
        .await;

    let vectors = [
        (
            "subject tag",
            format!("Re: Invoice is wrong [#{case}]"),
            String::new(),
            "support@example.com".to_owned(),
            case,
        ),
        (
            "In-Reply-To naming Alice's message",
            "Re: Invoice".into(),
            "In-Reply-To: <alice-1@example.org>\r\n".into(),
            "support@example.com".into(),
            case,
        ),
        (
            "References naming Alice's message",
            "Re: Invoice".into(),
            "References: <alice-1@example.org>\r\n".into(),
            "support@example.com".into(),
            case,
        ),
        (
            "In-Reply-To naming Tend's reply",
            "Re: Invoice".into(),
            format!("In-Reply-To: <{tends_reply}>\r\n"),
            "support@example.com".into(),
            case,
        ),
        (
            "References naming Tend's reply",
            "Re: Invoice".into(),
            format!("References: <other@x.example> <{tends_reply}>\r\n"),
            "support@example.com".into(),
            case,
        ),
        (
            "plus address",
            "Hello".into(),
            String::new(),
            format!("support+{case}@example.com"),
            case,
        ),
        (
            "subject tag of a case opened through the API",
            format!("Re: Contract [#{api_case}]"),
            String::new(),
            "support@example.com".into(),
            api_case,
        ),
    ];
    for (i, (vector, subject, headers, recipient, target)) in vectors.into_iter().enumerate() {
        let before = messages(&t, target).await.len();
        let raw = format!(
            "From: Mallory <mallory@evil.example>\r\nTo: {recipient}\r\nSubject: {subject}\r\n\
             Message-ID: <mallory-{i}@evil.example>\r\n{headers}\r\nI am Alice, send me the account details.\r\n"
        );
        send(&t, "mallory@evil.example", &recipient, &raw)
            .await
            .unwrap();
        assert_eq!(
            messages(&t, target).await.len(),
            before,
            "{vector}: the stranger's mail joined case #{target}"
        );
        // It opened a case of Mallory's own, linked for agents.
        let newest = cases(&t)
            .await
            .into_iter()
            .max_by_key(|c| c["id"].as_i64())
            .unwrap();
        let mine = messages(&t, newest["id"].as_i64().unwrap()).await;
        assert_eq!(mine[0]["email"]["from"], "mallory@evil.example", "{vector}");
        let log = events(&t, newest["id"].as_i64().unwrap()).await;
        let link = log
            .iter()
            .find(|e| e["data"]["type"] == "possibly_related")
            .unwrap_or_else(|| panic!("{vector}: no link in {log:?}"));
        assert_eq!(link["data"]["case_id"], target, "{vector}");
    }
    // Nothing of Alice's case went to Mallory: the agent's next reply goes
    // to Alice, and Mallory's cases hold only her own words.
    let next = reply(&t, case, "Your refund is on its way.").await;
    assert_eq!(sent_to(&t, &next).await, "alice@example.org");
    let alice_log = messages(&t, case).await;
    assert!(
        alice_log
            .iter()
            .all(|m| !m["body_text"].as_str().unwrap().contains("I am Alice")),
        "{alice_log:?}"
    );
}

async fn participants_still_thread_and_replies_go_to_the_customer(b: Backend) {
    let t = server_with_limit(b, MB).await;
    let org = t
        .post(
            "/api/v1/organizations",
            json!({"name": "Example Org", "share_cases": true}),
        )
        .await
        .id();
    let alice = t
        .post(
            "/api/v1/customers",
            json!({"name": "Alice", "email": "alice@example.org", "emails": ["alice@home.example"], "organization_id": org}),
        )
        .await
        .id();
    let carol = t
        .post(
            "/api/v1/customers",
            json!({"name": "Carol", "email": "carol@example.org", "organization_id": org}),
        )
        .await;
    assert_eq!(carol.status, StatusCode::CREATED, "{}", carol.body);
    let (case, tends_reply) = alices_case(&t, "Cc: Bob <bob@partner.example>\r\n").await;
    assert_eq!(cases(&t).await[0]["customer_id"], alice);

    // The customer by subject tag alone.
    let raw = mail(
        "alice@example.org",
        &format!("Re: Invoice is wrong [#{case}]"),
        "tagged@example.org",
        "",
        "By subject tag.",
    );
    send(&t, "alice@example.org", "support@example.com", &raw)
        .await
        .unwrap();
    let writers = [
        (
            "alice@home.example",
            "the customer from a second contact point",
        ),
        ("bob@partner.example", "a Cc participant"),
        (
            "carol@example.org",
            "a colleague when the organisation shares cases",
        ),
    ];
    for (i, (from, who)) in writers.into_iter().enumerate() {
        let before = messages(&t, case).await.len();
        let raw = mail(
            from,
            "Re: Invoice is wrong",
            &format!("legit-{i}@example.org"),
            &format!("In-Reply-To: <{tends_reply}>\r\n"),
            "Adding what I know.",
        );
        send(&t, from, "support@example.com", &raw).await.unwrap();
        assert_eq!(
            messages(&t, case).await.len(),
            before + 1,
            "{who} should join the case"
        );
    }
    assert_eq!(cases(&t).await.len(), 1, "every participant threaded");
    // Bob and Carol wrote last, but the reply still goes to the case's
    // customer, at the address she last wrote from.
    let next = reply(&t, case, "Refund issued.").await;
    assert_eq!(sent_to(&t, &next).await, "alice@home.example");
}

/// `depth` nested divs around a line of text, as an HTML-only email.
fn nested_html_mail(depth: usize) -> String {
    format!(
        "From: nest@example.org\r\nTo: support@example.com\r\nSubject: Nested\r\n\
         Message-ID: <nest@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         {}the bottom line{}\r\n",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    )
}

async fn deeply_nested_html_is_stored_without_stalling_others(b: Backend) {
    let t = server_with_limit(b, 4 * MB).await;
    let other = t.customer("Olga", "olga@example.net").await;
    let other = t.case(other, "Meanwhile", "Another matter").await;
    let raw = nested_html_mail(200_000);
    assert!(raw.len() > 2 * MB);
    let smtp = tokio::spawn(send_via(
        t.smtp.unwrap(),
        "nest@example.org",
        "support@example.com",
        raw,
    ));
    // While the nested message is read and stored, the API keeps answering
    // writes as well as reads.
    let mut slowest = Duration::ZERO;
    let mut answered = 0;
    while !smtp.is_finished() {
        let started = Instant::now();
        let note = json!({"body": format!("note {answered}"), "internal": true});
        let posted = t
            .post(&format!("/api/v1/cases/{other}/messages"), note)
            .await;
        assert_eq!(posted.status, StatusCode::CREATED);
        slowest = slowest.max(started.elapsed());
        answered += 1;
    }
    smtp.await.unwrap().unwrap();
    eprintln!("{answered} requests answered meanwhile, slowest {slowest:?}");
    assert!(
        slowest < Duration::from_secs(2),
        "a request waited {slowest:?} behind the nested message"
    );
    let case = cases(&t)
        .await
        .into_iter()
        .find(|c| c["subject"] == "Nested")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let stored = &messages(&t, case).await[0];
    assert!(
        stored["body_text"]
            .as_str()
            .unwrap()
            .contains("the bottom line")
    );
    let html = stored["body_html"].as_str().unwrap();
    assert!(html.contains("the bottom line"));
    assert!(html.matches("<div>").count() <= tend_domain::html_bound::MAX_DEPTH);

    // The same through the API's `body_html`.
    let deep = format!(
        "{}api text{}",
        "<span>".repeat(100_000),
        "</span>".repeat(100_000)
    );
    let posted = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": "see HTML", "body_html": deep, "internal": true}),
        )
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.body);
    let html = posted.body["body_html"].as_str().unwrap();
    assert!(html.contains("api text"));
    assert!(html.matches("<span>").count() <= tend_domain::html_bound::MAX_DEPTH);
}

async fn a_cc_flood_creates_few_customers(b: Backend) {
    let t = server_with_limit(b, 4 * MB).await;
    let cc: Vec<String> = (0..10_000)
        .map(|i| format!("person{i}@flood.example"))
        .collect();
    let raw = mail(
        "flood@example.org",
        "Many copies",
        "flood@example.org",
        &format!("Cc: {}\r\n", cc.join(",\r\n ")),
        "Hello all.",
    );
    send(&t, "flood@example.org", "support@example.com", &raw)
        .await
        .unwrap();
    let customers = t.all("/api/v1/customers").await;
    assert_eq!(
        customers.len(),
        1 + tend_store::email::MAX_CC_CUSTOMERS,
        "the sender and the first Cc'd addresses only"
    );
    // The message keeps the whole Cc header.
    let case = cases(&t).await[0]["id"].as_i64().unwrap();
    let stored = &messages(&t, case).await[0];
    assert_eq!(stored["email"]["cc"].as_array().unwrap().len(), cc.len());
}
