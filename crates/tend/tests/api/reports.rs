//! The reports on a fixed dataset built through the API, with every figure
//! computed by hand from the default effort weights (docs/effort.md):
//!
//! | case | made how                                             | index |
//! |------|------------------------------------------------------|-------|
//! | C1   | Ann, email, Billing, tag billing, Gold; answered, resolved | 0 |
//! | C2   | Bob, phone, Billing, tag billing; verified, then identity asked again (+10), information repeated (+8), answered, resolved then reopened (+10) | 28 medium |
//! | C3   | Cat, email, Billing → Field (+10 transfer), tag plumbing; asked to call a third party (+15) and go somewhere (+12), email → phone (+10); never answered | 47 high |
//! | C4   | Dan, portal, Field; answered | 0 |
//! | C5   | Ann, email, "Invoice for March again": repeat of C1 (+15) | 15 medium |
//!
//! Survey events are written to the log as the survey module stores them
//! (the survey tests cover how they get there).

use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, WebAgent};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tend_domain::agent::Role;

crate::both_backends!(
    report_figures_equal_the_hand_computed_ones,
    the_summary_follows_changes_and_agrees_with_the_cases,
    a_refresh_cut_short_is_finished_by_the_next,
    only_admins_and_leads_read_reports,
    bad_periods_and_filters_are_refused,
);

/// The dataset's case ids, in the order of the table above.
struct Dataset {
    cases: [i64; 5],
    billing: i64,
    field: i64,
}

