//! Automation rules: checked and kept in order; acting inside the write
//! that triggers them, as themselves; chaining without looping; a failing
//! rule leaving the case unchanged with its error shown; waiting rules
//! acting at their moment (moved by the store's clock) unless a newer
//! event superseded them; canned replies by email; dry runs; the admin page.

use crate::both_backends;
use crate::email::{eventually, messages, send};
use crate::harness::{Backend, TestServer};
use crate::web::WebAgent;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    rules_are_checked_ordered_and_kept,
    a_matching_rule_acts_on_a_new_case_as_itself,
    rules_chain_but_never_loop,
    a_failing_rule_leaves_the_case_unchanged_and_shows_its_error,
    a_waiting_rule_acts_at_its_moment_unless_superseded,
    a_broken_promise_sets_off_its_rule,
    a_canned_reply_goes_out_by_email_as_the_rule,
    a_dry_run_lists_the_cases_a_rule_would_have_matched,
    the_admin_page_creates_dry_runs_and_disables_rules,
    hostile_rule_definitions_get_clear_errors_and_store_nothing,
);

async fn rule(t: &TestServer, body: Value) -> i64 {
    let r = t.post("/api/v1/rules", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.id()
}

/// An admin signed in to the web UI.
async fn admin(t: &TestServer) -> WebAgent {
    t.agent_with_password(
        "root@example.com",
        "Rita Root",
        tend_domain::agent::Role::Admin,
        crate::web::PASSWORD,
    )
    .await;
    WebAgent::signed_in(t, "root@example.com").await
}

/// A form's fields as the web client takes them.
fn as_refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

async fn case_json(t: &TestServer, case: i64) -> Value {
    t.get(&format!("/api/v1/cases/{case}")).await.body
}

/// The events of `case` an actor of `kind` caused, as (type, actor id).
async fn events_by(t: &TestServer, case: i64, kind: &str) -> Vec<(String, Value)> {
    t.all(&format!("/api/v1/cases/{case}/events"))
        .await
        .into_iter()
        .filter(|e| e["actor"]["kind"] == kind)
        .map(|e| {
            (
                e["data"]["type"].as_str().unwrap().to_owned(),
                e["actor"]["id"].clone(),
            )
        })
        .collect()
}

async fn rules_are_checked_ordered_and_kept(b: Backend) {
    let t = TestServer::start(b).await;
    for (body, field) in [
        (
            json!({"name": "", "when": {"on": "case_created"}, "then": [{"do": "set_priority", "priority": "high"}]}),
            "name",
        ),
        (
            json!({"name": "x", "when": {"on": "case_created"}, "then": []}),
            "then",
        ),
        (
            json!({"name": "x", "when": {"on": "case_created"},
                   "then": [{"do": "note", "text": "bad\u{0}"}]}),
            "actions[0].text",
        ),
        (
            json!({"name": "x", "when": {"on": "case_created", "after_hours": 100000},
                   "then": [{"do": "set_priority", "priority": "high"}]}),
            "when.after_hours",
        ),
    ] {
        let r = t.post("/api/v1/rules", body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["error"]["details"]["field"], field, "{}", r.body);
    }
    let r = t
        .post(
            "/api/v1/rules",
            json!({"name": "x", "when": {"on": "tuesday"}, "then": []}),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.body);
    let first = rule(
        &t,
        json!({"name": " First ", "when": {"on": "case_created"},
               "then": [{"do": "add_tags", "tags": ["One"]}]}),
    )
    .await;
    let second = rule(
        &t,
        json!({"name": "Second", "when": {"on": "status_changed", "status": "pending_customer", "after_hours": 48},
               "if": {"without_tags": ["keep"]}, "then": [{"do": "set_status", "status": "resolved"}]}),
    )
    .await;
    let r = t
        .post(
            "/api/v1/rules",
            json!({"name": "Second", "when": {"on": "case_created"},
                   "then": [{"do": "add_tags", "tags": ["x"]}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let names = |list: Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(t.get("/api/v1/rules").await.body),
        ["First", "Second"]
    );
    let r = t
        .post(
            &format!("/api/v1/rules/{second}/position"),
            json!({"position": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["position"], 1);
    assert_eq!(
        names(t.get("/api/v1/rules").await.body),
        ["Second", "First"]
    );
    let got = t.get(&format!("/api/v1/rules/{first}")).await.body;
    assert_eq!(got["then"], json!([{"do": "add_tags", "tags": ["one"]}]));
    assert_eq!(got["fired"], 0);
    let r = t
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/rules/{first}"),
            Some(&t.admin),
            Some(
                json!({"name": "First", "enabled": false, "when": {"on": "case_created"},
                        "then": [{"do": "add_tags", "tags": ["two"]}]}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["enabled"], false);
    let r = t
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/rules/{first}"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get(&format!("/api/v1/rules/{first}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(names(t.get("/api/v1/rules").await.body), ["Second"]);
}

async fn a_matching_rule_acts_on_a_new_case_as_itself(b: Backend) {
    let t = TestServer::start(b).await;
    let billing = t
        .post("/api/v1/teams", json!({"name": "Billing"}))
        .await
        .id();
    let refunds = rule(
        &t,
        json!({"name": "Refunds to billing", "when": {"on": "case_created"},
               "if": {"subject_contains": "REFUND", "statuses": ["new"]},
               "then": [{"do": "set_team", "team_id": billing},
                        {"do": "add_tags", "tags": ["refund"]},
                        {"do": "set_priority", "priority": "high"},
                        {"do": "note", "text": "Refunds go to billing."},
                        {"do": "promise", "text": "Refund decision", "due_in_hours": 24,
                         "visible_to_customer": true}]}),
    )
    .await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "Refund for order 12", "Please").await;
    let c = case_json(&t, case).await;
    assert_eq!(c["team_id"], billing, "{c}");
    assert_eq!(c["tags"], json!(["refund"]));
    assert_eq!(c["priority"], "high");
    let by_rule = events_by(&t, case, "rule").await;
    let kinds: Vec<&str> = by_rule.iter().map(|(k, _)| k.as_str()).collect();
    for kind in [
        "rule_applied",
        "handed_off",
        "tags_changed",
        "priority_changed",
        "note_added",
        "promise_made",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert!(by_rule.iter().all(|(_, id)| *id == refunds), "{by_rule:?}");
    let note = messages(&t, case).await;
    assert!(
        note.iter()
            .any(|m| m["internal"] == true && m["author"]["kind"] == "rule"),
        "{note:?}"
    );
    let promises = t.get(&format!("/api/v1/cases/{case}/promises")).await.body;
    assert_eq!(promises[0]["promise"], "Refund decision", "{promises}");
    assert_eq!(promises[0]["state"], "open");
    assert_eq!(
        promises[0]["kept_by"], "reply",
        "a rule's promise is kept by a reply"
    );
    assert_eq!(promises[0]["visible_to_customer"], true);
    // A case the conditions do not match is left alone.
    let other = t.case(ann, "Where is my parcel", "Still waiting").await;
    assert!(events_by(&t, other, "rule").await.is_empty());
    let stats = t.get(&format!("/api/v1/rules/{refunds}")).await.body;
    assert_eq!(stats["fired"], 1, "{stats}");
    assert_eq!(stats["failures"], 0);
}

async fn rules_chain_but_never_loop(b: Backend) {
    let t = TestServer::start(b).await;
    let bea = t
        .agent_token("bea@example.com", tend_domain::agent::Role::Agent)
        .await;
    let bea_id = t
        .send(reqwest::Method::GET, "/api/v1/me", Some(&bea), None)
        .await
        .body["id"]
        .clone();
    // One rule assigns; another reacts to the assignment (a chain).
    rule(
        &t,
        json!({"name": "Assign to Bea", "when": {"on": "case_created"},
               "then": [{"do": "assign", "agent_id": bea_id}]}),
    )
    .await;
    rule(
        &t,
        json!({"name": "Mark assigned", "when": {"on": "assigned"},
               "then": [{"do": "add_tags", "tags": ["routed"]}]}),
    )
    .await;
    // Two rules that undo each other (a loop) stop on their own.
    rule(
        &t,
        json!({"name": "Open to pending", "when": {"on": "status_changed", "status": "open"},
               "then": [{"do": "set_status", "status": "pending_customer"}]}),
    )
    .await;
    rule(
        &t,
        json!({"name": "Pending to open", "when": {"on": "status_changed", "status": "pending_customer"},
               "then": [{"do": "set_status", "status": "open"}]}),
    )
    .await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "Heating", "Cold").await;
    let c = case_json(&t, case).await;
    assert_eq!(c["assignee_id"], bea_id);
    assert_eq!(c["tags"], json!(["routed"]));
    let r = t
        .patch(&format!("/api/v1/cases/{case}"), json!({"status": "open"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let status_changes = events_by(&t, case, "rule")
        .await
        .into_iter()
        .filter(|(k, _)| k == "status_changed")
        .count();
    assert!(
        (1..=2 * 3).contains(&status_changes),
        "bounded by the rounds: {status_changes}"
    );
    // The case is still usable and consistent with its log.
    let c = case_json(&t, case).await;
    assert!(["open", "pending_customer"].contains(&c["status"].as_str().unwrap()));
}

async fn a_failing_rule_leaves_the_case_unchanged_and_shows_its_error(b: Backend) {
    let t = TestServer::start(b).await;
    let gone = t
        .agent_token("gone@example.com", tend_domain::agent::Role::Agent)
        .await;
    let gone_id = t
        .send(reqwest::Method::GET, "/api/v1/me", Some(&gone), None)
        .await
        .body["id"]
        .clone();
    let r = t
        .patch(
            &format!("/api/v1/agents/{gone_id}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let failing = rule(
        &t,
        json!({"name": "Assign to a leaver", "when": {"on": "case_created"},
               "then": [{"do": "add_tags", "tags": ["half"]}, {"do": "assign", "agent_id": gone_id}]}),
    )
    .await;
    let working = rule(
        &t,
        json!({"name": "Tag everything", "when": {"on": "case_created"},
               "then": [{"do": "add_tags", "tags": ["seen"]}]}),
    )
    .await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "Boiler", "Broken").await;
    let c = case_json(&t, case).await;
    assert_eq!(c["tags"], json!(["seen"]), "none of the failing rule: {c}");
    assert_eq!(c["assignee_id"], Value::Null);
    let by_rule = events_by(&t, case, "rule").await;
    assert!(by_rule.iter().all(|(_, id)| *id == working), "{by_rule:?}");
    let stats = t.get(&format!("/api/v1/rules/{failing}")).await.body;
    assert_eq!(stats["failures"], 1, "{stats}");
    assert_eq!(stats["last_error_case_id"], case);
    assert!(
        stats["last_error"]
            .as_str()
            .unwrap()
            .contains("deactivated"),
        "{stats}"
    );
    let mut web = admin(&t).await;
    let page = web.get("/admin/rules").await;
    assert!(page.html.contains("deactivated"), "{}", page.html);
}

async fn a_waiting_rule_acts_at_its_moment_unless_superseded(b: Backend) {
    let t = TestServer::start(b).await;
    let waiting = rule(
        &t,
        json!({"name": "Chase quiet cases", "when": {"on": "status_changed", "status": "pending_customer", "after_hours": 48},
               "if": {"statuses": ["pending_customer"]},
               "then": [{"do": "note", "text": "Still waiting on the customer: chase them."}]}),
    )
    .await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let quiet = t.case(ann, "Quiet", "Hello").await;
    let again = t.case(ann, "Pending twice", "Hello").await;
    let moved_on = t.case(ann, "Moved on", "Hello").await;
    for case in [quiet, again, moved_on] {
        t.patch(
            &format!("/api/v1/cases/{case}"),
            json!({"status": "pending_customer"}),
        )
        .await;
    }
    // One case goes pending again (its first timer is superseded by the
    // newer one), another moves on (the conditions no longer hold).
    for (case, status) in [
        (again, "open"),
        (again, "pending_customer"),
        (moved_on, "open"),
    ] {
        let r = t
            .patch(&format!("/api/v1/cases/{case}"), json!({"status": status}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let notes = |case: i64| {
        let t = &t;
        async move {
            events_by(t, case, "rule")
                .await
                .into_iter()
                .filter(|(kind, id)| kind == "note_added" && *id == waiting)
                .count()
        }
    };
    t.store.clock().advance(SignedDuration::from_hours(47));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(notes(quiet).await, 0, "too early");

    t.store.clock().advance(SignedDuration::from_hours(2));
    eventually("the quiet case chased", || async {
        (notes(quiet).await == 1).then_some(())
    })
    .await;
    eventually("the case pending twice chased", || async {
        (notes(again).await == 1).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        notes(again).await,
        1,
        "once: its first timer was superseded"
    );
    assert_eq!(notes(moved_on).await, 0, "no longer pending");
    assert_eq!(notes(quiet).await, 1);
    let stats = t.get(&format!("/api/v1/rules/{waiting}")).await.body;
    assert_eq!(stats["fired"], 2, "{stats}");
}

async fn a_broken_promise_sets_off_its_rule(b: Backend) {
    let t = TestServer::start(b).await;
    let escalate = rule(
        &t,
        json!({"name": "Broken promises are urgent", "when": {"on": "promise_broken"},
               "then": [{"do": "set_priority", "priority": "urgent"},
                        {"do": "add_tags", "tags": ["promise-broken"]}]}),
    )
    .await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "Refund", "Where is it").await;
    let due = (t.store.clock().now() + SignedDuration::from_hours(1)).to_string();
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/promises"),
            json!({"promise": "Refund by noon", "due_at": due}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    t.store.clock().advance(SignedDuration::from_hours(2));
    let escalated = eventually("the rule on the broken promise", || async {
        let c = case_json(&t, case).await;
        (c["priority"] == "urgent").then_some(c)
    })
    .await;
    assert_eq!(escalated["tags"], json!(["promise-broken"]));
    let by_rule = events_by(&t, case, "rule").await;
    assert!(by_rule.iter().all(|(_, id)| *id == escalate), "{by_rule:?}");
}

async fn a_canned_reply_goes_out_by_email_as_the_rule(b: Backend) {
    let t = TestServer::start_with(
        b,
        crate::harness::Options {
            smtp: true,
            ..crate::harness::Options::default()
        },
    )
    .await;
    let r = t
        .post("/api/v1/inboxes", json!({"address": "support@example.com"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let reply = t
        .post(
            "/api/v1/canned_replies",
            json!({"title": "Outage", "body": "Hello {{customer.first_name}}, we know about the outage on {{case.reference}}."}),
        )
        .await
        .id();
    let outage = rule(
        &t,
        json!({"name": "Outage reply", "when": {"on": "customer_message"},
               "if": {"text_contains": "no internet"},
               "then": [{"do": "canned_reply", "canned_reply_id": reply}]}),
    )
    .await;
    send(
        &t,
        "ann@example.org",
        "support@example.com",
        "From: Ann Smith <ann@example.org>\r\nTo: support@example.com\r\nSubject: Down\r\n\
         Message-ID: <down-1@example.org>\r\n\r\nWe have no internet since noon.\r\n",
    )
    .await
    .unwrap();
    let case = t.all("/api/v1/cases").await[0]["id"].as_i64().unwrap();
    let sent = eventually("the rule's reply", || async {
        messages(&t, case)
            .await
            .into_iter()
            .find(|m| m["author"]["kind"] == "rule")
    })
    .await;
    assert_eq!(sent["author"]["id"], outage);
    assert_eq!(sent["internal"], false);
    let text = sent["body_text"].as_str().unwrap();
    assert!(
        text.contains(&format!("Hello Ann, we know about the outage on #{case}")),
        "{text}"
    );
    assert!(sent["email"].is_object(), "sent as email: {sent}");
}

async fn a_dry_run_lists_the_cases_a_rule_would_have_matched(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let refund = t.case(ann, "Refund please", "Order 12").await;
    let late = t.case(ann, "Late refund", "Order 13").await;
    let other = t.case(ann, "Parcel", "Where").await;
    let body = json!({"name": "Refunds", "when": {"on": "case_created"},
                      "if": {"subject_contains": "refund"},
                      "then": [{"do": "add_tags", "tags": ["refund"]}]});
    let r = t.post("/api/v1/rules/dry_run", body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let matched: Vec<i64> = r.body["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["case_id"].as_i64().unwrap())
        .collect();
    assert_eq!(matched, [late, refund], "latest first");
    assert_eq!(r.body["events_checked"], 3);
    assert_eq!(r.body["truncated"], false);
    assert_eq!(r.body["matches"][0]["subject"], "Late refund");
    // Nothing was changed, and no rule was saved.
    for case in [refund, late, other] {
        assert_eq!(case_json(&t, case).await["tags"], json!([]));
    }
    assert_eq!(t.get("/api/v1/rules").await.body, json!([]));
    // A week later the cases are out of the window.
    t.store.clock().advance(SignedDuration::from_hours(24 * 8));
    let r = t.post("/api/v1/rules/dry_run", body).await;
    assert_eq!(r.body["matches"], json!([]), "{}", r.body);
}

async fn the_admin_page_creates_dry_runs_and_disables_rules(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let earlier = t.case(ann, "Refund please", "Order 12").await;
    let mut web = admin(&t).await;
    let page = web.get("/admin/rules").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("No rules yet"), "{}", page.html);
    let csrf = page.csrf();
    let form = |csrf: &str, actions: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("name".to_owned(), "Refunds".to_owned()),
            ("enabled".to_owned(), "on".to_owned()),
            ("on".to_owned(), "case_created".to_owned()),
            (
                "conditions".to_owned(),
                r#"{"subject_contains": "refund"}"#.to_owned(),
            ),
            ("actions".to_owned(), actions.to_owned()),
        ]
    };
    let good = r#"[{"do": "add_tags", "tags": ["refund"]}]"#;
    // The dry run shows the earlier case and saves nothing.
    let run = web
        .post("/admin/rules/dry_run", &as_refs(&form(&csrf, good)))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.html);
    assert!(
        run.html.contains(&format!("#{earlier} Refund please")),
        "{}",
        run.html
    );
    assert_eq!(t.get("/api/v1/rules").await.body, json!([]));
    // Bad JSON comes back with the input and a message naming the field.
    let bad = web
        .post("/admin/rules", &as_refs(&form(&csrf, "[{\"do\": ")))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("actions: not valid JSON"), "{}", bad.html);
    let saved = web.post("/admin/rules", &as_refs(&form(&csrf, good))).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let rules = t.get("/api/v1/rules").await.body;
    let id = rules[0]["id"].as_i64().unwrap();
    let case = t.case(ann, "Another refund", "Order 14").await;
    assert_eq!(case_json(&t, case).await["tags"], json!(["refund"]));
    // Disabled, it leaves new cases alone.
    let off = web
        .post(
            &format!("/admin/rules/{id}/enabled"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    assert_eq!(
        t.get(&format!("/api/v1/rules/{id}")).await.body["enabled"],
        false
    );
    let case = t.case(ann, "Third refund", "Order 15").await;
    assert_eq!(case_json(&t, case).await["tags"], json!([]));
    let page = web.get("/admin/rules").await;
    assert!(page.html.contains("(disabled)"), "{}", page.html);
}

async fn hostile_rule_definitions_get_clear_errors_and_store_nothing(b: Backend) {
    let t = TestServer::start(b).await;
    let deep = format!(
        "{{\"name\": \"x\", \"when\": {{\"on\": \"case_created\"}}, \"if\": {{\"case\": {}}}, \"then\": []}}",
        "[".repeat(200_000) + &"]".repeat(200_000)
    );
    let many: Vec<i64> = (0..100_000).collect();
    let flood = json!({"name": "x", "when": {"on": "case_created"},
                       "if": {"customer_ids": many},
                       "then": [{"do": "add_tags", "tags": ["a"]}]})
    .to_string();
    let control = json!({"name": "a\u{1b}[31mb", "when": {"on": "case_created"},
                         "then": [{"do": "add_tags", "tags": ["a"]}]})
    .to_string();
    for (what, body) in [("deep", deep), ("many", flood), ("control", control)] {
        for path in ["/api/v1/rules", "/api/v1/rules/dry_run"] {
            let r = t
                .http
                .post(format!("{}{path}", t.base))
                .bearer_auth(&t.admin)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = r.status();
            let text = r.text().await.unwrap();
            assert!(status.is_client_error(), "{what} {path}: {status} {text}");
        }
    }
    assert_eq!(t.get("/api/v1/rules").await.body, json!([]));
}
