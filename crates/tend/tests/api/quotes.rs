//! Quotes: an agent sends one from a case over real SMTP; the customer
//! takes the approve link out of the email, opens it (nothing changes),
//! confirms it (the case shows the approval, rules act on it); second
//! clicks, the other decision, forged links and expired quotes are
//! refused; invalid quotes store nothing; the PDF reads back.

use crate::email::{FIRST, cases, send};
use crate::harness::{Backend, Options, TestServer};
use crate::mail_sink::MailSink;
use crate::portal::body_text;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tend_domain::agent::Role;

crate::both_backends!(
    the_customer_approves_a_quote_from_the_email,
    decisions_are_once_forged_links_and_expired_quotes_refused,
    invalid_quotes_store_nothing,
    customers_decide_in_the_portal_on_their_own_quotes_only,
);

/// A Tend relaying to `sink`, with Ann's case opened by email.
pub async fn anns_case(b: Backend, sink: &MailSink) -> (TestServer, i64) {
    let relay = Options {
        smtp_relay: Some(sink.url.clone()),
        ..Options::default()
    };
    let t = crate::email::server_with(b, relay).await;
    send(&t, "ann@example.org", "support@example.com", FIRST)
        .await
        .unwrap();
    let case = cases(&t).await[0]["id"].as_i64().unwrap();
    (t, case)
}

fn in_days(days: i64) -> String {
    jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .unwrap()
        .to_string()
}

/// A two-line quote in EUR, valid for a week.
pub fn boiler_quote() -> Value {
    json!({
        "currency": "EUR",
        "valid_until": in_days(7),
        "lines": [
            {"description": "Replace boiler valve", "quantity": 1, "unit_price_minor": 12000, "tax_rate_basis_points": 2000},
            {"description": "Call-out fee", "quantity": 2, "unit_price_minor": 2550, "tax_rate_basis_points": 550},
        ]
    })
}

pub async fn send_quote(t: &TestServer, case: i64, quote: Value) -> Value {
    let r = t.post(&format!("/api/v1/cases/{case}/quotes"), quote).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

/// The decision links (paths) in an email's text: approve, then decline.
pub fn links_in(text: &str, base: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|w| w.strip_prefix(base))
        .filter(|path| path.starts_with("/quote/"))
        .map(str::to_owned)
        .collect()
}