async fn dataset(t: &TestServer) -> Dataset {
    let billing = t
        .post("/api/v1/teams", json!({"name": "Billing"}))
        .await
        .id();
    let field = t.post("/api/v1/teams", json!({"name": "Field"})).await.id();
    let ann = t.customer("Ann", "ann@example.com").await;
    let bob = t.customer("Bob", "bob@example.com").await;
    let cat = t.customer("Cat", "cat@example.com").await;
    let dan = t.customer("Dan", "dan@example.com").await;
    let gold = t
        .post(
            "/api/v1/agreements",
            json!({"name": "Gold", "customer_id": ann}),
        )
        .await
        .id();
    let create = |body: Value| async move { t.post("/api/v1/cases", body).await.id() };
    let reply = |id: i64| async move {
        let r = t
            .post(
                &format!("/api/v1/cases/{id}/messages"),
                json!({"body": "Done."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    };
    let status = |id: i64, status: &'static str| async move {
        let r = t
            .patch(&format!("/api/v1/cases/{id}"), json!({"status": status}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    };
    let event = |id: i64, body: Value| async move {
        let r = t.post(&format!("/api/v1/cases/{id}/events"), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    };

    let c1 = create(
        json!({"subject": "Invoice for March", "customer_id": ann, "message": "Wrong amount",
        "channel": "email", "team_id": billing, "tags": ["billing"], "agreement_id": gold}),
    )
    .await;
    reply(c1).await;
    status(c1, "resolved").await;

    let c2 = create(
        json!({"subject": "Card blocked", "customer_id": bob, "message": "Card blocked",
        "channel": "phone", "team_id": billing, "tags": ["billing"]}),
    )
    .await;
    event(
        c2,
        json!({"type": "identity_verified", "level": "agent_verified", "method": "call-back"}),
    )
    .await;
    event(
        c2,
        json!({"type": "identity_requested", "reason": "new number"}),
    )
    .await;
    event(
        c2,
        json!({"type": "information_repeated", "what": "card number"}),
    )
    .await;
    reply(c2).await;
    status(c2, "resolved").await;
    status(c2, "open").await;

    let c3 = create(
        json!({"subject": "=1+1 Blocked drain", "customer_id": cat, "message": "Water everywhere",
        "channel": "email", "team_id": billing, "tags": ["plumbing"]}),
    )
    .await;
    let r = t
        .patch(&format!("/api/v1/cases/{c3}"), json!({"team_id": field}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    event(c3, json!({"type": "customer_action_requested", "action": "find a plumber", "kind": "call_third_party"})).await;
    event(c3, json!({"type": "customer_action_requested", "action": "fetch the key", "kind": "go_somewhere"})).await;
    event(
        c3,
        json!({"type": "channel_switched", "from": "email", "to": "phone"}),
    )
    .await;

    let c4 = create(
        json!({"subject": "Portal login", "customer_id": dan, "message": "Cannot sign in",
        "channel": "portal", "team_id": field}),
    )
    .await;
    reply(c4).await;

    let c5 = create(
        json!({"subject": "Invoice for March again", "customer_id": ann, "message": "Still wrong",
        "channel": "email"}),
    )
    .await;

    let cases = [c1, c2, c3, c4, c5];
    let indexes: Vec<Value> = {
        let mut v = Vec::new();
        for id in cases {
            v.push(t.get(&format!("/api/v1/cases/{id}")).await.body["effort_index"].clone());
        }
        v
    };
    assert_eq!(indexes, [0, 28, 47, 0, 15], "the dataset's effort, by hand");
    Dataset {
        cases,
        billing,
        field,
    }
}

/// Writes survey events as the survey module stores them.
async fn survey_events(t: &TestServer, events: &[(i64, &str, Value)]) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&t.database().url).await.unwrap();
    let now = jiff::Timestamp::now().as_microsecond();
    for (i, (case, kind, data)) in events.iter().enumerate() {
        let mut data = data.clone();
        data["type"] = json!(kind);
        sqlx::query(
            "INSERT INTO case_events (case_id, seq, kind, actor_kind, actor_id, data, created_at) \
             VALUES ($1, $2, $3, 'system', NULL, $4, $5)",
        )
        .bind(case)
        .bind(10_000 + i64::try_from(i).unwrap())
        .bind(*kind)
        .bind(data.to_string())
        .bind(now)
        .execute(&pool)
        .await
        .unwrap();
    }
}

/// Today and the days around it, as YYYY-MM-DD.
fn days() -> (String, String, String) {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    (
        today.yesterday().unwrap().to_string(),
        today.to_string(),
        today.tomorrow().unwrap().to_string(),
    )
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-9
}

async fn report_figures_equal_the_hand_computed_ones(b: Backend) {
    let t = TestServer::start(b).await;
    let d = dataset(&t).await;
    let [c1, c2, c3, c4, _c5] = d.cases;
    survey_events(
        &t,
        &[
            (c1, "survey_sent", json!({"survey": "s1", "csat": true})),
            (c2, "survey_sent", json!({"survey": "s2", "csat": true})),
            (c3, "survey_sent", json!({"survey": "s3", "csat": true})),
            (c4, "survey_sent", json!({"survey": "s4", "csat": true})),
            (
                c1,
                "survey_answered",
                json!({"survey": "s1", "kind": "ces", "score": 6}),
            ),
            (
                c2,
                "survey_answered",
                json!({"survey": "s2", "kind": "ces", "score": 2}),
            ),
            // A changed answer replaces the first.
            (
                c2,
                "survey_answered",
                json!({"survey": "s2", "kind": "ces", "score": 3}),
            ),
            (
                c2,
                "survey_answered",
                json!({"survey": "s2", "kind": "csat", "score": 2}),
            ),
            (
                c3,
                "survey_answered",
                json!({"survey": "s3", "kind": "ces", "score": 1}),
            ),
        ],
    )
    .await;
    let (yesterday, today, tomorrow) = days();
    let period = format!("from={yesterday}&to={tomorrow}");
    let doc = t.get("/api/v1/openapi.json").await.body;

    let effort = t.get(&format!("/api/v1/reports/effort?{period}")).await;
    assert_eq!(effort.status, StatusCode::OK, "{}", effort.body);
    crate::openapi::check(&doc, "/api/v1/reports/effort", "get", 200, &effort.body);
    let e = &effort.body;
    assert_eq!(e["cases"], 5);
    // (0 + 28 + 47 + 0 + 15) / 5
    assert!(close(&e["average_index"], 18.0), "{e}");
    assert_eq!(
        e["levels"],
        json!([{"level": "low", "cases": 2}, {"level": "medium", "cases": 2}, {"level": "high", "cases": 1}])
    );
    let bands: Vec<i64> = e["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["cases"].as_i64().unwrap())
        .collect();
    assert_eq!(bands, [2, 1, 1, 0, 1, 0, 0, 0, 0, 0]);
    assert_eq!(e["weeks"].as_array().unwrap().len(), 1);
    assert_eq!(e["weeks"][0]["cases"], 5);
    assert_eq!(
        e["drivers"],
        json!([
            {"driver": "pushed_work", "points": 27, "cases": 1},
            {"driver": "repeat_contact", "points": 15, "cases": 1},
            {"driver": "channel_switches", "points": 10, "cases": 1},
            {"driver": "identity_again", "points": 10, "cases": 1},
            {"driver": "reopened", "points": 10, "cases": 1},
            {"driver": "transfers", "points": 10, "cases": 1},
            {"driver": "information_repeated", "points": 8, "cases": 1},
        ])
    );
    let rows = |name: &str| -> Vec<(String, i64, f64, f64)> {
        e[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_owned(),
                    r["cases"].as_i64().unwrap(),
                    (r["average_index"].as_f64().unwrap() * 100.0).round() / 100.0,
                    r["high_share"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        rows("by_team"),
        [
            ("Billing".into(), 2, 14.0, 0.0),
            ("Field".into(), 2, 23.5, 0.5),
            ("(none)".into(), 1, 15.0, 0.0)
        ]
    );
    assert_eq!(
        rows("by_channel"),
        [
            ("email".into(), 3, 20.67, 1.0 / 3.0),
            ("phone".into(), 1, 28.0, 0.0),
            ("portal".into(), 1, 0.0, 0.0)
        ]
    );
    assert_eq!(
        rows("by_tag"),
        [
            ("billing".into(), 2, 14.0, 0.0),
            ("plumbing".into(), 1, 47.0, 1.0)
        ]
    );
    assert_eq!(
        rows("by_agreement"),
        [
            ("(none)".into(), 4, 22.5, 0.25),
            ("Gold".into(), 1, 0.0, 0.0)
        ]
    );
    assert_eq!(rows("by_agent").iter().map(|r| r.1).sum::<i64>(), 5);
    let highest: Vec<(i64, i64)> = e["highest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["case_id"].as_i64().unwrap(), h["index"].as_i64().unwrap()))
        .collect();
    assert_eq!(highest, [(c3, 47), (c2, 28), (d.cases[4], 15)]);
    let why: Vec<&str> = e["highest"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(why.len(), 3, "{why:?}");
    assert!(
        why[0].ends_with("+27") && why[1].ends_with("+10") && why[2] == "transfer +10",
        "{why:?}"
    );
    assert!(why[1].contains("email → phone"), "{why:?}");

    // Filters narrow every figure.
    let field = t
        .get(&format!(
            "/api/v1/reports/effort?{period}&team_id={}",
            d.field
        ))
        .await
        .body;
    assert_eq!(field["cases"], 2);
    let billing_tag = t
        .get(&format!(
            "/api/v1/reports/effort?{period}&tag=Billing&team_id={}",
            d.billing
        ))
        .await
        .body;
    assert_eq!(billing_tag["cases"], 2);
    let phone = t
        .get(&format!("/api/v1/reports/effort?{period}&channel=phone"))
        .await
        .body;
    assert_eq!(phone["highest"][0]["case_id"], c2);
    let earlier = t
        .get("/api/v1/reports/effort?from=2020-01-01&to=2020-02-01")
        .await
        .body;
    assert_eq!(earlier["cases"], 0);
    assert_eq!(earlier["average_index"], Value::Null);

    let service = t.get(&format!("/api/v1/reports/service?{period}")).await;
    assert_eq!(service.status, StatusCode::OK, "{}", service.body);
    crate::openapi::check(&doc, "/api/v1/reports/service", "get", 200, &service.body);
    let s = &service.body;
    assert_eq!(s["cases"], 5);
    // C1, C2 and C4 were answered; only C1 is still resolved.
    assert_eq!(s["first_response"]["cases"], 3);
    assert!(s["first_response"]["p90_seconds"].as_i64().unwrap() >= 0);
    assert_eq!(s["resolution"]["cases"], 1);
    assert_eq!(
        s["first_contact_resolution"],
        json!({"count": 1, "of": 1, "rate": 1.0})
    );
    assert_eq!(
        s["repeat_contact"],
        json!({"count": 1, "of": 5, "rate": 0.2})
    );
    assert_eq!(s["reopened"], json!({"count": 1, "of": 5, "rate": 0.2}));
    assert_eq!(
        s["backlog"],
        json!([{"day": yesterday, "open": 0}, {"day": today, "open": 4}])
    );

    let surveys = t.get(&format!("/api/v1/reports/surveys?{period}")).await;
    assert_eq!(surveys.status, StatusCode::OK, "{}", surveys.body);
    crate::openapi::check(&doc, "/api/v1/reports/surveys", "get", 200, &surveys.body);
    let v = &surveys.body;
    assert_eq!(
        (v["surveyed"].clone(), v["answered"].clone()),
        (json!(4), json!(3))
    );
    assert!(close(&v["response_rate"], 0.75));
    assert_eq!(v["ces"]["answers"], 3);
    // (6 + 3 + 1) / 3
    assert!(close(&v["ces"]["average"], 10.0 / 3.0));
    let ces: Vec<i64> = v["ces"]["distribution"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["answers"].as_i64().unwrap())
        .collect();
    assert_eq!(ces, [1, 0, 1, 0, 0, 1, 0]);
    assert_eq!(v["csat"]["answers"], 1);
    assert!(close(&v["csat"]["average"], 2.0));
    // Effort 0, 28, 47 against CES 6, 3, 1: a perfect inverse ranking.
    assert!(close(&v["calibration"]["spearman"], -1.0), "{v}");
    assert_eq!(
        v["calibration"]["points"],
        json!([
            {"effort_index": 0, "ces": 6, "cases": 1},
            {"effort_index": 28, "ces": 3, "cases": 1},
            {"effort_index": 47, "ces": 1, "cases": 1},
        ])
    );

    // CSV: a header row, quoted fields, formulas defused.
    let res = t
        .http
        .get(format!(
            "{}/api/v1/reports/effort/csv?table=highest&{period}",
            t.base
        ))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"effort-highest-")
    );
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(lines[0], "\"Case\",\"Subject\",\"Index\",\"Level\",\"Why\"");
    assert!(
        lines[1].starts_with(&format!(
            "\"#{c3}\",\"'=1+1 Blocked drain\",\"47\",\"high\","
        )),
        "{body}"
    );
    let backlog = t
        .http
        .get(format!(
            "{}/api/v1/reports/service/csv?table=backlog&{period}",
            t.base
        ))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        backlog,
        format!("\"Day\",\"Open cases\"\r\n\"{yesterday}\",\"0\"\r\n\"{today}\",\"4\"\r\n")
    );
    let missing = t.get("/api/v1/reports/surveys/csv?table=nope").await;
    assert_eq!(
        missing.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "table"
    );
}

/// Reports without a filter or with one read the stored per-day summary;
/// with two filters they read the cases. After changes, the summary must
/// show them, and reports over a split of the cases must add up to the
/// report of the whole, whichever way each is read.
async fn the_summary_follows_changes_and_agrees_with_the_cases(b: Backend) {
    let t = TestServer::start(b).await;
    let d = dataset(&t).await;
    let [_, _, _, c4, c5] = d.cases;
    let (yesterday, today, tomorrow) = days();
    let period = format!("from={yesterday}&to={tomorrow}");
    let report = |kind: &'static str, filter: String| {
        let t = &t;
        let period = &period;
        async move {
            let r = t
                .get(&format!("/api/v1/reports/{kind}?{period}{filter}"))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.body
        }
    };
    let before = report("service", String::new()).await;
    assert_eq!(before["resolution"]["cases"], 1);

    for (id, change) in [
        (c4, json!({"status": "resolved"})),
        (c5, json!({"team_id": d.billing})),
    ] {
        let r = t.patch(&format!("/api/v1/cases/{id}"), change).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let service = report("service", String::new()).await;
    assert_eq!(service["resolution"]["cases"], 2, "{service}");
    assert_eq!(
        service["backlog"],
        json!([{"day": yesterday, "open": 0}, {"day": today, "open": 3}])
    );
    let effort = report("effort", String::new()).await;
    let billing = effort["by_team"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Billing")
        .unwrap()
        .clone();
    assert_eq!(billing["cases"], 3, "{effort}");

    // Effort and service figures that add up over a split of the cases.
    let figures = |filter: String| {
        let report = &report;
        async move {
            let e = report("effort", filter.clone()).await;
            let s = report("service", filter).await;
            let points: i64 = e["drivers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["points"].as_i64().unwrap())
                .sum();
            [
                e["cases"].as_i64().unwrap(),
                points,
                e["levels"][2]["cases"].as_i64().unwrap(),
                e["highest"].as_array().unwrap().len() as i64,
                s["first_response"]["cases"].as_i64().unwrap(),
                s["resolution"]["cases"].as_i64().unwrap(),
                s["first_contact_resolution"]["count"].as_i64().unwrap(),
                s["backlog"][1]["open"].as_i64().unwrap(),
            ]
        }
    };
    let split_by_channel = |filter: String| {
        let figures = &figures;
        async move {
            let mut sums = [0i64; 8];
            for channel in ["email", "phone", "portal"] {
                let part = figures(format!("{filter}&channel={channel}")).await;
                for (sum, v) in sums.iter_mut().zip(part) {
                    *sum += v;
                }
            }
            sums
        }
    };
    // The channels' summaries add up to the whole's.
    let whole = figures(String::new()).await;
    assert_eq!(whole[0], 5, "{whole:?}");
    assert_eq!(split_by_channel(String::new()).await, whole);
    // A team's and a tag's summaries equal what their cases add up to (two
    // filters together are read from the cases).
    for filter in [format!("&team_id={}", d.billing), "&tag=billing".to_owned()] {
        let summary = figures(filter.clone()).await;
        assert!(summary[0] >= 2, "{filter}: {summary:?}");
        assert_eq!(split_by_channel(filter.clone()).await, summary, "{filter}");
    }
}

/// A refresh takes the stale days off their list before it recomputes them;
/// one cut short (here: its day's facts gone, the day still taken, as a
/// crash would leave them) is finished by the next report.
async fn a_refresh_cut_short_is_finished_by_the_next(b: Backend) {
    let t = TestServer::start(b).await;
    dataset(&t).await;
    let (_, today, tomorrow) = days();
    let path = format!("/api/v1/reports/effort?from={today}&to={tomorrow}");
    let whole = t.get(&path).await.body;
    assert_eq!(whole["cases"], 5, "{whole}");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&t.database().url).await.unwrap();
    let day = jiff::Timestamp::now().as_microsecond() / 86_400_000_000;
    sqlx::query("DELETE FROM report_days WHERE day = $1")
        .bind(day)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO report_refreshing_days (day) VALUES ($1)")
        .bind(day)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(t.get(&path).await.body, whole);
}

async fn only_admins_and_leads_read_reports(b: Backend) {
    let t = TestServer::start(b).await;
    let agent = t.agent_token("agent@example.com", Role::Agent).await;
    let light = t.agent_token("light@example.com", Role::LightAgent).await;
    let lead = t.agent_token("lead@example.com", Role::Lead).await;
    for path in [
        "/api/v1/reports/effort",
        "/api/v1/reports/service",
        "/api/v1/reports/surveys",
        "/api/v1/reports/effort/csv?table=levels",
        "/api/v1/reports/service/csv?table=rates",
        "/api/v1/reports/surveys/csv?table=summary",
    ] {
        for token in [&agent, &light] {
            t.send(reqwest::Method::GET, path, Some(token), None)
                .await
                .error(StatusCode::FORBIDDEN, "forbidden");
        }
        for token in [&lead, &t.admin] {
            let r = t.send(reqwest::Method::GET, path, Some(token), None).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        }
    }
    // Leads still work cases like agents.
    let ann = t.customer("Ann", "ann@example.com").await;
    let r = t
        .send(
            reqwest::Method::POST,
            "/api/v1/cases",
            Some(&lead),
            Some(json!({"subject": "s", "customer_id": ann, "message": "m"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // The web page and its downloads, by role.
    t.agent_with_password("ada@example.com", "Ada Agent", Role::Agent, PASSWORD)
        .await;
    t.agent_with_password("lea@example.com", "Lea Lead", Role::Lead, PASSWORD)
        .await;
    let mut agent_web = WebAgent::signed_in(&t, "ada@example.com").await;
    let mut lead_web = WebAgent::signed_in(&t, "lea@example.com").await;
    assert_eq!(
        agent_web.get("/reports").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        agent_web
            .get("/reports/effort/csv?table=levels")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let home = agent_web.get("/views/mine").await.html;
    assert!(!home.contains("href=\"/reports\""), "no link for agents");
    let lead_page = lead_web.get("/reports").await;
    assert_eq!(lead_page.status, StatusCode::OK);
    let html = lead_page.html;
    assert!(html.contains("href=\"/reports\""), "leads see the link");
    assert!(html.contains("<svg"), "the lead's own case is charted");
    let empty = lead_web
        .get("/reports?from=2020-01-01&to=2020-02-01")
        .await
        .html;
    assert!(empty.contains("No cases in this period."), "empty state");
    assert!(!empty.contains("<svg"), "no charts of nothing");
    let csv = lead_web.get("/reports/service/csv?table=rates").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.html
            .starts_with("\"Measure\",\"Cases\",\"Of\",\"%\"\r\n")
    );
    let bad = lead_web.get("/reports?from=2026-02-30").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("is not a date"), "{}", bad.html);
}

async fn bad_periods_and_filters_are_refused(b: Backend) {
    let t = TestServer::start(b).await;
    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("from=2026-03-01&to=2026-03-01", "to"),
        ("from=2024-01-01&to=2026-01-01", "to"),
        ("team_id=abc", "team_id"),
        ("assignee_id=-1", "assignee_id"),
        ("channel=fax", "channel"),
        ("tag=a%20b", "tag"),
        ("agreement_id=0", "agreement_id"),
    ] {
        for report in ["effort", "service", "surveys", "effort/csv"] {
            let r = t.get(&format!("/api/v1/reports/{report}?{query}")).await;
            assert_eq!(
                r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
                field,
                "{report}?{query}"
            );
        }
    }
    let year = t
        .get("/api/v1/reports/effort?from=2025-01-01&to=2026-01-02")
        .await;
    assert_eq!(year.status, StatusCode::OK, "366 days are allowed");
}

/// A lead opens the reports from the navigation in Chromium, sees titled
/// SVG charts with tables beside them, and downloads a table as CSV.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_reads_the_reports_in_chromium() {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let t = TestServer::start(Backend::Sqlite).await;
    dataset(&t).await;
    t.agent_with_password("lea@example.com", "Lea Lead", Role::Lead, PASSWORD)
        .await;
    let b = &browser;
    let c = &b.client;
    b.sign_in(&t, "lea@example.com").await;
    c.find(fantoccini::Locator::LinkText("Reports"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_for("section#effort svg[role=img]").await;
    let titles: Vec<String> = {
        let mut v = Vec::new();
        for svg in c
            .find_all(fantoccini::Locator::Css("svg[role=img]"))
            .await
            .unwrap()
        {
            let label = svg.attr("aria-label").await.unwrap().unwrap();
            let title = svg
                .find(fantoccini::Locator::Css("title"))
                .await
                .unwrap()
                .prop("textContent")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(label, title);
            v.push(title);
        }
        v
    };
    for chart in [
        "Effort distribution",
        "Effort by week",
        "Where effort comes from",
        "Backlog",
    ] {
        assert!(
            titles.iter().any(|t| t.starts_with(chart)),
            "{chart} in {titles:?}"
        );
    }
    b.wait_for_text("report-table", "Blocked drain").await;
    c.execute(
        "document.querySelector('section#effort .chart-box').parentElement.scrollIntoView();",
        vec![],
    )
    .await
    .unwrap();
    b.screenshot("reports.png").await;

    // Download the drivers table the way the link does, with the session.
    let link = c
        .find(fantoccini::Locator::XPath(
            "//div[h3='Where effort comes from']//a[contains(@class, 'csv')]",
        ))
        .await
        .unwrap();
    let href = link.attr("href").await.unwrap().unwrap();
    assert!(
        href.starts_with("/reports/effort/csv?table=drivers&from="),
        "{href}"
    );
    let fetched = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.text().then(body =>
               done([r.status, r.headers.get('content-type'), body])));",
            vec![json!(href)],
        )
        .await
        .unwrap();
    assert_eq!(fetched[0], 200);
    assert_eq!(fetched[1], "text/csv; charset=utf-8");
    let body = fetched[2].as_str().unwrap();
    assert!(
        body.starts_with("\"Driver\",\"Points\",\"Cases\"\r\n\"pushed work\",\"27\",\"1\"\r\n"),
        "{body}"
    );
}
