//! Customer effort end to end: seed 004's stories played through the API on
//! both backends, with the figures computed by hand from the documented
//! default weights (docs/effort.md): chaser 8, channel switch 10, transfer
//! 10, identity asked again 10, call a third party 15, repeat contact 15;
//! medium from 15, high from 40. The tests run in seconds, so waiting adds
//! no points here (one point per four hours; the domain tests cover it).

use crate::harness::{Backend, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tend_domain::effort::EffortWeights;
use tend_domain::event::CaseEvent;
use tend_domain::state::CaseState;

crate::both_backends!(
    the_plumber_story_is_high_effort_with_every_driver_named,
    the_bank_story_counts_the_switch_and_asking_a_verified_customer_again,
    one_email_answered_and_resolved_is_effortless,
    repeat_contacts_are_found_linked_and_unlinked,
    logged_contacts_are_checked_before_anything_is_written,
    lists_sort_and_filter_by_effort,
    cases_from_before_the_projection_get_it_from_their_log,
    new_weights_score_every_case_again,
    chasers_never_restart_the_wait,
);

async fn team(t: &TestServer, name: &str) -> i64 {
    let r = t.post("/api/v1/teams", json!({"name": name})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.id()
}

async fn email_case(t: &TestServer, customer: i64, subject: &str) -> i64 {
    let r = t
        .post(
            "/api/v1/cases",
            json!({"subject": subject, "customer_id": customer, "message": "Please help.", "channel": "email"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.id()
}

async fn ok(t: &TestServer, method: Method, path: &str, body: Value) -> Value {
    let r = t.send(method, path, Some(&t.admin), Some(body)).await;
    assert!(r.status.is_success(), "{path}: {} {}", r.status, r.body);
    r.body
}

async fn call(t: &TestServer, case: i64, direction: &str) {
    ok(
        t,
        Method::POST,
        &format!("/api/v1/cases/{case}/contacts"),
        json!({"channel": "phone", "direction": direction, "duration_seconds": 240, "summary": "Called about the leak."}),
    )
    .await;
}

async fn reply(t: &TestServer, case: i64, body: &str) {
    ok(
        t,
        Method::POST,
        &format!("/api/v1/cases/{case}/messages"),
        json!({ "body": body }),
    )
    .await;
}

/// The case's effort, checked against a fold of its whole log by the
/// domain code (the row is the fold).
async fn effort(t: &TestServer, case: i64) -> Value {
    let events: Vec<CaseEvent> = t
        .all(&format!("/api/v1/cases/{case}/events"))
        .await
        .into_iter()
        .map(|e| serde_json::from_value(e).unwrap())
        .collect();
    let folded = EffortWeights::default().score(&CaseState::fold(&events).unwrap().effort);
    let effort = t.get(&format!("/api/v1/cases/{case}/effort")).await.body;
    assert_eq!(effort["index"], folded.index, "{effort}");
    let row = t.get(&format!("/api/v1/cases/{case}")).await.body;
    assert_eq!(row["effort_index"], effort["index"]);
    assert_eq!(row["effort_level"], effort["level"]);
    effort
}

fn lines(effort: &Value) -> Vec<&str> {
    effort["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect()
}

/// Seed 004: the customer reports a leak by email, is told to find a
/// plumber themselves, calls back twice before anyone answers again, and is
/// passed from one team to another.
async fn the_plumber_story_is_high_effort_with_every_driver_named(b: Backend) {
    let t = TestServer::start(b).await;
    let pat = t.customer("Pat", "pat@example.com").await;
    let (insurance, plumbing) = (team(&t, "Insurance").await, team(&t, "Plumbing").await);
    let case = email_case(&t, pat, "Water leaking through the ceiling").await;
    let path = format!("/api/v1/cases/{case}");
    ok(&t, Method::PATCH, &path, json!({"team_id": insurance})).await;
    reply(
        &t,
        case,
        "Please find a plumber yourself and send us the invoice.",
    )
    .await;
    ok(
        &t,
        Method::POST,
        &format!("{path}/events"),
        json!({"type": "customer_action_requested", "action": "Find a plumber", "kind": "call_third_party"}),
    )
    .await;
    call(&t, case, "inbound").await;
    call(&t, case, "inbound").await;
    ok(&t, Method::PATCH, &path, json!({"team_id": plumbing})).await;
    call(&t, case, "outbound").await;
    ok(&t, Method::PATCH, &path, json!({"status": "resolved"})).await;

    let effort = effort(&t, case).await;
    // 15 + 10 + 10 + 8 = 43: high from 40.
    assert_eq!(
        lines(&effort),
        [
            "asked to call a third party +15",
            "email → phone +10",
            "transfer +10",
            "chaser +8"
        ]
    );
    assert_eq!(effort["index"], 43);
    assert_eq!(effort["level"], "high");
    assert_eq!(effort["tally"]["contacts"], 3);
    assert_eq!(effort["first_contact_resolution"], false);
    assert!(effort["waiting_since"].is_null(), "answered, then resolved");
    let case_row = t.get(&path).await.body;
    assert!(case_row["first_response_at"].is_string());
    assert!(case_row["resolved_at"].is_string());
    // The calls are on the case as internal notes with their summaries.
    let notes = t.all(&format!("{path}/messages")).await;
    assert_eq!(
        notes
            .iter()
            .filter(|m| m["internal"] == true && m["channel"] == "phone")
            .count(),
        3
    );
    // The customer's 90 days: one case, high.
    let history = t
        .get(&format!("/api/v1/customers/{pat}/effort?days=90"))
        .await
        .body;
    assert_eq!(history["cases"], 1);
    assert_eq!(history["high_effort_cases"], 1);
    assert_eq!(history["highest_index"], 43);
}

/// Seed 004: a customer the bank verified writes, then calls from a new
/// number and is asked to identify again.
async fn the_bank_story_counts_the_switch_and_asking_a_verified_customer_again(b: Backend) {
    let t = TestServer::start(b).await;
    let kim = t.customer("Kim", "kim@example.com").await;
    let first = email_case(&t, kim, "Card blocked abroad").await;
    ok(
        &t,
        Method::POST,
        &format!("/api/v1/cases/{first}/events"),
        json!({"type": "identity_verified", "level": "agent_verified", "method": "ID at the branch"}),
    )
    .await;
    reply(&t, first, "We are looking into it.").await;
    call(&t, first, "inbound").await;
    // The caller cannot set the flag: Tend sets it from the customer.
    ok(
        &t,
        Method::POST,
        &format!("/api/v1/cases/{first}/events"),
        json!({"type": "identity_requested", "reason": "calling from a new number", "after_verification": false}),
    )
    .await;
    call(&t, first, "outbound").await;
    let effort = effort(&t, first).await;
    assert_eq!(
        lines(&effort),
        ["email → phone +10", "asked to identify again +10"]
    );
    assert_eq!(effort["index"], 20);
    assert_eq!(effort["level"], "medium");

    // Asking an unverified customer to identify is no repeat.
    let new = t.customer("Lee", "lee@example.com").await;
    let other = email_case(&t, new, "Open an account").await;
    ok(
        &t,
        Method::POST,
        &format!("/api/v1/cases/{other}/events"),
        json!({"type": "identity_requested", "reason": "new customer", "after_verification": true}),
    )
    .await;
    assert_eq!(effort_of(&t, other).await, 0);
}

async fn effort_of(t: &TestServer, case: i64) -> i64 {
    effort(t, case).await["index"].as_i64().unwrap()
}

async fn one_email_answered_and_resolved_is_effortless(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = email_case(&t, ann, "Change my delivery address").await;
    let waiting = t.get(&format!("/api/v1/cases/{case}")).await.body;
    assert_eq!(
        waiting["waiting_since"], waiting["created_at"],
        "the customer waits from their message"
    );
    reply(
        &t,
        case,
        "Done: your next delivery goes to the new address.",
    )
    .await;
    ok(
        &t,
        Method::PATCH,
        &format!("/api/v1/cases/{case}"),
        json!({"status": "resolved"}),
    )
    .await;
    let effort = effort(&t, case).await;
    assert_eq!(effort["index"], 0);
    assert_eq!(effort["level"], "low");
    assert_eq!(lines(&effort), Vec::<&str>::new());
    assert_eq!(effort["first_contact_resolution"], true);
}

async fn repeat_contacts_are_found_linked_and_unlinked(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let bob = t.customer("Bob", "bob@example.com").await;
    let first = email_case(&t, ann, "Boiler leaking in the kitchen").await;
    let unrelated = email_case(&t, ann, "Invoice address").await;
    let others = email_case(&t, bob, "Boiler leaking in the kitchen").await;
    let again = email_case(&t, ann, "Re: boiler still leaking").await;
    for case in [first, unrelated, others] {
        let row = t.get(&format!("/api/v1/cases/{case}")).await.body;
        assert!(row["repeat_of_id"].is_null(), "{row}");
    }
    let row = t.get(&format!("/api/v1/cases/{again}")).await.body;
    assert_eq!(row["repeat_of_id"], first);
    let effort = effort(&t, again).await;
    assert_eq!(lines(&effort), [format!("repeat of #{first} +15")]);
    let events = t.all(&format!("/api/v1/cases/{again}/events")).await;
    assert!(
        events.iter().any(|e| e["data"]["type"] == "repeat_linked"
            && e["data"]["reason"] == format!("similar subject to #{first}")),
        "{events:?}"
    );

    // An agent unlinks it, then links it to another case of Ann's.
    let path = format!("/api/v1/cases/{again}/repeat");
    let r = t.send(Method::DELETE, &path, Some(&t.admin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["repeat_of_id"].is_null());
    assert_eq!(effort_of(&t, again).await, 0);
    let r = t
        .send(
            Method::PUT,
            &path,
            Some(&t.admin),
            Some(json!({"of": unrelated})),
        )
        .await;
    assert_eq!(r.body["repeat_of_id"], unrelated, "{}", r.body);
    assert_eq!(effort_of(&t, again).await, 15);

    // Not to another customer's case, not to itself, not to nothing.
    for (of, why) in [
        (others, "another customer"),
        (again, "itself"),
        (999_999, "no case"),
    ] {
        let r = t
            .send(
                Method::PUT,
                &path,
                Some(&t.admin),
                Some(json!({ "of": of })),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{why}: {}",
            r.body
        );
    }
    let row = t.get(&format!("/api/v1/cases/{again}")).await.body;
    assert_eq!(row["repeat_of_id"], unrelated, "refusals change nothing");
}

async fn logged_contacts_are_checked_before_anything_is_written(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = email_case(&t, ann, "Leak").await;
    let path = format!("/api/v1/cases/{case}/contacts");
    let bad = [
        json!({"channel": "email", "direction": "inbound", "summary": "x"}),
        json!({"channel": "phone", "direction": "sideways", "summary": "x"}),
        json!({"channel": "phone", "direction": "inbound", "summary": "  "}),
        json!({"channel": "phone", "direction": "inbound", "summary": "x", "duration_seconds": 86_401}),
        json!({"channel": "phone", "direction": "inbound", "summary": "x\u{0}y"}),
        json!({"channel": "phone", "direction": "inbound", "summary": "x", "extra": 1}),
    ];
    for body in bad {
        let r = t.post(&path, body.clone()).await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::BAD_REQUEST,
            "{body}: {} {}",
            r.status,
            r.body
        );
    }
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/events"),
            json!({"type": "customer_action_requested", "action": "x\u{1b}[2J", "kind": "send_document"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = t
        .post(
            "/api/v1/cases/999999/contacts",
            json!({"channel": "phone", "direction": "inbound", "summary": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    assert!(events.iter().all(|e| e["data"]["type"] != "contact_logged"));
    assert_eq!(
        t.all(&format!("/api/v1/cases/{case}/messages")).await.len(),
        1
    );
    let r = t
        .post(
            &path,
            json!({"channel": "walk_in", "direction": "inbound", "summary": "Came to the shop."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["data"]["type"], "contact_logged");
    assert_eq!(r.body["data"]["channel"], "walk_in");
}

async fn lists_sort_and_filter_by_effort(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let calm = email_case(&t, ann, "Question about opening hours").await;
    let hard = email_case(&t, ann, "Broken heating").await;
    for _ in 0..2 {
        call(&t, hard, "inbound").await;
    }
    let sorted = t.all("/api/v1/cases?sort=-effort_index").await;
    let ids: Vec<i64> = sorted.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [hard, calm]);
    // Two calls: a switch (10) and two chasers (16): 26, medium.
    assert_eq!(sorted[0]["effort_index"], 26);
    let medium = t.all("/api/v1/cases?effort_level=medium").await;
    assert_eq!(medium.len(), 1);
    assert_eq!(medium[0]["id"], hard);
    let r = t.get("/api/v1/cases?effort_level=extreme").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

/// A database upgraded to the effort projection has cases without it: the
/// migration queues the `effort_backfill` job, which folds their logs.
async fn cases_from_before_the_projection_get_it_from_their_log(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let hard = email_case(&t, ann, "Broken heating").await;
    call(&t, hard, "inbound").await;
    let calm = email_case(&t, ann, "Opening hours").await;
    let before = effort(&t, hard).await;
    assert_eq!(before["index"], 18);
    // As the migration leaves an older database: no projection, one job.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&t.database().url).await.unwrap();
    for sql in [
        "UPDATE cases SET effort = '{}', effort_index = 0, effort_level = 'low', \
         waiting_since = NULL, effort_folded = 0",
        "INSERT INTO jobs (kind, payload, state, run_at, attempts, max_attempts, created_at, updated_at) \
         VALUES ('effort_backfill', '{}', 'queued', 0, 0, 10, 0, 0)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let restored = crate::email::eventually("the back-fill job", || async {
        let row = t.get(&format!("/api/v1/cases/{hard}")).await.body;
        (row["effort_index"] == 18).then_some(row)
    })
    .await;
    assert!(restored["waiting_since"].is_string(), "{restored}");
    assert_eq!(effort(&t, hard).await["lines"], before["lines"]);
    assert_eq!(effort_of(&t, calm).await, 0);
}

/// Changed weights are noticed when a store opens (as `tend serve` does at
/// start, queueing the `effort_rescore` job) and every case is scored again
/// from its stored tally.
async fn new_weights_score_every_case_again(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let hard = email_case(&t, ann, "Broken heating").await;
    call(&t, hard, "inbound").await;
    assert_eq!(effort_of(&t, hard).await, 18, "a switch and a chaser");
    let stricter = tend_store::StoreOptions {
        effort: EffortWeights {
            chaser: 30,
            ..EffortWeights::default()
        },
        ..tend_store::StoreOptions::default()
    };
    let store = tend_store::Store::connect(&t.database().url, &stricter)
        .await
        .unwrap();
    assert!(!t.store.adopt_effort_weights().await.unwrap(), "unchanged");
    assert!(store.adopt_effort_weights().await.unwrap(), "changed");
    assert!(!store.adopt_effort_weights().await.unwrap(), "recorded");
    // The change queued `effort_rescore`; the running server's job runner
    // takes it (scoring by the server's own, default weights: no change).
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&t.database().url).await.unwrap();
    crate::email::eventually("the effort_rescore job to run", || async {
        let (left,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE kind = 'effort_rescore'")
                .fetch_one(&pool)
                .await
                .unwrap();
        (left == 0).then_some(())
    })
    .await;
    pool.close().await;
    assert_eq!(effort_of(&t, hard).await, 18);
    // Scored by the stricter weights, as a server started with them would.
    let mut after = 0;
    while let Some(last) = store.rescore_effort(after, 1).await.unwrap() {
        after = last;
    }
    store.close().await;
    let row = t.get(&format!("/api/v1/cases/{hard}")).await.body;
    assert_eq!(row["effort_index"], 40, "{row}");
    assert_eq!(row["effort_level"], "high");
}

/// The waiting clock runs from the oldest contact nobody has answered:
/// chasers leave it alone, in the API, the effort figures and the lists
/// alike; an answer ends it and the next contact starts a new one.
async fn chasers_never_restart_the_wait(b: Backend) {
    let t = TestServer::start(b).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let case = email_case(&t, cora, "No hot water").await;
    let opened = t.get(&format!("/api/v1/cases/{case}")).await.body;
    let since = opened["waiting_since"].clone();
    assert_eq!(since, opened["created_at"]);
    for _ in 0..2 {
        call(&t, case, "inbound").await;
        let now = t.get(&format!("/api/v1/cases/{case}")).await.body;
        assert_eq!(now["waiting_since"], since, "a chaser keeps the first wait");
        assert_eq!(effort(&t, case).await["waiting_since"], since);
    }
    let listed = t.get("/api/v1/cases?sort=waiting_since").await.body;
    assert_eq!(listed["data"][0]["waiting_since"], since);

    call(&t, case, "outbound").await;
    let answered = t.get(&format!("/api/v1/cases/{case}")).await.body;
    assert!(
        answered["waiting_since"].is_null(),
        "our call answers: {answered}"
    );
    call(&t, case, "inbound").await;
    let again = t.get(&format!("/api/v1/cases/{case}")).await.body;
    assert!(again["waiting_since"].is_string());
    assert_ne!(again["waiting_since"], since, "a new wait starts later");
}
