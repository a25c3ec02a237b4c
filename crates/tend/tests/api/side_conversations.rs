//! Side conversations and tasks, over real SMTP into a relay that keeps
//! every envelope: the plumber's agent asks a parts supplier by email, the
//! supplier's answer comes back into the side conversation (internal, never
//! in the customer's thread, portal or mail), a stranger quoting the side
//! thread gets a case of their own, and the customer follows the tasks as
//! progress in the portal while their own task raises the case's effort.

use crate::email::{cases, eventually, messages, send};
use crate::harness::{Backend, Options, TestServer};
use crate::mail_sink::MailSink;
use crate::web::{PASSWORD, WebAgent};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tend_domain::agent::Role;

crate::both_backends!(
    a_supplier_answers_in_a_side_conversation_the_customer_never_sees,
    side_conversations_and_tasks_are_checked_before_anything_is_stored,
    agents_hold_side_conversations_from_the_case_page,
);

const LEAK: &str = "From: Pat Plumb <pat@home.example>\r\n\
To: support@example.com\r\n\
Subject: Leak under the sink\r\n\
Message-ID: <leak-1@home.example>\r\n\
\r\n\
Water everywhere, please help.\r\n";

/// A Tend relaying to `sink`, with the inbox `support@example.com` and the
/// case Pat opened by email.
pub async fn pats_case(b: Backend, sink: &MailSink) -> (TestServer, i64) {
    let relay = Options {
        smtp_relay: Some(sink.url.clone()),
        ..Options::default()
    };
    let t = crate::email::server_with(b, relay).await;
    send(&t, "pat@home.example", "support@example.com", LEAK)
        .await
        .unwrap();
    let case = cases(&t).await[0]["id"].as_i64().unwrap();
    (t, case)
}

/// An email from `from` answering Tend's message `message_id`.
pub fn answer(from: &str, id: &str, message_id: &Value, text: &str) -> String {
    let id_of = message_id.as_str().unwrap();
    format!(
        "From: {from}\r\nTo: support@example.com\r\nSubject: Re: Parts for the leak\r\n\
         Message-ID: <{id}>\r\nIn-Reply-To: <{id_of}>\r\nReferences: <{id_of}>\r\n\r\n{text}\r\n"
    )
}

