//! Promises to customers over HTTP: made through the API with a keeper
//! and visibility, kept by a reply or a resolution in the same write,
//! broken at their due time by the `promise_due` job (moved by the store's
//! clock) with a notification, kept or broken by hand, checked with
//! precise errors, counted in the effort report, and shown to the
//! customer in the portal only when visible.

use crate::both_backends;
use crate::email::eventually;
use crate::harness::{Backend, TestServer};
use crate::web::WebAgent;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tend_domain::agent::Role;

both_backends!(
    a_reply_or_a_resolution_keeps_the_promises_it_should,
    an_unkept_promise_is_broken_at_its_due_time_with_a_notification,
    agents_keep_and_break_promises_by_hand,
    promises_are_checked_with_precise_errors,
    the_customer_sees_visible_open_promises_in_the_portal,
    the_case_page_makes_promises_with_a_keeper_and_lists_them,
    a_reply_states_the_visible_promise_it_makes,
    the_case_pages_reply_box_makes_a_promise_with_the_reply,
);

/// RFC 3339 for `hours` from the store's clock.
fn in_hours(t: &TestServer, hours: i64) -> String {
    (t.store.clock().now() + SignedDuration::from_hours(hours)).to_string()
}

async fn make(t: &TestServer, case: i64, body: Value) -> Value {
    let r = t
        .post(&format!("/api/v1/cases/{case}/promises"), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

async fn promises(t: &TestServer, case: i64) -> Vec<Value> {
    let r = t.get(&format!("/api/v1/cases/{case}/promises")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

fn states(list: &[Value]) -> Vec<(String, String)> {
    list.iter()
        .map(|p| {
            (
                p["promise"].as_str().unwrap().to_owned(),
                p["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn events_of(t: &TestServer, case: i64, kind: &str) -> Vec<Value> {
    t.all(&format!("/api/v1/cases/{case}/events"))
        .await
        .into_iter()
        .filter(|e| e["data"]["type"] == kind)
        .collect()
}

/// The error's message, after checking its status and code.
fn refusal(r: &crate::harness::Reply, status: StatusCode, code: &str) -> String {
    r.error(status, code);
    r.body["error"]["message"].as_str().unwrap().to_owned()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

async fn a_reply_or_a_resolution_keeps_the_promises_it_should(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "No water", "Since this morning").await;
    let doc = t.get("/api/v1/openapi.json").await.body;
    let reply = make(
        &t,
        case,
        json!({"promise": "We will reply by noon", "due_at": in_hours(&t, 4),
               "visible_to_customer": true, "kept_by": "reply"}),
    )
    .await;
    crate::openapi::check(&doc, "/api/v1/cases/{id}/promises", "post", 201, &reply);
    assert_eq!(reply["state"], "open");
    assert_eq!(reply["kept_by"], "reply");
    assert_eq!(reply["visible_to_customer"], true);
    make(
        &t,
        case,
        json!({"promise": "Water back by Friday", "due_at": in_hours(&t, 48), "kept_by": "resolved"}),
    )
    .await;
    make(
        &t,
        case,
        json!({"promise": "A call from the manager", "due_at": in_hours(&t, 48)}),
    )
    .await;
    // The customer writing keeps nothing; a note neither.
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": "Internal: plumber booked", "internal": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(events_of(&t, case, "promise_kept").await.is_empty());

    // The agent's reply keeps the reply promise, in the same write.
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": "We are on it."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let kept = events_of(&t, case, "promise_kept").await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["data"]["promise"], "We will reply by noon");
    assert_eq!(kept[0]["actor"]["kind"], "system");
    let list = promises(&t, case).await;
    crate::openapi::check(
        &doc,
        "/api/v1/cases/{id}/promises",
        "get",
        200,
        &Value::from(list.clone()),
    );
    assert_eq!(
        states(&list),
        pairs(&[
            ("We will reply by noon", "kept"),
            ("Water back by Friday", "open"),
            ("A call from the manager", "open"),
        ])
    );
    assert!(list[0]["closed_at"].is_string());

    // Resolving keeps the resolution promise; the manual one stays open.
    let r = t
        .patch(
            &format!("/api/v1/cases/{case}"),
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        states(&promises(&t, case).await),
        pairs(&[
            ("We will reply by noon", "kept"),
            ("Water back by Friday", "kept"),
            ("A call from the manager", "open"),
        ])
    );
    let effort = t.get(&format!("/api/v1/cases/{case}/effort")).await.body;
    assert_eq!(
        effort["tally"]["open_promises"].as_array().unwrap().len(),
        1,
        "{effort}"
    );
}

async fn an_unkept_promise_is_broken_at_its_due_time_with_a_notification(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "No water", "Since this morning").await;
    let bea = t.agent_token("bea@example.com", Role::Agent).await;
    let bea_id = t
        .send(reqwest::Method::GET, "/api/v1/me", Some(&bea), None)
        .await
        .body["id"]
        .clone();
    let r = t
        .patch(
            &format!("/api/v1/cases/{case}"),
            json!({"assignee_id": bea_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let made = make(
        &t,
        case,
        json!({"promise": "We will reply within the hour", "due_at": in_hours(&t, 1), "kept_by": "reply"}),
    )
    .await;
    assert!(
        t.store
            .jobs(None)
            .await
            .unwrap()
            .iter()
            .any(|j| j.kind == tend_store::jobs::JobKind::PromiseDue
                && j.payload["seq"] == made["seq"]),
        "the due-time job is queued with the promise"
    );
    // Not yet due: nothing happens.
    t.store.clock().advance(SignedDuration::from_mins(30));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(events_of(&t, case, "promise_broken").await.is_empty());

    // Past due: broken by Tend, and Bea is told.
    t.store.clock().advance(SignedDuration::from_mins(31));
    let broken = eventually("the broken promise", || async {
        let found = events_of(&t, case, "promise_broken").await;
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(broken.len(), 1);
    assert_eq!(broken[0]["actor"]["kind"], "system");
    assert_eq!(
        broken[0]["data"]["promise"],
        "We will reply within the hour"
    );
    let r = t
        .send(
            reqwest::Method::GET,
            "/api/v1/notifications",
            Some(&bea),
            None,
        )
        .await;
    let newest = &r.body["data"][0];
    assert_eq!(newest["kind"], "promise_due", "{}", r.body);
    assert!(
        newest["text"]
            .as_str()
            .unwrap()
            .contains("We will reply within the hour"),
        "{newest}"
    );
    assert_eq!(
        states(&promises(&t, case).await),
        pairs(&[("We will reply within the hour", "broken")])
    );
    // A late reply keeps nothing; the broken promise is customer effort,
    // and the effort report counts it.
    t.post(
        &format!("/api/v1/cases/{case}/messages"),
        json!({"body": "Sorry for the wait."}),
    )
    .await;
    assert!(events_of(&t, case, "promise_kept").await.is_empty());
    let effort = t.get(&format!("/api/v1/cases/{case}/effort")).await.body;
    assert!(
        effort.to_string().contains("broken promise +15"),
        "{effort}"
    );
    let today = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let report = t
        .get(&format!(
            "/api/v1/reports/effort?from={}&to={}",
            today.yesterday().unwrap(),
            today.tomorrow().unwrap()
        ))
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let drivers = report.body["drivers"].as_array().unwrap();
    assert!(
        drivers
            .iter()
            .any(|d| d["driver"] == "broken_promises" && d["cases"] == 1),
        "{}",
        report.body
    );
    // The job finds nothing more to do however long it waits.
    t.store.clock().advance(SignedDuration::from_hours(5));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(events_of(&t, case, "promise_broken").await.len(), 1);
}

async fn agents_keep_and_break_promises_by_hand(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "No water", "Since this morning").await;
    let call = make(
        &t,
        case,
        json!({"promise": "A technician between 10:00 and 12:00", "due_at": in_hours(&t, 26),
               "from": in_hours(&t, 24), "kept_by": "resolved"}),
    )
    .await;
    assert!(call["from"].is_string());
    let refund = make(
        &t,
        case,
        json!({"promise": "Refund by Friday", "due_at": in_hours(&t, 72)}),
    )
    .await;
    // A retried request makes the promise once; its Location reads it.
    let body = json!({"promise": "Call back tomorrow", "due_at": in_hours(&t, 20)});
    let mut replies = Vec::new();
    for _ in 0..2 {
        let res = t
            .http
            .post(format!("{}/api/v1/cases/{case}/promises", t.base))
            .bearer_auth(&t.admin)
            .header("Idempotency-Key", "promise-1")
            .json(&body)
            .send()
            .await
            .unwrap();
        replies.push(crate::harness::Reply::from(res).await);
    }
    assert_eq!(
        replies[1].status,
        StatusCode::CREATED,
        "{}",
        replies[1].body
    );
    assert_eq!(replies[1].headers["idempotent-replayed"], "true");
    assert_eq!(replies[0].body, replies[1].body);
    let location = replies[0].headers["location"].to_str().unwrap().to_owned();
    let one = t.get(&location).await;
    assert_eq!(one.status, StatusCode::OK, "{location}: {}", one.body);
    assert_eq!(one.body["promise"], "Call back tomorrow");
    assert_eq!(promises(&t, case).await.len(), 3);

    // Resolving before the window opens keeps nothing.
    t.patch(
        &format!("/api/v1/cases/{case}"),
        json!({"status": "resolved"}),
    )
    .await;
    assert!(events_of(&t, case, "promise_kept").await.is_empty());

    let kept = t
        .post(
            &format!("/api/v1/cases/{case}/promises/{}/kept", call["seq"]),
            json!({}),
        )
        .await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.body);
    assert_eq!(kept.body["state"], "kept");
    assert_eq!(kept.body["closed_by"]["kind"], "agent");
    let broken = t
        .post(
            &format!("/api/v1/cases/{case}/promises/{}/broken", refund["seq"]),
            json!({}),
        )
        .await;
    assert_eq!(broken.status, StatusCode::OK, "{}", broken.body);
    assert_eq!(broken.body["state"], "broken");
    // Once settled, a promise stays as it is.
    let again = t
        .post(
            &format!("/api/v1/cases/{case}/promises/{}/kept", refund["seq"]),
            json!({}),
        )
        .await;
    let message = refusal(&again, StatusCode::CONFLICT, "conflict");
    assert!(message.contains("already broken"), "{message}");
    // Unknown promises, cases and ids.
    let seq_of_opened = 1;
    for (path, status) in [
        (
            format!("/api/v1/cases/{case}/promises/{seq_of_opened}/kept"),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/api/v1/cases/{case}/promises/999/broken"),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/cases/999999/promises/1/kept".to_string(),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/api/v1/cases/{case}/promises/x/kept"),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = t.post(&path, json!({})).await;
        assert_eq!(r.status, status, "{path}: {}", r.body);
    }
    let r = t.get("/api/v1/cases/999999/promises").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(events_of(&t, case, "promise_kept").await.len(), 1);
    assert_eq!(events_of(&t, case, "promise_broken").await.len(), 1);
    // A light agent reads promises and changes none.
    let light = t.agent_token("light@example.com", Role::LightAgent).await;
    let r = t
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/cases/{case}/promises"),
            Some(&light),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/cases/{case}/promises"),
            Some(&light),
            Some(json!({"promise": "x", "due_at": in_hours(&t, 1)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

async fn promises_are_checked_with_precise_errors(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "No water", "Since this morning").await;
    let soon = in_hours(&t, 2);
    let path = format!("/api/v1/cases/{case}/promises");
    let cases = [
        (json!({"promise": "", "due_at": soon}), "promise", "empty"),
        (json!({"promise": "   ", "due_at": soon}), "promise", ""),
        (
            json!({"promise": "x".repeat(201), "due_at": soon}),
            "promise",
            "200",
        ),
        (
            json!({"promise": "two\nlines", "due_at": soon}),
            "promise",
            "control",
        ),
        (
            json!({"promise": "Call", "due_at": in_hours(&t, -1)}),
            "due_at",
            "future",
        ),
        (
            json!({"promise": "Call", "due_at": in_hours(&t, 24 * 366)}),
            "due_at",
            "365 days",
        ),
        (
            json!({"promise": "Call", "due_at": "tomorrow"}),
            "due_at",
            "",
        ),
        (
            json!({"promise": "Call", "due_at": soon, "from": soon}),
            "from",
            "before",
        ),
        (
            json!({"promise": "Call", "due_at": soon, "kept_by": "magic"}),
            "kept_by",
            "",
        ),
        (
            json!({"promise": "Call", "due_at": soon, "colour": "red"}),
            "colour",
            "",
        ),
        (json!({"due_at": soon}), "promise", ""),
    ];
    for (body, field, words) in cases {
        let r = t.post(&path, body.clone()).await;
        let message = refusal(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            r.body["error"]["details"]["field"], field,
            "{body}: {}",
            r.body
        );
        assert!(message.contains(words), "{body}: {message}");
    }
    make(&t, case, json!({"promise": "Call back", "due_at": soon})).await;
    let r = t
        .post(
            &path,
            json!({"promise": "Call back", "due_at": in_hours(&t, 3)}),
        )
        .await;
    let message = refusal(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(message.contains("already promised"), "{message}");
    let r = t
        .send(reqwest::Method::POST, &path, Some(&t.admin), None)
        .await;
    assert!(r.status.is_client_error(), "{}", r.body);
    let r = t
        .post(
            "/api/v1/cases/999999/promises",
            json!({"promise": "Call", "due_at": soon}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(promises(&t, case).await.len(), 1);
}

async fn the_customer_sees_visible_open_promises_in_the_portal(b: Backend) {
    let w = crate::portal::world(b).await;
    let t = &w.t;
    let case = w.ann_case;
    make(
        t,
        case,
        json!({"promise": "A technician visits on Monday", "due_at": in_hours(t, 30),
               "from": in_hours(t, 28), "visible_to_customer": true}),
    )
    .await;
    make(
        t,
        case,
        json!({"promise": "Internal: escalate to the vendor", "due_at": in_hours(t, 30)}),
    )
    .await;
    let kept = make(
        t,
        case,
        json!({"promise": "Refund by Friday", "due_at": in_hours(t, 30), "visible_to_customer": true}),
    )
    .await;
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/promises/{}/kept", kept["seq"]),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let mut web = crate::portal::signed_in(t, "ann@acme.example").await;
    let page = web.get(&format!("/portal/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("What we promised you"), "{}", page.html);
    assert!(page.html.contains("A technician visits on Monday"));
    assert!(page.html.contains("between <time datetime="), "the window");
    assert!(
        !page.html.contains("escalate to the vendor"),
        "hidden promises stay hidden"
    );
    assert!(!page.html.contains("Refund by Friday"), "only open ones");
    // The customer's session is no way into the API's promises.
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/cases/{case}/promises", t.base))
        .header("cookie", web.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

async fn the_case_page_makes_promises_with_a_keeper_and_lists_them(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "No water", "Since this morning").await;
    t.agent_with_password("bea@example.com", "Bea", Role::Agent, crate::web::PASSWORD)
        .await;
    let mut web = WebAgent::signed_in(&t, "bea@example.com").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(
        page.html.contains("name=\"kept_by\""),
        "the form asks what keeps it"
    );
    let due = (t.store.clock().now() + SignedDuration::from_hours(5))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let csrf = page.csrf();
    let done = web
        .post(
            &format!("/cases/{case}/promise"),
            &[
                ("csrf", csrf.as_str()),
                ("promise", "We will reply today"),
                ("due", due.as_str()),
                ("kept_by", "reply"),
                ("visible_to_customer", "on"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let list = promises(&t, case).await;
    assert_eq!(list[0]["kept_by"], "reply");
    assert_eq!(list[0]["visible_to_customer"], true);
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains("kept by a reply"), "{}", page.html);
    let refused = web
        .post(
            &format!("/cases/{case}/promise"),
            &[
                ("csrf", csrf.as_str()),
                ("promise", "Another"),
                ("due", due.as_str()),
                ("kept_by", "magic"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(refused.html.contains("kept_by"), "{}", refused.html);
    // A reply from the case page keeps it.
    t.post(
        &format!("/api/v1/cases/{case}/messages"),
        json!({"body": "Here is your answer."}),
    )
    .await;
    assert_eq!(
        states(&promises(&t, case).await),
        pairs(&[("We will reply today", "kept")])
    );
}

async fn a_reply_states_the_visible_promise_it_makes(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "No water", "Since this morning").await;
    let due: Timestamp = "2027-01-08T16:30:00Z".parse().unwrap();
    let path = format!("/api/v1/cases/{case}/messages");
    let r = t
        .post(
            &path,
            json!({"body": "A plumber is booked.", "body_html": "<p>A plumber is booked.</p>",
                   "promise": {"promise": "a plumber visits", "due_at": due.to_string(),
                               "visible_to_customer": true, "kept_by": "resolved"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let line = "Our promise: a plumber visits, by Friday 8 January, 16:30 UTC.";
    assert_eq!(
        r.body["body_text"],
        format!("A plumber is booked.\n\n{line}")
    );
    assert!(
        r.body["body_html"].as_str().unwrap().contains(line),
        "{}",
        r.body
    );
    // Made after the reply, so the reply did not keep it.
    let list = promises(&t, case).await;
    assert_eq!(states(&list), pairs(&[("a plumber visits", "open")]));
    // A hidden promise, or one made with a note, is not written out.
    for body in [
        json!({"body": "Noted.", "internal": true,
               "promise": {"promise": "check the meter", "due_at": due.to_string(), "visible_to_customer": true}}),
        json!({"body": "On it.", "promise": {"promise": "ask the vendor", "due_at": due.to_string()}}),
    ] {
        let r = t.post(&path, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert!(
            !r.body["body_text"]
                .as_str()
                .unwrap()
                .contains("Our promise")
        );
    }
    assert_eq!(promises(&t, case).await.len(), 3);
    // A refused promise refuses the message with it.
    let before = t.all(&path).await.len();
    let r = t
        .post(
            &path,
            json!({"body": "Soon.", "promise": {"promise": "x", "due_at": "2020-01-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["error"]["details"]["field"], "due_at");
    let r = t
        .post(
            &path,
            json!({"body": "Again.", "promise": {"promise": "a plumber visits", "due_at": due.to_string()}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(t.all(&path).await.len(), before, "nothing written");
}

async fn the_case_pages_reply_box_makes_a_promise_with_the_reply(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "Boiler", "It makes noises").await;
    t.agent_with_password("bea@example.com", "Bea", Role::Agent, crate::web::PASSWORD)
        .await;
    let mut web = WebAgent::signed_in(&t, "bea@example.com").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains("Promise something with this reply"));
    let csrf = page.csrf();
    let due = (t.store.clock().now() + SignedDuration::from_hours(26))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let reply = |promise: &str, due: &str| -> Vec<(String, String)> {
        [
            ("csrf", csrf.as_str()),
            ("body", "A technician will come."),
            ("promise", promise),
            ("due", due),
            ("kept_by", "manual"),
            ("visible_to_customer", "on"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    // A promise due in the past is refused with the reply kept as typed.
    let past = reply("A visit", "2020-01-01T10:00");
    let fields: Vec<(&str, &str)> = past.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let refused = web.post(&format!("/cases/{case}/reply"), &fields).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("A technician will come."),
        "{}",
        refused.html
    );
    assert!(promises(&t, case).await.is_empty());

    let good = reply("A visit tomorrow", &due);
    let fields: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let sent = web.post(&format!("/cases/{case}/reply"), &fields).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let list = promises(&t, case).await;
    assert_eq!(
        states(&list),
        [("A visit tomorrow".to_owned(), "open".to_owned())]
    );
    assert_eq!(list[0]["visible_to_customer"], true);
    let messages = crate::email::messages(&t, case).await;
    let text = messages.last().unwrap()["body_text"].as_str().unwrap();
    assert!(
        text.starts_with("A technician will come.")
            && text.contains("Our promise: A visit tomorrow, by "),
        "{text}"
    );
}
