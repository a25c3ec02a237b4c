use crate::harness::{Backend, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tend_domain::agent::Role;

crate::both_backends!(every_endpoint_checks_the_token_and_the_role);

async fn every_endpoint_checks_the_token_and_the_role(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "Help", "please").await;
    let team = t
        .post("/api/v1/teams", json!({"name": "Support"}))
        .await
        .id();
    let agreement = t
        .post(
            "/api/v1/agreements",
            json!({"name": "Gold", "customer_id": ann}),
        )
        .await
        .id();
    let org = t
        .post("/api/v1/organizations", json!({"name": "Acme"}))
        .await
        .id();
    let duplicate = t.customer("Ann again", "ann.again@example.com").await;
    let attachment_case = t
        .post("/api/v1/cases", json!({"subject": "f", "customer_id": ann, "message": "m", "attachments": [{"filename": "a.txt", "content_base64": "aGk="}]}))
        .await
        .id();
    let attachment = t
        .all(&format!("/api/v1/cases/{attachment_case}/messages"))
        .await[0]["attachments"][0]["id"]
        .as_i64()
        .unwrap();
    let agent = t.agent_token("agent@example.com", Role::Agent).await;
    let light = t.agent_token("light@example.com", Role::LightAgent).await;
    let dead_job = crate::jobs::dead_job(&t).await;
    let inbox = t
        .post("/api/v1/inboxes", json!({"address": "support@example.com"}))
        .await
        .id();
    let task = t
        .post(
            &format!("/api/v1/cases/{case}/tasks"),
            json!({"title": "Parts ordered", "owner_kind": "third_party"}),
        )
        .await
        .id();

    let reads = [
        "/api/v1/cases".to_string(),
        format!("/api/v1/cases/{case}"),
        format!("/api/v1/cases/{case}/messages"),
        format!("/api/v1/cases/{case}/events"),
        format!("/api/v1/cases/{case}/side_conversations"),
        format!("/api/v1/cases/{case}/tasks"),
        format!("/api/v1/attachments/{attachment}"),
        "/api/v1/customers".into(),
        format!("/api/v1/customers/{ann}"),
        "/api/v1/organizations".into(),
        format!("/api/v1/organizations/{org}"),
        "/api/v1/agreements".into(),
        format!("/api/v1/agreements/{agreement}"),
        "/api/v1/agents".into(),
        "/api/v1/agents/1".into(),
        "/api/v1/teams".into(),
        format!("/api/v1/teams/{team}"),
        "/api/v1/search?q=help".into(),
        "/api/v1/me".into(),
        "/api/v1/notifications".into(),
        "/api/v1/notifications/unread".into(),
        "/api/v1/me/notifications".into(),
    ];
    let work = [
        (
            Method::POST,
            "/api/v1/cases".to_string(),
            json!({"subject": "s", "customer_id": ann, "message": "m"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/cases/{case}"),
            json!({"priority": "high"}),
        ),
        (
            Method::POST,
            format!("/api/v1/cases/{case}/messages"),
            json!({"body": "b"}),
        ),
        (
            Method::POST,
            format!("/api/v1/cases/{case}/events"),
            json!({"type": "identity_requested", "reason": "r"}),
        ),
        (
            Method::POST,
            format!("/api/v1/cases/{case}/side_conversations"),
            json!({"to": ["parts@supplier.example"], "subject": "s", "body": "b"}),
        ),
        (
            Method::POST,
            format!("/api/v1/cases/{case}/tasks"),
            json!({"title": "Visit booked", "owner_kind": "agent"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/tasks/{task}"),
            json!({"status": "done"}),
        ),
        (
            Method::POST,
            "/api/v1/customers".into(),
            json!({"name": "N", "email": "n@example.com"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/customers/{ann}"),
            json!({"name": "Ann L"}),
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{duplicate}/merge"),
            json!({"into": ann}),
        ),
        (
            Method::POST,
            "/api/v1/organizations".into(),
            json!({"name": "O"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/organizations/{org}"),
            json!({"name": "O2"}),
        ),
        (
            Method::POST,
            "/api/v1/agreements".into(),
            json!({"name": "A", "customer_id": ann}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/agreements/{agreement}"),
            json!({"status": "ended"}),
        ),
    ];
    let admin_only = [
        (
            Method::POST,
            "/api/v1/agents".to_string(),
            json!({"email": "x@example.com", "name": "X", "role": "agent"}),
        ),
        (Method::POST, "/api/v1/teams".into(), json!({"name": "T2"})),
        (
            Method::POST,
            format!("/api/v1/teams/{team}/members"),
            json!({"agent_id": 1}),
        ),
        (Method::GET, "/api/v1/jobs".into(), json!({})),
        // Reports: admins and leads (leads are checked in reports.rs).
        (Method::GET, "/api/v1/reports/effort".into(), json!({})),
        (Method::GET, "/api/v1/reports/service".into(), json!({})),
        (Method::GET, "/api/v1/reports/surveys".into(), json!({})),
        (
            Method::GET,
            "/api/v1/reports/effort/csv?table=drivers".into(),
            json!({}),
        ),
        (
            Method::GET,
            "/api/v1/reports/service/csv?table=backlog".into(),
            json!({}),
        ),
        (
            Method::GET,
            "/api/v1/reports/surveys/csv?table=ces".into(),
            json!({}),
        ),
        (
            Method::PUT,
            format!("/api/v1/inboxes/{inbox}/survey"),
            json!({"enabled": true}),
        ),
        (
            Method::POST,
            format!("/api/v1/jobs/{dead_job}/retry"),
            json!({}),
        ),
    ];
    let everything = reads.iter().map(|p| (Method::GET, p.clone(), None)).chain(
        work.iter()
            .chain(admin_only.iter())
            .map(|(m, p, b)| (m.clone(), p.clone(), Some(b.clone()))),
    );
    for (method, path, body) in everything.clone() {
        for token in [None, Some("tend_not-a-real-token")] {
            let r = t.send(method.clone(), &path, token, body.clone()).await;
            r.error(StatusCode::UNAUTHORIZED, "unauthorized");
        }
    }
    let before = t.get(&format!("/api/v1/cases/{case}")).await.body;
    for path in &reads {
        let r = t.send(Method::GET, path, Some(&light), None).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "light agent reads {path}: {}",
            r.body
        );
    }
    for (method, path, body) in work.iter().chain(admin_only.iter()) {
        let r = t
            .send(method.clone(), path, Some(&light), Some(body.clone()))
            .await;
        r.error(StatusCode::FORBIDDEN, "forbidden");
    }
    assert_eq!(
        t.get(&format!("/api/v1/cases/{case}")).await.body,
        before,
        "forbidden requests change nothing"
    );
    for (method, path, body) in &work {
        let r = t
            .send(method.clone(), path, Some(&agent), Some(body.clone()))
            .await;
        assert!(
            r.status.is_success(),
            "agent may {method} {path}: {}",
            r.body
        );
    }
    for (method, path, body) in &admin_only {
        t.send(method.clone(), path, Some(&agent), Some(body.clone()))
            .await
            .error(StatusCode::FORBIDDEN, "forbidden");
        let r = t
            .send(method.clone(), path, Some(&t.admin), Some(body.clone()))
            .await;
        assert!(
            r.status.is_success(),
            "admin may {method} {path}: {}",
            r.body
        );
    }
    let agents = t.get("/api/v1/agents").await.body;
    assert_eq!(
        agents
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["email"] == "x@example.com")
            .count(),
        1
    );
}