/// A list the API answers whole (not paged).
pub async fn list(t: &TestServer, path: &str) -> Vec<Value> {
    let r = t.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

pub async fn effort_index(t: &TestServer, case: i64) -> i64 {
    let r = t.get(&format!("/api/v1/cases/{case}/effort")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["index"].as_i64().unwrap()
}

/// The customer's browser, signed in to the portal by the link the relay got.
pub async fn portal_for(t: &TestServer, sink: &MailSink, email: &str) -> WebAgent {
    let mut web = WebAgent::new(t);
    let asked = crate::portal::ask_for_link(&mut web, email).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.html);
    let mail = sink.wait_for("/portal/link/").await;
    let raw = mail.data.as_bytes();
    let link = crate::portal::link_in(raw, &t.base);
    let done = crate::portal::follow(&mut web, &link).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    web
}

async fn a_supplier_answers_in_a_side_conversation_the_customer_never_sees(b: Backend) {
    let sink = MailSink::start().await;
    let (t, case) = pats_case(b, &sink).await;
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": "We are on it: marker-customer-reply"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // The agent asks the supplier.
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/side_conversations"),
            json!({"to": ["Parts@Supplier.example"], "subject": "Parts for the leak",
                   "body": "Do you have a 15 mm valve? marker-side-ask"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let side = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["participants"], json!(["parts@supplier.example"]));
    let asked = sink.wait_for("marker-side-ask").await;
    assert_eq!(asked.recipients, ["parts@supplier.example"]);
    assert!(
        asked.data.contains(&format!("[#{case}-S{side}]")),
        "{}",
        asked.data
    );
    assert!(
        asked
            .data
            .contains(&format!("Message-ID: <tend.{case}.s{side}.")),
        "{}",
        asked.data
    );
    let path = format!("/api/v1/side_conversations/{side}/messages");
    let first = list(&t, &path).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["internal"], json!(true));
    assert_eq!(first[0]["side_conversation_id"], json!(side));

    // The supplier answers by email: it lands in the side conversation.
    send(
        &t,
        "parts@supplier.example",
        "support@example.com",
        answer(
            "parts@supplier.example",
            "valve-1@supplier.example",
            &first[0]["email"]["message_id"],
            "In stock, delivery Thursday. marker-supplier-answer",
        ),
    )
    .await
    .unwrap();
    let thread = eventually("the supplier's answer", || async {
        let all = list(&t, &path).await;
        (all.len() == 2).then_some(all)
    })
    .await;
    assert_eq!(thread[1]["internal"], json!(true));
    assert_eq!(thread[1]["side_conversation_id"], json!(side));
    assert!(
        thread[1]["body_text"]
            .as_str()
            .unwrap()
            .contains("marker-supplier-answer")
    );
    assert_eq!(cases(&t).await.len(), 1, "the answer opened no case");
    let customer_thread = messages(&t, case).await;
    assert_eq!(customer_thread.len(), 2, "{customer_thread:?}");
    assert!(
        customer_thread
            .iter()
            .all(|m| m["side_conversation_id"].is_null())
    );
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    let started: Vec<&Value> = events
        .iter()
        .filter(|e| e["data"]["type"] == "side_conversation_started")
        .collect();
    assert_eq!(started.len(), 1, "{events:?}");
    assert_eq!(
        started[0]["data"]["with"],
        json!(["parts@supplier.example"])
    );

    // A stranger quoting the side thread gets a case of their own.
    send(
        &t,
        "mallory@elsewhere.example",
        "support@example.com",
        answer(
            "mallory@elsewhere.example",
            "m-1@elsewhere.example",
            &first[0]["email"]["message_id"],
            "Let me in. marker-stranger",
        ),
    )
    .await
    .unwrap();
    let all_cases = eventually("the stranger's case", || async {
        let all = cases(&t).await;
        (all.len() == 2).then_some(all)
    })
    .await;
    let stranger = all_cases
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .find(|id| *id != case)
        .unwrap();
    let linked = t.all(&format!("/api/v1/cases/{stranger}/events")).await;
    assert!(
        linked
            .iter()
            .any(|e| e["data"]["type"] == "possibly_related" && e["data"]["case_id"] == case),
        "{linked:?}"
    );
    assert_eq!(list(&t, &path).await.len(), 2);

    // The agent answers within the side conversation: it threads.
    let r = t
        .post(&path, json!({"body": "Please ship it. marker-side-reply"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let reply = sink.wait_for("marker-side-reply").await;
    assert_eq!(reply.recipients, ["parts@supplier.example"]);
    assert!(
        reply.data.contains("<valve-1@supplier.example>"),
        "{}",
        reply.data
    );

    // Tasks: the customer sees progress, and their own task.
    let before = effort_index(&t, case).await;
    let thursday = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(72)).to_string();
    let tasks = format!("/api/v1/cases/{case}/tasks");
    let parts = t
        .post(
            &tasks,
            json!({"title": "Parts ordered", "owner_kind": "third_party",
                   "owner_name": "Acme Valves Ltd", "due_at": thursday}),
        )
        .await;
    assert_eq!(parts.status, StatusCode::CREATED, "{}", parts.body);
    assert_eq!(effort_index(&t, case).await, before, "not the customer's");
    let photo = t
        .post(
            &tasks,
            json!({"title": "Send a photo of the valve", "owner_kind": "customer"}),
        )
        .await;
    assert_eq!(photo.status, StatusCode::CREATED, "{}", photo.body);
    let after = effort_index(&t, case).await;
    assert_eq!(after, before + 6, "a customer's task is pushed work");
    let effort = t.get(&format!("/api/v1/cases/{case}/effort")).await.body;
    assert!(
        effort["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["driver"] == "pushed_work"),
        "{effort}"
    );

    let mut web = portal_for(&t, &sink, "pat@home.example").await;
    let page = web.get(&format!("/portal/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("What you need to do"), "{}", page.html);
    assert!(page.html.contains("Send a photo of the valve"));
    assert!(page.html.contains("Progress"));
    assert!(page.html.contains("Parts ordered</span> — due"));
    assert!(page.html.contains("marker-customer-reply"));
    for secret in [
        "Acme Valves",
        "supplier.example",
        "marker-side-ask",
        "marker-supplier-answer",
        "marker-side-reply",
        "Parts for the leak",
    ] {
        assert!(!page.html.contains(secret), "{secret} shown: {}", page.html);
    }

    // Done tasks read as done; a cancelled customer task is off the list.
    let done = t
        .patch(
            &format!("/api/v1/tasks/{}", parts.id()),
            json!({"status": "done"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let cancelled = t
        .patch(
            &format!("/api/v1/tasks/{}", photo.id()),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(effort_index(&t, case).await, before);
    let page = web.get(&format!("/portal/cases/{case}")).await;
    assert!(page.html.contains("Parts ordered</span> — done"));
    assert!(!page.html.contains("Send a photo of the valve"));
    let kinds: Vec<String> = t
        .all(&format!("/api/v1/cases/{case}/events"))
        .await
        .iter()
        .map(|e| e["data"]["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "task_added").count(), 2);
    assert_eq!(kinds.iter().filter(|k| *k == "task_changed").count(), 2);

    // Nothing the customer was mailed mentions the side conversation.
    for mail in sink.received() {
        if mail.recipients.iter().any(|r| r == "pat@home.example") {
            assert!(!mail.data.contains("supplier"), "{}", mail.data);
            assert!(!mail.data.contains(&format!("s{side}.")), "{}", mail.data);
        }
    }
}

async fn side_conversations_and_tasks_are_checked_before_anything_is_stored(b: Backend) {
    let sink = MailSink::start().await;
    let (t, case) = pats_case(b, &sink).await;
    let start = format!("/api/v1/cases/{case}/side_conversations");
    let flood: Vec<String> = (0..21).map(|i| format!("p{i}@example.org")).collect();
    let ten: Vec<String> = (0..11).map(|i| format!("q{i}@example.org")).collect();
    let refused = [
        (json!({"to": [], "subject": "s", "body": "b"}), "to"),
        (
            json!({"to": ["not an address"], "subject": "s", "body": "b"}),
            "to",
        ),
        (json!({"to": flood, "subject": "s", "body": "b"}), "to"),
        (
            json!({"to": ten.clone(), "cc": ten, "subject": "s", "body": "b"}),
            "cc",
        ),
        (
            json!({"to": ["a@example.org"], "subject": "bad\u{7}", "body": "b"}),
            "subject",
        ),
        (
            json!({"to": ["a@example.org"], "subject": "x".repeat(201), "body": "b"}),
            "subject",
        ),
        (
            json!({"to": ["support@example.com"], "subject": "s", "body": "b"}),
            "to",
        ),
        (
            json!({"to": ["a@example.org"], "subject": "s", "body": " "}),
            "body",
        ),
    ];
    for (body, field) in refused {
        let r = t.post(&start, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert_eq!(
            r.body["error"]["details"]["field"], field,
            "{body}: {}",
            r.body
        );
    }
    assert!(list(&t, &start).await.is_empty());
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    assert!(
        events
            .iter()
            .all(|e| e["data"]["type"] != "side_conversation_started"),
        "{events:?}"
    );
    assert_eq!(
        t.get("/api/v1/side_conversations/999/messages")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let tasks = format!("/api/v1/cases/{case}/tasks");
    let refused = [
        (json!({"title": " ", "owner_kind": "agent"}), "title"),
        (
            json!({"title": "x".repeat(201), "owner_kind": "agent"}),
            "title",
        ),
        (json!({"title": "a\u{1b}b", "owner_kind": "agent"}), "title"),
        (
            json!({"title": "t", "owner_kind": "customer", "owner_name": "Pat"}),
            "owner_name",
        ),
        (
            json!({"title": "t", "owner_kind": "third_party", "owner_agent_id": 1}),
            "owner_agent_id",
        ),
        (
            json!({"title": "t", "owner_kind": "agent", "owner_agent_id": 999}),
            "owner_agent_id",
        ),
    ];
    for (body, field) in refused {
        let r = t.post(&tasks, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert_eq!(
            r.body["error"]["details"]["field"], field,
            "{body}: {}",
            r.body
        );
    }
    assert!(list(&t, &tasks).await.is_empty());

    for i in 0..100 {
        let r = t
            .post(
                &tasks,
                json!({"title": format!("Step {i}"), "owner_kind": "agent"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = t
        .post(
            &tasks,
            json!({"title": "One too many", "owner_kind": "agent"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let listed = list(&t, &tasks).await;
    assert_eq!(listed.len(), 100);
    let first = listed[0]["id"].as_i64().unwrap();
    let r = t
        .patch(
            &format!("/api/v1/tasks/{first}"),
            json!({"owner_name": "Acme"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = t
        .patch(&format!("/api/v1/tasks/{first}"), json!({"title": ""}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        list(&t, &tasks).await[0]["title"],
        json!("Step 0"),
        "nothing changed"
    );
}

async fn agents_hold_side_conversations_from_the_case_page(b: Backend) {
    let sink = MailSink::start().await;
    let (t, case) = pats_case(b, &sink).await;
    t.agent_with_password("ann@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains("No side conversations"), "{}", page.html);

    // A bad address keeps the agent on the case with the error; nothing is sent.
    let bad = web
        .post(
            &format!("/cases/{case}/side_conversations"),
            &[
                ("csrf", &page.csrf()),
                ("to", "not an address"),
                ("subject", "Parts"),
                ("body", "b"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(
        list(&t, &format!("/api/v1/cases/{case}/side_conversations"))
            .await
            .is_empty()
    );

    let started = web
        .post(
            &format!("/cases/{case}/side_conversations"),
            &[
                ("csrf", &page.csrf()),
                ("to", "parts@supplier.example"),
                ("subject", "Parts for the leak"),
                ("body", "Is the valve in stock? marker-web-ask"),
            ],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.html);
    assert_eq!(
        started.location(),
        format!("/cases/{case}#side-conversations")
    );
    sink.wait_for("marker-web-ask").await;
    let side = list(&t, &format!("/api/v1/cases/{case}/side_conversations")).await[0]["id"]
        .as_i64()
        .unwrap();

    let page = web.get(&format!("/cases/{case}")).await;
    let panel = page.html.split("id=\"side-conversations\"").nth(1).unwrap();
    assert!(panel.contains("Parts for the leak"), "{panel}");
    assert!(panel.contains("marker-web-ask"), "{panel}");
    let timeline = page.html.split("<ol class=\"timeline").nth(1).unwrap();
    let timeline = timeline.split("<aside").next().unwrap();
    assert!(timeline.contains("Water everywhere"), "{timeline}");
    assert!(
        !timeline.contains("marker-web-ask"),
        "the message is not in the customer's timeline"
    );

    let replied = web
        .post(
            &format!("/side_conversations/{side}/reply"),
            &[
                ("csrf", &page.csrf()),
                ("body", "Ship it. marker-web-reply"),
            ],
        )
        .await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{}", replied.html);
    let got = sink.wait_for("marker-web-reply").await;
    assert_eq!(got.recipients, ["parts@supplier.example"]);
}