pub async fn page(t: &TestServer, path: &str) -> (StatusCode, String) {
    let r = t
        .http
        .get(format!("{}{path}", t.base))
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

pub async fn confirm(t: &TestServer, path: &str, comment: &str) -> (StatusCode, String) {
    let body = format!("comment={}", comment.replace(' ', "+"));
    let r = t
        .http
        .post(format!("{}{path}", t.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

pub async fn event_kinds(t: &TestServer, case: i64) -> Vec<String> {
    t.all(&format!("/api/v1/cases/{case}/events"))
        .await
        .iter()
        .map(|e| e["data"]["type"].as_str().unwrap().to_owned())
        .collect()
}

/// The text of a PDF, as a reader extracts it.
fn pdf_text(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).unwrap()
}

async fn the_customer_approves_a_quote_from_the_email(b: Backend) {
    let sink = MailSink::start().await;
    let (t, case) = anns_case(b, &sink).await;
    // A rule acts on approvals.
    let rule = t
        .post(
            "/api/v1/rules",
            json!({"name": "Approved", "when": {"on": "quote_approved"},
                   "then": [{"do": "add_tags", "tags": ["quote-approved"]}]}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);

    let quote = send_quote(&t, case, boiler_quote()).await;
    // 120.00 + 24.00 tax; 51.00 + 2.805 → 2.81 tax.
    assert_eq!(quote["subtotal_minor"], 17100);
    assert_eq!(quote["tax_minor"], 2681);
    assert_eq!(quote["total_minor"], 19781);
    assert_eq!(quote["status"], "sent");
    assert_eq!(quote["number"], 1);
    let id = quote["id"].as_i64().unwrap();
    let doc = t.get("/api/v1/openapi.json").await.body;
    crate::openapi::check(&doc, "/api/v1/cases/{id}/quotes", "post", 201, &quote);

    // The email reaches the relay with the summary, the links and the PDF.
    let got = sink.wait_for("Content-Type: application/pdf").await;
    assert_eq!(got.recipients[0], "ann@example.org");
    let text = body_text(got.data.as_bytes());
    assert!(text.contains("Total: 197.81 EUR"), "{text}");
    let links = links_in(&text, &t.base);
    assert_eq!(links.len(), 2, "{text}");
    let (approve, decline) = (&links[0], &links[1]);
    assert!(approve.contains("/approve."), "{approve}");

    // The reply is on the case with the PDF, whose text reads back.
    let messages = crate::email::messages(&t, case).await;
    let reply = messages.last().unwrap();
    assert_eq!(reply["id"], quote["message_id"]);
    assert_eq!(reply["attachments"][0]["content_type"], "application/pdf");
    let pdf = t
        .http
        .get(format!("{}/api/v1/quotes/{id}/pdf", t.base))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    let text = pdf_text(&pdf.bytes().await.unwrap());
    for expected in [
        "Replace boiler valve",
        "197.81 EUR",
        "Call-out fee",
        "20 %",
        "5.5 %",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }

    // Opening the link changes nothing (mail scanners open links).
    let (status, html) = page(&t, approve).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Approve this quote"), "{html}");
    assert!(html.contains("197.81 EUR"), "{html}");
    assert_eq!(
        t.get(&format!("/api/v1/quotes/{id}")).await.body["status"],
        "sent"
    );
    assert!(
        !event_kinds(&t, case)
            .await
            .contains(&"quote_approved".into())
    );

    // Confirming approves, once; the case shows it and the rule acted.
    let (status, html) = confirm(&t, approve, "Please come on Monday").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("You have approved this quote"), "{html}");
    let stored = t.get(&format!("/api/v1/quotes/{id}")).await.body;
    assert_eq!(stored["status"], "approved");
    assert_eq!(stored["comment"], "Please come on Monday");
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    let approved: Vec<&Value> = events
        .iter()
        .filter(|e| e["data"]["type"] == "quote_approved")
        .collect();
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0]["actor"]["kind"], "customer");
    assert_eq!(approved[0]["data"]["comment"], "Please come on Monday");
    let shown = t.get(&format!("/api/v1/cases/{case}")).await.body;
    assert!(
        shown["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("quote-approved")),
        "{shown}"
    );
    let listed = t.get(&format!("/api/v1/cases/{case}/quotes")).await.body;
    assert_eq!(listed[0]["status"], "approved");

    // The agent's case page tells it.
    t.agent_with_password("amy@example.com", "Amy", Role::Agent, crate::web::PASSWORD)
        .await;
    let mut web = crate::web::WebAgent::signed_in(&t, "amy@example.com").await;
    let case_page = web.get(&format!("/cases/{case}")).await;
    assert!(
        case_page.html.contains("approved the quote"),
        "{}",
        case_page.html
    );

    // A second click says so; declining afterwards is refused.
    let (status, html) = confirm(&t, approve, "").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("already approved"), "{html}");
    let (status, html) = confirm(&t, decline, "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("already approved"), "{html}");
    let kinds = event_kinds(&t, case).await;
    assert_eq!(kinds.iter().filter(|k| *k == "quote_approved").count(), 1);
    assert!(!kinds.contains(&"quote_declined".into()));
    assert!(kinds.contains(&"quote_sent".into()));
}

async fn decisions_are_once_forged_links_and_expired_quotes_refused(b: Backend) {
    let sink = MailSink::start().await;
    let (t, case) = anns_case(b, &sink).await;
    let first = send_quote(&t, case, boiler_quote()).await;
    let second = send_quote(&t, case, boiler_quote()).await;
    assert_eq!(second["number"], 2);
    let text = |marker: &str| {
        let sink = &sink;
        let marker = marker.to_owned();
        async move { body_text(sink.wait_for(&marker).await.data.as_bytes()) }
    };
    let first_links = links_in(&text("quote 1 for").await, &t.base);
    let second_links = links_in(&text("quote 2 for").await, &t.base);
    let (first_id, second_id) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );
    let token = |path: &str| path.rsplit('/').next().unwrap().to_owned();

    // Another quote's token, an altered one, a cut one, a made-up quote.
    let other = format!("/quote/{second_id}/{}", token(&first_links[0]));
    let altered = first_links[0].replace("/approve.", "/decline.");
    let cut = format!("/quote/{first_id}/approve");
    let nowhere = format!("/quote/999999/{}", token(&first_links[0]));
    for (path, status) in [
        (&other, StatusCode::FORBIDDEN),
        (&altered, StatusCode::FORBIDDEN),
        (&cut, StatusCode::BAD_REQUEST),
        (&nowhere, StatusCode::FORBIDDEN),
    ] {
        assert_eq!(page(&t, path).await.0, status, "GET {path}");
        let (got, html) = confirm(&t, path, "").await;
        assert_eq!(got, status, "POST {path}: {html}");
    }
    assert_eq!(
        event_kinds(&t, case)
            .await
            .iter()
            .filter(|k| k.starts_with("quote_") && *k != "quote_sent")
            .count(),
        0
    );

    // The first is declined; approving it afterwards is refused.
    let (status, html) = confirm(&t, &first_links[1], "Too dear").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (status, html) = confirm(&t, &first_links[0], "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("already declined"), "{html}");
    assert_eq!(
        t.get(&format!("/api/v1/quotes/{first_id}")).await.body["status"],
        "declined"
    );

    // Past its validity the second is expired and refused.
    t.store
        .clock()
        .advance(jiff::SignedDuration::from_hours(24 * 8));
    assert_eq!(
        t.get(&format!("/api/v1/quotes/{second_id}")).await.body["status"],
        "expired"
    );
    let (status, html) = confirm(&t, &second_links[0], "").await;
    assert_eq!(status, StatusCode::GONE, "{html}");
    assert!(html.contains("expired"), "{html}");
    let kinds = event_kinds(&t, case).await;
    assert!(!kinds.contains(&"quote_approved".into()), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "quote_declined").count(), 1);
}

async fn invalid_quotes_store_nothing(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "Leak", "the tap drips").await;
    let path = format!("/api/v1/cases/{case}/quotes");
    let line = json!({"description": "Tap", "quantity": 1, "unit_price_minor": 100});
    let cases = [
        (
            json!({"currency": "eur", "valid_until": in_days(3), "lines": [line]}),
            "currency",
        ),
        (
            json!({"currency": "EUR", "valid_until": in_days(3), "lines": []}),
            "lines",
        ),
        (
            json!({"currency": "EUR", "valid_until": in_days(-1), "lines": [line]}),
            "valid_until",
        ),
        (
            json!({"currency": "EUR", "valid_until": in_days(3), "lines": [line, {"description": "a\u{1}", "quantity": 1, "unit_price_minor": 1}]}),
            "lines[1].description",
        ),
        (
            json!({"currency": "EUR", "valid_until": in_days(3), "lines": [{"description": "x", "quantity": 0, "unit_price_minor": 1}]}),
            "lines[0].quantity",
        ),
        (
            json!({"currency": "EUR", "valid_until": in_days(3), "lines": [{"description": "x", "quantity": 1, "unit_price_minor": 1, "tax_rate_basis_points": 20000}]}),
            "lines[0].tax_rate_basis_points",
        ),
        (
            json!({"currency": "EUR", "valid_until": in_days(3), "lines": vec![json!({"description": "x", "quantity": 1_000_000, "unit_price_minor": 1_000_000_000_000_i64}); 100]}),
            "lines",
        ),
    ];
    for (body, field) in cases {
        let r = t.post(&path, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["error"]["details"]["field"], field, "{}", r.body);
    }
    assert_eq!(t.get(&path).await.body, json!([]));
    assert!(!event_kinds(&t, case).await.contains(&"quote_sent".into()));

    // Light agents read quotes but may not send them; without a token, nothing.
    let sent = send_quote(&t, case, boiler_quote()).await;
    let light = t.agent_token("light@example.com", Role::LightAgent).await;
    let r = t
        .send(
            reqwest::Method::POST,
            &path,
            Some(&light),
            Some(boiler_quote()),
        )
        .await;
    r.error(StatusCode::FORBIDDEN, "forbidden");
    let quote = format!("/api/v1/quotes/{}", sent["id"]);
    for read in [&path, &quote, &format!("{quote}/pdf")] {
        let r = t.send(reqwest::Method::GET, read, Some(&light), None).await;
        assert_eq!(r.status, StatusCode::OK, "{read}");
        let r = t.send(reqwest::Method::GET, read, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{read}");
    }
    // A case with no email conversation still gets the reply and the PDF.
    let messages = crate::email::messages(&t, case).await;
    assert_eq!(
        messages.last().unwrap()["attachments"][0]["content_type"],
        "application/pdf"
    );
    assert_eq!(
        t.get("/api/v1/quotes/999999").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn customers_decide_in_the_portal_on_their_own_quotes_only(b: Backend) {
    let w = crate::portal::world(b).await;
    let t = &w.t;
    let ann_quote = send_quote(t, w.ann_case, boiler_quote()).await["id"]
        .as_i64()
        .unwrap();
    let carl_quote = send_quote(t, w.carl_case, boiler_quote()).await["id"]
        .as_i64()
        .unwrap();
    let mut web = crate::portal::signed_in(t, "ann@acme.example").await;
    let page = web.get(&format!("/portal/cases/{}", w.ann_case)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("Replace boiler valve"), "{}", page.html);
    assert!(page.html.contains("197.81 EUR"), "{}", page.html);
    let csrf = page.csrf();

    // Carl's quote, through Ann's case or his own, is not found for her.
    for path in [
        format!("/portal/cases/{}/quotes/{carl_quote}", w.ann_case),
        format!("/portal/cases/{}/quotes/{carl_quote}", w.carl_case),
    ] {
        let r = web
            .post(
                &path,
                &[("csrf", &csrf), ("decision", "approve"), ("comment", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.html);
    }
    assert_eq!(
        t.get(&format!("/api/v1/quotes/{carl_quote}")).await.body["status"],
        "sent"
    );

    // Without the session's token, nothing; with it, Ann declines hers.
    let path = format!("/portal/cases/{}/quotes/{ann_quote}", w.ann_case);
    let r = web
        .post(&path, &[("csrf", "wrong"), ("decision", "decline")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = web
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("decision", "decline"),
                ("comment", "Not now"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let stored = t.get(&format!("/api/v1/quotes/{ann_quote}")).await.body;
    assert_eq!(stored["status"], "declined");
    assert_eq!(stored["comment"], "Not now");
    // Approving it now is refused on the page.
    let r = web
        .post(&path, &[("csrf", &csrf), ("decision", "approve")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.html);
    assert!(r.html.contains("already declined"), "{}", r.html);
    assert!(
        !event_kinds(t, w.ann_case)
            .await
            .contains(&"quote_approved".into())
    );
}
