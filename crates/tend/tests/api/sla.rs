//! Business hours and SLA policies: calendars and policies checked and
//! kept, the first matching policy measuring a case in business hours, its
//! due time on the case for views, clocks pausing while the customer is
//! asked and resuming on their reply, and warning and breach jobs firing at
//! their moment (moved by the store's clock) with the policy's escalation.

use crate::both_backends;
use crate::email::{eventually, messages, send, server};
use crate::harness::{Backend, TestServer};
use crate::web::WebAgent;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tend_domain::calendar::{BusinessCalendar, WeeklyHours};

both_backends!(
    calendars_and_policies_are_checked_and_kept,
    the_first_matching_policy_sets_the_due_time_views_sort_by,
    due_times_count_business_hours_of_the_teams_calendar,
    clocks_pause_while_pending_and_resume_on_the_customer_reply,
    warnings_and_breaches_fire_at_their_moment_and_escalate,
    admin_pages_keep_policies_and_the_case_page_shows_the_clocks,
    the_acknowledgement_and_the_portal_promise_the_policys_first_response,
);

async fn policy(t: &TestServer, body: Value) -> i64 {
    let r = t.post("/api/v1/sla_policies", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.id()
}

/// The kinds of an agent's notifications, newest first.
async fn notification_kinds(t: &TestServer, token: &str) -> Vec<String> {
    let r = t
        .send(
            reqwest::Method::GET,
            "/api/v1/notifications",
            Some(token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// A list endpoint's items (not paged).
async fn listed(t: &TestServer, path: &str) -> Vec<Value> {
    let r = t.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

async fn case_json(t: &TestServer, case: i64) -> Value {
    t.get(&format!("/api/v1/cases/{case}")).await.body
}

fn time(v: &Value) -> Timestamp {
    v.as_str().unwrap().parse().unwrap()
}

async fn events_of(t: &TestServer, case: i64, kind: &str) -> Vec<Value> {
    t.all(&format!("/api/v1/cases/{case}/events"))
        .await
        .into_iter()
        .filter(|e| e["data"]["type"] == kind)
        .map(|e| e["data"].clone())
        .collect()
}

async fn calendars_and_policies_are_checked_and_kept(b: Backend) {
    let t = TestServer::start(b).await;
    for (body, field) in [
        (
            json!({"name": "X", "time_zone": "Mars/Olympus", "hours": "always"}),
            "time_zone",
        ),
        (
            json!({"name": "X", "time_zone": "UTC", "hours": "mon-fri 17:00-09:00"}),
            "hours",
        ),
        (
            json!({"name": " ", "time_zone": "UTC", "hours": "always"}),
            "name",
        ),
    ] {
        let r = t.post("/api/v1/calendars", body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["error"]["details"]["field"], field, "{}", r.body);
    }
    let r = t
        .post(
            "/api/v1/calendars",
            json!({"name": "Office", "time_zone": "Europe/Amsterdam",
                   "hours": "Mon-Fri 09:00-12:00 13:00-17:30", "holidays": ["2026-12-25", "2026-12-25"],
                   "is_default": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let office = r.id();
    assert_eq!(r.body["hours"], "mon-fri 09:00-12:00 13:00-17:30");
    assert_eq!(r.body["holidays"], json!(["2026-12-25"]));
    assert_eq!(r.body["is_default"], true);
    // Holidays from an iCalendar file join the ones entered.
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1@test\r\n\
               DTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:New Year\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let r = t
        .post(
            &format!("/api/v1/calendars/{office}/holidays"),
            json!({"ics": ics}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["holidays"], json!(["2026-12-25", "2027-01-01"]));
    let r = t
        .post(
            &format!("/api/v1/calendars/{office}/holidays"),
            json!({"ics": "not a calendar"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A second default takes the place of the first.
    let weekend = t
        .post(
            "/api/v1/calendars",
            json!({"name": "Weekend", "time_zone": "UTC", "hours": "sat,sun 10:00-14:00", "is_default": true}),
        )
        .await
        .id();
    assert_eq!(
        t.get(&format!("/api/v1/calendars/{office}")).await.body["is_default"],
        false
    );
    let team = t.post("/api/v1/teams", json!({"name": "Field"})).await.id();
    let r = t
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/teams/{team}/calendar"),
            Some(&t.admin),
            Some(json!({"calendar_id": weekend})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = t
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/calendars/{weekend}"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a calendar in use stays: {}",
        r.body
    );

    // Policies: targets within a year, one set per priority.
    for (body, field) in [
        (
            json!({"name": "P", "targets": [{"priority": "normal", "first_response": 0}]}),
            "targets.first_response",
        ),
        (
            json!({"name": "P", "targets": [{"priority": "normal"}, {"priority": "normal"}]}),
            "targets",
        ),
        (
            json!({"name": "P", "conditions": {"tags": ["no spaces allowed"]}}),
            "conditions.tags",
        ),
        (
            json!({"name": "P", "warn_before_minutes": 100000}),
            "warn_before_minutes",
        ),
    ] {
        let r = t.post("/api/v1/sla_policies", body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["error"]["details"]["field"], field, "{}", r.body);
    }
    let r = t
        .post("/api/v1/sla_policies", json!({"name": "P", "surprise": 1}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let gold = policy(&t, json!({"name": "Gold", "conditions": {"tags": ["VIP"]}})).await;
    let standard = policy(&t, json!({"name": "Standard"})).await;
    let r = t
        .post("/api/v1/sla_policies", json!({"name": "Gold"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let names = |list: Vec<Value>| -> Vec<String> {
        list.iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(listed(&t, "/api/v1/sla_policies").await),
        ["Gold", "Standard"]
    );
    let r = t
        .post(
            &format!("/api/v1/sla_policies/{standard}/position"),
            json!({"position": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        names(listed(&t, "/api/v1/sla_policies").await),
        ["Standard", "Gold"]
    );
    let kept = t.get(&format!("/api/v1/sla_policies/{gold}")).await.body;
    assert_eq!(kept["conditions"]["tags"], json!(["vip"]));
    assert_eq!(kept["pause_when_pending"], true);
    assert_eq!(kept["position"], 2);
}

async fn the_first_matching_policy_sets_the_due_time_views_sort_by(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    // Cases before any policy have no SLA.
    let before = t.case(ann, "Old", "From before the policies").await;
    assert_eq!(case_json(&t, before).await["sla"]["policy_id"], Value::Null);

    let gold = policy(
        &t,
        json!({"name": "Gold", "conditions": {"tags": ["vip"]},
               "targets": [{"priority": "normal", "first_response": 30, "resolution": 480}]}),
    )
    .await;
    let standard = policy(
        &t,
        json!({"name": "Standard", "targets": [{"priority": "normal", "first_response": 240}]}),
    )
    .await;
    let vip = t
        .post(
            "/api/v1/cases",
            json!({"subject": "VIP", "customer_id": ann, "message": "Help", "tags": ["vip"]}),
        )
        .await
        .body;
    assert_eq!(vip["sla"]["policy_id"], gold, "{vip}");
    assert_eq!(vip["sla"]["clock"], "first_response");
    let opened = time(&vip["created_at"]);
    assert_eq!(
        time(&vip["sla"]["due_at"]),
        opened + SignedDuration::from_mins(30)
    );
    let plain = t.case(ann, "Plain", "Help too").await;
    let plain_json = case_json(&t, plain).await;
    assert_eq!(plain_json["sla"]["policy_id"], standard);
    assert_eq!(
        time(&plain_json["sla"]["due_at"]),
        time(&plain_json["created_at"]) + SignedDuration::from_mins(240)
    );
    // The policy added later measured the older open case too.
    let old = eventually("the older case measured", || async {
        let c = case_json(&t, before).await;
        (c["sla"]["policy_id"] == standard).then_some(c)
    })
    .await;
    assert_eq!(old["sla"]["clock"], "first_response");

    // Due soonest first; cases without a clock last.
    let ids =
        |list: Vec<Value>| -> Vec<i64> { list.iter().map(|c| c["id"].as_i64().unwrap()).collect() };
    let sorted = ids(t.all("/api/v1/cases?sort=sla_due_at").await);
    assert_eq!(sorted[0], vip["id"].as_i64().unwrap());
    assert_eq!(
        ids(t.all("/api/v1/cases?sla=breached").await),
        Vec::<i64>::new()
    );
    assert_eq!(t.all("/api/v1/cases?sla=running").await.len(), 3);
    // An hour on by the store's clock, the VIP case is breached, due soonest
    // first; the others are not yet.
    t.store.clock().advance(SignedDuration::from_hours(1));
    assert_eq!(
        ids(t.all("/api/v1/cases?sla=breached").await),
        [vip["id"].as_i64().unwrap()]
    );
    let r = t.get("/api/v1/cases?sla=late").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The first answer meets the first response; the resolution runs on.
    let vip_id = vip["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/cases/{vip_id}/messages"),
            json!({"body": "On it."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let after = case_json(&t, vip_id).await;
    assert_eq!(after["sla"]["clock"], "resolution");
    assert_eq!(
        time(&after["sla"]["due_at"]),
        opened + SignedDuration::from_mins(480)
    );
    let sla = t.get(&format!("/api/v1/cases/{vip_id}/sla")).await.body;
    assert_eq!(sla["policy_name"], "Gold");
    assert_eq!(sla["clocks"][0]["state"], "met");
    assert_eq!(sla["clocks"][0]["late"], false);
    assert_eq!(sla["clocks"][2]["state"], "running");
    // Removing the tag moves the case to the next policy that matches.
    t.patch(
        &format!("/api/v1/cases/{vip_id}"),
        json!({"remove_tags": ["vip"]}),
    )
    .await;
    assert_eq!(case_json(&t, vip_id).await["sla"]["policy_id"], standard);
    // Resolved: no clock runs.
    t.patch(
        &format!("/api/v1/cases/{plain}"),
        json!({"status": "resolved"}),
    )
    .await;
    let resolved = case_json(&t, plain).await;
    assert_eq!(resolved["sla"]["due_at"], Value::Null);
    assert_eq!(
        t.get(&format!("/api/v1/cases/{before}/sla")).await.status,
        StatusCode::OK
    );
    let none = t.get("/api/v1/cases/999999/sla").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}

async fn due_times_count_business_hours_of_the_teams_calendar(b: Backend) {
    let t = TestServer::start(b).await;
    let hours = "mon-fri 09:00-12:00 13:00-17:00";
    let office = t
        .post(
            "/api/v1/calendars",
            json!({"name": "Office", "time_zone": "America/New_York", "hours": hours,
                   "holidays": ["2026-12-24", "2026-12-25"]}),
        )
        .await
        .id();
    let team = t.post("/api/v1/teams", json!({"name": "Field"})).await.id();
    t.send(
        reqwest::Method::PUT,
        &format!("/api/v1/teams/{team}/calendar"),
        Some(&t.admin),
        Some(json!({"calendar_id": office})),
    )
    .await;
    policy(
        &t,
        json!({"name": "Field", "conditions": {"team_ids": [team]},
               "targets": [{"priority": "normal", "first_response": 600}]}),
    )
    .await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t
        .post(
            "/api/v1/cases",
            json!({"subject": "Boiler", "customer_id": ann, "message": "Cold", "team_id": team}),
        )
        .await
        .body;
    // Ten business hours from whenever the test runs, as the calendar counts.
    let calendar = BusinessCalendar::new(
        jiff::tz::TimeZone::get("America/New_York").unwrap(),
        WeeklyHours::parse(hours).unwrap(),
        ["2026-12-24".parse().unwrap(), "2026-12-25".parse().unwrap()],
    );
    let expected = calendar
        .add_open_seconds(time(&case["created_at"]), 600 * 60)
        .unwrap();
    assert_eq!(time(&case["sla"]["due_at"]), expected, "{case}");
    assert!(
        expected.duration_since(time(&case["created_at"])) > SignedDuration::from_hours(10),
        "closed hours are not counted"
    );
}

const FIRST: &str = "From: Ann Lee <ann@example.org>\r\nTo: support@example.com\r\n\
Subject: Leaking tap\r\nMessage-ID: <tap-1@example.org>\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\n\r\nThe tap leaks.\r\n";
const REPLY: &str = "From: Ann Lee <ann@example.org>\r\nTo: support@example.com\r\n\
Subject: Re: Leaking tap\r\nMessage-ID: <tap-2@example.org>\r\nIn-Reply-To: <tap-1@example.org>\r\n\
References: <tap-1@example.org>\r\nDate: Sat, 05 Dec 2026 11:00:00 +0000\r\n\r\nThe photo you asked for.\r\n";

async fn clocks_pause_while_pending_and_resume_on_the_customer_reply(b: Backend) {
    let t = server(b).await;
    policy(
        &t,
        json!({"name": "Standard", "targets": [{"priority": "normal", "resolution": 480}]}),
    )
    .await;
    send(&t, "ann@example.org", "support@example.com", FIRST)
        .await
        .unwrap();
    let case = t.all("/api/v1/cases").await[0]["id"].as_i64().unwrap();
    let running = case_json(&t, case).await;
    assert_eq!(running["sla"]["clock"], "resolution");
    let due = time(&running["sla"]["due_at"]);

    // Asked for a photo: the clock waits on the customer.
    let r = t
        .patch(
            &format!("/api/v1/cases/{case}"),
            json!({"status": "pending_customer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["sla"]["clock"], "paused", "{}", r.body);
    assert_eq!(r.body["sla"]["due_at"], Value::Null);
    let sla = t.get(&format!("/api/v1/cases/{case}/sla")).await.body;
    assert_eq!(sla["clocks"][2]["state"], "paused");
    let left = sla["clocks"][2]["remaining_seconds"].as_i64().unwrap();
    assert!(left > 479 * 60 && left <= 480 * 60, "{sla}");
    assert_eq!(t.all("/api/v1/cases?sla=running").await.len(), 0);

    // The customer's reply reopens the case and the clock runs on, from
    // what was left: the due time moved by the pause.
    send(&t, "ann@example.org", "support@example.com", REPLY)
        .await
        .unwrap();
    let resumed = case_json(&t, case).await;
    assert_eq!(resumed["status"], "open");
    assert_eq!(resumed["sla"]["clock"], "resolution");
    assert!(time(&resumed["sla"]["due_at"]) >= due, "{resumed}");

    // A policy that does not pause keeps the clock running while pending.
    let id = listed(&t, "/api/v1/sla_policies").await[0]["id"]
        .as_i64()
        .unwrap();
    let r = t
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/sla_policies/{id}"),
            Some(&t.admin),
            Some(json!({"name": "Standard", "pause_when_pending": false,
                        "targets": [{"priority": "normal", "resolution": 480}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t
        .patch(
            &format!("/api/v1/cases/{case}"),
            json!({"status": "pending_customer"}),
        )
        .await;
    assert_eq!(r.body["sla"]["clock"], "resolution", "{}", r.body);
}

async fn warnings_and_breaches_fire_at_their_moment_and_escalate(b: Backend) {
    let t = TestServer::start(b).await;
    let escalations = t
        .post("/api/v1/teams", json!({"name": "Escalations"}))
        .await
        .id();
    policy(
        &t,
        json!({"name": "Standard", "warn_before_minutes": 15,
               "targets": [{"priority": "normal", "first_response": 60}],
               "escalation": {"notify": true, "raise_priority": true, "team_id": escalations}}),
    )
    .await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "No water", "Since this morning").await;
    let bea = t
        .agent_token("bea@example.com", tend_domain::agent::Role::Agent)
        .await;
    let bea_id = t
        .send(reqwest::Method::GET, "/api/v1/me", Some(&bea), None)
        .await
        .body["id"]
        .clone();
    t.patch(
        &format!("/api/v1/cases/{case}"),
        json!({"assignee_id": bea_id}),
    )
    .await;
    let due = time(&case_json(&t, case).await["sla"]["due_at"]);

    // 44 minutes on: too early to warn (the runner polls twice a second).
    t.store.clock().advance(SignedDuration::from_mins(44));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(events_of(&t, case, "sla_warned").await.is_empty());

    // Past the warning time: one warning naming the clock and due time.
    t.store.clock().advance(SignedDuration::from_mins(2));
    let warned = eventually("the warning", || async {
        let found = events_of(&t, case, "sla_warned").await;
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(warned[0]["clock"], "first_response");
    assert_eq!(
        notification_kinds(&t, &bea).await,
        ["sla_warning", "assigned"],
        "the assignee is warned"
    );
    assert_eq!(time(&warned[0]["due_at"]), due);
    assert!(events_of(&t, case, "sla_breached").await.is_empty());

    // Past the due time: the breach, then the escalation.
    t.store.clock().advance(SignedDuration::from_mins(15));
    let breached = eventually("the breach", || async {
        let found = events_of(&t, case, "sla_breached").await;
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(time(&breached[0]["due_at"]), due);
    let escalated = eventually("the escalation", || async {
        let c = case_json(&t, case).await;
        (c["team_id"] == escalations).then_some(c)
    })
    .await;
    assert_eq!(escalated["priority"], "high", "raised one step");
    assert_eq!(
        notification_kinds(&t, &bea).await,
        ["notice", "sla_warning", "assigned"],
        "and told of the breach"
    );
    let handed = events_of(&t, case, "handed_off").await;
    assert_eq!(handed.len(), 1);
    // High has no target in this policy: nothing runs at that priority,
    // and nothing more is recorded however long it waits.
    t.store.clock().advance(SignedDuration::from_hours(5));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(events_of(&t, case, "sla_breached").await.len(), 1);
    assert_eq!(events_of(&t, case, "sla_warned").await.len(), 1);
}

async fn admin_pages_keep_policies_and_the_case_page_shows_the_clocks(b: Backend) {
    let t = TestServer::start(b).await;
    t.agent_with_password(
        "root@example.com",
        "Rita Root",
        tend_domain::agent::Role::Admin,
        crate::web::PASSWORD,
    )
    .await;
    let mut web = WebAgent::signed_in(&t, "root@example.com").await;
    let csrf = web.get("/admin/calendars").await.csrf();
    let page = web
        .post(
            "/admin/calendars",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Office"),
                ("time_zone", "Europe/Paris"),
                ("hours", "mon-fri 08:00-18:00"),
                ("holidays", "2026-12-25\n2027-01-01"),
                ("is_default", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let calendars = web.get("/admin/calendars").await;
    assert!(
        calendars.html.contains("Office") && calendars.html.contains("(default)"),
        "{}",
        calendars.html
    );
    let bad = web
        .post(
            "/admin/calendars",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Bad"),
                ("time_zone", "Nowhere/Town"),
                ("hours", "always"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.html.contains("time_zone") && bad.html.contains("Nowhere/Town"),
        "{}",
        bad.html
    );

    let page = web
        .post(
            "/admin/sla",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Standard"),
                ("enabled", "on"),
                ("pause_when_pending", "on"),
                ("first_response.normal", "1h 30m"),
                ("resolution.normal", "2h"),
                ("warn_before", "15m"),
                ("channels", "api"),
                ("channels", "email"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let stored = &listed(&t, "/api/v1/sla_policies").await[0];
    assert_eq!(
        stored["targets"],
        json!([{"priority": "normal", "first_response": 90, "next_response": null, "resolution": 120}])
    );
    assert_eq!(stored["conditions"]["channels"], json!(["api", "email"]));
    assert_eq!(stored["warn_before_minutes"], 15);
    assert_eq!(stored["pause_when_on_hold"], false);
    let bad = web
        .post(
            "/admin/sla",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Bad"),
                ("first_response.low", "soon"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.html.contains("first_response.low") && bad.html.contains("soon"),
        "{}",
        bad.html
    );

    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "Printer", "It jams").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(
        page.html.contains("Policy: <a href=\"/admin/sla/"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("data-sla-due="),
        "the badge counts down from its due time"
    );
    let due = web.get("/views/due").await;
    assert!(
        due.html.contains(&format!("/cases/{case}\"")),
        "{}",
        due.html
    );
    assert!(due.html.contains("class=\"sla sla-"), "{}", due.html);
    let breached = web.get("/views/breached").await;
    assert!(
        breached.html.contains("No SLA is breached"),
        "{}",
        breached.html
    );
}

async fn the_acknowledgement_and_the_portal_promise_the_policys_first_response(b: Backend) {
    let t = TestServer::start_with(
        b,
        crate::harness::Options {
            smtp: true,
            ..crate::harness::Options::default()
        },
    )
    .await;
    let r = t
        .post(
            "/api/v1/inboxes",
            json!({"address": "support@example.com", "auto_acknowledge": true, "first_reply_hours": 8}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    policy(
        &t,
        json!({"name": "Standard", "targets": [{"priority": "normal", "first_response": 120}]}),
    )
    .await;
    send(&t, "ann@example.org", "support@example.com", FIRST)
        .await
        .unwrap();
    let case = t.all("/api/v1/cases").await[0]["id"].as_i64().unwrap();
    let due = time(&case_json(&t, case).await["sla"]["due_at"]);
    let msgs = eventually("the acknowledgement", || async {
        let msgs = messages(&t, case).await;
        (msgs.len() == 2).then_some(msgs)
    })
    .await;
    let text = msgs[1]["body_text"].as_str().unwrap();
    let promised = format!("We will reply by {}.", due.strftime("%A %-d %B, %H:%M UTC"));
    assert!(text.contains(&promised), "{promised} in {text}");
    assert!(
        !text.contains("8 hours"),
        "the policy, not the inbox's hours: {text}"
    );
}

/// The text of the element `css` selects.
async fn text_of(b: &crate::browser::Browser, css: &str) -> String {
    b.wait_for(css).await.text().await.unwrap()
}

/// Waits (up to 15 s of real time) until the badge `css` selects reads
/// otherwise than `first`; answers what it reads then.
async fn changed_from(b: &crate::browser::Browser, css: &str, first: &str) -> String {
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let now = text_of(b, css).await;
        if now != first {
            return now;
        }
    }
    panic!("the badge {css} still reads {first:?} after 15 s");
}

/// Whether a badge reads "due in M min S s" with at most 3 minutes left
/// (a page loaded within the second the case opened still reads 3 min 0 s).
fn minutes_and_seconds(badge: &str) -> bool {
    badge
        .strip_prefix("due in ")
        .and_then(|rest| rest.strip_suffix(" s"))
        .and_then(|rest| rest.split_once(" min "))
        .is_some_and(|(m, s)| {
            matches!(m, "2" | "3")
                && s.parse::<u8>().is_ok_and(|s| s < 60)
                && (m != "3" || s == "0")
        })
}

/// In Chromium, a badge 3 minutes from its due time shows minutes and
/// seconds and counts down in real time, in a list and on the case page;
/// moved past the due time by the store's clock, the reloaded pages say
/// breached, and the breach notifies the assignee: the bell lists it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sla_badge_counts_down_in_chromium() {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let t = TestServer::start(Backend::Sqlite).await;
    let email = "rita@example.com";
    t.agent_with_password(
        email,
        "Rita Root",
        tend_domain::agent::Role::Admin,
        crate::web::PASSWORD,
    )
    .await;
    let rita = t
        .store
        .agent_id_by_email(&tend_domain::email::EmailAddress::parse("email", email).unwrap())
        .await
        .unwrap()
        .unwrap();
    policy(
        &t,
        json!({"name": "Standard",
               "targets": [{"priority": "high", "first_response": 60},
                           {"priority": "normal", "first_response": 3},
                           {"priority": "low", "first_response": 480}],
               "escalation": {"notify": true}}),
    )
    .await;
    let open = |subject: &'static str, priority: &'static str, customer: i64| {
        let t = &t;
        async move {
            let r = t
                .post(
                    "/api/v1/cases",
                    json!({"subject": subject, "customer_id": customer, "priority": priority,
                           "assignee_id": rita.0, "message": "Please help."}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.id()
        }
    };
    let ann = t.customer("Ann Archer", "ann@example.com").await;
    let ben = t.customer("Ben Baker", "ben@example.com").await;
    let cora = t.customer("Cora Diaz", "cora@example.com").await;
    let case = open("Printer jams on every page", "normal", ben).await;
    open("Checkout is down for all customers", "high", cora).await;
    open("How do I export my data?", "low", ann).await;
    let due = time(&case_json(&t, case).await["sla"]["due_at"]);
    let left = due.duration_since(t.store.clock().now()).as_secs();
    assert!(
        (170..=180).contains(&left),
        "due 3 minutes after it opened: {left} s"
    );

    let b = &browser;
    b.sign_in(&t, email).await;
    b.client
        .goto(&format!("{}/views/due", t.base))
        .await
        .unwrap();
    // The badge in the case's row.
    let row_badge = format!("//tr[.//a[@href='/cases/{case}']]//span[@data-sla-due]");
    let read_row = || async {
        b.client
            .wait()
            .at_most(std::time::Duration::from_secs(10))
            .for_element(fantoccini::Locator::XPath(&row_badge))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let first = read_row().await;
    assert!(minutes_and_seconds(&first), "minutes and seconds: {first}");
    let mut later = first.clone();
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        later = read_row().await;
        if later != first {
            break;
        }
    }
    assert_ne!(later, first, "the list's badge counts down");
    assert!(later.starts_with("due in "), "{later}");

    b.client
        .goto(&format!("{}/cases/{case}", t.base))
        .await
        .unwrap();
    let panel = ".sla-panel [data-sla-due]";
    let first = text_of(b, panel).await;
    assert!(minutes_and_seconds(&first), "minutes and seconds: {first}");
    let later = changed_from(b, panel, &first).await;
    assert!(later.starts_with("due in "), "{later}");
    b.screenshot("sla-panel.png").await;

    // Past the due time by the store's clock: the page drawn again says
    // breached, and the script counts on from the server's time, not
    // back to "due in" by the browser's.
    t.store.clock().advance(SignedDuration::from_mins(4));
    b.client.refresh().await.unwrap();
    b.wait_for(".sla-panel").await;
    let breached = text_of(b, panel).await;
    assert!(breached.starts_with("breached 1 min "), "{breached}");
    let class = b.wait_for(panel).await.attr("class").await.unwrap();
    assert!(class.unwrap().contains("sla-breached"));
    let later = changed_from(b, panel, &breached).await;
    assert!(later.starts_with("breached "), "still breached: {later}");

    // The breach's timer notifies Rita, the assignee; the list shows it
    // breached above the cases still due.
    eventually("the breach", || async {
        (!events_of(&t, case, "sla_breached").await.is_empty()).then_some(())
    })
    .await;
    b.client
        .goto(&format!("{}/views/due", t.base))
        .await
        .unwrap();
    let now_reads = read_row().await;
    assert!(now_reads.starts_with("breached "), "{now_reads}");
    b.wait_for_text("sla-soon", "due in 5").await;
    b.screenshot("sla-view.png").await;
    b.click("#bell").await;
    b.wait_for_text("notification-panel", "first response target passed unmet")
        .await;
    b.screenshot("sla-notification.png").await;
}
